//! What the scenario's server does besides answering the client: virtual
//! time on its clock, progress pushed by another device, scripted faults,
//! and the harness reading back what it holds (its own requests marked so
//! the journal never counts them as the client's).

use serde_json::json;

use super::{
    harness_fault, ClientWorld, Scripted, HARNESS_HEADER, OTHER_DEVICE, OTHER_DEVICE_ID,
    READER_PASSWORD, READER_USER,
};
use crate::model::Event;
use crate::protocol::{self, HEADER_AUTH_KEY, HEADER_AUTH_USER};
use crate::server::Fault;

impl ClientWorld {
    /// Let virtual time pass on both clocks: the server's first, so anything
    /// the client sends during the event carries the new time.
    pub(crate) async fn pass_time(&mut self, seconds: u64) {
        let Ok(delta) = i64::try_from(seconds) else {
            harness_fault(format!("{seconds} seconds is too long a wait"));
        };
        if let Err(err) = self.admin().advance_clock(delta).await {
            harness_fault(format!("cannot advance the fake server's clock: {err:#}"));
        }
        self.elapsed += seconds;
        self.send(Event::TimePassed { seconds }).await;
    }

    /// Store remote progress for `book` as another device of the same user would.
    /// `clock_offset` stamps it that many seconds away from the reader's clock.
    pub(crate) async fn seed_progress(
        &mut self,
        book: &str,
        percentage: f64,
        progress: &str,
        clock_offset: i64,
    ) {
        self.seed_progress_from(book, percentage, progress, clock_offset, OTHER_DEVICE_ID)
            .await;
    }

    /// [`ClientWorld::seed_progress`] pushed under `device_id` (the client's
    /// own, to show a record of this very device).
    pub(crate) async fn seed_progress_from(
        &mut self,
        book: &str,
        percentage: f64,
        progress: &str,
        clock_offset: i64,
        device_id: &str,
    ) {
        let document = self.hash_of(book);
        let admin = self.admin().clone();
        if clock_offset != 0 {
            if let Err(err) = admin.advance_clock(clock_offset).await {
                harness_fault(format!("cannot move the fake server's clock: {err:#}"));
            }
        }
        let url = format!("{}{}", self.base_url, self.dialect().push_path());
        let body = json!({
            "document": document,
            "percentage": percentage,
            "progress": progress,
            "device": OTHER_DEVICE,
            "device_id": device_id,
        });
        let answer = self
            .http
            .put(&url)
            .header(HEADER_AUTH_USER, READER_USER)
            .header(HEADER_AUTH_KEY, protocol::key_for_password(READER_PASSWORD))
            .header(HARNESS_HEADER, "seed")
            .json(&body)
            .send()
            .await;
        if clock_offset != 0 {
            if let Err(err) = admin.advance_clock(-clock_offset).await {
                harness_fault(format!("cannot move the fake server's clock back: {err:#}"));
            }
        }
        match answer {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => harness_fault(format!(
                "seeding progress for book {book} was refused: {}",
                response.status()
            )),
            Err(err) => harness_fault(format!("seeding progress for book {book} failed: {err}")),
        }
        self.script.push((
            self.events.len(),
            Scripted::Seed {
                document,
                percentage,
                progress: progress.to_string(),
                offset: clock_offset,
                device_id: device_id.to_string(),
            },
        ));
        self.note(format!(
            "harness: another device pushed {percentage} ({progress:?}) for book {book}"
        ));
    }

    /// What the server holds for `book`, read the way a client would:
    /// `Some((status, body))`; the harness's own request is left out of the journal.
    pub(crate) async fn read_back(&self, book: &str) -> (u16, serde_json::Value) {
        let document = self.hash_of(book);
        let url = format!("{}{}", self.base_url, self.dialect().pull_path(&document));
        let answer = self
            .http
            .get(&url)
            .header(HEADER_AUTH_USER, READER_USER)
            .header(HEADER_AUTH_KEY, protocol::key_for_password(READER_PASSWORD))
            .header(HARNESS_HEADER, "read-back")
            .send()
            .await;
        let response = match answer {
            Ok(response) => response,
            Err(err) => harness_fault(format!("reading book {book}'s progress failed: {err}")),
        };
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, body)
    }

    /// Script a server fault.
    pub(crate) async fn add_fault(&mut self, fault: Fault, described: String) {
        if let Err(err) = self.admin().add_fault(&fault).await {
            harness_fault(format!("cannot script a fault on the fake server: {err:#}"));
        }
        self.script
            .push((self.events.len(), Scripted::Fault(fault)));
        self.note(format!("harness: the server {described}"));
    }
}
