//! Random reader lives: the proptest strategies that generate a [`Case`].
//!
//! Weights favour what finds defects: page turns and opening books are
//! common, settings changes and server failures rare; Wi-Fi usually comes up
//! first so most cases talk to the server.

use proptest::prelude::*;

use super::{documents, Case, FailedMethod, ServerFailure, Step};
use crate::model::{ConflictStrategy, Event, Position, Settings, SettingsPatch};

fn position() -> impl Strategy<Value = Position> {
    (prop::sample::select(vec![100u32, 200, 400]), 0u32..=400)
        .prop_map(|(pages, page)| Position::at_page(page % (pages + 1), pages))
}

/// Any of the three conflict strategies, equally likely.
pub fn conflict_strategy() -> impl Strategy<Value = ConflictStrategy> {
    prop_oneof![
        Just(ConflictStrategy::Silently),
        Just(ConflictStrategy::Prompt),
        Just(ConflictStrategy::Disable),
    ]
}

prop_compose! {
    /// Starting settings: sync mostly enabled, the pulls and periodic updates
    /// mostly on, Manual only rare, a few pages per sync (or the default).
    /// Also the model property test's (`tests/client/model_properties.rs`).
    pub fn settings_strategy()(
        enabled in prop::bool::weighted(0.9),
        pull_on_open in prop::bool::weighted(0.8),
        pull_on_resume in prop::bool::weighted(0.8),
        newer_strategy in conflict_strategy(),
        older_strategy in conflict_strategy(),
        periodic_updates in prop::bool::weighted(0.8),
        pages_per_sync in prop_oneof![3 => 1u32..=4, 1 => Just(crate::model::DEFAULT_PAGES_PER_SYNC)],
        set_read_on_rating in any::<bool>(),
        manual_only in prop::bool::weighted(0.2),
    ) -> Settings {
        Settings {
            enabled,
            pull_on_open,
            pull_on_resume,
            newer_strategy,
            older_strategy,
            periodic_updates,
            pages_per_sync,
            set_read_on_rating,
            manual_only,
        }
    }
}

/// A settings change of one setting, `pages_per_sync` possibly invalid
/// (-1 or 0: C-PUSH-4). Also the model property test's.
pub fn settings_patch_strategy() -> impl Strategy<Value = SettingsPatch> {
    prop_oneof![
        one_setting(any::<bool>(), |p, v| p.enabled = Some(v)),
        one_setting(any::<bool>(), |p, v| p.pull_on_open = Some(v)),
        one_setting(any::<bool>(), |p, v| p.pull_on_resume = Some(v)),
        one_setting(conflict_strategy(), |p, v| p.newer_strategy = Some(v)),
        one_setting(conflict_strategy(), |p, v| p.older_strategy = Some(v)),
        one_setting(any::<bool>(), |p, v| p.periodic_updates = Some(v)),
        one_setting(-1i64..=4, |p, v| p.pages_per_sync = Some(v)),
        one_setting(any::<bool>(), |p, v| p.set_read_on_rating = Some(v)),
        one_setting(any::<bool>(), |p, v| p.manual_only = Some(v)),
    ]
}

/// A patch that changes one setting to a value of `values`.
fn one_setting<T: std::fmt::Debug>(
    values: impl Strategy<Value = T>,
    set: fn(&mut SettingsPatch, T),
) -> impl Strategy<Value = SettingsPatch> {
    values.prop_map(move |v| {
        let mut patch = SettingsPatch::default();
        set(&mut patch, v);
        patch
    })
}

fn event() -> impl Strategy<Value = Event> {
    let [a, b] = documents();
    prop_oneof![
        3 => (prop::sample::select(vec![a, b]), position())
            .prop_map(|(document, position)| Event::BookOpened { document, position }),
        8 => position().prop_map(|position| Event::PageTurned { position }),
        2 => Just(Event::BookClosed),
        1 => Just(Event::Suspend),
        2 => Just(Event::Resume),
        2 => Just(Event::WifiConnected),
        1 => Just(Event::WifiLost),
        1 => Just(Event::WifiOff),
        1 => (1u8..=5).prop_map(|stars| Event::RatingSubmitted { stars }),
        2 => Just(Event::SyncPendingNow),
        // Menu actions of protocol 2; a client that does not declare them
        // never gets them (`case_as_run_by`). Sign-in is not generated: no
        // rule of the catalogue governs it yet, so a difference in it could
        // name no rule.
        1 => Just(Event::PushNow),
        1 => Just(Event::PullNow),
        2 => any::<bool>().prop_map(|accept| Event::PromptAnswered { accept }),
        3 => prop::sample::select(vec![1u64, 5, 10, 24, 25, 26, 60])
            .prop_map(|seconds| Event::TimePassed { seconds }),
        2 => settings_patch_strategy().prop_map(|patch| Event::SettingsChanged { patch }),
    ]
}

/// One step of a case, or a burst of server failures: the same request
/// failing again and again is how a retry loses an update (C-SAFE-1), and
/// single failures alone seldom hit one item twice.
fn steps() -> impl Strategy<Value = Vec<Step>> {
    let [a, b] = documents();
    prop_oneof![
        20 => event().prop_map(|event| vec![Step::Reader { event }]),
        2 => (prop::sample::select(vec![a, b]), position())
            .prop_map(|(document, position)| vec![Step::RemoteProgress { document, position }]),
        1 => (
            prop_oneof![
                Just(ServerFailure::Status(500)),
                Just(ServerFailure::Status(503)),
                Just(ServerFailure::Status(403)),
                Just(ServerFailure::Dropped),
                Just(ServerFailure::Garbage),
            ],
            prop_oneof![Just(FailedMethod::Get), Just(FailedMethod::Put)],
            prop_oneof![3 => Just(1usize), 1 => Just(2), 1 => Just(3)],
        )
            .prop_map(|(failure, method, times)| {
                vec![Step::ServerFails { failure, method }; times]
            }),
    ]
}

/// Random cases: start settings, usually Wi-Fi coming up first, then up to `max_steps` steps.
pub fn case_strategy(max_steps: usize) -> impl Strategy<Value = Case> {
    (
        settings_strategy(),
        prop::bool::weighted(0.85),
        prop::collection::vec(steps(), 1..=max_steps.max(1)),
    )
        .prop_map(move |(settings, wifi_first, bursts)| {
            let mut steps: Vec<Step> = bursts.into_iter().flatten().collect();
            steps.truncate(max_steps.max(1));
            if wifi_first {
                steps.insert(
                    0,
                    Step::Reader {
                        event: Event::WifiConnected,
                    },
                );
            }
            Case { settings, steps }
        })
}
