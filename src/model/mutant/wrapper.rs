//! [`Mutated`]: the reference client with one rule broken from the outside,
//! by changing what goes in (settings, events, answers) or what comes out
//! (requests, prompts, counts). The reference client is not touched.

use std::collections::VecDeque;

use serde_json::{json, Value};

use super::Mutant;
use crate::model::client::{parse_remote, RemoteAnswer};
use crate::model::decision::Handled;
use crate::model::{
    Client, ClientConfig, ClientModel, ConflictStrategy, Direction, Effect, Event, HttpOutcome,
    HttpRequest, LocalProgress, Position, Profile, QueueCounts, RequestId, Settings, SettingsPatch,
    Snapshot,
};
use crate::protocol::{HEADER_AUTH_KEY, HEADER_AUTH_USER, KOSYNC_ACCEPT};

/// Request ids the wrapper gives its own requests: far above the client's.
const OWN_IDS: RequestId = 1 << 48;

/// What happens to a request the inner client asked for.
enum Fate {
    Send,
    /// Not sent: the inner client gets this answer at once.
    Swallow(HttpOutcome),
}

/// The reference client with one rule broken from the outside.
#[derive(Debug, Clone)]
pub struct Mutated {
    inner: Client,
    mutant: Mutant,
    password: String,
    /// The settings the user gave; the inner client may be told others.
    user: Settings,
    wifi: bool,
    /// The event being handled was Sync Pending Now (answers included).
    manual_step: bool,
    /// The call being handled answers one of the inner client's pushes.
    answering_push: bool,
    next_own: RequestId,
    own: Vec<RequestId>,
    /// The inner client's pulls in flight, with their document.
    pulls: Vec<(RequestId, String)>,
    /// The inner client's pushes in flight, with their body.
    pushes: Vec<(RequestId, Value)>,
    last_accepted: Option<Value>,
    /// A periodic snapshot was queued since the book was opened.
    periodic_fired: bool,
    /// The pulls of the event being handled are never sent.
    skip_pulls_now: bool,
    /// When the pull after Wi-Fi came back is due (PullsWhenWifiReturns).
    wifi_pull_due: Option<i64>,
    /// Rating snapshots as (document, progress, timestamp, percentage to send instead).
    ratings: Vec<(String, String, i64, f64)>,
    /// Snapshots the client claims to have thrown away, and how many of them
    /// it answered itself when the inner client uploaded them.
    discarded: Vec<Snapshot>,
    answered_discarded: usize,
}

impl Mutated {
    pub(super) fn new(
        mutant: Mutant,
        config: ClientConfig,
        settings: Settings,
        profile: Profile,
        password: &str,
    ) -> Mutated {
        let mut user = settings;
        // The client ships other defaults: the start-up values the harness gave are replaced.
        if mutant == Mutant::WrongNewerDefault && user.newer_strategy == ConflictStrategy::Prompt {
            user.newer_strategy = ConflictStrategy::Silently;
        }
        if mutant == Mutant::WrongOlderDefault && user.older_strategy == ConflictStrategy::Disable {
            user.older_strategy = ConflictStrategy::Silently;
        }
        let mut this = Mutated {
            inner: Client::with_policy(config, Settings::default(), mutant.policy(profile)),
            mutant,
            password: password.to_string(),
            user: user.clone(),
            wifi: false,
            manual_step: false,
            answering_push: false,
            next_own: OWN_IDS,
            own: Vec::new(),
            pulls: Vec::new(),
            pushes: Vec::new(),
            last_accepted: None,
            periodic_fired: false,
            skip_pulls_now: false,
            wifi_pull_due: None,
            ratings: Vec::new(),
            discarded: Vec::new(),
            answered_discarded: 0,
        };
        let inner = this.inner_settings();
        this.inner =
            Client::with_policy(this.inner.config().clone(), inner, mutant.policy(profile));
        if mutant == Mutant::SendsWithWifiOff {
            // The client believes Wi-Fi is always up; its pulls are held back below.
            this.inner.handle(Event::WifiConnected);
        }
        this
    }

    fn is(&self, mutant: Mutant) -> bool {
        self.mutant == mutant
    }

    /// The settings the inner client is told, given the user's.
    fn inner_settings(&self) -> Settings {
        let mut s = self.user.clone();
        use ConflictStrategy::{Disable, Prompt, Silently};
        // Both directions' strategy `from` read as `to`.
        fn read_as(s: &mut Settings, from: ConflictStrategy, to: ConflictStrategy) {
            for strategy in [&mut s.newer_strategy, &mut s.older_strategy] {
                if *strategy == from {
                    *strategy = to;
                }
            }
        }
        match self.mutant {
            Mutant::PushesWhenDisabled | Mutant::QueuesWhenDisabled => s.enabled = true,
            Mutant::SnapshotDroppedWhenOffline => s.enabled &= self.wifi,
            Mutant::ManualOnlyDropsSnapshots => s.enabled &= !s.manual_only,
            Mutant::UploadsInManualOnly => s.manual_only = false,
            Mutant::PullOnOpenIgnoresToggle => s.pull_on_open = true,
            Mutant::PullOnResumeIgnoresToggle => s.pull_on_resume = true,
            Mutant::PeriodicIgnoresToggle => s.periodic_updates = true,
            Mutant::IgnoresReadOnRating => s.set_read_on_rating = false,
            Mutant::RatingQueuesWhenOff => s.set_read_on_rating = true,
            Mutant::PeriodicOffByOne => s.pages_per_sync = s.pages_per_sync.saturating_add(1),
            Mutant::DirectionSwapped => {
                std::mem::swap(&mut s.newer_strategy, &mut s.older_strategy)
            }
            Mutant::SilentlyPrompts => read_as(&mut s, Silently, Prompt),
            Mutant::PromptAppliesWithoutAsking => read_as(&mut s, Prompt, Silently),
            Mutant::DisableStillPrompts => read_as(&mut s, Disable, Prompt),
            Mutant::OlderDirectionApplied if s.older_strategy == Disable => {
                s.older_strategy = Silently
            }
            Mutant::CounterNeverRestarts if self.periodic_fired => s.pages_per_sync = 1,
            _ => {}
        }
        s
    }

    /// Tell the inner client the settings it should have now (all but the
    /// page threshold, which only a patch with a value changes).
    fn sync_inner_settings(&mut self, pages: Option<i64>) -> Handled {
        let s = self.inner_settings();
        let patch = SettingsPatch {
            enabled: Some(s.enabled),
            pull_on_open: Some(s.pull_on_open),
            pull_on_resume: Some(s.pull_on_resume),
            newer_strategy: Some(s.newer_strategy),
            older_strategy: Some(s.older_strategy),
            periodic_updates: Some(s.periodic_updates),
            pages_per_sync: pages,
            set_read_on_rating: Some(s.set_read_on_rating),
            manual_only: Some(s.manual_only),
        };
        self.inner.step(Event::SettingsChanged { patch })
    }

    fn own_request(&mut self, method: &str, path: String, body: Option<Value>) -> Effect {
        let id = self.next_own;
        self.next_own += 1;
        self.own.push(id);
        let config = self.inner.config();
        Effect::Http(HttpRequest {
            id,
            method: method.to_string(),
            path,
            headers: vec![
                (HEADER_AUTH_USER.to_string(), config.user.clone()),
                (HEADER_AUTH_KEY.to_string(), config.key.clone()),
                ("Accept".to_string(), KOSYNC_ACCEPT.to_string()),
            ],
            body,
        })
    }

    /// A pull the reference would not send, for the pull mutants.
    fn extra_pull(&mut self, event: &Event) -> Option<Effect> {
        let toggle = match event {
            Event::BookOpened { .. } => self.user.pull_on_open,
            Event::Resume if self.inner.position().is_some() => self.user.pull_on_resume,
            _ => return None,
        };
        let s = &self.user;
        let wanted = match self.mutant {
            Mutant::PullsWhenDisabled => !s.enabled && self.wifi && !s.manual_only,
            Mutant::PullsWithWifiOff => s.enabled && !self.wifi && !s.manual_only,
            Mutant::PullsInManualOnly => s.enabled && self.wifi && s.manual_only,
            _ => false,
        };
        let document = self.inner.position().map(|(d, _)| d.to_string())?;
        let path = self.inner.config().dialect.pull_path(&document);
        (wanted && toggle).then(|| self.own_request("GET", path, None))
    }

    /// PullsWhenWifiReturns: Wi-Fi coming back with a book open schedules a
    /// pull a second later; time passing sends it.
    fn pull_after_wifi(&mut self, event: &Event) -> Option<Effect> {
        match event {
            Event::WifiConnected
                if self.user.enabled
                    && !self.user.manual_only
                    && self.inner.position().is_some() =>
            {
                self.wifi_pull_due = Some(self.inner.now().saturating_add(1));
                None
            }
            Event::WifiLost | Event::WifiOff | Event::BookClosed => {
                self.wifi_pull_due = None;
                None
            }
            Event::TimePassed { .. }
                if self.wifi_pull_due.is_some_and(|d| d <= self.inner.now()) =>
            {
                self.wifi_pull_due = None;
                let document = self.inner.position().map(|(d, _)| d.to_string())?;
                let path = self.inner.config().dialect.pull_path(&document);
                Some(self.own_request("GET", path, None))
            }
            _ => None,
        }
    }

    /// The queue as this client reports it.
    fn reported_queue(&self) -> QueueCounts {
        let mut q = self.inner.queue();
        if !self.discarded.is_empty() {
            q.pending = self
                .inner
                .pending()
                .filter(|s| !self.discarded.contains(s))
                .count();
            q.synced = q.synced.saturating_sub(self.answered_discarded);
        }
        if self.is(Mutant::SyncedNotCounted) {
            q.synced = 0;
        }
        q
    }

    /// What this client does with a request its inner client asks for.
    fn fate(&mut self, request: &mut HttpRequest) -> Fate {
        let get = request.method == "GET";
        let not_found = || HttpOutcome::Response {
            status: 404,
            body: "{}".to_string(),
        };
        let unanswered = || HttpOutcome::TransportError {
            message: "held back by the mutant".to_string(),
        };
        let s = &self.user;
        match self.mutant {
            Mutant::NoPullOnOpen | Mutant::ResumeDoesNotPull if get && self.skip_pulls_now => {
                return Fate::Swallow(not_found())
            }
            Mutant::UploadsInManualOnly if get && s.manual_only => {
                return Fate::Swallow(not_found())
            }
            Mutant::SendsWithWifiOff if get && !self.wifi => return Fate::Swallow(not_found()),
            Mutant::QueuesWhenDisabled if !s.enabled => return Fate::Swallow(unanswered()),
            Mutant::NoAutoUpload if !get && !self.manual_step => return Fate::Swallow(unanswered()),
            Mutant::OfflineSyncDropsQueue if !get => {
                let carried = request
                    .body
                    .as_ref()
                    .and_then(|b| self.discarded.iter().position(|s| body_carries(b, s)));
                if let Some(at) = carried {
                    self.discarded.remove(at);
                    self.answered_discarded += 1;
                    return Fate::Swallow(HttpOutcome::Response {
                        status: 200,
                        body: "{}".to_string(),
                    });
                }
            }
            _ => {}
        }
        self.rewrite(request);
        Fate::Send
    }

    /// Wire-level breakage: paths, headers, body fields.
    fn rewrite(&mut self, request: &mut HttpRequest) {
        let prefix = self.inner.config().dialect.prefix();
        match self.mutant {
            Mutant::WrongPullPath | Mutant::WrongPushPath => {
                let which = if self.is(Mutant::WrongPullPath) {
                    "GET"
                } else {
                    "PUT"
                };
                if request.method == which {
                    if let Some(rest) = request.path.strip_prefix(prefix) {
                        request.path = rest.to_string();
                    }
                }
            }
            Mutant::DocumentUppercase => {
                if request.method == "GET" {
                    if let Some((head, doc)) = request.path.rsplit_once('/') {
                        request.path = format!("{head}/{}", doc.to_ascii_uppercase());
                    }
                }
                if let Some(Value::String(doc)) =
                    request.body.as_mut().and_then(|b| b.get_mut("document"))
                {
                    *doc = doc.to_ascii_uppercase();
                }
            }
            Mutant::MissingAuthKey => request
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case(HEADER_AUTH_KEY)),
            Mutant::PlainPasswordSent => {
                for (name, value) in &mut request.headers {
                    if name.eq_ignore_ascii_case(HEADER_AUTH_KEY) {
                        value.clone_from(&self.password);
                    }
                }
            }
            Mutant::TimestampInMilliseconds => {
                if let Some(body) = request.body.as_mut() {
                    if let Some(t) = body.get("timestamp").and_then(Value::as_i64) {
                        body["timestamp"] = json!(t.saturating_mul(1000));
                    }
                }
            }
            Mutant::RatingKeepsPercentage => {
                if let Some(body) = request.body.as_mut() {
                    let rated = self.ratings.iter().find(|(d, p, t, _)| {
                        body["document"] == json!(d)
                            && body["progress"] == json!(p)
                            && body["timestamp"] == json!(t)
                            && body["percentage"] == json!(1.0)
                    });
                    if let Some((_, _, _, here)) = rated {
                        body["percentage"] = json!(here);
                    }
                }
            }
            _ => {}
        }
    }

    /// Run the inner client's effects through this mutant: requests are
    /// sent, rewritten or answered here; prompts and counts are altered.
    fn pass(&mut self, handled: Handled) -> Handled {
        let mut out = Handled {
            effects: Vec::new(),
            decisions: handled.decisions,
        };
        let mut todo: VecDeque<Effect> = handled.effects.into();
        while let Some(effect) = todo.pop_front() {
            match effect {
                Effect::Http(mut request) => {
                    let id = request.id;
                    if request.method == "GET" {
                        let document = request.path.rsplit('/').next().unwrap_or("").to_string();
                        self.pulls.push((id, document));
                    }
                    match self.fate(&mut request) {
                        Fate::Send => {
                            if request.method == "PUT" {
                                self.before_push(&mut out);
                                if let Some(body) = &request.body {
                                    self.pushes.push((id, body.clone()));
                                }
                            }
                            out.effects.push(Effect::Http(request));
                        }
                        Fate::Swallow(outcome) => {
                            let more = self.answer_inner(id, outcome);
                            out.decisions.extend(more.decisions);
                            for effect in more.effects.into_iter().rev() {
                                todo.push_front(effect);
                            }
                        }
                    }
                }
                Effect::QueueChanged(_) => out
                    .effects
                    .push(Effect::QueueChanged(self.reported_queue())),
                Effect::PromptShown {
                    document,
                    direction,
                    proposed,
                } if self.is(Mutant::DirectionSwapped)
                    || self.is(Mutant::PromptDirectionReversed) =>
                {
                    out.effects.push(Effect::PromptShown {
                        document,
                        direction: match direction {
                            Direction::Newer => Direction::Older,
                            Direction::Older => Direction::Newer,
                        },
                        proposed,
                    })
                }
                other => out.effects.push(other),
            }
        }
        out
    }

    /// ResendsSynced: a run's first push is preceded by the last accepted one again.
    fn before_push(&mut self, out: &mut Handled) {
        if !self.is(Mutant::ResendsSynced) || self.answering_push {
            return;
        }
        if let Some(body) = self.last_accepted.clone() {
            let path = self.inner.config().dialect.push_path();
            let resend = self.own_request("PUT", path, Some(body));
            out.effects.push(resend);
        }
    }

    /// Give the inner client the answer to its request `id`, changed where
    /// the mutant reads answers differently.
    fn answer_inner(&mut self, id: RequestId, outcome: HttpOutcome) -> Handled {
        let pull = self
            .pulls
            .iter()
            .position(|(p, _)| *p == id)
            .map(|at| self.pulls.swap_remove(at));
        let push = self
            .pushes
            .iter()
            .position(|(p, _)| *p == id)
            .map(|at| self.pushes.swap_remove(at));
        let mut outcome = outcome;
        let mut extra = None;
        if let Some((_, document)) = &pull {
            let status = match &outcome {
                HttpOutcome::Response { status, .. } => Some(*status),
                HttpOutcome::TransportError { .. } => None,
            };
            match self.mutant {
                Mutant::FailedPullTreatedAsZero => {
                    let failed = match &outcome {
                        HttpOutcome::Response { status: 200, body } => {
                            matches!(parse_remote(body), RemoteAnswer::Malformed)
                        }
                        HttpOutcome::Response { status: 404, .. } => false,
                        _ => true,
                    };
                    if failed {
                        outcome = HttpOutcome::Response {
                            status: 200,
                            body: json!({"percentage": 0.0, "progress": "0"}).to_string(),
                        };
                    }
                }
                Mutant::PromptOn404 if status == Some(404) && self.still_open(document) => {
                    extra = Some(Effect::PromptShown {
                        document: document.clone(),
                        direction: Direction::Older,
                        proposed: Position {
                            percentage: 0.0,
                            progress: "0".to_string(),
                        },
                    });
                }
                Mutant::EqualPositionsPrompt if self.still_open(document) && self.user.enabled => {
                    if let HttpOutcome::Response { status: 200, body } = &outcome {
                        if let (RemoteAnswer::Progress(remote), Some((_, here))) =
                            (parse_remote(body), self.inner.position())
                        {
                            let local = LocalProgress {
                                position: here,
                                changed_at: 0,
                            };
                            if self.inner.policy().direction(local, &remote).is_none() {
                                extra = Some(Effect::PromptShown {
                                    document: document.clone(),
                                    direction: Direction::Newer,
                                    proposed: remote.position,
                                });
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some((_, body)) = &push {
            if matches!(outcome, HttpOutcome::Response { status, .. } if (200..300).contains(&status))
            {
                self.last_accepted = Some(body.clone());
            }
        }
        let was = std::mem::replace(&mut self.answering_push, push.is_some());
        let mut handled = self.inner.step(Event::HttpCompleted { id, outcome });
        handled.effects.extend(extra);
        let handled = self.pass(handled);
        self.answering_push = was;
        handled
    }

    fn still_open(&self, document: &str) -> bool {
        self.inner
            .position()
            .is_some_and(|(d, _)| d.eq_ignore_ascii_case(document))
    }
}

/// Whether a push body carries this snapshot.
fn body_carries(body: &Value, snapshot: &Snapshot) -> bool {
    body["document"] == json!(snapshot.document)
        && body["percentage"] == json!(snapshot.percentage)
        && body["progress"] == json!(snapshot.progress)
        && body["timestamp"] == json!(snapshot.timestamp)
}

impl ClientModel for Mutated {
    fn step(&mut self, event: Event) -> Handled {
        if let Event::HttpCompleted { id, outcome } = event {
            if let Some(at) = self.own.iter().position(|own| *own == id) {
                // The answer to a request the mutant made up: nobody waits for it.
                self.own.swap_remove(at);
                return Handled::default();
            }
            return self.answer_inner(id, outcome);
        }
        self.manual_step = matches!(event, Event::SyncPendingNow | Event::PushNow);
        self.answering_push = false;
        self.skip_pulls_now = matches!(
            (self.mutant, &event),
            (Mutant::NoPullOnOpen, Event::BookOpened { .. })
                | (Mutant::ResumeDoesNotPull, Event::Resume)
        );
        let mut out = Handled::default();
        let event = match event {
            Event::SyncPendingNow
                if self.is(Mutant::SyncPendingNowIgnored)
                    || (self.is(Mutant::SyncPendingNowIgnoredInManualOnly)
                        && self.user.manual_only) =>
            {
                return out;
            }
            Event::SyncPendingNow if self.is(Mutant::OfflineSyncDropsQueue) && !self.wifi => {
                let kept: Vec<Snapshot> = self
                    .inner
                    .pending()
                    .filter(|s| !self.discarded.contains(s))
                    .cloned()
                    .collect();
                if !kept.is_empty() {
                    self.discarded.extend(kept);
                    out.effects
                        .push(Effect::QueueChanged(self.reported_queue()));
                }
                Event::SyncPendingNow
            }
            Event::PromptAnswered { accept } if self.is(Mutant::DeclineApplies) => {
                Event::PromptAnswered { accept: !accept }
            }
            Event::SettingsChanged { patch } => {
                let pages = patch.apply_all_but_pages(&mut self.user);
                if let Some(Ok(n)) = pages.map(crate::model::valid_pages_per_sync) {
                    self.user.pages_per_sync = n;
                }
                let pages = pages.map(|p| match self.mutant {
                    Mutant::PeriodicOffByOne if p >= 1 => p.saturating_add(1),
                    Mutant::AcceptsPagesBelowOne if p < 1 => 1,
                    _ => p,
                });
                let handled = self.sync_inner_settings(pages);
                let passed = self.pass(handled);
                out.effects.extend(passed.effects);
                out.decisions.extend(passed.decisions);
                return out;
            }
            Event::WifiConnected | Event::WifiLost | Event::WifiOff => {
                self.wifi = matches!(event, Event::WifiConnected);
                if self.is(Mutant::SnapshotDroppedWhenOffline) {
                    let handled = self.sync_inner_settings(None);
                    out.decisions.extend(handled.decisions);
                }
                if self.is(Mutant::SendsWithWifiOff) {
                    return out;
                }
                event
            }
            Event::BookOpened { .. } if self.is(Mutant::CounterNeverRestarts) => {
                self.periodic_fired = false;
                let pages = i64::from(self.user.pages_per_sync);
                self.sync_inner_settings(Some(pages));
                event
            }
            Event::RatingSubmitted { .. } if self.is(Mutant::RatingKeepsPercentage) => {
                if let Some((document, here)) = self.inner.position() {
                    let rated = (
                        document.to_string(),
                        here.progress.clone(),
                        self.inner.now(),
                        here.percentage,
                    );
                    self.ratings.push(rated);
                }
                event
            }
            other => other,
        };
        if self.is(Mutant::CloseUploadsBeforePull) {
            if let Event::BookOpened { document, .. } = &event {
                if self
                    .inner
                    .position()
                    .is_some_and(|(open, _)| open != document)
                {
                    let closed = self.inner.step(Event::BookClosed);
                    let passed = self.pass(closed);
                    out.effects.extend(passed.effects);
                    out.decisions.extend(passed.decisions);
                }
            }
        }
        let page_turn = matches!(event, Event::PageTurned { .. });
        let queued_before = self.inner.queue();
        let mut extra = None;
        let handled = self.inner.step(event.clone());
        let passed = self.pass(handled);
        out.effects.extend(passed.effects);
        out.decisions.extend(passed.decisions);
        if matches!(
            self.mutant,
            Mutant::PullsWhenDisabled | Mutant::PullsWithWifiOff | Mutant::PullsInManualOnly
        ) {
            extra = self.extra_pull(&event);
        }
        out.effects.extend(extra);
        if self.is(Mutant::PullsWhenWifiReturns) {
            let pull = self.pull_after_wifi(&event);
            out.effects.extend(pull);
        }
        let queued = self.inner.queue();
        if self.is(Mutant::CounterNeverRestarts)
            && page_turn
            && queued.pending + queued.synced > queued_before.pending + queued_before.synced
        {
            self.periodic_fired = true;
            self.sync_inner_settings(Some(1));
        }
        out
    }

    fn queue(&self) -> QueueCounts {
        self.reported_queue()
    }

    fn queue_summary(&self) -> String {
        let queue = self.reported_queue();
        if self.is(Mutant::QueueSummaryWrongLetter) {
            format!("{}S", queue.pending)
        } else {
            queue.summary()
        }
    }

    fn position(&self) -> Option<(&str, &Position)> {
        self.inner.position()
    }

    fn pending_snapshots(&self) -> Vec<&Snapshot> {
        self.inner
            .pending()
            .filter(|s| !self.discarded.contains(s))
            .collect()
    }
}
