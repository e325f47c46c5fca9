//! The defective [`ProgressStore`]: the same store, keeping the wrong record.

use std::sync::Arc;

use super::Defect;
use crate::server::store::{Merge, ProgressStore, StoreFuture, StoredProgress};
use crate::server::UserSpec;

pub(crate) struct DefectiveStore {
    pub defect: Defect,
    pub inner: Arc<dyn ProgressStore>,
}

impl DefectiveStore {
    /// SharedAcrossUsers: every user reads and writes one owner's records.
    fn owner<'a>(&self, owner: &'a str) -> &'a str {
        if self.defect == Defect::SharedAcrossUsers {
            ""
        } else {
            owner
        }
    }
}

/// The record this defect keeps instead of `next`.
fn tamper(
    defect: Defect,
    previous: Option<&StoredProgress>,
    mut next: StoredProgress,
) -> StoredProgress {
    match (defect, previous) {
        (Defect::FirstWriteWins, Some(previous)) => previous.clone(),
        (Defect::TrimProgress, _) => {
            next.progress = next.progress.trim().to_owned();
            next
        }
        (Defect::KosyncDeviceIdNotStored, _) => {
            next.device_id = None;
            next
        }
        // An `f32` column, read back as the shortest text of that `f32`.
        (Defect::SinglePrecisionPercentage, _) => {
            next.percentage = (next.percentage as f32)
                .to_string()
                .parse()
                .unwrap_or(next.percentage);
            next
        }
        // A push within a second of another device's record keeps that
        // record's progress, as a torn write would: decided on the server's
        // clock rather than a real race, so the run is repeatable.
        (Defect::ConcurrentPushesMixFields, Some(previous))
            if next.timestamp - previous.timestamp <= 1 && previous.device != next.device =>
        {
            next.progress = previous.progress.clone();
            next
        }
        _ => next,
    }
}

impl ProgressStore for DefectiveStore {
    fn get(&self, owner: &str, document: &str) -> StoreFuture<'_, Option<Arc<StoredProgress>>> {
        self.inner.get(self.owner(owner), document)
    }

    fn write(&self, owner: &str, document: &str, merge: Merge) -> StoreFuture<'_, StoredProgress> {
        let defect = self.defect;
        self.inner.write(
            self.owner(owner),
            document,
            Box::new(move |previous| {
                let next = merge(previous);
                tamper(defect, previous, next)
            }),
        )
    }

    fn clear(&self) -> StoreFuture<'_, ()> {
        self.inner.clear()
    }

    fn users(&self) -> StoreFuture<'_, Vec<UserSpec>> {
        self.inner.users()
    }

    fn put_user(&self, user: &UserSpec) -> StoreFuture<'_, ()> {
        self.inner.put_user(user)
    }

    fn books(&self) -> StoreFuture<'_, Vec<String>> {
        self.inner.books()
    }

    fn add_book(&self, document: &str) -> StoreFuture<'_, ()> {
        self.inner.add_book(document)
    }
}
