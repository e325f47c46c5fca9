//! The server features against the built-in fake server (both dialects), the
//! same features against a server reached only by URL, and the ways a user
//! narrows or replaces them (`--tags`, `--features DIR`).

use std::collections::BTreeSet;
use std::time::Duration;

use kosync_contract::contract::catalogue::{self, Side};
use kosync_contract::contract::report::{Report, Status};
use kosync_contract::contract::runner::FeatureSource;
use kosync_contract::contract::server::cli::{server_features, verify_server, VerifyServer};
use kosync_contract::contract::server::world::{Credentials, TargetKind};
use kosync_contract::protocol::Dialect;
use kosync_contract::server::{self, BookPolicy, ServerConfig, UserSpec};

const BOOK: &str = "5d41402abc4b2a76b9719d911017c592";

async fn built_in(dialect: Dialect) -> Report {
    verify_server(&VerifyServer::built_in(dialect, None))
        .await
        .expect("the run completes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_against_the_built_in_server() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        let report = built_in(dialect).await;
        assert_eq!(report.exit_code(), 0, "{}", report.render_text());
        assert!(
            report.results.iter().all(|r| r.status == Status::Passed),
            "{}",
            report.render_text()
        );
        assert_eq!(report.dialect.as_deref(), Some(dialect.name()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_rule_has_a_scenario() {
    let mut covered = BTreeSet::new();
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        for r in built_in(dialect).await.results {
            covered.extend(r.rules);
        }
    }
    let missing: Vec<&str> = catalogue::all()
        .iter()
        .filter(|r| r.side == Side::Server && !covered.contains(r.id))
        .map(|r| r.id)
        .collect();
    assert!(
        missing.is_empty(),
        "server rules without a scenario: {missing:?}"
    );
    let unknown: Vec<&String> = covered
        .iter()
        .filter(|id| catalogue::find(id).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "features cite ids the catalogue lacks: {unknown:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialect_scenarios_run_only_in_their_dialect() {
    let booklore = built_in(Dialect::BookLore).await;
    let kosync = built_in(Dialect::Kosync).await;
    assert!(booklore
        .results
        .iter()
        .all(|r| !r.rules.iter().any(|id| id.starts_with("K-"))));
    for only_booklore in ["S-PULL-2", "S-BOOK-1", "S-REG-1", "S-OFF-1"] {
        assert!(!kosync
            .results
            .iter()
            .any(|r| r.rules.iter().any(|id| id == only_booklore)));
    }
}

/// A fake server started here stands in for "any server": the verifier only
/// knows its URL, credentials and one book.
async fn run_against_url(dialect: Dialect, second: bool) -> Report {
    let mut config = ServerConfig::new(dialect);
    config.users = vec![
        UserSpec::with_password("reader", "reader-pw"),
        UserSpec::with_password("partner", "partner-pw"),
    ];
    config.books = BookPolicy::Known([BOOK.to_string()].into_iter().collect());
    let running = server::start(config).await.expect("server");
    let run = VerifyServer {
        kind: TargetKind::Url(running.base_url()),
        dialect,
        user: Some(Credentials::with_password("reader", "reader-pw")),
        second: second.then(|| Credentials::with_password("partner", "partner-pw")),
        document: Some(BOOK.to_string()),
        tags: None,
        cases: 8,
        seed: Some(3),
        timeout: Duration::from_secs(5),
        features: server_features(),
    };
    let report = verify_server(&run).await.expect("report");
    running.shutdown().await;
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_server_reached_by_url_passes_with_reasons_for_every_skip() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        let report = run_against_url(dialect, true).await;
        assert_eq!(
            report.failed_rules(),
            Vec::<String>::new(),
            "{}",
            report.render_text()
        );
        assert_eq!(report.exit_code(), 0, "{}", report.render_text());
        for r in report
            .results
            .iter()
            .filter(|r| r.status == Status::Skipped)
        {
            assert!(
                r.reason.as_deref().is_some_and(|s| s.starts_with("needs ")),
                "{r:?}"
            );
        }
        assert!(report.summary.passed > 30, "{}", report.render_text());
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains(BOOK) || n.contains("documents written")),
            "the run says which ids it wrote: {:?}",
            report.notes
        );
    }
    let kosync = run_against_url(Dialect::Kosync, true).await;
    assert!(
        kosync
            .notes
            .iter()
            .any(|n| n.starts_with("users registered on the server: newreader")),
        "{:?}",
        kosync.notes
    );
    let booklore = run_against_url(Dialect::BookLore, true).await;
    let skipped: BTreeSet<String> = booklore
        .results
        .iter()
        .filter(|r| r.status == Status::Skipped)
        .flat_map(|r| r.rules.clone())
        .collect();
    assert!(skipped.contains("S-OFF-1"), "{skipped:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_second_user_isolation_is_skipped_and_says_so() {
    let report = run_against_url(Dialect::Kosync, false).await;
    let iso: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.rules.iter().any(|id| id == "S-ISO-1"))
        .collect();
    assert!(!iso.is_empty());
    assert!(iso.iter().all(|r| r.status == Status::Skipped
        && r.reason
            .as_deref()
            .is_some_and(|s| s.contains("--second-user"))));
    assert!(
        report.notes.iter().any(|n| n.contains("--second-user")),
        "{:?}",
        report.notes
    );
    assert_eq!(report.exit_code(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_narrow_the_run() {
    let mut run = VerifyServer::built_in(Dialect::BookLore, None);
    run.tags = Some("@S-LWW-1 or @S-TS-1".to_string());
    let report = verify_server(&run).await.expect("report");
    assert_eq!(report.results.len(), 6, "{}", report.render_text());
    assert!(report
        .results
        .iter()
        .all(|r| r.rules.iter().any(|id| id == "S-LWW-1" || id == "S-TS-1")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_features_dir_replaces_the_built_in_features() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("mine.feature"),
        "Feature: A docs author's rule\n\n  @S-PUSH-1\n  Rule: pushes work\n\n    Scenario: One push\n      Given a book \"A\"\n      When alice pushes \"A\" at 0.1 with progress \"p\"\n      Then the answer is 200\n\n    Scenario: A typo in a status\n      Given a book \"A\"\n      When alice pushes \"A\" at 0.1 with progress \"p\"\n      Then the answer is 201\n",
    )
    .expect("write");
    let mut run = VerifyServer::built_in(Dialect::Kosync, None);
    run.features = FeatureSource::Dir(dir.path().to_path_buf());
    let report = verify_server(&run).await.expect("report");
    assert_eq!(report.results.len(), 2);
    assert_eq!(report.results[0].status, Status::Passed);
    assert_eq!(report.results[1].status, Status::Failed);
    assert_eq!(report.results[1].expected.as_deref(), Some("status 201"));
    assert!(report.results[1]
        .location
        .as_deref()
        .is_some_and(|l| l.ends_with("mine.feature:11")));

    std::fs::write(
        dir.path().join("broken.feature"),
        "Feature: x\n  Scenario\n",
    )
    .expect("write");
    let err = verify_server(&run)
        .await
        .expect_err("bad gherkin is a harness error");
    assert!(err.to_string().contains("broken.feature"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_an_unknown_document_are_explained_once() {
    let mut config = ServerConfig::new(Dialect::BookLore);
    config.users = vec![UserSpec::with_password("reader", "reader-pw")];
    config.books = BookPolicy::Known([BOOK.to_string()].into_iter().collect());
    let running = server::start(config).await.expect("server");
    let run = |password: &str, document: &str| VerifyServer {
        kind: TargetKind::Url(running.base_url()),
        dialect: Dialect::BookLore,
        user: Some(Credentials::with_password("reader", password)),
        second: None,
        document: Some(document.to_string()),
        tags: None,
        cases: 0,
        seed: None,
        timeout: Duration::from_secs(5),
        features: server_features(),
    };
    let report = verify_server(&run("wrong", BOOK)).await.expect("report");
    assert_eq!(report.exit_code(), 1);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("refused --user reader's credentials")),
        "{:?}",
        report.notes
    );

    let unknown = "ffffffffffffffffffffffffffffffff";
    let report = verify_server(&run("reader-pw", unknown))
        .await
        .expect("report");
    assert_eq!(report.exit_code(), 1);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains(unknown) && n.contains("answered 404")),
        "{:?}",
        report.notes
    );
    running.shutdown().await;
}
