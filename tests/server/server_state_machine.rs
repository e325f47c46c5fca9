//! The stateful property against the built-in fake server: random push/pull
//! sequences (with wrong keys and bad bodies) agree with the model in both
//! dialects, and a broken server is caught and shrunk to a short sequence of
//! curl lines. `PROPTEST_CASES=N` runs more sequences.

use std::sync::Arc;
use std::time::Duration;

use kosync_contract::contract::report::{CaseResult, Status};
use kosync_contract::contract::server::property::{check, PropertyOptions};
use kosync_contract::contract::server::world::ServerTarget;
use kosync_contract::protocol::Dialect;
use kosync_contract::server::Defect;

/// The built-in server in `dialect`, with `defect` switched on.
fn built_in(dialect: Dialect, defect: Option<Defect>) -> Arc<ServerTarget> {
    Arc::new(ServerTarget::built_in(dialect, defect, Duration::from_secs(10)).expect("client"))
}

/// The stateful property against `target`: `cases` sequences from `seed`, one at a time.
async fn run(target: &Arc<ServerTarget>, cases: u32, seed: u64) -> CaseResult {
    check(
        Arc::clone(target),
        PropertyOptions {
            cases,
            seed,
            jobs: 1,
        },
    )
    .await
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sequences_agree_with_the_model_in_both_dialects() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        let target = built_in(dialect, None);
        let result = run(&target, cases(), 2024).await;
        assert_eq!(result.status, Status::Passed, "{dialect}: {result:#?}");
        assert!(result.rules.iter().any(|r| r == "S-LWW-1"));
        assert!(result.rules.iter().any(|r| r == "S-ISO-1"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_write_wins_is_caught_and_shrunk_to_curl_lines() {
    let target = built_in(Dialect::BookLore, Some(Defect::FirstWriteWins));
    let result = run(&target, 64, 5).await;
    assert_eq!(result.status, Status::Failed, "{result:#?}");
    assert_eq!(result.rules, vec!["S-LWW-1"], "{result:#?}");
    // The shortest failing sequence: push, push again, pull.
    assert_eq!(result.transcript.len(), 3, "{:#?}", result.transcript);
    assert!(result.transcript[0].starts_with("curl -sS -i -X PUT"));
    assert!(result.transcript[1].starts_with("curl -sS -i -X PUT"));
    assert!(result.transcript[2].starts_with("curl -sS -i -X GET"));
    assert!(result
        .reproduce
        .as_deref()
        .is_some_and(|r| r.contains("x-auth-key")));
    assert!(result
        .step
        .as_deref()
        .is_some_and(|s| s.contains("--seed 5")));

    // The same seed finds the same failure.
    let again = run(&target, 64, 5).await;
    assert_eq!(again.rules, result.rules);
    assert_eq!(again.expected, result.expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_users_are_caught_as_isolation() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        let target = built_in(dialect, Some(Defect::SharedAcrossUsers));
        let result = run(&target, 64, 8).await;
        assert_eq!(result.status, Status::Failed, "{dialect}: {result:#?}");
        assert_eq!(result.rules, vec!["S-ISO-1"], "{dialect}: {result:#?}");
        assert!(result.transcript.len() <= 3, "{:#?}", result.transcript);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_any_key_is_caught_as_s_auth_2() {
    let target = built_in(Dialect::Kosync, Some(Defect::AcceptAnyKey));
    let result = run(&target, 64, 1).await;
    assert_eq!(result.rules, vec!["S-AUTH-2"], "{result:#?}");
    assert_eq!(result.transcript.len(), 1, "{:#?}", result.transcript);
}
