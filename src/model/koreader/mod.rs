//! The KOReader profile: KOReader's built-in progress sync (the kosync
//! plugin) as a reference client, from the protocol facts page ("KOReader's
//! built-in client", its observed timings) — without its three known defects.
//!
//! Where it differs from the BookLore plugin (`client/`), in the order a
//! reader meets it:
//!
//! 1. **Auto sync** (`settings.enabled`) is off until turned on. While it is
//!    off nothing is sent automatically (C-EN-1); the menu actions (push now,
//!    pull now, sign in) still work, being the user's own. Turning it off
//!    pushes once; turning it on pulls (KC-PUSH-1, KC-PULL-1).
//! 2. **No snapshot on open.** Opening pulls at once (the next UI tick);
//!    waking pulls 1 s later; the network coming up sends the retry queue and
//!    then pulls 1 s later (the plugin's 0.5 s, on the harness's whole-second
//!    clock) (KC-PULL-1). Every pull needs Wi-Fi and never asks for it (C-PULL-3).
//! 3. **Pushes** go straight out (no queue in between) on close, on suspend
//!    and when the user turns Wi-Fi off (before it goes down), and 10 s after
//!    the Nth page turn with periodic updates on, each further turn
//!    postponing it (KC-PUSH-1/2). A push carries `document`, `progress`,
//!    `percentage` floored to 4 decimals, `device`, `device_id` — no
//!    `timestamp` — and succeeds only on 200.
//! 4. **Debounce** (KC-DEB-1): an automatic push within 25 s of the previous
//!    push, or an automatic pull within 25 s of the previous pull, is skipped
//!    (not queued, not delayed). The user's own actions are never held back.
//! 5. **The retry queue** (KC-Q-1) holds only what did not go out: a push
//!    attempted offline goes there without a request, a push answered with
//!    anything but 200 or 401, or not answered, goes there after it; one
//!    entry per book, a newer one replacing the older. An accepted push of a
//!    book drops that book's entry. Entries expire after 28 days; at most 200.
//!    `queue().pending` is its length; nothing is counted as synced.
//! 6. **Sending the queue** (C-Q-3): whenever the network comes up
//!    (auto sync on), book open or not, oldest first, one at a time; the
//!    first entry the server does not accept stays, with those after it
//!    (C-SAFE-1). An entry of the open book older than the reader's last page
//!    turn is sent as the current position instead, so a stale entry never
//!    overwrites newer progress (C-SAFE-2).
//! 7. **Pull answers**: anything but 200, or a body that is not a JSON
//!    object, shows an error notice (KC-PULL-2); a 200 without a numeric
//!    `percentage` means no progress; a record of this very device, or a
//!    position equal to the local one (percentages floored to 4 decimals, or
//!    identical markers), is not offered. Newer or older is the record's
//!    `timestamp` against the time of the last local page turn (0 right after
//!    opening, so any record counts as newer), by percentage without a
//!    timestamp (KC-DIR-1); the direction's strategy then acts as in
//!    C-CONF-3/4/5. Applying a position counts as a page turn.
//! 8. **Menu actions**: push now and pull now act at once whatever the
//!    debounce, and with Wi-Fi off ask for it (`WifiOnRequested`) instead;
//!    sign-in checks the credentials (`GET {prefix}/users/auth`).
//!
//! The plugin is synchronous: one request at a time, in the order its
//! handlers make them. This model keeps that order with a small work list
//! (here: events, timers, the work list; `net.rs`: requests and answers).

mod net;

use std::collections::VecDeque;

use super::decision::{governs, Decision, Handled, Outcome};
use super::profile::Policy;
use super::types::take_first_due;
use super::{
    ClientConfig, ClientModel, Effect, Event, Position, QueueCounts, RequestId, Settings,
    SettingsPatch, Snapshot,
};

/// How long a retry-queue entry lives.
const QUEUE_EXPIRY_MS: i64 = 28 * 24 * 3600 * 1000;
/// Most entries the retry queue keeps.
const QUEUE_MAX_ENTRIES: usize = 200;

/// The book on screen.
#[derive(Debug, Clone)]
struct View {
    /// Tells two openings of the same book apart (a late pull answer).
    id: u64,
    document: String,
    position: Position,
    /// Virtual milliseconds of the last page turn (or applied pull); `None` right after open.
    last_turn_ms: Option<i64>,
}

/// One entry of the retry queue.
#[derive(Debug, Clone)]
struct Entry {
    document: String,
    position: Position,
    queued_ms: i64,
}

/// What the plugin does next, in order; one request at a time.
#[derive(Debug, Clone)]
enum Work {
    /// Push this position (the open book's when the work was made).
    Push {
        document: String,
        position: Position,
        interactive: bool,
        /// The rule that asked for it (KC-PUSH-1/2, or none for a menu action).
        rule: Option<&'static str>,
    },
    Pull {
        view: u64,
        interactive: bool,
    },
    /// Send the retry queue, from this entry on.
    Drain,
    SignIn,
    /// The network goes down (after a push made on the way).
    GoOffline,
}

/// What a request in flight was for.
#[derive(Debug, Clone)]
enum Asked {
    Push {
        document: String,
        position: Position,
        interactive: bool,
        /// Sent from the retry queue: the entries after it wait for the answer.
        from_queue: Option<VecDeque<Entry>>,
    },
    Pull {
        view: u64,
        interactive: bool,
    },
    SignIn,
}

/// Work the plugin scheduled for later virtual time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// The periodic push of this opening of a book.
    Periodic(u64),
    /// An automatic pull (after resume, after the network came up).
    Pull,
}

/// A prompt on screen (C-CONF-4): the last one shown is the one answered.
#[derive(Debug, Clone)]
struct OpenPrompt {
    view: u64,
    proposed: Position,
}

/// The KOReader-profile reference client. See the module doc.
#[derive(Debug, Clone)]
pub struct KoreaderClient {
    config: ClientConfig,
    settings: Settings,
    policy: Policy,
    /// Virtual now in milliseconds (the plugin's timers are sub-second).
    now_ms: i64,
    wifi: bool,
    view: Option<View>,
    next_view: u64,
    page_turns: u32,
    timers: Vec<(i64, Timer)>,
    queue: Vec<Entry>,
    last_push_ms: Option<i64>,
    last_pull_ms: Option<i64>,
    work: VecDeque<Work>,
    in_flight: Option<(RequestId, Asked)>,
    next_request: RequestId,
    prompt: Option<OpenPrompt>,
    /// Where a `TimePassed` is taking the clock; the plugin is synchronous, so
    /// a request in flight holds the clock until its answer.
    advancing_to: Option<i64>,
    decisions: Vec<Decision>,
}

fn ms(seconds: u64) -> i64 {
    i64::try_from(seconds)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}

impl KoreaderClient {
    /// A fresh client following `policy` (the KOReader profile's, or one
    /// with an answer changed): empty queue, no book, Wi-Fi disconnected.
    pub fn with_policy(config: ClientConfig, settings: Settings, policy: Policy) -> KoreaderClient {
        KoreaderClient {
            now_ms: config.clock_start.saturating_mul(1000),
            config,
            settings,
            policy,
            wifi: false,
            view: None,
            next_view: 0,
            page_turns: 0,
            timers: Vec::new(),
            queue: Vec::new(),
            last_push_ms: None,
            last_pull_ms: None,
            work: VecDeque::new(),
            in_flight: None,
            next_request: 1,
            prompt: None,
            advancing_to: None,
            decisions: Vec::new(),
        }
    }

    fn auto(&self) -> bool {
        self.settings.enabled
    }

    fn decide(&mut self, rule: &'static str, outcome: Outcome, on: &'static [super::Aspect]) {
        let decision = Decision::new(rule, outcome, on);
        if !self.decisions.contains(&decision) {
            self.decisions.push(decision);
        }
    }

    /// KC-DEB-1: an automatic call within the debounce window of the last one.
    fn debounced(&self, last: Option<i64>) -> bool {
        last.is_some_and(|at| self.now_ms.saturating_sub(at) < ms(self.policy.debounce_seconds))
    }

    fn push_work(&self, interactive: bool, rule: Option<&'static str>) -> Option<Work> {
        let view = self.view.as_ref()?;
        Some(Work::Push {
            document: view.document.clone(),
            position: view.position.clone(),
            interactive,
            rule,
        })
    }

    fn on_event(&mut self, event: Event, out: &mut Vec<Effect>) {
        match event {
            Event::BookOpened { document, position } => {
                self.close_book();
                self.next_view += 1;
                self.view = Some(View {
                    id: self.next_view,
                    document,
                    position,
                    last_turn_ms: None,
                });
                self.page_turns = 0;
                if self.auto() {
                    self.work.push_back(Work::Pull {
                        view: self.next_view,
                        interactive: false,
                    });
                }
            }
            Event::PageTurned { position } => self.page_turned(position),
            Event::BookClosed => self.close_book(),
            Event::Suspend => {
                if self.auto() {
                    self.work.extend(self.push_work(false, Some("KC-PUSH-1")));
                }
            }
            Event::Resume => {
                if self.auto() && self.view.is_some() {
                    self.decide("KC-PULL-1", Outcome::Waited, governs::PULLS);
                    self.schedule(ms(1), Timer::Pull);
                }
            }
            Event::WifiConnected => {
                self.wifi = true;
                if self.auto() {
                    if self.policy.drain_needs_open_book && self.view.is_none() {
                    } else {
                        self.work.push_back(Work::Drain);
                    }
                    if self.view.is_some() && self.policy.network_pull {
                        self.decide("KC-PULL-1", Outcome::Waited, governs::PULLS);
                        // The plugin's 0.5 s, on a clock the harness moves in whole seconds.
                        self.schedule(ms(1), Timer::Pull);
                    }
                }
            }
            Event::WifiOff => {
                if self.auto() {
                    self.work.extend(self.push_work(false, Some("KC-PUSH-1")));
                }
                self.work.push_back(Work::GoOffline);
            }
            Event::WifiLost => self.wifi = false,
            Event::PushNow => self.work.extend(self.push_work(true, None)),
            Event::PullNow => {
                if let Some(view) = &self.view {
                    self.work.push_back(Work::Pull {
                        view: view.id,
                        interactive: true,
                    });
                }
            }
            Event::SignIn => self.work.push_back(Work::SignIn),
            // KOReader has no rating hook and no Sync Pending Now.
            Event::RatingSubmitted { .. } | Event::SyncPendingNow => {}
            Event::PromptAnswered { accept } => {
                if let Some(prompt) = self.prompt.take() {
                    let outcome = if accept {
                        Outcome::Applied
                    } else {
                        Outcome::Refused
                    };
                    self.decide("C-CONF-4", outcome, governs::PROMPTS);
                    if accept {
                        self.go_to(prompt.view, prompt.proposed, out);
                    }
                }
            }
            Event::TimePassed { seconds } => {
                let end = self.now_ms.saturating_add(ms(seconds));
                self.advancing_to = Some(self.advancing_to.map_or(end, |t| t.max(end)));
            }
            Event::SettingsChanged { patch } => self.change_settings(patch, out),
            Event::HttpCompleted { id, outcome } => {
                if let Some((sent, asked)) = self.in_flight.take() {
                    if sent == id {
                        self.on_answer(asked, outcome, out);
                    } else {
                        // An answer to a request this client is not waiting for.
                        self.in_flight = Some((sent, asked));
                    }
                }
            }
        }
        self.pump(out);
        self.advance(out);
    }

    /// KC-PUSH-2: with periodic updates on, the Nth turn schedules a push 10 s
    /// later and each further turn postpones it.
    fn page_turned(&mut self, position: Position) {
        let now = self.now_ms;
        let Some(view) = self.view.as_mut() else {
            return;
        };
        view.position = position;
        view.last_turn_ms = Some(now);
        let id = view.id;
        if !self.auto() || !self.settings.periodic_updates {
            return;
        }
        self.page_turns = self.page_turns.saturating_add(1);
        let scheduled = self.timers.iter().any(|(_, t)| *t == Timer::Periodic(id));
        if self.page_turns < self.settings.pages_per_sync && !scheduled {
            self.decide("KC-PUSH-2", Outcome::Skipped, governs::UPLOADS);
            return;
        }
        self.timers.retain(|(_, t)| *t != Timer::Periodic(id));
        self.decide("KC-PUSH-2", Outcome::Waited, governs::UPLOADS);
        if self.policy.periodic_delay_seconds == 0 {
            self.fire_periodic(id);
        } else {
            self.schedule(ms(self.policy.periodic_delay_seconds), Timer::Periodic(id));
        }
    }

    fn fire_periodic(&mut self, view: u64) {
        self.page_turns = 0;
        if self.auto() && self.view.as_ref().is_some_and(|v| v.id == view) {
            self.work.extend(self.push_work(false, Some("KC-PUSH-2")));
        }
    }

    /// Close the open book: its periodic push is cancelled, its position pushed (KC-PUSH-1).
    fn close_book(&mut self) {
        let Some(view) = &self.view else {
            return;
        };
        let id = view.id;
        self.timers.retain(|(_, t)| *t != Timer::Periodic(id));
        if self.auto() && self.policy.close_snapshot {
            self.work.extend(self.push_work(false, Some("KC-PUSH-1")));
        }
        self.view = None;
        self.prompt = None;
    }

    fn schedule(&mut self, after_ms: i64, timer: Timer) {
        self.timers
            .push((self.now_ms.saturating_add(after_ms), timer));
    }

    /// Move the clock towards where a `TimePassed` takes it: every timer due
    /// by then runs in due order, the clock reading its due time, and the
    /// work it makes is done before the next — a request in flight holds the
    /// clock until its answer comes (the plugin's calls are synchronous).
    fn advance(&mut self, out: &mut Vec<Effect>) {
        while let Some(end) = self.advancing_to {
            if self.in_flight.is_some() {
                return;
            }
            let Some((at, timer)) = take_first_due(&mut self.timers, end) else {
                self.now_ms = self.now_ms.max(end);
                self.advancing_to = None;
                return;
            };
            self.now_ms = self.now_ms.max(at);
            match timer {
                Timer::Periodic(view) => self.fire_periodic(view),
                Timer::Pull => {
                    if let (true, Some(view)) = (self.auto(), &self.view) {
                        self.work.push_back(Work::Pull {
                            view: view.id,
                            interactive: false,
                        });
                    }
                }
            }
            self.pump(out);
        }
    }

    fn change_settings(&mut self, patch: SettingsPatch, out: &mut Vec<Effect>) {
        let was = self.settings.enabled;
        // KOReader has no Manual only, pull toggles or rating hook: those fields mean nothing.
        let mut kept = patch.clone();
        kept.manual_only = None;
        kept.pull_on_open = None;
        kept.pull_on_resume = None;
        kept.set_read_on_rating = None;
        if let Some(pages) = kept.apply_all_but_pages(&mut self.settings) {
            match super::valid_pages_per_sync(pages) {
                Ok(n) => self.settings.pages_per_sync = n,
                Err(reason) => out.push(Effect::SettingsRejected {
                    field: "pages_per_sync".to_string(),
                    reason: format!("{reason}; keeping {}", self.settings.pages_per_sync),
                }),
            }
        }
        // Turning auto sync off pushes once; turning it on pulls.
        if was && !self.settings.enabled {
            self.work.extend(self.push_work(false, Some("KC-PUSH-1")));
        } else if !was && self.settings.enabled {
            if let Some(view) = &self.view {
                self.work.push_back(Work::Pull {
                    view: view.id,
                    interactive: false,
                });
            }
        }
    }

    /// Start the next piece of work when no request is in flight.
    fn pump(&mut self, out: &mut Vec<Effect>) {
        while self.in_flight.is_none() {
            let Some(work) = self.work.pop_front() else {
                return;
            };
            match work {
                Work::Push {
                    document,
                    position,
                    interactive,
                    rule,
                } => self.push(document, position, interactive, rule, out),
                Work::Pull { view, interactive } => self.pull(view, interactive, out),
                Work::Drain => {
                    self.expire_queue();
                    let entries: VecDeque<Entry> = std::mem::take(&mut self.queue).into();
                    self.send_next_entry(entries, out);
                }
                Work::SignIn => {
                    if self.wifi {
                        let request = self.request("GET", self.config.dialect.auth_path(), None);
                        self.send(request, Asked::SignIn, out);
                    } else {
                        out.push(Effect::WifiOnRequested);
                    }
                }
                Work::GoOffline => self.wifi = false,
            }
        }
    }

    /// Rules that hold whatever the event, in the state it left: nothing
    /// automatic while auto sync is off (C-EN-1), nothing with Wi-Fi down
    /// (C-PULL-3, C-SAFE-4).
    fn standing_rules(&mut self, event: &Event) {
        let users_own = matches!(
            event,
            Event::PushNow | Event::PullNow | Event::SignIn | Event::SettingsChanged { .. }
        );
        if users_own {
            return;
        }
        if !self.auto() {
            self.decide("C-EN-1", Outcome::Refused, governs::SENDING);
        }
        if !self.wifi && !matches!(event, Event::WifiOff) {
            self.decide("C-PULL-3", Outcome::Refused, governs::PULLS);
            self.decide("C-SAFE-4", Outcome::Refused, governs::SENDING);
        }
    }
}

impl ClientModel for KoreaderClient {
    fn step(&mut self, event: Event) -> Handled {
        let mut out = Vec::new();
        let kind = event.clone();
        self.on_event(event, &mut out);
        if !matches!(kind, Event::HttpCompleted { .. }) {
            self.standing_rules(&kind);
        }
        Handled {
            effects: out,
            decisions: std::mem::take(&mut self.decisions),
        }
    }

    fn queue(&self) -> QueueCounts {
        QueueCounts {
            pending: self.queue.len(),
            synced: 0,
        }
    }

    fn queue_summary(&self) -> String {
        self.queue().summary()
    }

    fn position(&self) -> Option<(&str, &Position)> {
        self.view
            .as_ref()
            .map(|v| (v.document.as_str(), &v.position))
    }

    fn pending_snapshots(&self) -> Vec<&Snapshot> {
        // The retry queue holds positions, not the BookLore plugin's snapshots.
        Vec::new()
    }
}
