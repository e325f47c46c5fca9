//! Every mutant of the model is observably broken: for each one a short
//! reader's story and a check of the rule it breaks, which holds for the
//! reference model and fails for the mutant. The `match` in [`case`] is
//! exhaustive, so a new mutant does not compile without its case.

use crate::support;

use kosync_contract::contract::catalogue;
use kosync_contract::model::sim::{Fault, SimServer};
use kosync_contract::model::{Effect, Event, Mutant, Profile, Settings};
use support::*;

struct Case {
    settings: Settings,
    setup: fn(&mut SimServer),
    events: Vec<Event>,
    /// The broken rule, checked on the trace: true for a conformant client.
    holds: fn(&Trace) -> bool,
}

fn nothing(_: &mut SimServer) {}
fn ahead(s: &mut SimServer) {
    s.hold(A, 0.5, "50");
}
fn behind(s: &mut SimServer) {
    s.hold(A, 0.2, "20");
}

fn with(f: impl FnOnce(&mut Settings)) -> Settings {
    let mut s = enabled();
    f(&mut s);
    s
}

fn has_auth_key(t: &Trace) -> bool {
    !t.journal.is_empty()
        && t.journal.iter().all(|e| {
            e.request
                .headers
                .iter()
                .any(|(n, v)| n == "x-auth-key" && *v == config().key)
        })
}

/// The story that tells `mutant` from the reference model, or `None` when the
/// mutant is only visible through a driver (tested in `tests/model_driver.rs`).
fn case(mutant: Mutant) -> Option<Case> {
    use Event::*;
    use Mutant::*;
    let on = WifiConnected;
    let c = |settings, setup, events, holds| {
        Some(Case {
            settings,
            setup,
            events,
            holds,
        })
    };
    match mutant {
        PushesWhenDisabled => c(
            Settings::default(),
            nothing,
            vec![on, open(A, 1), BookClosed],
            |t| t.pushes() == 0,
        ),
        PullsWhenDisabled => c(Settings::default(), nothing, vec![on, open(A, 1)], |t| {
            t.pulls() == 0
        }),
        QueuesWhenDisabled => c(
            Settings::default(),
            nothing,
            vec![open(A, 1), BookClosed],
            |t| t.queue.pending == 0,
        ),
        WrongPullPath => c(enabled(), nothing, vec![on, open(A, 1)], |t| {
            t.journal[0].request.path == format!("/api/koreader/syncs/progress/{A}")
        }),
        WrongPushPath => c(enabled(), nothing, vec![on, open(A, 1)], |t| {
            t.journal
                .iter()
                .filter(|e| e.request.method == "PUT")
                .all(|e| e.request.path == "/api/koreader/syncs/progress")
                && t.queue.synced == 1
        }),
        PushOmitsTimestamp => c(enabled(), nothing, vec![on, open(A, 1)], |t| {
            t.pushed()[0]["timestamp"].is_i64()
        }),
        TimestampInMilliseconds => c(enabled(), nothing, vec![on, open(A, 1)], |t| {
            t.pushed()[0]["timestamp"]
                .as_i64()
                .is_some_and(|ts| ts < 10_000_000_000)
        }),
        DocumentUppercase => c(enabled(), nothing, vec![on, open(A, 1)], |t| {
            t.pushed()[0]["document"] == A && t.journal[0].request.path.ends_with(A)
        }),
        PlainPasswordSent => None,
        MissingAuthKey => c(enabled(), nothing, vec![on, open(A, 1)], has_auth_key),
        NoPullOnOpen => c(enabled(), nothing, vec![on, open(A, 1)], |t| t.pulls() == 1),
        ResumeDoesNotPull => c(
            with(|s| s.pull_on_open = false),
            nothing,
            vec![on, open(A, 1), Resume],
            |t| t.pulls() == 1,
        ),
        PullsWithWifiOff => c(enabled(), nothing, vec![open(A, 1)], |t| t.pulls() == 0),
        PullsWhenWifiReturns => c(enabled(), nothing, vec![open(A, 1), on, wait(5)], |t| {
            t.pulls() == 0
        }),
        PullOnOpenIgnoresToggle => c(
            with(|s| s.pull_on_open = false),
            nothing,
            vec![on, open(A, 1)],
            |t| t.pulls() == 0,
        ),
        PullOnResumeIgnoresToggle => c(
            with(|s| s.pull_on_resume = false),
            nothing,
            vec![on, open(A, 1), Resume],
            |t| t.pulls() == 1,
        ),
        NoticeOn404 => c(enabled(), nothing, vec![on, open(A, 1)], |t| {
            !t.effects
                .iter()
                .any(|e| matches!(e, Effect::NoticeShown { .. }))
        }),
        PromptOn404 => c(enabled(), nothing, vec![on, open(A, 1)], |t| {
            t.prompts() == 0
        }),
        FailedPullTreatedAsZero => c(
            strategies(
                kosync_contract::model::ConflictStrategy::Silently,
                kosync_contract::model::ConflictStrategy::Silently,
            ),
            |s| s.faults.push_back(Fault::Status(500)),
            vec![on, open(A, 50)],
            |t| t.applied().is_empty(),
        ),
        // A's snapshots are queued offline, then A is opened over B with
        // Wi-Fi up: its pull goes first, before any of them.
        CloseUploadsBeforePull => c(
            enabled(),
            nothing,
            vec![open(A, 20), open(B, 10), on, open(A, 20)],
            |t| t.journal.first().is_some_and(|e| e.request.method == "GET"),
        ),
        UploadBeforePull => c(enabled(), nothing, vec![on, open(A, 1)], |t| {
            // No batch both asks for a pull and already uploads.
            t.batches.iter().all(|b| {
                let methods: Vec<&str> = b
                    .iter()
                    .filter_map(|e| match e {
                        Effect::Http(r) => Some(r.method.as_str()),
                        _ => None,
                    })
                    .collect();
                !(methods.contains(&"GET") && methods.contains(&"PUT"))
            }) && t.pushes() == 1
        }),
        DirectionSwapped => c(
            strategies(
                kosync_contract::model::ConflictStrategy::Silently,
                kosync_contract::model::ConflictStrategy::Disable,
            ),
            ahead,
            vec![on, open(A, 10)],
            |t| t.applied() == vec![at(50)],
        ),
        WrongNewerDefault => c(enabled(), ahead, vec![on, open(A, 10)], |t| {
            t.prompts() == 1 && t.applied().is_empty()
        }),
        WrongOlderDefault => c(enabled(), behind, vec![on, open(A, 60)], |t| {
            t.applied().is_empty() && t.prompts() == 0
        }),
        SilentlyPrompts => c(
            strategies(
                kosync_contract::model::ConflictStrategy::Silently,
                kosync_contract::model::ConflictStrategy::Disable,
            ),
            ahead,
            vec![on, open(A, 10)],
            |t| t.prompts() == 0 && t.applied() == vec![at(50)],
        ),
        PromptAppliesWithoutAsking => c(enabled(), ahead, vec![on, open(A, 10)], |t| {
            t.prompts() == 1 && t.applied().is_empty()
        }),
        PromptDirectionReversed => c(enabled(), ahead, vec![on, open(A, 10)], |t| {
            t.effects.iter().any(|e| {
                matches!(
                    e,
                    Effect::PromptShown {
                        direction: kosync_contract::model::Direction::Newer,
                        ..
                    }
                )
            })
        }),
        DeclineApplies => c(
            enabled(),
            ahead,
            vec![on, open(A, 10), answer(false)],
            |t| t.applied().is_empty() && t.position == Some(at(10)),
        ),
        OlderDirectionApplied => c(enabled(), behind, vec![on, open(A, 60)], |t| {
            t.applied().is_empty()
        }),
        DisableStillPrompts => c(enabled(), behind, vec![on, open(A, 60)], |t| {
            t.prompts() == 0
        }),
        EqualPositionsPrompt => c(
            enabled(),
            |s| s.hold(A, 0.1, "10"),
            vec![on, open(A, 10)],
            |t| t.prompts() == 0,
        ),
        NoOpenSnapshot => c(enabled(), nothing, vec![open(A, 1)], |t| {
            t.queue.pending == 1
        }),
        NoCloseSnapshot => c(enabled(), nothing, vec![open(A, 1), BookClosed], |t| {
            t.queue.pending == 2
        }),
        CounterNeverRestarts => c(
            with(|s| s.pages_per_sync = 2),
            nothing,
            vec![open(A, 1), turn(2), turn(3), turn(4), turn(5)],
            |t| t.queue.pending == 3,
        ),
        PeriodicOffByOne => c(
            with(|s| s.pages_per_sync = 2),
            nothing,
            vec![open(A, 1), turn(2), turn(3)],
            |t| t.queue.pending == 2,
        ),
        AcceptsPagesBelowOne => c(
            enabled(),
            nothing,
            vec![patch(|p| p.pages_per_sync = Some(0))],
            |t| {
                t.effects
                    .iter()
                    .any(|e| matches!(e, Effect::SettingsRejected { .. }))
            },
        ),
        PeriodicIgnoresToggle => c(
            with(|s| {
                s.periodic_updates = false;
                s.pages_per_sync = 1;
            }),
            nothing,
            vec![open(A, 1), turn(2), turn(3)],
            |t| t.queue.pending == 1,
        ),
        NoDebounce => c(
            with(|s| {
                s.pages_per_sync = 1;
                s.pull_on_open = false;
            }),
            nothing,
            vec![on, open(A, 1), wait(10), turn(2)],
            |t| t.pushes() == 1 && t.queue.pending == 1,
        ),
        DebounceDelays => c(
            with(|s| {
                s.pages_per_sync = 1;
                s.pull_on_open = false;
            }),
            nothing,
            vec![on, open(A, 1), wait(10), turn(2), wait(30)],
            |t| t.pushes() == 1 && t.queue.pending == 1,
        ),
        // Pushed 11 s or 59 s after the turn: wait past it.
        LatePagePush | LastMinutePagePush => c(
            with(|s| {
                s.pages_per_sync = 1;
                s.pull_on_open = false;
            }),
            nothing,
            vec![on, open(A, 1), turn(2), wait(60)],
            |t| t.pushes() == 1 && t.queue.pending == 1,
        ),
        NoAutoUpload => c(enabled(), nothing, vec![on, open(A, 1)], |t| {
            t.pushes() == 1 && t.queue.synced == 1
        }),
        IgnoresReadOnRating => c(
            with(|s| s.set_read_on_rating = true),
            nothing,
            vec![open(A, 1), RatingSubmitted { stars: 4 }],
            |t| t.queue.pending == 2,
        ),
        RatingKeepsPercentage => c(
            with(|s| s.set_read_on_rating = true),
            nothing,
            vec![on, open(A, 30), RatingSubmitted { stars: 4 }],
            |t| t.pushed().get(1).is_some_and(|b| b["percentage"] == 1.0),
        ),
        RatingQueuesWhenOff => c(
            enabled(),
            nothing,
            vec![open(A, 1), RatingSubmitted { stars: 4 }],
            |t| t.queue.pending == 1,
        ),
        SnapshotDroppedWhenOffline => c(enabled(), nothing, vec![open(A, 1)], |t| {
            t.queue.pending == 1
        }),
        SyncPendingNowIgnored => c(
            with(|s| s.manual_only = true),
            nothing,
            vec![on, open(A, 1), SyncPendingNow],
            |t| t.queue.synced == 1,
        ),
        DropsFailedUpload => c(
            with(|s| s.pull_on_open = false),
            |s| s.faults.push_back(Fault::Status(500)),
            vec![on, open(A, 1)],
            |t| t.queue.pending == 1,
        ),
        DropsUnansweredUpload => c(
            with(|s| s.pull_on_open = false),
            |s| s.faults.push_back(Fault::Transport),
            vec![on, open(A, 1)],
            |t| t.queue.pending == 1,
        ),
        QueueSummaryWrongLetter => c(enabled(), nothing, vec![open(A, 1)], |t| t.summary == "1P"),
        SyncedNotCounted => c(enabled(), nothing, vec![on, open(A, 1)], |t| {
            t.queue.synced == 1 && t.queue.pending == 0
        }),
        ManualOnlyDropsSnapshots => c(
            with(|s| s.manual_only = true),
            nothing,
            vec![open(A, 1)],
            |t| t.queue.pending == 1,
        ),
        UploadsInManualOnly => c(
            with(|s| s.manual_only = true),
            nothing,
            vec![on, open(A, 1)],
            |t| t.pushes() == 0,
        ),
        SyncPendingNowIgnoredInManualOnly => c(
            with(|s| s.manual_only = true),
            nothing,
            vec![on, open(A, 1), SyncPendingNow],
            |t| t.pushes() == 1,
        ),
        PullsInManualOnly => c(
            with(|s| s.manual_only = true),
            nothing,
            vec![on, open(A, 1)],
            |t| t.pulls() == 0,
        ),
        OlderSnapshotAfterNewer => c(
            with(|s| s.pull_on_open = false),
            nothing,
            vec![open(A, 10), turn(20), BookClosed, on, SyncPendingNow],
            |t| t.pushed().last().is_some_and(|b| b["progress"] == "20"),
        ),
        ResendsSynced => c(
            with(|s| s.pull_on_open = false),
            nothing,
            vec![on, open(A, 1), open(B, 1)],
            |t| t.pushes() == 3,
        ),
        SendsWithWifiOff => c(enabled(), nothing, vec![open(A, 1), SyncPendingNow], |t| {
            t.journal.is_empty()
        }),
        OfflineSyncDropsQueue => c(enabled(), nothing, vec![open(A, 1), SyncPendingNow], |t| {
            t.queue.pending == 1
        }),
        SecondFailureCountedAsSent => c(
            with(|s| s.pull_on_open = false),
            |s| {
                s.faults.push_back(Fault::Status(500));
                s.faults.push_back(Fault::Status(500));
            },
            vec![on, open(A, 1), SyncPendingNow],
            |t| t.queue.pending == 1 && t.queue.synced == 0,
        ),
        OpenSnapshotKeepsOldPosition => c(
            strategies(
                kosync_contract::model::ConflictStrategy::Silently,
                kosync_contract::model::ConflictStrategy::Silently,
            ),
            ahead,
            vec![on, open(A, 10)],
            |t| last_push_at(t, 0.5),
        ),
        // The KOReader profile's client (`Mutant::profile`).
        KoResendFailureDropped => c(
            enabled(),
            |s| {
                s.faults.push_back(Fault::Status(500));
                s.faults.push_back(Fault::Status(500));
            },
            vec![open(A, 1), BookClosed, on, WifiLost, WifiConnected],
            |t| t.queue.pending == 1,
        ),
        KoStaleQueueOverwrites => c(
            enabled(),
            nothing,
            vec![open(A, 10), BookClosed, open(A, 10), turn(30), on],
            |t| {
                t.pushed()
                    .last()
                    .is_some_and(|b| b["percentage"].as_f64() == Some(0.3))
            },
        ),
        KoQueueNeedsOpenBook => c(enabled(), nothing, vec![open(A, 10), BookClosed, on], |t| {
            t.pushes() == 1
        }),
        KoNoDebounce => c(
            enabled(),
            nothing,
            vec![on, open(A, 10), Resume, wait(2)],
            |t| t.pulls() == 1,
        ),
        KoPeriodicAtOnce => c(
            with(|s| s.pages_per_sync = 1),
            nothing,
            vec![on, open(A, 10), wait(30), turn(11)],
            |t| t.pushes() == 0,
        ),
        KoNoClosePush => c(
            enabled(),
            nothing,
            vec![on, open(A, 10), wait(30), BookClosed],
            |t| t.pushes() == 1,
        ),
        KoNoNetworkPull => c(enabled(), nothing, vec![open(A, 10), on, wait(2)], |t| {
            t.pulls() == 1
        }),
        KoFailedPullSilent => c(enabled(), nothing, vec![on, open(A, 10)], |t| {
            t.effects.iter().any(|e| {
                matches!(
                    e,
                    Effect::NoticeShown {
                        level: kosync_contract::model::NoticeLevel::Error,
                        ..
                    }
                )
            })
        }),
        KoFailedPushNotQueued => c(
            enabled(),
            |s| {
                s.faults.push_back(Fault::Status(404));
                s.faults.push_back(Fault::Status(500));
            },
            vec![on, open(A, 10), BookClosed],
            |t| t.queue.pending == 1,
        ),
        KoAppliedPositionForgotten => c(
            strategies(
                kosync_contract::model::ConflictStrategy::Silently,
                kosync_contract::model::ConflictStrategy::Silently,
            ),
            ahead,
            vec![on, open(A, 10), BookClosed],
            |t| last_push_at(t, 0.5),
        ),
        KoDirectionByPercentage => c(enabled(), behind, vec![on, open(A, 60)], |t| {
            // Right after opening any record counts as newer: Prompt asks.
            t.prompts() == 1
        }),
    }
}

/// Whether the last push carried `percentage`.
fn last_push_at(t: &Trace, percentage: f64) -> bool {
    t.pushed()
        .last()
        .and_then(|b| b["percentage"].as_f64())
        .is_some_and(|p| (p - percentage).abs() < 1e-9)
}

fn run(case: &Case, mutant: Option<Mutant>, profile: Profile) -> Trace {
    play_profile(
        profile,
        case.settings.clone(),
        mutant,
        case.setup,
        case.events.iter().cloned(),
    )
}

#[test]
fn every_mutant_is_caught_by_its_rule() {
    let mut failures = Vec::new();
    for &mutant in Mutant::ALL {
        let Some(case) = case(mutant) else {
            continue;
        };
        let reference = run(&case, None, mutant.profile());
        let broken = run(&case, Some(mutant), mutant.profile());
        if !(case.holds)(&reference) {
            failures.push(format!(
                "{mutant} ({}): the reference model fails the check: {reference:#?}",
                mutant.breaks()
            ));
        }
        if (case.holds)(&broken) {
            failures.push(format!(
                "{mutant} ({}): not caught; its trace passes the check",
                mutant.breaks()
            ));
        }
        if reference == broken {
            failures.push(format!("{mutant}: traces are identical"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mutants_cite_catalogue_rules() {
    for &mutant in Mutant::ALL {
        let id = mutant.breaks();
        // C-PULL-7 is proposed to the catalogue with this model.
        assert!(
            catalogue::find(id).is_some() || id == "C-PULL-7",
            "{mutant} cites unknown rule {id}"
        );
    }
}

#[test]
fn every_must_client_rule_has_a_mutant() {
    use catalogue::{Level, Side};
    let missing: Vec<&str> = catalogue::all()
        .iter()
        .filter(|r| r.side == Side::Client && r.level == Level::Must)
        .map(|r| r.id)
        .filter(|id| !Mutant::ALL.iter().any(|m| m.breaks() == *id))
        .collect();
    assert!(
        missing.is_empty(),
        "MUST rules without a mutant: {missing:?}"
    );
}

#[test]
fn mutant_names_parse_back() {
    for &mutant in Mutant::ALL {
        assert_eq!(mutant.name().parse::<Mutant>(), Ok(mutant));
    }
}
