//! Properties of the reference model over random event sequences, checked
//! against the in-memory stand-in server (`model::sim`): C-EN-1, C-PULL-3,
//! C-MAN-2, C-PUSH-6 and C-SAFE-1..5 hold whatever the reader, the network
//! and the server do. Requests are answered when a `Deliver` step says so,
//! so Wi-Fi can drop, settings change and time pass while a request is in
//! flight.
//!
//! `PROPTEST_CASES` raises the case count (default 256). The detection tests
//! run each property against the mutants that break its rule and require a
//! (shrunk) counterexample.

use crate::support;

use std::collections::{HashMap, VecDeque};

use kosync_contract::contract::client::differential::{settings_patch_strategy, settings_strategy};
use kosync_contract::model::sim::{Fault, SimServer};
use kosync_contract::model::{
    ClientModel, Effect, Event, HttpOutcome, HttpRequest, Mutant, Position, QueueCounts, RequestId,
    Settings, SettingsPatch, Snapshot, DEBOUNCE_SECONDS,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};
use support::{client, server, A, B};

/// One step of a generated story.
#[derive(Debug, Clone)]
enum Step {
    /// Something happens to the client.
    Client(Event),
    /// The server answers the oldest outstanding request.
    Deliver,
    /// The server will play this fault for its next request.
    Fault(Fault),
}

#[derive(Debug, Clone)]
pub(crate) struct Story {
    settings: Settings,
    /// Progress another device left on the server before the story starts.
    held: Option<(&'static str, u32)>,
    steps: Vec<Step>,
}

impl Story {
    /// How many steps the story has (the benchmark reports the average).
    #[allow(dead_code)] // used by benches/client.rs only
    pub(crate) fn len(&self) -> usize {
        self.steps.len()
    }
}

fn position() -> impl Strategy<Value = Position> {
    (0u32..=10).prop_map(|page| Position::at_page(page, 10))
}

fn event() -> impl Strategy<Value = Event> {
    let document = prop_oneof![Just(A.to_string()), Just(B.to_string())];
    prop_oneof![
        3 => (document, position()).prop_map(|(document, position)| Event::BookOpened { document, position }),
        6 => position().prop_map(|position| Event::PageTurned { position }),
        2 => Just(Event::BookClosed),
        1 => Just(Event::Suspend),
        2 => Just(Event::Resume),
        3 => Just(Event::WifiConnected),
        2 => Just(Event::WifiLost),
        1 => (1u8..=5).prop_map(|stars| Event::RatingSubmitted { stars }),
        2 => Just(Event::SyncPendingNow),
        1 => any::<bool>().prop_map(|accept| Event::PromptAnswered { accept }),
        3 => prop::sample::select(vec![1u64, 5, 10, 20, 24, 25, 26, 60])
            .prop_map(|seconds| Event::TimePassed { seconds }),
        2 => settings_patch_strategy().prop_map(|patch| Event::SettingsChanged { patch }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let fault = prop_oneof![
        Just(Fault::Status(500)),
        Just(Fault::Status(404)),
        Just(Fault::Status(401)),
        Just(Fault::Transport),
        Just(Fault::Garbage),
    ];
    prop_oneof![
        10 => event().prop_map(Step::Client),
        8 => Just(Step::Deliver),
        1 => fault.prop_map(Step::Fault),
    ]
}

pub(crate) fn story() -> impl Strategy<Value = Story> {
    let held = prop::option::of((prop_oneof![Just(A), Just(B)], 0u32..=10));
    (
        settings_strategy(),
        held,
        prop::collection::vec(step(), 1..60),
    )
        .prop_map(|(settings, held, steps)| Story {
            settings,
            held,
            steps,
        })
}

/// Which property a check belongs to; `None` runs them all.
type Only = Option<&'static str>;

/// The harness's own view of the world, kept from the events it fed (not
/// from the model), and the checks over each step's effects.
struct Harness {
    client: Box<dyn ClientModel>,
    server: SimServer,
    only: Only,
    wifi: bool,
    enabled: bool,
    manual_only: bool,
    /// A Sync Pending Now run may be going on (C-MAN-2).
    manual_run: bool,
    now: i64,
    /// When the last push went out (C-PUSH-6).
    last_push_at: Option<i64>,
    counts: QueueCounts,
    queued: usize,
    accepted: usize,
    outstanding: VecDeque<HttpRequest>,
    /// Request ids of PUTs, with whether the server accepted them.
    puts: HashMap<RequestId, bool>,
    last_queued: HashMap<String, Snapshot>,
    last_accepted_ts: HashMap<String, i64>,
}

impl Harness {
    fn new(story: &Story, mutant: Option<Mutant>, only: Only) -> Harness {
        let mut server = server();
        if let Some((document, page)) = story.held {
            server.hold(document, f64::from(page) / 10.0, &page.to_string());
        }
        Harness {
            client: client(story.settings.clone(), mutant),
            server,
            only,
            wifi: false,
            enabled: story.settings.enabled,
            manual_only: story.settings.manual_only,
            manual_run: false,
            now: support::CLOCK_START,
            last_push_at: None,
            counts: QueueCounts::default(),
            queued: 0,
            accepted: 0,
            outstanding: VecDeque::new(),
            puts: HashMap::new(),
            last_queued: HashMap::new(),
            last_accepted_ts: HashMap::new(),
        }
    }

    fn check(
        &self,
        rule: &'static str,
        ok: bool,
        what: impl FnOnce() -> String,
    ) -> Result<(), TestCaseError> {
        if ok || self.only.is_some_and(|only| only != rule) {
            Ok(())
        } else {
            Err(TestCaseError::fail(format!("{rule}: {}", what())))
        }
    }

    fn play(&mut self, story: &Story) -> Result<(), TestCaseError> {
        for step in &story.steps {
            match step {
                Step::Client(event) => self.feed(event.clone())?,
                Step::Deliver => self.deliver_one()?,
                Step::Fault(fault) => self.server.faults.push_back(fault.clone()),
            }
        }
        let mut budget = 1000;
        while !self.outstanding.is_empty() && budget > 0 {
            self.deliver_one()?;
            budget -= 1;
        }
        // Healthy network and server, sync on, Sync Pending Now: everything
        // queued must now be on the server, the latest per document (C-SAFE-1/2).
        self.server.faults.clear();
        self.feed(Event::SettingsChanged {
            patch: SettingsPatch {
                enabled: Some(true),
                ..SettingsPatch::default()
            },
        })?;
        self.feed(Event::WifiConnected)?;
        self.feed(Event::SyncPendingNow)?;
        let mut budget = 1000;
        while !self.outstanding.is_empty() && budget > 0 {
            self.deliver_one()?;
            budget -= 1;
        }
        let pending = self.client.queue().pending;
        self.check("C-SAFE-1", pending == 0, || {
            format!("{pending} snapshot(s) still pending after a clean Sync Pending Now")
        })?;
        for (document, snapshot) in &self.last_queued {
            let stored = self.server.records.get(document);
            let same = stored.is_some_and(|r| {
                r.percentage == snapshot.percentage && r.progress == snapshot.progress
            });
            self.check("C-SAFE-2", same, || {
                format!(
                    "server holds {stored:?} for {document}, latest local snapshot is {snapshot:?}"
                )
            })?;
        }
        Ok(())
    }

    fn deliver_one(&mut self) -> Result<(), TestCaseError> {
        let Some(request) = self.outstanding.pop_front() else {
            return Ok(());
        };
        let outcome = self.server.answer(&request);
        let accepted =
            matches!(outcome, HttpOutcome::Response { status, .. } if (200..300).contains(&status));
        if let Some(entry) = self.puts.get_mut(&request.id) {
            *entry = accepted;
            if accepted {
                self.accepted += 1;
                if let Some(body) = &request.body {
                    let document = body["document"].as_str().unwrap_or_default().to_string();
                    let ts = body["timestamp"].as_i64().unwrap_or_default();
                    let previous = self.last_accepted_ts.insert(document.clone(), ts);
                    self.check("C-SAFE-2", previous.is_none_or(|p| p <= ts), || {
                        format!("snapshot of {document} at {ts} accepted after one at {previous:?}")
                    })?;
                }
            }
        }
        self.feed(Event::HttpCompleted {
            id: request.id,
            outcome,
        })
    }

    fn feed(&mut self, event: Event) -> Result<(), TestCaseError> {
        match &event {
            Event::WifiConnected => self.wifi = true,
            Event::WifiLost | Event::WifiOff => self.wifi = false,
            Event::TimePassed { seconds } => {
                self.now += *seconds as i64;
                self.server.clock += *seconds as i64;
            }
            Event::SettingsChanged { patch } => {
                if let Some(enabled) = patch.enabled {
                    self.enabled = enabled;
                }
                if let Some(manual) = patch.manual_only {
                    self.manual_only = manual;
                }
            }
            Event::SyncPendingNow => self.manual_run = true,
            _ => {}
        }
        let before = self.client.queue();
        let effects = self.client.handle(event.clone());
        let requests: Vec<&HttpRequest> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Http(r) => Some(r),
                _ => None,
            })
            .collect();
        let label = || format!("after {event:?}");

        // C-EN-1, C-PULL-3, C-SAFE-4.
        for request in &requests {
            self.check("C-EN-1", self.enabled, || {
                format!(
                    "{} {} while disabled, {}",
                    request.method,
                    request.path,
                    label()
                )
            })?;
            let rule = if request.method == "GET" {
                "C-PULL-3"
            } else {
                "C-SAFE-4"
            };
            self.check(rule, self.wifi, || {
                format!(
                    "{} {} with Wi-Fi off, {}",
                    request.method,
                    request.path,
                    label()
                )
            })?;
        }
        // C-SAFE-5.
        if matches!(event, Event::SyncPendingNow) && !self.wifi {
            let after = self.client.queue();
            self.check(
                "C-SAFE-5",
                requests.is_empty() && after.pending == before.pending,
                || {
                    format!(
                        "offline Sync Pending Now sent {} request(s), pending {} -> {}",
                        requests.len(),
                        before.pending,
                        after.pending
                    )
                },
            )?;
        }
        // C-MAN-2 and C-PUSH-6 look at pushes.
        let continuation = match &event {
            Event::HttpCompleted { id, .. } => self.puts.get(id).copied().unwrap_or(false),
            _ => false,
        };
        let answered_put =
            matches!(&event, Event::HttpCompleted { id, .. } if self.puts.contains_key(id));
        let pushes: Vec<&HttpRequest> = requests
            .iter()
            .copied()
            .filter(|r| r.method == "PUT")
            .collect();
        if !pushes.is_empty() {
            let by_user_or_answer =
                matches!(event, Event::SyncPendingNow | Event::HttpCompleted { .. });
            self.check(
                "C-MAN-2",
                !self.manual_only || (self.manual_run && by_user_or_answer),
                || {
                    format!(
                        "push with Manual only on, not part of a Sync Pending Now run, {}",
                        label()
                    )
                },
            )?;
            // A page turn never continues a run: its push starts one.
            if matches!(event, Event::PageTurned { .. }) {
                let since = self.last_push_at.map(|t| self.now - t);
                self.check(
                    "C-PUSH-6",
                    since.is_none_or(|s| s >= DEBOUNCE_SECONDS as i64),
                    || format!("page-triggered upload {since:?} s after the previous push"),
                )?;
            }
            self.last_push_at = Some(self.now);
        } else if answered_put {
            // The run ended (a failure, queue empty, or it stopped), unless
            // it waits for a pull (C-PULL-7) and goes on when that is answered.
            let waiting = self.outstanding.iter().any(|r| r.method == "GET");
            if !continuation || !waiting {
                self.manual_run = false;
            }
        }
        for request in &requests {
            if request.method == "PUT" {
                self.puts.insert(request.id, false);
            }
            self.outstanding.push_back((*request).clone());
        }
        // C-SAFE-1: the queue shrinks only by a 2xx moving one item to synced.
        let mut increments = 0;
        for effect in &effects {
            if let Effect::QueueChanged(counts) = effect {
                let prev = self.counts;
                if counts.pending > prev.pending {
                    self.check(
                        "C-SAFE-1",
                        counts.pending == prev.pending + 1 && counts.synced == prev.synced,
                        || format!("queue went {prev:?} -> {counts:?}, {}", label()),
                    )?;
                    increments += 1;
                } else {
                    let moved =
                        counts.pending + 1 == prev.pending && counts.synced == prev.synced + 1;
                    self.check("C-SAFE-1", continuation && moved, || {
                        format!("queue went {prev:?} -> {counts:?} without an accepted upload moving one item, {}", label())
                    })?;
                }
                self.counts = *counts;
            }
        }
        let now_counts = self.client.queue();
        self.check("C-SAFE-1", now_counts == self.counts, || {
            format!(
                "queue is {now_counts:?} but the last QueueChanged said {:?}",
                self.counts
            )
        })?;
        self.queued += increments;
        let pending: Vec<&Snapshot> = self.client.pending_snapshots();
        for snapshot in pending.iter().rev().take(increments) {
            self.last_queued
                .entry(snapshot.document.clone())
                .or_insert_with(|| (*snapshot).clone());
        }
        // `or_insert` above keeps the newest of this step's increments only if
        // inserted newest first; overwrite older entries from earlier steps.
        for snapshot in pending
            .iter()
            .skip(pending.len().saturating_sub(increments))
        {
            self.last_queued
                .insert(snapshot.document.clone(), (*snapshot).clone());
        }
        // C-PULL-8: an applied pull rewrites the snapshots still waiting; the
        // newest waiting snapshot of a book is what the server must end with.
        for snapshot in &pending {
            self.last_queued
                .insert(snapshot.document.clone(), (*snapshot).clone());
        }
        // C-SAFE-3: every accepted upload is one queued item, counted once.
        self.check(
            "C-SAFE-3",
            now_counts.synced == self.accepted && self.accepted <= self.queued,
            || {
                format!(
                    "server accepted {} upload(s), {} snapshot(s) queued, client counts {} synced",
                    self.accepted, self.queued, now_counts.synced
                )
            },
        )?;
        Ok(())
    }
}

pub(crate) fn check_story(
    story: &Story,
    mutant: Option<Mutant>,
    only: Only,
) -> Result<(), TestCaseError> {
    Harness::new(story, mutant, only).play(story)
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// The reference model keeps every property on every story.
    #[test]
    fn reference_model_keeps_every_property(story in story()) {
        check_story(&story, None, None)?;
    }
}

/// Which property catches which mutant: the mutant must fail that property
/// alone, with a shrunk counterexample.
const DETECTION: &[(Mutant, &str)] = &[
    (Mutant::PushesWhenDisabled, "C-EN-1"),
    (Mutant::PullsWhenDisabled, "C-EN-1"),
    (Mutant::PullsWithWifiOff, "C-PULL-3"),
    (Mutant::UploadsInManualOnly, "C-MAN-2"),
    (Mutant::NoDebounce, "C-PUSH-6"),
    (Mutant::DropsFailedUpload, "C-SAFE-1"),
    (Mutant::SyncedNotCounted, "C-SAFE-1"),
    (Mutant::SyncPendingNowIgnored, "C-SAFE-1"),
    (Mutant::DropsUnansweredUpload, "C-SAFE-1"),
    (Mutant::OlderSnapshotAfterNewer, "C-SAFE-2"),
    (Mutant::ResendsSynced, "C-SAFE-3"),
    (Mutant::SendsWithWifiOff, "C-SAFE-4"),
    (Mutant::OfflineSyncDropsQueue, "C-SAFE-5"),
];

#[test]
fn each_property_catches_its_mutants() {
    let mut missed = Vec::new();
    for &(mutant, rule) in DETECTION {
        let mut runner = TestRunner::new(Config {
            cases: 5000,
            failure_persistence: None,
            ..Config::default()
        });
        match runner.run(&story(), |story| {
            check_story(&story, Some(mutant), Some(rule))
        }) {
            Err(TestError::Fail(reason, minimal)) => {
                assert!(
                    reason.message().starts_with(rule),
                    "{mutant}: failed {reason} instead of {rule}"
                );
                eprintln!(
                    "{rule} catches {mutant}: shrunk to {} step(s): {}",
                    minimal.steps.len(),
                    reason.message()
                );
            }
            Err(other) => missed.push(format!("{mutant}: runner error {other}")),
            Ok(()) => missed.push(format!("{mutant}: {rule} never failed")),
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}
