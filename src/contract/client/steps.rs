//! Client contract steps for what the reader, the settings and the server do
//! (the `Given` and `When` vocabulary of `features/client`).
//!
//! Each step is one thing a reader could do or one fact about the server,
//! phrased as the source page phrases it. Every reader action becomes one or
//! more [`Event`]s sent through [`ClientWorld::send`]; server facts become a
//! push by "another device" or a scripted fault. What must be seen afterwards
//! is in `steps_then.rs`.

use std::str::FromStr;

use cucumber::gherkin::Step;
use cucumber::{given, when, Parameter};

use super::world::{harness_fault, ClientWorld, BOOK_PAGES};
use crate::model::{ConflictStrategy, Event, Position, SettingsPatch};
use crate::server::Fault;

/// A position written as a percentage of the book: `20%`, `50.015%`.
#[derive(Debug, Clone, Copy, PartialEq, Parameter)]
#[param(name = "percent", regex = r"\d+(?:\.\d+)?%")]
pub struct Percent(pub f64);

impl FromStr for Percent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let number = s.strip_suffix('%').unwrap_or(s);
        let value: f64 = number
            .parse()
            .map_err(|_| format!("{s:?} is not a percentage"))?;
        if !(0.0..=100.0).contains(&value) {
            return Err(format!("{s} is outside 0%..100%"));
        }
        Ok(Percent(value))
    }
}

impl Percent {
    /// As a fraction in [0, 1], the way `percentage` travels.
    pub fn fraction(self) -> f64 {
        self.0 / 100.0
    }

    /// The reader's position at this percentage of a [`BOOK_PAGES`]-page book:
    /// whole pages get a page-number marker, anything else an explicit one.
    pub fn position(self) -> Position {
        let page = self.0;
        if page.fract() == 0.0 {
            // Whole percent of a 100-page book: exactly that page.
            Position::at_page(page as u32, BOOK_PAGES)
        } else {
            Position {
                percentage: self.fraction(),
                progress: format!("{}", self.0),
            }
        }
    }
}

/// A setting's state as the features write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(name = "on_off", regex = "on|off")]
pub struct OnOff(pub bool);

impl FromStr for OnOff {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "on" => Ok(OnOff(true)),
            "off" => Ok(OnOff(false)),
            other => Err(format!("{other:?} is neither on nor off")),
        }
    }
}

/// A conflict strategy as the plugin's menu names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(name = "strategy", regex = "Silently|Prompt|Disable")]
pub struct Strategy(pub ConflictStrategy);

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "Silently" => Ok(Strategy(ConflictStrategy::Silently)),
            "Prompt" => Ok(Strategy(ConflictStrategy::Prompt)),
            "Disable" => Ok(Strategy(ConflictStrategy::Disable)),
            other => Err(format!(
                "{other:?} is not a strategy (Silently, Prompt or Disable)"
            )),
        }
    }
}

/// How the server fails a request: `status 500`, `a dropped connection`,
/// `a malformed body`, `an empty body`.
#[derive(Debug, Clone, PartialEq, Eq, Parameter)]
#[param(
    name = "failure",
    regex = r"status \d{3}|a dropped connection|a malformed body|an empty body"
)]
pub struct Failure(pub String);

impl FromStr for Failure {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Failure(s.to_string()))
    }
}

impl Failure {
    /// A fault matching `method` on `path` (any path when `None`) that fails this way.
    fn fault(&self, method: &str, path: Option<String>, times: Option<u32>) -> Fault {
        let mut fault = Fault {
            method: Some(method.to_string()),
            path,
            times,
            ..Fault::default()
        };
        match self.0.as_str() {
            "a dropped connection" => fault.drop = true,
            "a malformed body" => {
                fault.status = Some(200);
                fault.body = Some("{\"percentage\": 0.7, \"progress\":".to_string());
            }
            "an empty body" => {
                fault.status = Some(200);
                fault.body = Some(String::new());
            }
            status => {
                let code = status
                    .strip_prefix("status ")
                    .and_then(|c| c.parse::<u16>().ok());
                match code {
                    Some(code) => fault.status = Some(code),
                    None => harness_fault(format!("unknown failure {status:?}")),
                }
            }
        }
        fault
    }
}

/// The settings the features name, by their label in the plugin's menu.
fn setting_patch(label: &str, on: bool) -> (SettingsPatch, &'static str) {
    let mut patch = SettingsPatch::default();
    let field = match label {
        "Automatically keep documents in sync" => {
            patch.enabled = Some(on);
            "enabled"
        }
        "Pull progress on book open" => {
            patch.pull_on_open = Some(on);
            "pull_on_open"
        }
        "Pull progress on resume" => {
            patch.pull_on_resume = Some(on);
            "pull_on_resume"
        }
        "Periodic page-turn updates" => {
            patch.periodic_updates = Some(on);
            "periodic_updates"
        }
        "Set book to read on rating" => {
            patch.set_read_on_rating = Some(on);
            "set_read_on_rating"
        }
        "Manual only" | "Manual only (cache everything)" => {
            patch.manual_only = Some(on);
            "manual_only"
        }
        other => harness_fault(format!("the features know no on/off setting {other:?}")),
    };
    (patch, field)
}

// ---- settings -------------------------------------------------------------

#[given(expr = "progress sync is enabled")]
async fn sync_enabled(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    set_switch(w, "Automatically keep documents in sync", true).await;
}

#[given(expr = "progress sync is disabled")]
async fn sync_disabled(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    set_switch(w, "Automatically keep documents in sync", false).await;
}

#[given(expr = "{string} is {on_off}")]
#[when(expr = "the reader turns {string} {on_off}")]
#[given(expr = "the reader turns {string} {on_off}")]
async fn switch(w: &mut ClientWorld, step: &Step, label: String, state: OnOff) {
    w.enter(step);
    set_switch(w, &label, state.0).await;
}

async fn set_switch(w: &mut ClientWorld, label: &str, on: bool) {
    let (patch, field) = setting_patch(label, on);
    w.change_settings(patch, &[field]).await;
    refuse_if_rejected(w, label);
}

#[given(regex = r#"^"Sync to an? (newer|older) state" is set to (Silently|Prompt|Disable)$"#)]
async fn set_strategy(w: &mut ClientWorld, step: &Step, direction: String, strategy: Strategy) {
    w.enter(step);
    let mut patch = SettingsPatch::default();
    let field = if direction == "newer" {
        patch.newer_strategy = Some(strategy.0);
        "newer_strategy"
    } else {
        patch.older_strategy = Some(strategy.0);
        "older_strategy"
    };
    w.change_settings(patch, &[field]).await;
    refuse_if_rejected(w, "the conflict strategy");
}

#[given(expr = "\"Periodically sync every # pages\" is set to {int}")]
async fn pages_per_sync_given(w: &mut ClientWorld, step: &Step, pages: i64) {
    w.enter(step);
    let patch = SettingsPatch {
        pages_per_sync: Some(pages),
        ..SettingsPatch::default()
    };
    w.change_settings(patch, &["pages_per_sync"]).await;
    refuse_if_rejected(w, "\"Periodically sync every # pages\"");
}

#[when(expr = "the reader sets \"Periodically sync every # pages\" to {int}")]
async fn pages_per_sync_when(w: &mut ClientWorld, step: &Step, pages: i64) {
    w.enter(step);
    w.touched.insert("pages_per_sync");
    let patch = SettingsPatch {
        pages_per_sync: Some(pages),
        ..SettingsPatch::default()
    };
    // Always as an event, even before the first one: refusing it is the client's job.
    w.send(Event::SettingsChanged { patch }).await;
}

/// A `Given` setting the client refused is a broken precondition, not a pass.
/// Only the effects of the change just sent count (before the client starts,
/// a change is not an event and cannot be refused).
fn refuse_if_rejected(w: &mut ClientWorld, what: &str) {
    let Some(last) = w.events.len().checked_sub(1) else {
        return;
    };
    if !matches!(w.events.get(last), Some(Event::SettingsChanged { .. })) {
        return;
    }
    let rejected = w.effects.iter().find_map(|(at, e)| match e {
        crate::model::Effect::SettingsRejected { field, reason } if *at == last => {
            Some(format!("{field}: {reason}"))
        }
        _ => None,
    });
    if let Some(rejected) = rejected {
        w.fail(
            format!("the client to accept the change of {what}"),
            format!("it refused it ({rejected})"),
        );
    }
}

#[given(
    regex = r"^the (settings|pull toggles|conflict strategies|periodic settings) are left at their defaults$"
)]
fn defaults(w: &mut ClientWorld, step: &Step, which: String) {
    w.enter(step);
    let fields: &[&str] = match which.as_str() {
        "pull toggles" => &["pull_on_open", "pull_on_resume"],
        "conflict strategies" => &["newer_strategy", "older_strategy"],
        "periodic settings" => &["periodic_updates", "pages_per_sync"],
        _ => &[
            "enabled",
            "pull_on_open",
            "pull_on_resume",
            "newer_strategy",
            "older_strategy",
            "periodic_updates",
            "pages_per_sync",
            "set_read_on_rating",
            "manual_only",
        ],
    };
    if let Some(field) = fields.iter().find(|f| w.touched.contains(**f)) {
        harness_fault(format!(
            "the scenario says the {which} are left at their defaults, but an earlier step changed {field}"
        ));
    }
}

// ---- Wi-Fi ----------------------------------------------------------------

#[given(expr = "Wi-Fi is connected")]
#[when(expr = "Wi-Fi connects")]
#[given(expr = "Wi-Fi connects")]
async fn wifi_up(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    w.send(Event::WifiConnected).await;
}

/// The link drops (the client cannot act on its way down).
#[given(expr = "Wi-Fi is disconnected")]
#[when(expr = "Wi-Fi disconnects")]
#[given(expr = "Wi-Fi disconnects")]
async fn wifi_down(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    w.send(Event::WifiLost).await;
}

/// The user turns Wi-Fi off (a client may act on its way down).
#[given(expr = "the reader turns Wi-Fi off")]
#[when(expr = "the reader turns Wi-Fi off")]
async fn wifi_off(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    w.send(Event::WifiOff).await;
}

// ---- the reader -----------------------------------------------------------

#[given(expr = "the reader has book {word} open at {percent}")]
#[given(expr = "the reader opens book {word} at {percent}")]
#[when(expr = "the reader opens book {word} at {percent}")]
async fn open_book(w: &mut ClientWorld, step: &Step, book: String, at: Percent) {
    w.enter(step);
    open(w, &book, at).await;
}

async fn open(w: &mut ClientWorld, book: &str, at: Percent) {
    let document = w.hash_of(book);
    let position = at.position();
    w.open_book = Some(book.to_string());
    w.position = Some(position.clone());
    w.prompt_open = false;
    w.send(Event::BookOpened { document, position }).await;
}

#[given(expr = "the device is asleep with book {word} open at {percent}")]
async fn asleep_with_book(w: &mut ClientWorld, step: &Step, book: String, at: Percent) {
    w.enter(step);
    open(w, &book, at).await;
    w.send(Event::Suspend).await;
}

#[given(regex = r"^(?:no book is open|nothing else happened)$")]
fn nothing(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    if step.value.starts_with("no book") && w.open_book.is_some() {
        harness_fault("the scenario says no book is open, but an earlier step opened one");
    }
}

#[given(regex = r"^the reader turns (\d+|a) pages?$")]
#[when(regex = r"^the reader turns (\d+|a) pages?$")]
async fn turn_pages(w: &mut ClientWorld, step: &Step, count: String) {
    w.enter(step);
    let count = parse_count(&count);
    for _ in 0..count {
        turn_page(w).await;
    }
}

#[given(regex = r"^the reader turns (\d+) pages?, one every (\d+) seconds?$")]
#[when(regex = r"^the reader turns (\d+) pages?, one every (\d+) seconds?$")]
async fn turn_pages_slowly(w: &mut ClientWorld, step: &Step, count: u32, every: u64) {
    w.enter(step);
    for _ in 0..count {
        w.pass_time(every).await;
        turn_page(w).await;
    }
}

fn parse_count(count: &str) -> u32 {
    if count == "a" {
        return 1;
    }
    match count.parse::<u32>() {
        Ok(n) if n <= 10_000 => n,
        _ => harness_fault(format!(
            "{count} page turns is not a count the features use"
        )),
    }
}

async fn turn_page(w: &mut ClientWorld) {
    if w.open_book.is_none() {
        harness_fault("the reader turns a page, but no book is open");
    }
    let here = w
        .position
        .as_ref()
        .map(|p| (p.percentage * f64::from(BOOK_PAGES)).round() as u32)
        .unwrap_or(0);
    let next = Position::at_page(here.saturating_add(1), BOOK_PAGES);
    w.position = Some(next.clone());
    w.send(Event::PageTurned { position: next }).await;
}

#[given(regex = r"^the reader (?:closes|has closed) the book$")]
#[when(regex = r"^the reader (?:closes|has closed) the book$")]
async fn close_book(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    if w.open_book.is_none() {
        harness_fault("the reader closes the book, but no book is open");
    }
    w.open_book = None;
    w.send(Event::BookClosed).await;
}

#[given(expr = "the device goes to sleep")]
#[when(expr = "the device goes to sleep")]
async fn suspend(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    w.send(Event::Suspend).await;
}

#[given(expr = "the device wakes up")]
#[when(expr = "the device wakes up")]
async fn resume(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    w.send(Event::Resume).await;
}

#[given(expr = "the reader rates the book {int} stars")]
#[when(expr = "the reader rates the book {int} stars")]
async fn rate(w: &mut ClientWorld, step: &Step, stars: i64) {
    w.enter(step);
    let stars = match u8::try_from(stars) {
        Ok(s @ 1..=5) => s,
        _ => harness_fault(format!("a rating has 1 to 5 stars, not {stars}")),
    };
    if w.open_book.is_none() {
        harness_fault("the reader rates the book, but no book is open");
    }
    w.send(Event::RatingSubmitted { stars }).await;
}

#[given(expr = "the reader runs Sync Pending Now")]
#[when(expr = "the reader runs Sync Pending Now")]
async fn sync_pending_now(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    w.send(Event::SyncPendingNow).await;
}

/// The client's way of sending what it holds back, whatever the client:
/// Sync Pending Now where it has it; otherwise the network going down and
/// coming back up (when KOReader's plugin sends its retry queue).
#[given(expr = "the client gets a chance to send what is pending")]
#[when(expr = "the client gets a chance to send what is pending")]
async fn chance_to_send(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    if w.has(crate::adapter::Capability::SyncPendingNow) {
        w.send(Event::SyncPendingNow).await;
    } else {
        w.send(Event::WifiLost).await;
        w.send(Event::WifiConnected).await;
    }
}

#[given(expr = "the reader pushes progress now")]
#[when(expr = "the reader pushes progress now")]
async fn push_now(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    w.send(Event::PushNow).await;
}

#[given(expr = "the reader pulls progress now")]
#[when(expr = "the reader pulls progress now")]
async fn pull_now(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    w.send(Event::PullNow).await;
}

#[given(expr = "the reader signs in")]
#[when(expr = "the reader signs in")]
async fn sign_in(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    w.send(Event::SignIn).await;
}

#[given(regex = r"^the user (confirms|declines)$")]
#[when(regex = r"^the user (confirms|declines)$")]
async fn answer_prompt(w: &mut ClientWorld, step: &Step, answer: String) {
    w.enter(step);
    if !w.prompt_open {
        w.fail(
            "a prompt showing for the user to answer",
            "the client showed no prompt",
        );
    }
    w.prompt_open = false;
    w.send(Event::PromptAnswered {
        accept: answer == "confirms",
    })
    .await;
}

#[given(expr = "{int} second(s) pass(es)")]
#[when(expr = "{int} second(s) pass(es)")]
async fn time_passes(w: &mut ClientWorld, step: &Step, seconds: i64) {
    w.enter(step);
    let Ok(seconds) = u64::try_from(seconds) else {
        harness_fault(format!("time does not run backwards ({seconds} seconds)"));
    };
    w.pass_time(seconds).await;
}

// ---- the server -----------------------------------------------------------

/// The marker another device's push carries when the feature gives none: an
/// xpointer, so it never equals a page-number marker by accident (C-CONF-6).
fn remote_marker(percentage: f64) -> String {
    format!(
        "/body/DocFragment[{}]/body/p[1]/text().0",
        (percentage * 100.0).round() as i64
    )
}

fn fraction(value: f64) -> f64 {
    if !(0.0..=1.0).contains(&value) {
        harness_fault(format!(
            "server progress is a fraction in [0, 1], not {value}"
        ));
    }
    value
}

#[given(expr = "the server holds progress {float} for book {word}")]
async fn server_holds(w: &mut ClientWorld, step: &Step, percentage: f64, book: String) {
    w.enter(step);
    let percentage = fraction(percentage);
    w.seed_progress(&book, percentage, &remote_marker(percentage), 0)
        .await;
}

#[given(expr = "the server holds progress {float} with marker {string} for book {word}")]
async fn server_holds_marker(
    w: &mut ClientWorld,
    step: &Step,
    percentage: f64,
    marker: String,
    book: String,
) {
    w.enter(step);
    let percentage = fraction(percentage);
    w.seed_progress(&book, percentage, &marker, 0).await;
}

#[given(
    expr = "the server holds progress {float} for book {word}, stamped {int} hour(s) ahead of the reader's clock"
)]
async fn server_holds_later(
    w: &mut ClientWorld,
    step: &Step,
    percentage: f64,
    book: String,
    hours: i64,
) {
    w.enter(step);
    let percentage = fraction(percentage);
    w.seed_progress(&book, percentage, &remote_marker(percentage), hours * 3600)
        .await;
}

#[given(expr = "the server has no progress for book {word}")]
async fn server_has_nothing(w: &mut ClientWorld, step: &Step, book: String) {
    w.enter(step);
    let (status, body) = w.read_back(&book).await;
    if status != 404 {
        harness_fault(format!(
            "the fake server should hold nothing for book {book} yet, but answered {status} {body}"
        ));
    }
}

#[given(expr = "the server answers pulls with {failure}")]
async fn pulls_fail(w: &mut ClientWorld, step: &Step, failure: Failure) {
    w.enter(step);
    let dialect = w.dialect();
    for book in super::world::BOOK_NAMES {
        let path = dialect.pull_path(&w.hash_of(book));
        let fault = failure.fault("GET", Some(path), None);
        w.add_fault(
            fault,
            format!("answers pulls of book {book} with {}", failure.0),
        )
        .await;
    }
}

/// How long "slow" is: long enough that a client sending its upload while the
/// pull is unanswered has that upload stored before the pull is read (C-PULL-7).
/// A correct client only waits it out; no check depends on it.
const SLOW_ANSWER_MS: u64 = 250;

#[given(expr = "the server is slow to answer pulls")]
async fn pulls_slow(w: &mut ClientWorld, step: &Step) {
    w.enter(step);
    let dialect = w.dialect();
    for book in super::world::BOOK_NAMES {
        let fault = Fault {
            method: Some("GET".to_string()),
            path: Some(dialect.pull_path(&w.hash_of(book))),
            delay_ms: Some(SLOW_ANSWER_MS),
            ..Fault::default()
        };
        w.add_fault(
            fault,
            format!("answers pulls of book {book} after {SLOW_ANSWER_MS} ms"),
        )
        .await;
    }
}

#[given(regex = r"^the server answers the next (?:(\d+) )?push(?:es)? with (.+)$")]
async fn pushes_fail(w: &mut ClientWorld, step: &Step, count: String, failure: String) {
    w.enter(step);
    let times = if count.is_empty() {
        1
    } else {
        parse_count(&count)
    };
    // `Failure::fault` refuses anything it does not know, naming it.
    let failure = Failure(failure);
    let path = w.dialect().push_path();
    let fault = failure.fault("PUT", Some(path), Some(times));
    w.add_fault(
        fault,
        format!("answers the next {times} push(es) with {}", failure.0),
    )
    .await;
}

#[given(regex = r"^the server drops the next (?:(\d+) )?push(?:es)?$")]
async fn pushes_dropped(w: &mut ClientWorld, step: &Step, count: String) {
    w.enter(step);
    let times = if count.is_empty() {
        1
    } else {
        parse_count(&count)
    };
    let path = w.dialect().push_path();
    let fault = Failure("a dropped connection".to_string()).fault("PUT", Some(path), Some(times));
    w.add_fault(fault, format!("drops the next {times} push(es)"))
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_read_as_the_features_write_them() {
        assert_eq!("20%".parse::<Percent>().map(|p| p.fraction()), Ok(0.2));
        assert_eq!("50.015%".parse::<Percent>().map(|p| p.0), Ok(50.015));
        assert!("120%".parse::<Percent>().is_err());
        assert!("abc%".parse::<Percent>().is_err());
        let page = "37%".parse::<Percent>().map(Percent::position);
        assert_eq!(page.map(|p| p.progress), Ok("37".to_string()));
    }

    #[test]
    fn failures_become_faults() {
        let drop = Failure("a dropped connection".into()).fault("PUT", None, Some(1));
        assert!(drop.drop);
        assert_eq!(drop.times, Some(1));
        let status = Failure("status 503".into()).fault("GET", Some("/x".into()), None);
        assert_eq!(status.status, Some(503));
        assert_eq!(status.path.as_deref(), Some("/x"));
        let empty = Failure("an empty body".into()).fault("GET", None, None);
        assert_eq!((empty.status, empty.body.as_deref()), (Some(200), Some("")));
    }
}
