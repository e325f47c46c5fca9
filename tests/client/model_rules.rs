//! The reference model, rule by rule: each test plays a short reader's story
//! against the in-memory stand-in server and checks what a user or the
//! server would see.
//!
//! One file because it is one checklist: a test per client rule in the
//! catalogue's order, read side by side with `rules.md`; its length is the
//! number of rules, and each test is short.

use crate::support;

use kosync_contract::model::sim::{drive, Fault};
use kosync_contract::model::{
    ConflictStrategy::{Disable, Prompt, Silently},
    Direction, Effect, Event, HttpOutcome, QueueCounts, Settings, DEBOUNCE_SECONDS,
};
use support::*;

fn online() -> Event {
    Event::WifiConnected
}

#[test]
fn disabled_by_default_sends_and_queues_nothing_c_en_1_c_en_2() {
    let t = play(
        Settings::default(),
        None,
        |s| s.hold(A, 0.5, "50"),
        [
            online(),
            open(A, 10),
            turn(20),
            Event::Resume,
            Event::SyncPendingNow,
            Event::BookClosed,
        ],
    );
    assert!(t.journal.is_empty(), "C-EN-1: {:?}", t.journal);
    assert_eq!(t.queue, QueueCounts::default(), "C-EN-2");
}

#[test]
fn items_queued_before_disabling_stay_untouched_c_en_2() {
    let t = play_on_empty_server(
        enabled(),
        [
            open(A, 10),
            Event::BookClosed,
            patch(|p| p.enabled = Some(false)),
            online(),
            Event::SyncPendingNow,
            open(A, 30),
        ],
    );
    assert!(t.journal.is_empty());
    assert_eq!(t.queue.pending, 2);
}

#[test]
fn open_pulls_first_then_uploads_open_snapshot_c_pull_1_c_push_1_c_pull_7() {
    let t = play_on_empty_server(enabled(), [online(), open(A, 10)]);
    let paths: Vec<_> = t
        .journal
        .iter()
        .map(|e| format!("{} {}", e.request.method, e.request.path))
        .collect();
    assert_eq!(
        paths,
        [
            format!("GET /api/koreader/syncs/progress/{A}"),
            "PUT /api/koreader/syncs/progress".to_string()
        ]
    );
    assert_eq!(
        t.queue,
        QueueCounts {
            pending: 0,
            synced: 1
        }
    );
    // The GET was answered 404 (nothing held), so nothing else happened (C-PULL-5).
    assert!(t
        .effects
        .iter()
        .all(|e| matches!(e, Effect::Http(_) | Effect::QueueChanged(_))));
}

#[test]
fn upload_waits_for_the_pull_answer_c_pull_7() {
    let mut c = reference(enabled());
    c.handle(online());
    let effects = c.handle(open(A, 10));
    let http: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Http(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(http.len(), 1, "only the pull goes out first");
    assert_eq!(http[0].method, "GET");
    assert_eq!(c.queue().pending, 1);
    let after = c.handle(Event::HttpCompleted {
        id: http[0].id,
        outcome: HttpOutcome::Response {
            status: 404,
            body: "{}".into(),
        },
    });
    assert!(matches!(&after[..], [Effect::Http(r)] if r.method == "PUT"));
}

#[test]
fn push_body_and_headers_c_wire_2_c_wire_4() {
    let t = play_on_empty_server(enabled(), [online(), wait(7), open(A, 42)]);
    let put = &t.journal[1].request;
    let body = put.body.clone().expect("push has a body");
    assert_eq!(body["document"], A);
    assert_eq!(body["percentage"], 0.42);
    assert_eq!(body["progress"], "42");
    assert_eq!(body["timestamp"], CLOCK_START + 7);
    assert_eq!(body["device"], "Kobo");
    assert_eq!(body["device_id"], "DEV1");
    let header = |n: &str| {
        put.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("x-auth-user").as_deref(), Some(USER));
    assert_eq!(
        header("x-auth-key"),
        Some(kosync_contract::protocol::key_for_password(PASSWORD))
    );
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert_eq!(
        header("accept").as_deref(),
        Some("application/vnd.koreader.v1+json")
    );
    assert!(put.headers.iter().all(|(_, v)| v != PASSWORD));
}

#[test]
fn no_pull_with_wifi_off_and_snapshot_waits_c_pull_3_c_push_8() {
    let t = play(
        enabled(),
        None,
        |s| s.hold(A, 0.9, "90"),
        [open(A, 10), turn(11)],
    );
    assert!(t.journal.is_empty());
    assert_eq!(t.queue.pending, 1);
}

#[test]
fn pull_toggles_c_pull_4() {
    let settings = Settings {
        pull_on_open: false,
        pull_on_resume: false,
        ..enabled()
    };
    let t = play_on_empty_server(settings, [online(), open(A, 10), Event::Resume]);
    assert_eq!(t.pulls(), 0);
    assert_eq!(t.pushes(), 1);
}

#[test]
fn resume_pulls_suspend_does_nothing_c_pull_2() {
    let t = play_on_empty_server(
        enabled(),
        [online(), open(A, 10), Event::Suspend, Event::Resume],
    );
    assert_eq!(t.pulls(), 2);
    let t = play_on_empty_server(enabled(), [online(), Event::Resume]);
    assert_eq!(t.pulls(), 0, "resume without a book pulls nothing");
}

#[test]
fn newer_remote_prompts_by_default_and_accept_applies_c_conf_1_c_conf_4() {
    let t = play(
        enabled(),
        None,
        |s| s.hold(A, 0.5, "50"),
        [online(), open(A, 10), answer(true), Event::BookClosed],
    );
    let prompt = t.effects.iter().find_map(|e| match e {
        Effect::PromptShown {
            direction,
            proposed,
            ..
        } => Some((*direction, proposed.clone())),
        _ => None,
    });
    assert_eq!(prompt, Some((Direction::Newer, at(50))));
    assert_eq!(t.applied(), vec![at(50)]);
    // The close snapshot carries the applied position.
    let last = t.pushed().last().cloned().expect("pushes");
    assert_eq!(last["percentage"], 0.5);
}

#[test]
fn declining_keeps_local_c_conf_4() {
    let t = play(
        enabled(),
        None,
        |s| s.hold(A, 0.5, "50"),
        [online(), open(A, 10), answer(false)],
    );
    assert_eq!(t.prompts(), 1);
    assert!(t.applied().is_empty());
    assert_eq!(t.position, Some(at(10)));
}

#[test]
fn older_remote_disabled_by_default_c_conf_2_c_conf_5() {
    let t = play(
        enabled(),
        None,
        |s| s.hold(A, 0.2, "20"),
        [online(), open(A, 60)],
    );
    assert_eq!(t.prompts(), 0);
    assert!(t.applied().is_empty());
}

#[test]
fn strategy_matrix_c_conf_3_4_5() {
    for (newer, older) in [(Silently, Silently), (Prompt, Prompt), (Disable, Disable)] {
        for (remote, local, direction) in [(50, 10, Direction::Newer), (10, 50, Direction::Older)] {
            let t = play(
                strategies(newer, older),
                None,
                |s| s.hold(A, f64::from(remote) / 100.0, &remote.to_string()),
                [online(), open(A, local)],
            );
            let strategy = if direction == Direction::Newer {
                newer
            } else {
                older
            };
            match strategy {
                Silently => {
                    assert_eq!(t.applied(), vec![at(remote)]);
                    assert_eq!(t.prompts(), 0);
                }
                Prompt => {
                    assert!(t.applied().is_empty());
                    assert_eq!(t.prompts(), 1);
                }
                Disable => {
                    assert!(t.applied().is_empty());
                    assert_eq!(t.prompts(), 0);
                }
            }
        }
    }
}

#[test]
fn equal_positions_do_nothing_c_conf_6() {
    let s = strategies(Silently, Silently);
    // Same marker, different percentage.
    let t = play(
        s.clone(),
        None,
        |s| s.hold(A, 0.9, "10"),
        [online(), open(A, 10)],
    );
    assert!(t.applied().is_empty());
    // Same floored percentage, different marker.
    let t = play(
        s,
        None,
        |s| s.hold(A, 0.10004, "x"),
        [online(), open(A, 10)],
    );
    assert!(t.applied().is_empty());
}

#[test]
fn failed_or_malformed_pulls_change_nothing_c_pull_5_c_pull_6() {
    let faults = [
        Fault::Status(404),
        Fault::Status(500),
        Fault::Status(401),
        Fault::Transport,
        Fault::Garbage,
    ];
    for fault in faults {
        let t = play(
            strategies(Silently, Silently),
            None,
            |s| {
                s.hold(A, 0.5, "50");
                s.faults.push_back(fault.clone());
            },
            [online(), open(A, 10)],
        );
        let visible: Vec<_> = t
            .effects
            .iter()
            .filter(|e| !matches!(e, Effect::Http(_) | Effect::QueueChanged(_)))
            .collect();
        assert!(visible.is_empty(), "{fault:?}: {visible:?}");
        assert_eq!(t.position, Some(at(10)));
    }
    for body in [
        r#"{"percentage":"0.5","progress":"50"}"#,
        r#"{"percentage":0.5,"progress":50}"#,
        r#"{"percentage":7,"progress":"50"}"#,
        r#"[1,2]"#,
        r#"{}"#,
        r#"{"percentage":null}"#,
    ] {
        let mut c = reference(strategies(Silently, Silently));
        c.handle(online());
        let pull = match &c.handle(open(A, 10))[0] {
            Effect::Http(r) => r.id,
            other => panic!("expected the pull first, got {other:?}"),
        };
        let effects = c.handle(Event::HttpCompleted {
            id: pull,
            outcome: HttpOutcome::Response {
                status: 200,
                body: body.into(),
            },
        });
        assert!(
            effects
                .iter()
                .all(|e| matches!(e, Effect::Http(_) | Effect::QueueChanged(_))),
            "{body}: {effects:?}"
        );
    }
}

#[test]
fn periodic_snapshots_every_n_and_counter_restarts_c_push_3() {
    let settings = Settings {
        pages_per_sync: 3,
        ..enabled()
    };
    let turns: Vec<Event> = (11..=17).map(turn).collect();
    let t = play_on_empty_server(settings, std::iter::once(open(A, 10)).chain(turns));
    // open + turns 13 and 16.
    assert_eq!(t.queue.pending, 3);
    let c = {
        let mut c = reference(Settings {
            pages_per_sync: 3,
            ..enabled()
        });
        c.handle(open(A, 10));
        for p in 11..=17 {
            c.handle(turn(p));
        }
        c
    };
    let progress: Vec<_> = c.pending().map(|s| s.progress.clone()).collect();
    assert_eq!(progress, ["10", "13", "16"]);
}

#[test]
fn periodic_off_queues_only_open_and_close_c_push_5() {
    let settings = Settings {
        periodic_updates: false,
        pages_per_sync: 1,
        ..enabled()
    };
    let t = play_on_empty_server(
        settings,
        [open(A, 10), turn(11), turn(12), Event::BookClosed],
    );
    assert_eq!(t.queue.pending, 2);
}

#[test]
fn pages_below_one_refused_c_push_4() {
    let mut c = reference(enabled());
    let effects = c.handle(patch(|p| {
        p.pages_per_sync = Some(0);
        p.manual_only = Some(true);
    }));
    assert!(
        matches!(&effects[..], [Effect::SettingsRejected { field, .. }] if field == "pages_per_sync")
    );
    assert_eq!(c.settings().pages_per_sync, 10);
    assert!(c.settings().manual_only, "the rest of the patch applies");
    let effects = c.handle(patch(|p| p.pages_per_sync = Some(1)));
    assert!(effects.is_empty());
    assert_eq!(c.settings().pages_per_sync, 1);
}

#[test]
fn page_uploads_debounced_skipped_not_delayed_c_push_6_c_push_7() {
    let settings = Settings {
        pages_per_sync: 1,
        ..enabled()
    };
    let t = play_on_empty_server(
        settings,
        [
            Event::WifiConnected,
            patch(|p| p.pull_on_open = Some(false)),
            open(A, 10), // run at t0
            wait(DEBOUNCE_SECONDS - 1),
            turn(11),  // skipped
            wait(100), // no timer fires
            turn(12),  // t0+124: uploads both
        ],
    );
    let at: Vec<i64> = t.journal.iter().map(|e| e.at - CLOCK_START).collect();
    assert_eq!(at, [0, 124, 124]);
    assert_eq!(
        t.queue,
        QueueCounts {
            pending: 0,
            synced: 3
        }
    );
}

#[test]
fn open_close_rating_and_sync_now_are_not_debounced_c_push_7() {
    let settings = Settings {
        set_read_on_rating: true,
        pull_on_open: false,
        ..enabled()
    };
    let t = play_on_empty_server(
        settings,
        [
            online(),
            open(A, 10),
            Event::RatingSubmitted { stars: 5 },
            Event::BookClosed,
            open(B, 3),
        ],
    );
    assert_eq!(t.pushes(), 4);
    assert_eq!(t.pushed()[1]["percentage"], 1.0);
    assert_eq!(t.pushed()[1]["progress"], "10");
}

#[test]
fn rating_off_queues_nothing_c_rate_2() {
    let t = play_on_empty_server(
        enabled(),
        [open(A, 10), Event::RatingSubmitted { stars: 3 }],
    );
    assert_eq!(t.queue.pending, 1);
}

#[test]
fn failed_upload_stays_and_retries_in_order_c_q_3_c_safe_1_c_safe_2() {
    let settings = Settings {
        pull_on_open: false,
        ..enabled()
    };
    let mut c = reference(settings);
    let mut s = server();
    drive(&mut c, &mut s, open(A, 10));
    drive(&mut c, &mut s, turn(30));
    drive(&mut c, &mut s, Event::BookClosed);
    assert_eq!(c.queue().pending, 2);
    drive(&mut c, &mut s, online());
    s.faults.push_back(Fault::Status(500));
    drive(&mut c, &mut s, Event::SyncPendingNow);
    assert_eq!(
        c.queue(),
        QueueCounts {
            pending: 2,
            synced: 0
        },
        "C-Q-3"
    );
    s.faults.push_back(Fault::Transport);
    drive(&mut c, &mut s, Event::SyncPendingNow);
    assert_eq!(c.queue().pending, 2);
    drive(&mut c, &mut s, Event::SyncPendingNow);
    assert_eq!(
        c.queue(),
        QueueCounts {
            pending: 0,
            synced: 2
        }
    );
    assert_eq!(c.queue_summary(), "0P");
    let stored = s.records.get(A).expect("stored");
    assert_eq!(
        stored.progress, "30",
        "C-SAFE-2: the close snapshot is last"
    );
    let puts: Vec<_> = s
        .journal
        .iter()
        .filter(|e| e.request.method == "PUT")
        .map(|e| e.request.body.as_ref().map(|b| b["progress"].clone()))
        .collect();
    assert_eq!(
        puts.len(),
        4,
        "two failures, then both items once each (C-SAFE-3)"
    );
}

#[test]
fn first_failure_stops_the_run() {
    let settings = Settings {
        pull_on_open: false,
        ..enabled()
    };
    let t = play(
        settings,
        None,
        |s| {
            s.faults.push_back(Fault::Status(200));
            s.faults.push_back(Fault::Status(503));
        },
        [
            open(A, 10),
            turn(20),
            Event::BookClosed,
            open(B, 1),
            online(),
            Event::SyncPendingNow,
        ],
    );
    assert_eq!(t.pushes(), 2);
    assert_eq!(
        t.queue,
        QueueCounts {
            pending: 2,
            synced: 1
        }
    );
    assert_eq!(t.summary, "2P", "C-Q-4");
}

#[test]
fn manual_only_queues_but_uploads_only_on_sync_now_c_man_1_2_3_4() {
    let settings = Settings {
        manual_only: true,
        ..enabled()
    };
    let t = play(
        settings.clone(),
        None,
        |s| s.hold(A, 0.9, "90"),
        [online(), open(A, 10), Event::Resume, Event::BookClosed],
    );
    assert!(t.journal.is_empty(), "C-MAN-2, C-MAN-4");
    assert_eq!(t.queue.pending, 2, "C-MAN-1");
    let t = play_on_empty_server(
        settings,
        [
            online(),
            open(A, 10),
            Event::BookClosed,
            Event::SyncPendingNow,
        ],
    );
    assert_eq!(t.pushes(), 2, "C-MAN-3");
    assert_eq!(
        t.queue,
        QueueCounts {
            pending: 0,
            synced: 2
        }
    );
}

#[test]
fn sync_now_offline_keeps_everything_c_safe_5() {
    let mut c = reference(enabled());
    c.handle(open(A, 10));
    c.handle(Event::BookClosed);
    let effects = c.handle(Event::SyncPendingNow);
    assert!(effects.is_empty());
    assert_eq!(c.queue().pending, 2);
}

#[test]
fn wifi_drop_mid_run_stops_after_the_in_flight_put_c_safe_4() {
    let mut c = reference(Settings {
        pull_on_open: false,
        ..enabled()
    });
    c.handle(open(A, 10));
    c.handle(turn(11));
    c.handle(Event::BookClosed);
    c.handle(online());
    let first = match &c.handle(Event::SyncPendingNow)[..] {
        [Effect::Http(r)] => r.id,
        other => panic!("{other:?}"),
    };
    assert!(c.handle(Event::WifiLost).is_empty());
    let after = c.handle(Event::HttpCompleted {
        id: first,
        outcome: HttpOutcome::Response {
            status: 200,
            body: "{}".into(),
        },
    });
    assert_eq!(
        after,
        [Effect::QueueChanged(QueueCounts {
            pending: 1,
            synced: 1
        })]
    );
    assert!(!c.awaiting_answers());
}

#[test]
fn triggers_during_a_run_are_folded_in() {
    let mut c = reference(Settings {
        pull_on_open: false,
        pages_per_sync: 1,
        ..enabled()
    });
    c.handle(online());
    let first = match &c.handle(open(A, 10))[..] {
        [Effect::QueueChanged(_), Effect::Http(r)] => r.id,
        other => panic!("{other:?}"),
    };
    // A page snapshot while the PUT is in flight: no second PUT now.
    let during = c.handle(turn(11));
    assert_eq!(
        during,
        [Effect::QueueChanged(QueueCounts {
            pending: 2,
            synced: 0
        })]
    );
    let after = c.handle(Event::HttpCompleted {
        id: first,
        outcome: HttpOutcome::Response {
            status: 200,
            body: "{}".into(),
        },
    });
    assert!(
        matches!(&after[..], [Effect::QueueChanged(_), Effect::Http(r)] if r.body.as_ref().is_some_and(|b| b["progress"] == "11"))
    );
}

#[test]
fn opening_another_book_closes_the_first() {
    let t = play(
        Settings {
            pull_on_open: false,
            ..enabled()
        },
        None,
        |_| {},
        [open(A, 10), turn(12), open(B, 5)],
    );
    assert_eq!(t.queue.pending, 3);
    let t = play(
        enabled(),
        None,
        |s| s.hold(B, 0.9, "90"),
        [online(), open(A, 10), open(B, 5)],
    );
    // A's close snapshot waits for B's pull: GET A, PUT A(open), GET B, PUT A(close), PUT B.
    let order: Vec<_> = t
        .journal
        .iter()
        .map(|e| {
            (
                e.request.method.clone(),
                e.request
                    .body
                    .as_ref()
                    .map(|b| b["document"].as_str().unwrap_or_default().to_string()),
            )
        })
        .collect();
    assert_eq!(order[2].0, "GET");
    assert_eq!(order.len(), 5);
    assert_eq!(t.prompts(), 1);
}

#[test]
fn late_pull_answers_for_a_closed_book_are_ignored() {
    let mut c = reference(strategies(Silently, Silently));
    c.handle(online());
    let pull = match &c.handle(open(A, 10))[0] {
        Effect::Http(r) => r.id,
        other => panic!("{other:?}"),
    };
    c.handle(Event::BookClosed);
    let effects = c.handle(Event::HttpCompleted {
        id: pull,
        outcome: HttpOutcome::Response {
            status: 200,
            body: r#"{"percentage":0.5,"progress":"50"}"#.into(),
        },
    });
    assert!(effects
        .iter()
        .all(|e| !matches!(e, Effect::PositionApplied { .. })));
}

#[test]
fn unknown_answers_and_prompt_answers_without_prompt_are_ignored() {
    let mut c = reference(enabled());
    assert!(c
        .handle(Event::HttpCompleted {
            id: 999,
            outcome: HttpOutcome::TransportError {
                message: "x".into()
            }
        })
        .is_empty());
    assert!(c.handle(answer(true)).is_empty());
    assert!(c.handle(turn(5)).is_empty(), "page turn without a book");
}

#[test]
fn push_now_queues_and_uploads_at_once_even_in_manual_only_and_inside_the_debounce() {
    let manual_only = Settings {
        manual_only: true,
        pages_per_sync: 1,
        ..enabled()
    };
    let t = play_on_empty_server(
        manual_only,
        [online(), open(A, 10), turn(11), Event::PushNow],
    );
    // Manual only: the open and page snapshots wait; "push now" uploads them
    // and its own snapshot of where the reader is, oldest first.
    let pushed: Vec<_> = t.pushed().iter().map(|b| b["percentage"].clone()).collect();
    assert_eq!(pushed, [0.10, 0.11, 0.11]);
    assert_eq!(
        t.queue,
        QueueCounts {
            pending: 0,
            synced: 3
        }
    );

    let t = play_on_empty_server(
        Settings {
            pages_per_sync: 1,
            ..enabled()
        },
        [online(), open(A, 10), turn(11), Event::PushNow],
    );
    // The page upload falls in the debounce window; the manual push does not.
    assert_eq!(t.pushes(), 3, "{:?}", t.journal);
}

#[test]
fn push_now_sends_nothing_disabled_offline_or_without_a_book() {
    let off = play_on_empty_server(Settings::default(), [online(), open(A, 10), Event::PushNow]);
    assert!(off.journal.is_empty(), "C-EN-1");
    let offline = play_on_empty_server(enabled(), [open(A, 10), Event::PushNow]);
    assert!(offline.journal.is_empty(), "C-SAFE-4");
    assert_eq!(offline.queue.pending, 2, "the snapshot waits (C-SAFE-5)");
    let no_book = play_on_empty_server(enabled(), [online(), Event::PushNow]);
    assert!(no_book.journal.is_empty());
}

#[test]
fn pull_now_pulls_whatever_the_toggles_and_manual_only_say() {
    let toggles_off = Settings {
        pull_on_open: false,
        pull_on_resume: false,
        manual_only: true,
        newer_strategy: Silently,
        ..enabled()
    };
    let t = play(
        toggles_off,
        None,
        |s| s.hold(A, 0.5, "50"),
        [online(), open(A, 10), Event::PullNow],
    );
    assert_eq!(t.pulls(), 1, "{:?}", t.journal);
    assert_eq!(t.applied(), [at(50)]);
    let offline = play(
        enabled(),
        None,
        |s| s.hold(A, 0.5, "50"),
        [open(A, 10), Event::PullNow],
    );
    assert!(offline.journal.is_empty(), "C-PULL-3");
    let disabled = play(
        Settings::default(),
        None,
        |s| s.hold(A, 0.5, "50"),
        [online(), open(A, 10), Event::PullNow],
    );
    assert!(disabled.journal.is_empty(), "C-EN-1");
}

#[test]
fn sign_in_checks_the_credentials_and_says_how_it_went() {
    let t = play_on_empty_server(Settings::default(), [online(), Event::SignIn]);
    let paths: Vec<_> = t
        .journal
        .iter()
        .map(|e| format!("{} {}", e.request.method, e.request.path))
        .collect();
    assert_eq!(paths, ["GET /api/koreader/users/auth"]);
    assert!(t.effects.iter().any(|e| matches!(
        e,
        Effect::NoticeShown {
            level: kosync_contract::model::NoticeLevel::Info,
            ..
        }
    )));
    let refused = play(
        Settings::default(),
        None,
        |s| s.faults.push_back(Fault::Status(401)),
        [online(), Event::SignIn],
    );
    assert!(refused.effects.iter().any(|e| matches!(
        e,
        Effect::NoticeShown {
            level: kosync_contract::model::NoticeLevel::Error,
            ..
        }
    )));
    let offline = play_on_empty_server(Settings::default(), [Event::SignIn]);
    assert!(offline.journal.is_empty() && offline.effects.is_empty());
}

#[test]
fn wifi_off_and_a_lost_link_both_stop_sending() {
    for down in [Event::WifiLost, Event::WifiOff] {
        let t = play_on_empty_server(
            enabled(),
            [online(), down.clone(), open(A, 10), Event::SyncPendingNow],
        );
        assert!(t.journal.is_empty(), "{down:?}: {:?}", t.journal);
        assert_eq!(t.queue.pending, 1);
    }
}
