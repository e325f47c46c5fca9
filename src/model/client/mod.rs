//! The client state machine: one [`Client`], one `match` over [`Event`].
//!
//! Every rule of the module doc's "Behaviour" list is a match arm here or a
//! small helper beside it (`pull.rs`: pulls, answers, conflicts; `upload.rs`:
//! snapshots and upload runs; `wire.rs`: what goes on the wire), with the
//! rule id beside it; each records the [`Decision`] it takes. Where clients
//! differ the code asks the [`Policy`].

mod pull;
mod upload;
mod wire;

pub(crate) use wire::{parse_remote, RemoteAnswer};
pub use wire::{ClientConfig, Snapshot};

use super::decision::{governs, Decision, Handled, Outcome};
use super::profile::{Policy, Profile};
use super::types::take_first_due;
use super::{
    valid_pages_per_sync, Effect, Event, Position, QueueCounts, RequestId, Settings, SettingsPatch,
};

/// What made an upload run start; decides debouncing (C-PUSH-6/7), whether
/// Manual only lets it through (C-MAN-2/3) and which rule its pushes follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Open,
    Close,
    Page,
    Rating,
    SyncPendingNow,
    /// "Push progress now": the user's own action, like Sync Pending Now.
    PushNow,
}

impl Trigger {
    /// Started by the user: allowed in Manual only (C-MAN-3), never debounced.
    fn is_manual(self) -> bool {
        matches!(self, Trigger::SyncPendingNow | Trigger::PushNow)
    }
}

/// What made a pull go out (C-PULL-1/2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PullTrigger {
    Open,
    Resume,
}

/// The book on screen.
#[derive(Debug, Clone)]
struct OpenBook {
    document: String,
    position: Position,
    /// When `position` last changed (for profiles that compare by time).
    changed_at: i64,
    /// Page turns counted since open or since the last periodic snapshot (C-PUSH-3).
    turns: u32,
}

/// A snapshot in the pending queue, with a sequence number so its upload's
/// answer finds it again.
#[derive(Debug, Clone)]
struct Queued {
    seq: u64,
    snapshot: Snapshot,
    /// Upload attempts that failed so far.
    failures: u32,
    /// It carries a position applied from the server after it was queued (C-PULL-8).
    carries_applied: bool,
}

/// The single upload run that may be going on (C-PUSH-8).
#[derive(Debug, Clone)]
struct UploadRun {
    trigger: Trigger,
    /// Started or joined by Sync Pending Now: allowed in Manual only (C-MAN-3).
    manual: bool,
    /// Whether its first PUT went out.
    started: bool,
    /// The PUT awaiting its answer, with the sequence number of the item it carries.
    in_flight: Option<(RequestId, u64)>,
}

/// Work the client scheduled for later virtual time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// A page upload held back by the debounce, postponed
    /// ([`EarlyPageUpload::ToWindowEnd`], [`EarlyPageUpload::After`]).
    PageUpload,
}

/// A prompt on screen (C-CONF-4).
#[derive(Debug, Clone)]
struct OpenPrompt {
    document: String,
    proposed: Position,
}

/// The reference client. See the module doc of [`crate::model`] for the rules.
#[derive(Debug, Clone)]
pub struct Client {
    config: ClientConfig,
    settings: Settings,
    policy: Policy,
    /// Virtual now: `clock_start` plus every `TimePassed`.
    now: i64,
    wifi: bool,
    book: Option<OpenBook>,
    pending: Vec<Queued>,
    synced: usize,
    next_seq: u64,
    next_request: RequestId,
    /// Pulls awaiting their answer, with the document each asked for.
    pulls: Vec<(RequestId, String)>,
    /// Sign-in requests awaiting their answer.
    sign_ins: Vec<RequestId>,
    run: Option<UploadRun>,
    /// When the last PUT was sent (C-PUSH-6: "25 seconds minimum between pushes").
    last_push_at: Option<i64>,
    /// A page-triggered upload was held back by the debounce and no run has
    /// started since (C-PUSH-7: it is not sent late).
    held_back: bool,
    /// Scheduled work, by due time.
    timers: Vec<(i64, Timer)>,
    prompt: Option<OpenPrompt>,
    /// Decisions of the event being handled.
    decisions: Vec<Decision>,
}

impl Client {
    /// A fresh client of `profile`: empty queue, no book open, Wi-Fi disconnected.
    pub fn new(config: ClientConfig, settings: Settings, profile: Profile) -> Client {
        Client::with_policy(config, settings, profile.policy())
    }

    /// A fresh client following `policy` (a profile's, or one with an answer changed).
    pub fn with_policy(config: ClientConfig, settings: Settings, policy: Policy) -> Client {
        Client {
            now: config.clock_start,
            config,
            settings,
            policy,
            wifi: false,
            book: None,
            pending: Vec::new(),
            synced: 0,
            next_seq: 0,
            next_request: 1,
            pulls: Vec::new(),
            sign_ins: Vec::new(),
            run: None,
            last_push_at: None,
            held_back: false,
            timers: Vec::new(),
            prompt: None,
            decisions: Vec::new(),
        }
    }

    /// Pending and synced progress counts (C-Q-5).
    pub fn queue(&self) -> QueueCounts {
        QueueCounts {
            pending: self.pending.len(),
            synced: self.synced,
        }
    }

    /// The queue summary as shown to the user, e.g. `4P` (C-Q-4).
    pub fn queue_summary(&self) -> String {
        self.queue().summary()
    }

    /// The current settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The identity and routes the client was started with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Whether Wi-Fi is connected.
    pub fn wifi(&self) -> bool {
        self.wifi
    }

    /// The open book and where the reader is in it.
    pub fn position(&self) -> Option<(&str, &Position)> {
        self.book
            .as_ref()
            .map(|b| (b.document.as_str(), &b.position))
    }

    /// The pending snapshots, oldest first.
    pub fn pending(&self) -> impl ExactSizeIterator<Item = &Snapshot> + '_ {
        self.pending.iter().map(|q| &q.snapshot)
    }

    /// Virtual now, seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Whether any HTTP request is awaiting its [`Event::HttpCompleted`].
    pub fn awaiting_answers(&self) -> bool {
        !self.pulls.is_empty()
            || !self.sign_ins.is_empty()
            || self.run.as_ref().is_some_and(|r| r.in_flight.is_some())
    }

    /// The profile this client plays.
    pub fn profile(&self) -> Profile {
        self.policy.profile
    }

    /// The answers this client follows where clients differ.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Feed one event; returns what the client does in answer, in order.
    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        self.step(event).effects
    }

    /// Feed one event; returns what the client does in answer, in order, and
    /// the decisions behind it.
    pub fn step(&mut self, event: Event) -> Handled {
        let mut out = Vec::new();
        // An answer continues the run it belongs to: Sync Pending Now's is manual.
        let manual =
            matches!(event, Event::SyncPendingNow) || self.run.as_ref().is_some_and(|r| r.manual);
        self.on_event(event, &mut out);
        self.standing_rules(manual);
        Handled {
            effects: out,
            decisions: std::mem::take(&mut self.decisions),
        }
    }

    fn on_event(&mut self, event: Event, out: &mut Vec<Effect>) {
        match event {
            // C-PUSH-2: another open book is closed first (its snapshot is queued
            // but uploaded after the pull, C-PULL-7). C-PULL-1/3/4, C-MAN-4: pull
            // if enabled, Wi-Fi up, pull_on_open, not Manual only. C-PUSH-1:
            // queue the open snapshot; C-PUSH-8: its upload (not debounced)
            // waits for the pull's answer (C-PULL-7). C-EN-2: disabled, the book
            // opens but nothing is pulled or queued.
            Event::BookOpened { document, position } => {
                self.shelve_book(out);
                self.book = Some(OpenBook {
                    document,
                    position,
                    changed_at: self.now,
                    turns: 0,
                });
                self.pull(PullTrigger::Open, out);
                if self.policy.open_snapshot {
                    self.queue_snapshot("C-PUSH-1", None, out);
                }
                self.trigger_upload(Trigger::Open, out);
            }
            // C-PUSH-3/5: with a book open, the position moves; with periodic
            // updates on (and sync enabled) every `pages_per_sync`-th turn queues
            // a snapshot and restarts the count, and its upload is debounced
            // (C-PUSH-6/7). Without a book the turn is ignored.
            Event::PageTurned { position } => {
                let (now, enabled) = (self.now, self.settings.enabled);
                let (periodic, every) =
                    (self.settings.periodic_updates, self.settings.pages_per_sync);
                let Some(book) = self.book.as_mut() else {
                    return;
                };
                book.position = position;
                book.changed_at = now;
                if !enabled {
                    self.decide("C-EN-2", Outcome::Refused, governs::PENDING);
                } else if !periodic {
                    self.decide("C-PUSH-5", Outcome::Skipped, governs::PENDING);
                } else {
                    book.turns = book.turns.saturating_add(1);
                    if book.turns >= every {
                        book.turns = 0;
                        self.queue_snapshot("C-PUSH-3", None, out);
                        self.trigger_upload(Trigger::Page, out);
                    } else {
                        self.decide("C-PUSH-3", Outcome::Skipped, governs::PENDING);
                    }
                }
            }
            // C-PUSH-2: closing queues a snapshot and uploads it (not debounced);
            // an open prompt goes away with the book; late pull answers for it
            // are ignored.
            Event::BookClosed => {
                if self.book.is_some() {
                    self.shelve_book(out);
                    self.trigger_upload(Trigger::Close, out);
                }
            }
            // Suspending does nothing: no snapshot, no request.
            Event::Suspend => {}
            // C-PULL-2/3/4, C-MAN-4: resume pulls the open book's progress.
            Event::Resume => {
                if self.book.is_some() {
                    self.pull(PullTrigger::Resume, out);
                }
            }
            // Wi-Fi coming up starts nothing by itself (C-PUSH-8 waits for the
            // next trigger); going down stops an upload run after its in-flight
            // PUT (C-SAFE-4). Turning Wi-Fi off and losing the link are the
            // same to this profile: nothing is sent on the way down.
            Event::WifiConnected => self.wifi = true,
            Event::WifiLost | Event::WifiOff => self.wifi = false,
            // C-RATE-1/2: with set_read_on_rating, a rating of the open book
            // queues a snapshot at percentage 1.0 with the current marker, and
            // uploads it (not debounced). The local position does not change.
            Event::RatingSubmitted { stars: _ } if self.book.is_some() => {
                if !self.settings.set_read_on_rating {
                    self.decide("C-RATE-2", Outcome::Refused, governs::NOT_QUEUED);
                } else if self.queue_snapshot("C-RATE-1", Some(1.0), out) {
                    self.trigger_upload(Trigger::Rating, out);
                }
            }
            Event::RatingSubmitted { .. } => {}
            // C-Q-2, C-MAN-3: upload everything pending, Manual only or not.
            // C-EN-1: nothing while disabled. C-SAFE-5: nothing with Wi-Fi down,
            // the queue is kept.
            Event::SyncPendingNow => {
                if !self.wifi {
                    self.decide("C-SAFE-5", Outcome::Kept, governs::KEPT);
                }
                self.trigger_upload(Trigger::SyncPendingNow, out);
            }
            // "Push progress now": the open book's current position is queued
            // (C-Q-1) and uploaded at once as the user's own action — like
            // Sync Pending Now, in Manual only too and never debounced. C-EN-1:
            // nothing while disabled; C-SAFE-5: with Wi-Fi down the snapshot waits.
            Event::PushNow => {
                if self.book.is_some() && self.queue_snapshot("C-Q-1", None, out) {
                    self.trigger_upload(Trigger::PushNow, out);
                }
            }
            // "Pull progress now": the open book's progress, whatever the pull
            // toggles and Manual only say (they govern automatic pulls, C-PULL-4,
            // C-MAN-4). C-EN-1 and C-PULL-3 still hold: never while disabled,
            // never with Wi-Fi down, and Wi-Fi is not turned on for it.
            Event::PullNow => {
                if self.book.is_some() && self.settings.enabled && self.wifi {
                    self.send_pull(out);
                }
            }
            // Sign-in checks the credentials (`GET {prefix}/users/auth`). It is
            // not progress, so C-EN-1 does not stop it; C-SAFE-4 does (nothing
            // is sent with Wi-Fi down).
            Event::SignIn => {
                if self.wifi {
                    self.send_sign_in(out);
                }
            }
            // C-CONF-4: accepting applies the proposed position, declining keeps
            // the local one. Without a prompt on screen the answer is ignored.
            Event::PromptAnswered { accept } => {
                if let Some(prompt) = self.prompt.take() {
                    if accept {
                        self.decide("C-CONF-4", Outcome::Applied, governs::PROMPTS);
                        self.apply(prompt.document, prompt.proposed, out);
                    } else {
                        self.decide("C-CONF-4", Outcome::Refused, governs::PROMPTS);
                    }
                }
            }
            // Virtual time; timers fall due in order, each at its own time.
            Event::TimePassed { seconds } => {
                let end = self
                    .now
                    .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX));
                self.run_timers(end, out);
                self.now = end;
                // C-PUSH-6/7: a page upload held back by the debounce is not
                // sent late, inside the window or after it; it waits for the
                // next upload.
                if self.held_back && !self.pending.is_empty() {
                    if self.debounced() {
                        self.decide("C-PUSH-6", Outcome::Debounced, governs::UPLOADS);
                    }
                    self.decide("C-PUSH-7", Outcome::Skipped, governs::UPLOADS);
                }
            }
            // C-PUSH-4: pages_per_sync below 1 is refused, the rest applies.
            // A change starts nothing by itself.
            Event::SettingsChanged { patch } => self.change_settings(patch, out),
            Event::HttpCompleted { id, outcome } => {
                if let Some(at) = self.sign_ins.iter().position(|s| *s == id) {
                    self.sign_ins.swap_remove(at);
                    out.push(wire::sign_in_notice(&outcome));
                } else if let Some(at) = self.pulls.iter().position(|(pull, _)| *pull == id) {
                    let (_, document) = self.pulls.swap_remove(at);
                    self.on_pull_answer(document, outcome, out);
                    // C-PULL-7: a run waiting for the pull goes on.
                    self.continue_run(out);
                } else if self
                    .run
                    .as_ref()
                    .and_then(|r| r.in_flight)
                    .is_some_and(|(put, _)| put == id)
                {
                    self.on_upload_answer(outcome, out);
                }
                // An answer to a request this client never sent is ignored.
            }
        }
    }

    fn decide(&mut self, rule: &'static str, outcome: Outcome, on: &'static [super::Aspect]) {
        let decision = Decision::new(rule, outcome, on);
        if !self.decisions.contains(&decision) {
            self.decisions.push(decision);
        }
    }

    /// Rules that hold whatever the event: what may not be sent at all in
    /// the state the event left (C-EN-1, C-PULL-3, C-SAFE-4, C-MAN-2/4).
    fn standing_rules(&mut self, manual_run: bool) {
        if !self.settings.enabled {
            self.decide("C-EN-1", Outcome::Refused, governs::SENDING);
        }
        if !self.wifi {
            self.decide("C-PULL-3", Outcome::Refused, governs::PULLS);
            self.decide("C-SAFE-4", Outcome::Refused, governs::SENDING);
        }
        if self.settings.manual_only {
            self.decide("C-MAN-4", Outcome::Refused, governs::PULLS);
            if !manual_run && !self.run.as_ref().is_some_and(|r| r.manual) {
                self.decide("C-MAN-2", Outcome::Refused, governs::UPLOADS);
            }
        }
    }

    /// Run every timer due by `end`, in due order, the clock reading each one's due time.
    fn run_timers(&mut self, end: i64, out: &mut Vec<Effect>) {
        loop {
            let Some((at, timer)) = take_first_due(&mut self.timers, end) else {
                return;
            };
            self.now = self.now.max(at);
            match timer {
                // A postponed page upload goes now, whatever the window says.
                Timer::PageUpload => {
                    if self.held_back && self.run.is_none() && self.upload_allowed(false) {
                        self.start_run(Trigger::Page, out);
                    }
                }
            }
        }
    }

    /// C-PUSH-4: a valid `pages_per_sync` replaces the old one, an invalid one
    /// is refused with the reason; every other field of the patch applies.
    fn change_settings(&mut self, patch: SettingsPatch, out: &mut Vec<Effect>) {
        let Some(pages) = patch.apply_all_but_pages(&mut self.settings) else {
            return;
        };
        match valid_pages_per_sync(pages) {
            Ok(n) => {
                self.settings.pages_per_sync = n;
                self.decide("C-PUSH-4", Outcome::Applied, governs::SETTINGS);
            }
            Err(reason) => {
                self.decide("C-PUSH-4", Outcome::Rejected, governs::SETTINGS);
                out.push(Effect::SettingsRejected {
                    field: "pages_per_sync".to_string(),
                    reason: format!("{reason}; keeping {}", self.settings.pages_per_sync),
                });
            }
        }
    }
}
