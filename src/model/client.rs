//! The client state machine: one [`Client`], one `match` over [`Event`].
//!
//! Every rule of the module doc's "Behaviour" list is a match arm or a small
//! helper below it, with the rule id beside it. Mutants (test-only) branch at
//! exactly those places.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::protocol::{
    self, Dialect, HEADER_AUTH_KEY, HEADER_AUTH_USER, JSON_CONTENT_TYPE, KOSYNC_ACCEPT,
};

use super::profile::{LocalProgress, NotFoundPolicy, Profile, RemoteProgress};
use super::{
    ConflictStrategy, Direction, Effect, Event, HttpOutcome, HttpRequest, Mutant, NoticeLevel,
    Position, QueueCounts, RequestId, Settings, SettingsPatch, DEBOUNCE_SECONDS,
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

/// What made an upload run start; decides debouncing (C-PUSH-6/7) and
/// whether Manual only lets it through (C-MAN-2/3).
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
    /// Started or joined by Sync Pending Now: allowed in Manual only (C-MAN-3).
    manual: bool,
    /// Whether its first PUT went out.
    started: bool,
    /// The PUT awaiting its answer, with the queued item it carries
    /// (`None`: a re-send of an accepted item, mutant `ResendsSynced` only).
    in_flight: Option<(RequestId, Option<u64>)>,
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
    profile: Profile,
    mutant: Option<Mutant>,
    /// Virtual now: `clock_start` plus every `TimePassed`.
    now: i64,
    wifi: bool,
    book: Option<OpenBook>,
    pending: Vec<Queued>,
    synced: usize,
    /// The last accepted snapshot (mutant `ResendsSynced` only).
    last_synced: Option<Snapshot>,
    next_seq: u64,
    next_request: RequestId,
    /// Pulls awaiting their answer, with the document each asked for.
    pulls: Vec<(RequestId, String)>,
    /// Sign-in requests awaiting their answer.
    sign_ins: Vec<RequestId>,
    run: Option<UploadRun>,
    /// When the last PUT was sent (C-PUSH-6: "25 seconds minimum between pushes").
    last_push_at: Option<i64>,
    /// A page upload was skipped by the debounce (mutant `DebounceDelays` only).
    skipped_page_upload: bool,
    prompt: Option<OpenPrompt>,
}

impl Client {
    /// A fresh client: empty queue, no book open, Wi-Fi disconnected.
    pub fn new(config: ClientConfig, settings: Settings, profile: Profile) -> Client {
        Client {
            now: config.clock_start,
            config,
            settings,
            profile,
            mutant: None,
            wifi: false,
            book: None,
            pending: Vec::new(),
            synced: 0,
            last_synced: None,
            next_seq: 0,
            next_request: 1,
            pulls: Vec::new(),
            sign_ins: Vec::new(),
            run: None,
            last_push_at: None,
            skipped_page_upload: false,
            prompt: None,
        }
    }

    /// The same client with one rule broken, for detection tests.
    #[doc(hidden)]
    pub fn with_mutant(mut self, mutant: Mutant) -> Client {
        self.mutant = Some(mutant);
        let s = &mut self.settings;
        // WrongNewerDefault / WrongOlderDefault: the client ships other defaults,
        // so the start-up values the harness gave are replaced.
        if mutant == Mutant::WrongNewerDefault && s.newer_strategy == ConflictStrategy::Prompt {
            s.newer_strategy = ConflictStrategy::Silently;
        }
        if mutant == Mutant::WrongOlderDefault && s.older_strategy == ConflictStrategy::Disable {
            s.older_strategy = ConflictStrategy::Silently;
        }
        self
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
        if self.is(Mutant::QueueSummaryWrongLetter) {
            return format!("{}S", self.pending.len());
        }
        self.queue().summary()
    }

    /// The current settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
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
        self.profile
    }

    /// Feed one event; returns what the client does in answer, in order.
    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        let mut out = Vec::new();
        match event {
            // C-PUSH-2: another open book is closed first (its snapshot is queued
            // but uploaded after the pull, C-PULL-7). C-EN-2: disabled, the book
            // opens but nothing is pulled or queued. C-PULL-1/3/4, C-MAN-4: pull
            // if enabled, Wi-Fi up, pull_on_open, not Manual only. C-PUSH-1:
            // queue the open snapshot; C-PUSH-8: its upload (not debounced)
            // waits for the pull's answer (C-PULL-7).
            Event::BookOpened { document, position } => {
                self.shelve_book(&mut out);
                self.book = Some(OpenBook {
                    document,
                    position,
                    changed_at: self.now,
                    turns: 0,
                });
                let toggle = self.settings.pull_on_open || self.is(Mutant::PullOnOpenIgnoresToggle);
                if self.pull_allowed(toggle) && !self.is(Mutant::NoPullOnOpen) {
                    self.send_pull(&mut out);
                }
                if self.queueing_on() && !self.is(Mutant::NoOpenSnapshot) {
                    self.queue_snapshot(None, &mut out);
                }
                self.trigger_upload(Trigger::Open, &mut out);
            }
            // C-PUSH-3/5: with a book open, the position moves; with periodic
            // updates on (and sync enabled) every `pages_per_sync`-th turn queues
            // a snapshot and restarts the count, and its upload is debounced
            // (C-PUSH-6/7). Without a book the turn is ignored.
            Event::PageTurned { position } => {
                let now = self.now;
                let periodic =
                    self.settings.periodic_updates || self.is(Mutant::PeriodicIgnoresToggle);
                let counting = self.queueing_on() && periodic;
                let every = if self.is(Mutant::PeriodicOffByOne) {
                    self.settings.pages_per_sync.saturating_add(1)
                } else {
                    self.settings.pages_per_sync
                };
                let restart = !self.is(Mutant::CounterNeverRestarts);
                let Some(book) = self.book.as_mut() else {
                    return out;
                };
                book.position = position;
                book.changed_at = now;
                if !counting {
                    return out;
                }
                book.turns = book.turns.saturating_add(1);
                if book.turns >= every {
                    if restart {
                        book.turns = 0;
                    }
                    self.queue_snapshot(None, &mut out);
                    self.trigger_upload(Trigger::Page, &mut out);
                }
            }
            // C-PUSH-2: closing queues a snapshot and uploads it (not debounced);
            // an open prompt goes away with the book; late pull answers for it
            // are ignored.
            Event::BookClosed => {
                if self.book.is_some() {
                    self.shelve_book(&mut out);
                    self.trigger_upload(Trigger::Close, &mut out);
                }
            }
            // Suspending does nothing: no snapshot, no request.
            Event::Suspend => {}
            // C-PULL-2/3/4, C-MAN-4: resume pulls the open book's progress.
            Event::Resume => {
                let toggle =
                    self.settings.pull_on_resume || self.is(Mutant::PullOnResumeIgnoresToggle);
                if self.book.is_some()
                    && self.pull_allowed(toggle)
                    && !self.is(Mutant::ResumeDoesNotPull)
                {
                    self.send_pull(&mut out);
                }
            }
            // Wi-Fi coming up starts nothing by itself (C-PUSH-8 waits for the
            // next trigger); going down stops an upload run after its in-flight
            // PUT (C-SAFE-4).
            // Turning Wi-Fi off and losing the link are the same to this
            // profile: nothing is sent on the way down.
            Event::WifiConnected => self.wifi = true,
            Event::WifiLost | Event::WifiOff => self.wifi = false,
            // C-RATE-1/2: with set_read_on_rating, a rating of the open book
            // queues a snapshot at percentage 1.0 with the current marker, and
            // uploads it (not debounced). The local position does not change.
            Event::RatingSubmitted { stars: _ } => {
                let wanted =
                    self.settings.set_read_on_rating || self.is(Mutant::RatingQueuesWhenOff);
                if self.book.is_some()
                    && self.queueing_on()
                    && wanted
                    && !self.is(Mutant::IgnoresReadOnRating)
                {
                    let read = if self.is(Mutant::RatingKeepsPercentage) {
                        None
                    } else {
                        Some(1.0)
                    };
                    self.queue_snapshot(read, &mut out);
                    self.trigger_upload(Trigger::Rating, &mut out);
                }
            }
            // C-Q-2, C-MAN-3: upload everything pending, Manual only or not.
            // C-EN-1: nothing while disabled. C-SAFE-5: nothing with Wi-Fi down,
            // the queue is kept.
            Event::SyncPendingNow => {
                if self.is(Mutant::SyncPendingNowIgnored)
                    || (self.settings.manual_only
                        && self.is(Mutant::SyncPendingNowIgnoredInManualOnly))
                {
                    return out;
                }
                if !self.wifi && self.is(Mutant::OfflineSyncDropsQueue) && !self.pending.is_empty()
                {
                    self.pending.clear();
                    out.push(Effect::QueueChanged(self.queue()));
                }
                self.trigger_upload(Trigger::SyncPendingNow, &mut out);
            }
            // "Push progress now": the open book's current position is queued
            // (C-Q-1) and uploaded at once as the user's own action — like
            // Sync Pending Now, in Manual only too and never debounced. C-EN-1:
            // nothing while disabled; C-SAFE-5: with Wi-Fi down the snapshot waits.
            Event::PushNow => {
                if self.book.is_some() && self.queueing_on() {
                    self.queue_snapshot(None, &mut out);
                    self.trigger_upload(Trigger::PushNow, &mut out);
                }
            }
            // "Pull progress now": the open book's progress, whatever the pull
            // toggles and Manual only say (they govern automatic pulls, C-PULL-4,
            // C-MAN-4). C-EN-1 and C-PULL-3 still hold: never while disabled,
            // never with Wi-Fi down, and Wi-Fi is not turned on for it.
            Event::PullNow => {
                if self.book.is_some() && self.settings.enabled && self.wifi {
                    self.send_pull(&mut out);
                }
            }
            // Sign-in checks the credentials (`GET {prefix}/users/auth`). It is
            // not progress, so C-EN-1 does not stop it; C-SAFE-4 does (nothing
            // is sent with Wi-Fi down).
            Event::SignIn => {
                if self.wifi {
                    self.send_sign_in(&mut out);
                }
            }
            // C-CONF-4: accepting applies the proposed position, declining keeps
            // the local one. Without a prompt on screen the answer is ignored.
            Event::PromptAnswered { accept } => {
                if let Some(prompt) = self.prompt.take() {
                    if accept != self.is(Mutant::DeclineApplies) {
                        self.apply(prompt.document, prompt.proposed, &mut out);
                    }
                }
            }
            // Virtual time; no timer fires in this profile (C-PUSH-7).
            Event::TimePassed { seconds } => {
                let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
                self.now = self.now.saturating_add(seconds);
                if self.is(Mutant::DebounceDelays) && self.skipped_page_upload && !self.debounced()
                {
                    self.skipped_page_upload = false;
                    self.trigger_upload(Trigger::Page, &mut out);
                }
            }
            // C-PUSH-4: pages_per_sync below 1 is refused, the rest applies.
            // A change starts nothing by itself.
            Event::SettingsChanged { patch } => self.change_settings(patch, &mut out),
            Event::HttpCompleted { id, outcome } => {
                if let Some(at) = self.sign_ins.iter().position(|s| *s == id) {
                    self.sign_ins.swap_remove(at);
                    out.push(sign_in_notice(&outcome));
                } else if let Some(at) = self.pulls.iter().position(|(pull, _)| *pull == id) {
                    let (_, document) = self.pulls.swap_remove(at);
                    self.on_pull_answer(document, outcome, &mut out);
                    // C-PULL-7: a run waiting for the pull goes on.
                    self.continue_run(&mut out);
                } else if self
                    .run
                    .as_ref()
                    .and_then(|r| r.in_flight)
                    .is_some_and(|(put, _)| put == id)
                {
                    self.on_upload_answer(outcome, &mut out);
                }
                // An answer to a request this client never sent is ignored.
            }
        }
        out
    }

    fn is(&self, mutant: Mutant) -> bool {
        self.mutant == Some(mutant)
    }

    /// C-EN-2: whether snapshots are queued at all.
    fn queueing_on(&self) -> bool {
        if self.settings.manual_only && self.is(Mutant::ManualOnlyDropsSnapshots) {
            return false;
        }
        if !self.wifi && self.is(Mutant::SnapshotDroppedWhenOffline) {
            return false;
        }
        self.settings.enabled
            || self.is(Mutant::PushesWhenDisabled)
            || self.is(Mutant::QueuesWhenDisabled)
    }

    /// C-EN-1, C-SAFE-4, C-MAN-2/3: whether an upload may send now.
    fn upload_allowed(&self, manual: bool) -> bool {
        (self.settings.enabled || self.is(Mutant::PushesWhenDisabled))
            && (self.wifi || self.is(Mutant::SendsWithWifiOff))
            && (manual || !self.settings.manual_only || self.is(Mutant::UploadsInManualOnly))
    }

    /// C-EN-1, C-PULL-3, C-PULL-4 (`toggle`), C-MAN-4: whether a pull may be sent now.
    fn pull_allowed(&self, toggle: bool) -> bool {
        toggle
            && (self.settings.enabled || self.is(Mutant::PullsWhenDisabled))
            && (self.wifi || self.is(Mutant::PullsWithWifiOff))
            && (!self.settings.manual_only || self.is(Mutant::PullsInManualOnly))
    }

    /// C-PUSH-6: less than the debounce window since the last push went out.
    fn debounced(&self) -> bool {
        self.last_push_at
            .is_some_and(|start| self.now.saturating_sub(start) < DEBOUNCE_SECONDS as i64)
    }

    /// Close the open book, if any: queue its close snapshot (C-PUSH-2) and
    /// drop its prompt. Does not start an upload.
    fn shelve_book(&mut self, out: &mut Vec<Effect>) {
        if self.book.is_none() {
            return;
        }
        if self.queueing_on() && !self.is(Mutant::NoCloseSnapshot) {
            self.queue_snapshot(None, out);
        }
        self.book = None;
        self.prompt = None;
    }

    /// C-Q-1: queue a snapshot of the open book (at `percentage` if given,
    /// else where the reader is), stamped with virtual now.
    fn queue_snapshot(&mut self, percentage: Option<f64>, out: &mut Vec<Effect>) {
        let Some(book) = &self.book else {
            return;
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
        out.push(Effect::QueueChanged(self.queue()));
    }

    /// C-PUSH-8: start an upload run, or fold the trigger into the one going on.
    fn trigger_upload(&mut self, trigger: Trigger, out: &mut Vec<Effect>) {
        let manual = trigger.is_manual();
        if self.is(Mutant::NoAutoUpload) && !manual {
            return;
        }
        if let Some(run) = self.run.as_mut() {
            run.manual |= manual;
            return;
        }
        if !self.upload_allowed(manual) {
            return;
        }
        // C-PUSH-6/7: a page-triggered run inside the window is skipped.
        if trigger == Trigger::Page && self.debounced() && !self.is(Mutant::NoDebounce) {
            self.skipped_page_upload = true;
            return;
        }
        self.run = Some(UploadRun {
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
        if !self.pulls.is_empty() && !self.is(Mutant::UploadBeforePull) {
            return;
        }
        // C-SAFE-2: queue order (oldest first).
        let next = if self.is(Mutant::OlderSnapshotAfterNewer) {
            self.pending.last()
        } else {
            self.pending.first()
        };
        let Some(next) = next else {
            self.run = None;
            return;
        };
        let (seq, snapshot) = (next.seq, next.snapshot.clone());
        let first = !run.started;
        if first {
            self.skipped_page_upload = false;
        }
        let resend = match (&self.last_synced, first && self.is(Mutant::ResendsSynced)) {
            (Some(old), true) => Some(old.clone()),
            _ => None,
        };
        let (snapshot, carried) = match resend {
            Some(old) => (old, None),
            None => (snapshot, Some(seq)),
        };
        let id = self.send_push(&snapshot, out);
        if let Some(run) = self.run.as_mut() {
            run.started = true;
            run.in_flight = Some((id, carried));
        }
    }

    /// C-Q-5: a 2xx moves the item to synced and the run goes on; C-Q-3,
    /// C-SAFE-1: anything else ends the run and keeps the item and the rest.
    fn on_upload_answer(&mut self, outcome: HttpOutcome, out: &mut Vec<Effect>) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        let carried = run.in_flight.take().and_then(|(_, seq)| seq);
        let accepted =
            matches!(outcome, HttpOutcome::Response { status, .. } if (200..300).contains(&status));
        let at = carried.and_then(|seq| self.pending.iter().position(|q| q.seq == seq));
        if accepted {
            if let Some(at) = at {
                let done = self.pending.remove(at);
                if !self.is(Mutant::SyncedNotCounted) {
                    self.synced += 1;
                }
                self.last_synced = Some(done.snapshot);
                out.push(Effect::QueueChanged(self.queue()));
            }
            self.continue_run(out);
        } else {
            let unanswered = matches!(outcome, HttpOutcome::TransportError { .. });
            let drop = self.is(Mutant::DropsFailedUpload)
                || (unanswered && self.is(Mutant::DropsUnansweredUpload));
            if let (Some(at), true) = (at, drop) {
                self.pending.remove(at);
                out.push(Effect::QueueChanged(self.queue()));
            }
            self.run = None;
        }
    }

    /// C-PULL-5/6, C-CONF-*: what a pull's answer does. Ignored when the book
    /// it was for is no longer open or sync was disabled meanwhile.
    fn on_pull_answer(&mut self, document: String, outcome: HttpOutcome, out: &mut Vec<Effect>) {
        let still_open = self.book.as_ref().is_some_and(|b| b.document == document);
        if !still_open || !self.settings.enabled {
            return;
        }
        let zero = || RemoteProgress {
            position: Position {
                percentage: 0.0,
                progress: "0".to_string(),
            },
            timestamp: None,
        };
        let treat_failure_as_zero = self.is(Mutant::FailedPullTreatedAsZero);
        match outcome {
            HttpOutcome::Response { status: 200, body } => match parse_remote(&body) {
                RemoteAnswer::Progress(remote) => self.reconcile(document, remote, out),
                // A 200 without a numeric percentage: no remote progress.
                RemoteAnswer::NoProgress => {}
                // C-PULL-6: an ill-typed body changes nothing and says nothing.
                RemoteAnswer::Malformed => {
                    if treat_failure_as_zero {
                        self.reconcile(document, zero(), out);
                    }
                }
            },
            // C-PULL-5: no remote progress yet is normal.
            HttpOutcome::Response { status: 404, .. } => {
                if self.is(Mutant::NoticeOn404)
                    || self.profile.not_found() == NotFoundPolicy::ShowError
                {
                    out.push(Effect::NoticeShown {
                        level: NoticeLevel::Error,
                        text: "No progress found on the server".to_string(),
                    });
                }
                if self.is(Mutant::PromptOn404) {
                    let proposed = zero().position;
                    self.show_prompt(document, Direction::Older, proposed, out);
                }
            }
            // C-PULL-6: any other status or no answer: nothing, silently.
            HttpOutcome::Response { .. } | HttpOutcome::TransportError { .. } => {
                if treat_failure_as_zero {
                    self.reconcile(document, zero(), out);
                }
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
        let (direction, equal) = match self.profile.direction(local, &remote) {
            Some(direction) => (direction, false),
            None if self.is(Mutant::EqualPositionsPrompt) => (Direction::Newer, true),
            None => return,
        };
        let direction = match (direction, self.is(Mutant::DirectionSwapped)) {
            (Direction::Newer, true) => Direction::Older,
            (Direction::Older, true) => Direction::Newer,
            (d, false) => d,
        };
        let mut strategy = match direction {
            Direction::Newer => self.settings.newer_strategy,
            Direction::Older => self.settings.older_strategy,
        };
        if equal {
            strategy = ConflictStrategy::Prompt;
        }
        strategy = match (strategy, self.mutant) {
            (ConflictStrategy::Silently, Some(Mutant::SilentlyPrompts)) => ConflictStrategy::Prompt,
            (ConflictStrategy::Prompt, Some(Mutant::PromptAppliesWithoutAsking)) => {
                ConflictStrategy::Silently
            }
            (ConflictStrategy::Disable, Some(Mutant::DisableStillPrompts)) => {
                ConflictStrategy::Prompt
            }
            (ConflictStrategy::Disable, Some(Mutant::OlderDirectionApplied))
                if direction == Direction::Older =>
            {
                ConflictStrategy::Silently
            }
            (s, _) => s,
        };
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

    fn change_settings(&mut self, patch: SettingsPatch, out: &mut Vec<Effect>) {
        let accept_any = self.is(Mutant::AcceptsPagesBelowOne);
        let s = &mut self.settings;
        let pages_per_sync = patch.apply_all_but_pages(s);
        if let Some(pages) = pages_per_sync {
            let rejected = |reason: String| Effect::SettingsRejected {
                field: "pages_per_sync".to_string(),
                reason,
            };
            if pages < 1 && !accept_any {
                out.push(rejected(format!(
                    "must be at least 1 page turn, got {pages}; keeping {}",
                    s.pages_per_sync
                )));
            } else {
                match u32::try_from(pages.max(0)) {
                    Ok(n) => s.pages_per_sync = n,
                    Err(_) => out.push(rejected(format!(
                        "must be at most {}, got {pages}; keeping {}",
                        u32::MAX,
                        s.pages_per_sync
                    ))),
                }
            }
        }
    }

    fn auth_headers(&self) -> Vec<(String, String)> {
        let mut headers = Vec::with_capacity(4);
        headers.push((HEADER_AUTH_USER.to_string(), self.config.user.clone()));
        if !self.is(Mutant::MissingAuthKey) {
            headers.push((HEADER_AUTH_KEY.to_string(), self.config.key.clone()));
        }
        headers.push(("Accept".to_string(), KOSYNC_ACCEPT.to_string()));
        headers
    }

    fn wire_document(&self, document: &str) -> String {
        if self.is(Mutant::DocumentUppercase) {
            document.to_ascii_uppercase()
        } else {
            document.to_string()
        }
    }

    fn next_request_id(&mut self) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    /// C-WIRE-1/4: `GET {prefix}/syncs/progress/{document}` for the open book.
    fn send_pull(&mut self, out: &mut Vec<Effect>) {
        let Some(book) = &self.book else {
            return;
        };
        let document = book.document.clone();
        let wire = self.wire_document(&document);
        let path = if self.is(Mutant::WrongPullPath) {
            format!("{}/{}", protocol::routes::PROGRESS, wire)
        } else {
            self.config.dialect.pull_path(&wire)
        };
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

    /// `GET {prefix}/users/auth` with the auth headers (C-WIRE-4).
    fn send_sign_in(&mut self, out: &mut Vec<Effect>) {
        let id = self.next_request_id();
        self.sign_ins.push(id);
        out.push(Effect::Http(HttpRequest {
            id,
            method: "GET".to_string(),
            path: self.config.dialect.auth_path(),
            headers: self.auth_headers(),
            body: None,
        }));
    }

    /// C-WIRE-2/4/5: `PUT {prefix}/syncs/progress` with the snapshot's six fields.
    fn send_push(&mut self, snapshot: &Snapshot, out: &mut Vec<Effect>) -> RequestId {
        let path = if self.is(Mutant::WrongPushPath) {
            protocol::routes::PROGRESS.to_string()
        } else {
            self.config.dialect.push_path()
        };
        let mut body = json!({
            "document": self.wire_document(&snapshot.document),
            "percentage": snapshot.percentage,
            "progress": snapshot.progress,
            "device": snapshot.device,
            "device_id": snapshot.device_id,
        });
        if self.profile.push_carries_timestamp() && !self.is(Mutant::PushOmitsTimestamp) {
            let millis = self.is(Mutant::TimestampInMilliseconds);
            body["timestamp"] = json!(snapshot.timestamp * if millis { 1000 } else { 1 });
        }
        let mut headers = self.auth_headers();
        headers.push(("Content-Type".to_string(), JSON_CONTENT_TYPE.to_string()));
        let id = self.next_request_id();
        self.last_push_at = Some(self.now);
        out.push(Effect::Http(HttpRequest {
            id,
            method: "PUT".to_string(),
            path,
            headers,
            body: Some(body),
        }));
        id
    }
}

/// What the user is told after signing in: only a 200 signs in (KOReader
/// counts sign-in as done only on 200).
fn sign_in_notice(outcome: &HttpOutcome) -> Effect {
    match outcome {
        HttpOutcome::Response { status: 200, .. } => Effect::NoticeShown {
            level: NoticeLevel::Info,
            text: "Signed in".to_string(),
        },
        HttpOutcome::Response { status, .. } => Effect::NoticeShown {
            level: NoticeLevel::Error,
            text: format!("Sign-in failed: the server answered {status}"),
        },
        HttpOutcome::TransportError { message } => Effect::NoticeShown {
            level: NoticeLevel::Error,
            text: format!("Sign-in failed: {message}"),
        },
    }
}

/// How a 200 pull body reads.
enum RemoteAnswer {
    Progress(RemoteProgress),
    /// No numeric `percentage` (absent or null): the server has no progress.
    NoProgress,
    /// Not JSON, not an object, or ill-typed fields.
    Malformed,
}

/// Read a 200 pull body. A usable record is a JSON object with a finite
/// `percentage` in [0, 1] and a string `progress`; `percentage` absent or
/// null means no progress; anything else is malformed (C-PULL-6).
fn parse_remote(body: &str) -> RemoteAnswer {
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
