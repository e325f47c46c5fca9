//! Detection tests with scripted servers (wiremock) for failures no fake-server
//! variant plays: a server that never answers, one that refuses connections,
//! one whose pulls hang, and one that says yes to everything.

use std::time::{Duration, Instant};

use kosync_contract::contract::server::cli::{server_features, verify_server, VerifyServer};
use kosync_contract::contract::server::world::{Credentials, TargetKind};
use kosync_contract::protocol::Dialect;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BOOK: &str = "0123456789abcdef0123456789abcdef";
const OTHER_BOOK: &str = "fedcba9876543210fedcba9876543210";

fn against(url: &str, dialect: Dialect, timeout_ms: u64) -> VerifyServer {
    VerifyServer {
        kind: TargetKind::Url(url.to_string()),
        dialect,
        user: Some(Credentials::with_password("alice", "alice-password")),
        second: None,
        disabled: None,
        documents: vec![BOOK.to_string()],
        tags: None,
        cases: 0,
        seed: Some(1),
        timeout: Duration::from_millis(timeout_ms),
        features: server_features(),
        jobs: 4,
        allow_skips: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_fails_once_within_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let started = Instant::now();
    let report = verify_server(&against(&server.uri(), Dialect::BookLore, 200))
        .await
        .expect("a report, not a harness error");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(report.results.len(), 1, "{}", report.render_text());
    assert_eq!(report.failed_rules(), vec!["S-AUTH-1"]);
    assert_eq!(report.exit_code(), 1);
    let text = report.render_text();
    assert!(text.contains("timeout"), "{text}");
    assert!(text.contains("curl "), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_one_harness_error() {
    let (_held, port) = crate::server_support::refusing_port();
    let err = verify_server(&against(
        &format!("http://127.0.0.1:{port}"),
        Dialect::Kosync,
        1000,
    ))
    .await
    .expect_err("unreachable");
    let message = err.to_string();
    assert!(
        message.starts_with("cannot reach the server at http://127.0.0.1:"),
        "{message}"
    );
    assert!(!message.contains('\n'), "one line: {message}");
}

/// A kosync-dialect mock that signs any user in; the test adds the rest.
async fn signs_in() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/auth"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"authorized": "OK"})),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_pull_fails_its_rule_with_a_timeout() {
    let server = signs_in().await;
    Mock::given(method("GET"))
        .and(path_regex("^/syncs/progress/"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let mut run = against(&server.uri(), Dialect::Kosync, 300);
    run.tags = Some("@K-PULL-1".to_string());
    let started = Instant::now();
    let report = verify_server(&run).await.expect("report");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        report.failed_rules(),
        vec!["K-PULL-1"],
        "{}",
        report.render_text()
    );
    let failure = report.failures().next().expect("a failure");
    assert!(
        failure
            .actual
            .as_deref()
            .is_some_and(|a| a.contains("timeout")),
        "{failure:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_says_yes_to_everything_is_caught() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&server)
        .await;
    let mut run = against(&server.uri(), Dialect::BookLore, 1000);
    // A second library book: the one alice "never synced" (S-PULL-2).
    run.documents.push(OTHER_BOOK.to_string());
    let report = verify_server(&run).await.expect("report");
    let failed = report.failed_rules();
    for rule in [
        "S-AUTH-1", "S-AUTH-2", "S-PULL-1", "S-PULL-2", "S-BOOK-1", "S-REG-1",
    ] {
        assert!(
            failed.iter().any(|r| r == rule),
            "{rule} not caught: {failed:?}"
        );
    }
    assert_eq!(report.exit_code(), 1);
    // Scenarios that need what a plain URL cannot offer are skipped, with a reason.
    let skipped: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status == kosync_contract::contract::report::Status::Skipped)
        .collect();
    assert!(!skipped.is_empty());
    assert!(skipped.iter().all(|r| r.reason.is_some()));
    assert!(skipped
        .iter()
        .any(|r| r.rules.contains(&"S-ISO-1".to_string())));
    assert!(skipped
        .iter()
        .any(|r| r.rules.contains(&"S-OFF-1".to_string())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_hangs_after_signing_in_ends_the_run_quickly() {
    let server = signs_in().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let mut run = against(&server.uri(), Dialect::Kosync, 300);
    run.cases = 16; // shrinking must not replay the timeouts
    let started = Instant::now();
    let report = verify_server(&run).await.expect("report");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(report.exit_code(), 1, "{}", report.render_text());
    assert!(report.failed_rules().iter().any(|r| r == "S-PUSH-1"));
    let text = report.render_text();
    assert!(text.contains("timeout"), "{text}");
    assert!(text.contains("the server is taken to hang"), "{text}");
}
