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
use kosync_contract::server::{self, BookPolicy, Defect, ServerConfig, UserSpec};

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

/// Three books of one library: BookLore against a URL needs a book to push
/// to and books each user has never synced.
const LIBRARY: [&str; 3] = [
    BOOK,
    "7d793037a0760186574b0282f2f435e7",
    "9f86d081884c7d659a2feaa0c55ad015",
];

/// A fake server started here stands in for "any server": the verifier only
/// knows its URL, credentials and the library's books.
async fn url_run(
    dialect: Dialect,
    config: ServerConfig,
    second: bool,
) -> (Report, server::RunningServer) {
    let running = server::start(config).await.expect("server");
    let mut run = VerifyServer::url(
        &running.base_url(),
        dialect,
        Credentials::with_password("reader", "reader-pw"),
    );
    run.second = second.then(|| Credentials::with_password("partner", "partner-pw"));
    run.disabled = Some(Credentials::with_password("offline", "offline-pw"));
    run.documents = LIBRARY.iter().map(|d| d.to_string()).collect();
    run.cases = 8;
    run.seed = Some(3);
    run.timeout = Duration::from_secs(5);
    let report = verify_server(&run).await.expect("report");
    (report, running)
}

fn url_config(dialect: Dialect) -> ServerConfig {
    let mut config = ServerConfig::new(dialect);
    let mut offline = UserSpec::with_password("offline", "offline-pw");
    offline.sync_enabled = false;
    config.users = vec![
        UserSpec::with_password("reader", "reader-pw"),
        UserSpec::with_password("partner", "partner-pw"),
        offline,
    ];
    config.books = BookPolicy::Known(LIBRARY.iter().map(|d| d.to_string()).collect());
    config
}

async fn run_against_url(dialect: Dialect, second: bool) -> Report {
    let (report, running) = url_run(dialect, url_config(dialect), second).await;
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
    assert_eq!(kosync.exit_code(), 0, "{}", kosync.render_text());
    assert!(kosync.conformant);
    assert!(
        kosync
            .notes
            .iter()
            .any(|n| n.starts_with("users registered on the server:") && n.contains("newreader")),
        "{:?}",
        kosync.notes
    );
    let booklore = run_against_url(Dialect::BookLore, true).await;
    assert_eq!(booklore.exit_code(), 0, "{}", booklore.render_text());
    assert!(booklore.conformant);
    // Every MUST rule of the dialect was checked, S-PULL-2 against a library book.
    let pull_2 = booklore
        .results
        .iter()
        .find(|r| r.rules.iter().any(|id| id == "S-PULL-2"))
        .expect("an S-PULL-2 scenario");
    assert_eq!(pull_2.status, Status::Passed, "{}", booklore.render_text());
}

/// Without a user whose sync is disabled, S-OFF-1 (a MUST rule) cannot be
/// checked against a BookLore URL: the run is not called conformant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_disabled_user_s_off_1_is_not_checked() {
    let running = server::start(url_config(Dialect::BookLore))
        .await
        .expect("server");
    let mut run = VerifyServer::url(
        &running.base_url(),
        Dialect::BookLore,
        Credentials::with_password("reader", "reader-pw"),
    );
    run.second = Some(Credentials::with_password("partner", "partner-pw"));
    run.documents = LIBRARY.iter().map(|d| d.to_string()).collect();
    let report = verify_server(&run).await.expect("report");
    running.shutdown().await;
    assert_eq!(report.exit_code(), 3, "{}", report.render_text());
    let unchecked: Vec<&str> = report.unchecked.iter().map(|u| u.rule.as_str()).collect();
    assert_eq!(unchecked, vec!["S-OFF-1"], "{}", report.render_text());
    assert!(report.unchecked[0].reasons[0].contains("--disabled-user"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_second_user_isolation_is_not_checked_and_the_run_says_so() {
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
    // Issue 9, point 5: skipped MUST rules are not "conformant".
    assert_eq!(report.exit_code(), 3, "{}", report.render_text());
    assert!(!report.conformant);
    let text = report.render_text();
    assert!(text.contains("NOT VERIFIED"), "{text}");
    assert!(
        text.contains("S-ISO-1 (MUST): needs a second user"),
        "{text}"
    );
    assert!(!text.contains(": conformant\n"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_skips_accepts_a_partial_run_and_says_it_is_partial() {
    let running = server::start(url_config(Dialect::Kosync))
        .await
        .expect("server");
    let mut run = VerifyServer::url(
        &running.base_url(),
        Dialect::Kosync,
        Credentials::with_password("reader", "reader-pw"),
    );
    run.allow_skips = true;
    let report = verify_server(&run).await.expect("report");
    running.shutdown().await;
    assert_eq!(report.exit_code(), 0, "{}", report.render_text());
    assert!(!report.conformant, "a partial run is not called conformant");
    assert!(report.unchecked.iter().any(|u| u.rule == "S-ISO-1"));
    assert!(report.render_text().contains("partial run"));
}

/// Issue 9, point 4: a BookLore server answering `200 {}` for a library book
/// without progress breaks S-PULL-2, and the check sees it because the book
/// "alice never synced" is a library book, not a hash the server does not know
/// (for which the 404 says nothing about progress).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_pull_2_is_checked_against_a_library_book() {
    let mut config = url_config(Dialect::BookLore);
    config.defect = Some(Defect::UnknownProgressAnswers200Empty);
    let (report, running) = url_run(Dialect::BookLore, config, true).await;
    running.shutdown().await;
    assert!(
        report.failed_rules().iter().any(|r| r == "S-PULL-2"),
        "{}",
        report.render_text()
    );
    let failure = report
        .failures()
        .find(|r| r.rules.iter().any(|id| id == "S-PULL-2"))
        .expect("an S-PULL-2 failure");
    let on_a_library_book = LIBRARY[1..]
        .iter()
        .any(|d| failure.transcript.iter().any(|line| line.contains(d)));
    assert!(on_a_library_book, "{failure:#?}");
    assert_eq!(report.exit_code(), 1);
}

/// A BookLore user who already synced every --document: the scenarios that
/// need a book that user never synced are skipped, truthfully, naming why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_premise_is_observed_and_a_false_one_is_a_truthful_skip() {
    let running = server::start(url_config(Dialect::BookLore))
        .await
        .expect("server");
    let client = kosync_contract::sync_client::SyncClient::new(
        &running.base_url(),
        Dialect::BookLore,
        Duration::from_secs(5),
    )
    .expect("client");
    let reader = Credentials::with_password("reader", "reader-pw");
    for book in LIBRARY {
        let push = kosync_contract::protocol::ProgressPush {
            document: book.to_string(),
            percentage: 0.5,
            progress: "earlier run".into(),
            timestamp: None,
            device: "d".into(),
            device_id: Some("D".into()),
        };
        assert_eq!(client.push(&reader, &push).await.status, Some(200));
    }
    let mut run = VerifyServer::url(&running.base_url(), Dialect::BookLore, reader);
    run.documents = LIBRARY.iter().map(|d| d.to_string()).collect();
    run.tags = Some("@S-PULL-2".into());
    let report = verify_server(&run).await.expect("report");
    running.shutdown().await;
    let result = &report.results[0];
    assert_eq!(result.status, Status::Skipped, "{}", report.render_text());
    let reason = result.reason.as_deref().unwrap_or("");
    assert!(
        reason.contains("has progress for every --document"),
        "{reason}"
    );
    assert_eq!(report.exit_code(), 3);
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
        disabled: None,
        documents: vec![document.to_string()],
        tags: None,
        cases: 0,
        seed: None,
        timeout: Duration::from_secs(5),
        features: server_features(),
        jobs: 4,
        allow_skips: false,
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
