//! The client state machine: one [`Client`], one `match` over [`Event`].
//!
//! Every rule of the module doc's "Behaviour" list is a match arm or a small
//! helper below it, with the rule id beside it; each records the
//! [`Decision`] it takes. Where clients differ the code asks the [`Policy`].

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::protocol::{
    self, Dialect, HEADER_AUTH_KEY, HEADER_AUTH_USER, JSON_CONTENT_TYPE, KOSYNC_ACCEPT,
};

use super::decision::{governs, Decision, Handled, Outcome};
use super::profile::{
    EarlyPageUpload, FailedUpload, LocalProgress, NotFoundPolicy, Policy, Profile, QueueOrder,
    RemoteProgress,
};
use super::{
    valid_pages_per_sync, ConflictStrategy, Direction, Effect, Event, HttpOutcome, HttpRequest,
    NoticeLevel, Position, QueueCounts, RequestId, Settings, SettingsPatch,
};

/// Who the client is and which server routes it uses; fixed for a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientConfig {
    /// Route prefix of the server (`/api/koreader` for BookLore).
    pub dialect: Dialect,
    pub user: String,
    /// Lowercase hex MD5 of the password, sent as `x-auth-key` (C-WIRE-4).
    pub key: String,
    pub device: String,
    pub device_id: String,
    /// Virtual time at start, seconds since the Unix epoch.
    pub clock_start: i64,
}

impl ClientConfig {
    /// A configuration for `user` with `password`; the key is derived here so
    /// the model never holds the password.
    pub fn new(
        dialect: Dialect,
        user: &str,
        password: &str,
        device: &str,
        device_id: &str,
        clock_start: i64,
    ) -> ClientConfig {
        ClientConfig {
            dialect,
            user: user.to_string(),
            key: protocol::key_for_password(password),
            device: device.to_string(),
            device_id: device_id.to_string(),
            clock_start,
        }
    }
}

/// One queued progress state: exactly the six fields a push carries (C-WIRE-2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub document: String,
    pub percentage: f64,
    pub progress: String,
    /// Virtual time when it was queued, whole seconds.
    pub timestamp: i64,
    pub device: String,
    pub device_id: String,
}

/// What made an upload run start; decides debouncing (C-PUSH-6/7), whether
/// Manual only lets it through (C-MAN-2/3) and which rule its pushes follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Open,
    Close,
    Page,
    Rating,
    SyncPendingNow,
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
    /// A page upload postponed to the end of the debounce window
    /// ([`EarlyPageUpload::Delayed`]).
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
        !self.pulls.is_empty() || self.run.as_ref().is_some_and(|r| r.in_flight.is_some())
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
            // PUT (C-SAFE-4).
            Event::WifiConnected => self.wifi = true,
            Event::WifiDisconnected => self.wifi = false,
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
                // C-PUSH-7: a page upload held back by the debounce is not sent
                // once the window is over; it waits for the next upload.
                if self.held_back && !self.debounced() && !self.pending.is_empty() {
                    self.decide("C-PUSH-7", Outcome::Skipped, governs::UPLOADS);
                }
            }
            // C-PUSH-4: pages_per_sync below 1 is refused, the rest applies.
            // A change starts nothing by itself.
            Event::SettingsChanged { patch } => self.change_settings(patch, out),
            Event::HttpCompleted { id, outcome } => {
                if let Some(at) = self.pulls.iter().position(|(pull, _)| *pull == id) {
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

    /// C-EN-1, C-SAFE-4, C-MAN-2/3: whether an upload may send now.
    fn upload_allowed(&self, manual: bool) -> bool {
        self.settings.enabled && self.wifi && (manual || !self.settings.manual_only)
    }

    /// C-PUSH-6: less than the debounce window since the last push went out.
    fn debounced(&self) -> bool {
        let window = i64::try_from(self.policy.debounce_seconds).unwrap_or(i64::MAX);
        self.last_push_at
            .is_some_and(|start| self.now.saturating_sub(start) < window)
    }

    /// C-PULL-1/2 (on), C-PULL-4 (toggle off), C-EN-1, C-PULL-3, C-MAN-4:
    /// pull the open book's progress if every condition holds.
    fn pull(&mut self, trigger: PullTrigger, out: &mut Vec<Effect>) {
        let (rule, toggle) = match trigger {
            PullTrigger::Open => ("C-PULL-1", self.settings.pull_on_open),
            PullTrigger::Resume => ("C-PULL-2", self.settings.pull_on_resume),
        };
        let refusals = [
            (!toggle, "C-PULL-4"),
            (!self.settings.enabled, "C-EN-1"),
            (!self.wifi, "C-PULL-3"),
            (self.settings.manual_only, "C-MAN-4"),
        ];
        let mut refused = false;
        for (applies, id) in refusals {
            if applies {
                self.decide(id, Outcome::Refused, governs::PULLS);
                refused = true;
            }
        }
        if !refused {
            self.decide(rule, Outcome::Pulled, governs::PULLS);
            self.send_pull(out);
        }
    }

    /// Close the open book, if any: queue its close snapshot (C-PUSH-2) and
    /// drop its prompt. Does not start an upload.
    fn shelve_book(&mut self, out: &mut Vec<Effect>) {
        if self.book.is_none() {
            return;
        }
        if self.policy.close_snapshot {
            self.queue_snapshot("C-PUSH-2", None, out);
        }
        self.book = None;
        self.prompt = None;
    }

    /// C-Q-1: queue a snapshot of the open book (at `percentage` if given,
    /// else where the reader is), stamped with virtual now, for the trigger
    /// rule `rule`. C-EN-2: nothing while sync is disabled. Returns whether
    /// a snapshot was queued.
    fn queue_snapshot(
        &mut self,
        rule: &'static str,
        percentage: Option<f64>,
        out: &mut Vec<Effect>,
    ) -> bool {
        if !self.settings.enabled {
            self.decide("C-EN-2", Outcome::Refused, governs::PENDING);
            return false;
        }
        let Some(book) = &self.book else {
            return false;
        };
        let snapshot = Snapshot {
            document: book.document.clone(),
            percentage: percentage.unwrap_or(book.position.percentage),
            progress: book.position.progress.clone(),
            timestamp: self.now,
            device: self.config.device.clone(),
            device_id: self.config.device_id.clone(),
        };
        self.next_seq += 1;
        self.pending.push(Queued {
            seq: self.next_seq,
            snapshot,
        });
        let on = if percentage.is_some() {
            governs::PENDING_AND_CONTENT
        } else {
            governs::PENDING
        };
        self.decide(rule, Outcome::Queued, on);
        self.decide("C-Q-1", Outcome::Queued, governs::PENDING);
        if self.settings.manual_only {
            self.decide("C-MAN-1", Outcome::Queued, governs::PENDING);
        }
        out.push(Effect::QueueChanged(self.queue()));
        true
    }

    /// C-PUSH-8: start an upload run, or fold the trigger into the one going on.
    fn trigger_upload(&mut self, trigger: Trigger, out: &mut Vec<Effect>) {
        let manual = trigger == Trigger::SyncPendingNow;
        if let Some(run) = self.run.as_mut() {
            if manual && !run.manual {
                run.manual = true;
                run.trigger = trigger;
            }
            return;
        }
        if !self.upload_allowed(manual) {
            // Offline, an automatic trigger leaves its snapshot waiting (C-PUSH-8);
            // disabled or Manual only are standing rules.
            if self.settings.enabled && !self.wifi && !manual && !self.settings.manual_only {
                self.decide("C-PUSH-8", Outcome::Kept, governs::UPLOADS);
            }
            return;
        }
        // C-PUSH-6/7: a page-triggered run inside the window is held back.
        if trigger == Trigger::Page && self.debounced() {
            self.held_back = true;
            self.decide("C-PUSH-6", Outcome::Debounced, governs::UPLOADS);
            self.decide("C-PUSH-7", Outcome::Debounced, governs::UPLOADS);
            if self.policy.early_page_upload == EarlyPageUpload::Delayed {
                let window = i64::try_from(self.policy.debounce_seconds).unwrap_or(i64::MAX);
                let due = self.last_push_at.unwrap_or(self.now).saturating_add(window);
                if !self.timers.contains(&(due, Timer::PageUpload)) {
                    self.timers.push((due, Timer::PageUpload));
                }
            }
            return;
        }
        self.run = Some(UploadRun {
            trigger,
            manual,
            started: false,
            in_flight: None,
        });
        self.continue_run(out);
    }

    /// Send the run's next PUT, wait, or end the run.
    fn continue_run(&mut self, out: &mut Vec<Effect>) {
        let Some(run) = &self.run else {
            return;
        };
        if run.in_flight.is_some() {
            return;
        }
        // Wi-Fi dropped, sync disabled or Manual only turned on: the run ends,
        // everything left stays pending (C-SAFE-4, C-EN-1, C-MAN-2).
        if !self.upload_allowed(run.manual) {
            self.run = None;
            return;
        }
        // C-PULL-7: no upload while a pull is unanswered.
        if self.policy.pull_first && !self.pulls.is_empty() {
            self.decide("C-PULL-7", Outcome::Waited, governs::WAIT_FOR_PULL);
            return;
        }
        // C-SAFE-2: queue order (oldest first).
        let next = match self.policy.queue_order {
            QueueOrder::OldestFirst => self.pending.first(),
            QueueOrder::NewestFirst => self.pending.last(),
        };
        let Some(next) = next else {
            self.run = None;
            return;
        };
        let (seq, snapshot) = (next.seq, next.snapshot.clone());
        let (first, trigger) = (!run.started, run.trigger);
        if first {
            self.held_back = false;
            // C-SAFE-3: what was accepted before is not part of this run.
            if self.synced > 0 {
                self.decide("C-SAFE-3", Outcome::Refused, governs::UPLOADS);
            }
        }
        match trigger {
            Trigger::SyncPendingNow => {
                self.decide("C-Q-2", Outcome::Uploaded, governs::UPLOADS);
                if self.settings.manual_only {
                    self.decide("C-MAN-3", Outcome::Uploaded, governs::UPLOADS);
                }
            }
            _ => self.decide("C-PUSH-8", Outcome::Uploaded, governs::UPLOADS),
        }
        self.decide("C-SAFE-2", Outcome::Uploaded, governs::CONTENT);
        let id = self.send_push(&snapshot, out);
        if let Some(run) = self.run.as_mut() {
            run.started = true;
            run.in_flight = Some((id, seq));
        }
    }

    /// C-Q-5: a 2xx moves the item to synced and the run goes on; C-Q-3,
    /// C-SAFE-1: anything else ends the run and keeps the item and the rest.
    fn on_upload_answer(&mut self, outcome: HttpOutcome, out: &mut Vec<Effect>) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        let carried = run.in_flight.take().map(|(_, seq)| seq);
        let accepted =
            matches!(outcome, HttpOutcome::Response { status, .. } if (200..300).contains(&status));
        let at = carried.and_then(|seq| self.pending.iter().position(|q| q.seq == seq));
        if accepted {
            if let Some(at) = at {
                self.pending.remove(at);
                self.synced += 1;
                self.decide("C-Q-5", Outcome::Synced, governs::ACCEPTED);
                out.push(Effect::QueueChanged(self.queue()));
            }
            self.continue_run(out);
            return;
        }
        let unanswered = matches!(outcome, HttpOutcome::TransportError { .. });
        let drop = match self.policy.failed_upload {
            FailedUpload::Kept => false,
            FailedUpload::Dropped => true,
            FailedUpload::DroppedIfUnanswered => unanswered,
        };
        match at {
            Some(at) if drop => {
                self.pending.remove(at);
                out.push(Effect::QueueChanged(self.queue()));
            }
            _ => {
                self.decide("C-Q-3", Outcome::Kept, governs::PENDING);
                self.decide("C-SAFE-1", Outcome::Kept, governs::PENDING);
            }
        }
        self.run = None;
    }

    /// C-PULL-5/6, C-CONF-*: what a pull's answer does. Ignored when the book
    /// it was for is no longer open or sync was disabled meanwhile.
    fn on_pull_answer(&mut self, document: String, outcome: HttpOutcome, out: &mut Vec<Effect>) {
        let still_open = self.book.as_ref().is_some_and(|b| b.document == document);
        if !still_open || !self.settings.enabled {
            return;
        }
        match outcome {
            HttpOutcome::Response { status: 200, body } => match parse_remote(&body) {
                RemoteAnswer::Progress(remote) => self.reconcile(document, remote, out),
                // A 200 without a numeric percentage: no remote progress.
                RemoteAnswer::NoProgress => {}
                // C-PULL-6: an ill-typed body changes nothing and asks nothing.
                RemoteAnswer::Malformed => {
                    self.decide("C-PULL-6", Outcome::Refused, governs::PROMPTS);
                }
            },
            // C-PULL-5: no remote progress yet is normal.
            HttpOutcome::Response { status: 404, .. } => match self.policy.not_found {
                NotFoundPolicy::Normal => {
                    self.decide("C-PULL-5", Outcome::Refused, governs::SILENT);
                }
                NotFoundPolicy::ShowError => out.push(Effect::NoticeShown {
                    level: NoticeLevel::Error,
                    text: "No progress found on the server".to_string(),
                }),
            },
            // C-PULL-6: any other status or no answer: nothing changes, nothing is asked.
            HttpOutcome::Response { .. } | HttpOutcome::TransportError { .. } => {
                self.decide("C-PULL-6", Outcome::Refused, governs::PROMPTS);
            }
        }
    }

    /// C-CONF-1..6: compare, then apply, ask or do nothing per the direction's strategy.
    fn reconcile(&mut self, document: String, remote: RemoteProgress, out: &mut Vec<Effect>) {
        let Some(book) = &self.book else {
            return;
        };
        let local = LocalProgress {
            position: &book.position,
            changed_at: book.changed_at,
        };
        let Some(direction) = self.policy.direction(local, &remote) else {
            self.decide("C-CONF-6", Outcome::Skipped, governs::PROMPTS);
            return;
        };
        let (rule, strategy) = match direction {
            Direction::Newer => ("C-CONF-1", self.settings.newer_strategy),
            Direction::Older => ("C-CONF-2", self.settings.older_strategy),
        };
        let (how, outcome) = match strategy {
            ConflictStrategy::Silently => ("C-CONF-3", Outcome::Applied),
            ConflictStrategy::Prompt => ("C-CONF-4", Outcome::Prompted),
            ConflictStrategy::Disable => ("C-CONF-5", Outcome::Refused),
        };
        self.decide(rule, outcome, governs::PROMPTS);
        self.decide(how, outcome, governs::PROMPTS);
        match strategy {
            ConflictStrategy::Silently => self.apply(document, remote.position, out),
            ConflictStrategy::Prompt => self.show_prompt(document, direction, remote.position, out),
            ConflictStrategy::Disable => {}
        }
    }

    /// C-CONF-4: a later prompt replaces one still on screen.
    fn show_prompt(
        &mut self,
        document: String,
        direction: Direction,
        proposed: Position,
        out: &mut Vec<Effect>,
    ) {
        out.push(Effect::PromptShown {
            document: document.clone(),
            direction,
            proposed: proposed.clone(),
        });
        self.prompt = Some(OpenPrompt { document, proposed });
    }

    /// Move the reader to `position`; later snapshots carry it. Queues nothing.
    fn apply(&mut self, document: String, position: Position, out: &mut Vec<Effect>) {
        let now = self.now;
        let Some(book) = self.book.as_mut().filter(|b| b.document == document) else {
            return;
        };
        book.position = position.clone();
        book.changed_at = now;
        out.push(Effect::PositionApplied { document, position });
    }

    /// Run every timer due by `end`, in due order, the clock reading each one's due time.
    fn run_timers(&mut self, end: i64, out: &mut Vec<Effect>) {
        loop {
            let due = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, (at, _))| *at <= end)
                .min_by_key(|(_, (at, _))| *at)
                .map(|(i, _)| i);
            let Some(i) = due else {
                return;
            };
            let (at, timer) = self.timers.remove(i);
            self.now = self.now.max(at);
            match timer {
                Timer::PageUpload => {
                    if self.held_back {
                        self.trigger_upload(Trigger::Page, out);
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

    fn auth_headers(&self) -> Vec<(String, String)> {
        vec![
            (HEADER_AUTH_USER.to_string(), self.config.user.clone()),
            (HEADER_AUTH_KEY.to_string(), self.config.key.clone()),
            ("Accept".to_string(), KOSYNC_ACCEPT.to_string()),
        ]
    }

    fn next_request_id(&mut self) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    /// C-WIRE-1/3/4: `GET {prefix}/syncs/progress/{document}` for the open book.
    fn send_pull(&mut self, out: &mut Vec<Effect>) {
        let Some(book) = &self.book else {
            return;
        };
        let document = book.document.clone();
        let path = self.config.dialect.pull_path(&document);
        self.decide("C-WIRE-1", Outcome::Pulled, governs::PATH);
        self.decide("C-WIRE-3", Outcome::Pulled, governs::DOCUMENT);
        self.decide("C-WIRE-4", Outcome::Pulled, governs::AUTH);
        let id = self.next_request_id();
        self.pulls.push((id, document));
        out.push(Effect::Http(HttpRequest {
            id,
            method: "GET".to_string(),
            path,
            headers: self.auth_headers(),
            body: None,
        }));
    }

    /// C-WIRE-2..5: `PUT {prefix}/syncs/progress` with the snapshot's six fields.
    fn send_push(&mut self, snapshot: &Snapshot, out: &mut Vec<Effect>) -> RequestId {
        let mut body = json!({
            "document": snapshot.document,
            "percentage": snapshot.percentage,
            "progress": snapshot.progress,
            "device": snapshot.device,
            "device_id": snapshot.device_id,
        });
        if self.policy.push_timestamp {
            body["timestamp"] = json!(snapshot.timestamp);
        }
        self.decide("C-WIRE-2", Outcome::Uploaded, governs::PUSH_SHAPE);
        self.decide("C-WIRE-3", Outcome::Uploaded, governs::DOCUMENT);
        self.decide("C-WIRE-4", Outcome::Uploaded, governs::AUTH);
        self.decide("C-WIRE-5", Outcome::Uploaded, governs::TYPES);
        let mut headers = self.auth_headers();
        headers.push(("Content-Type".to_string(), JSON_CONTENT_TYPE.to_string()));
        let id = self.next_request_id();
        self.last_push_at = Some(self.now);
        out.push(Effect::Http(HttpRequest {
            id,
            method: "PUT".to_string(),
            path: self.config.dialect.push_path(),
            headers,
            body: Some(body),
        }));
        id
    }
}

/// How a 200 pull body reads.
pub(crate) enum RemoteAnswer {
    Progress(RemoteProgress),
    /// No numeric `percentage` (absent or null): the server has no progress.
    NoProgress,
    /// Not JSON, not an object, or ill-typed fields.
    Malformed,
}

/// Read a 200 pull body. A usable record is a JSON object with a finite
/// `percentage` in [0, 1] and a string `progress`; `percentage` absent or
/// null means no progress; anything else is malformed (C-PULL-6).
pub(crate) fn parse_remote(body: &str) -> RemoteAnswer {
    let Ok(Value::Object(record)) = serde_json::from_str::<Value>(body) else {
        return RemoteAnswer::Malformed;
    };
    let percentage = match record.get("percentage") {
        None | Some(Value::Null) => return RemoteAnswer::NoProgress,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(p) if p.is_finite() && (0.0..=1.0).contains(&p) => p,
            _ => return RemoteAnswer::Malformed,
        },
        Some(_) => return RemoteAnswer::Malformed,
    };
    let Some(Value::String(progress)) = record.get("progress") else {
        return RemoteAnswer::Malformed;
    };
    RemoteAnswer::Progress(RemoteProgress {
        position: Position {
            percentage,
            progress: progress.clone(),
        },
        timestamp: record.get("timestamp").and_then(Value::as_i64),
    })
}
