//! Detection tests: the server contract must catch broken servers.
//!
//! Each defective variant of the built-in fake server breaks one rule; the run
//! must fail that rule, and the failed rules must be exactly the ones the
//! defect touches (a percentage sent as a string breaks every read-back, so
//! some defects legitimately fail more than one scenario). The correct server
//! passes in both dialects with no false alarm.

use kosync_contract::contract::report::{Report, Status};
use kosync_contract::contract::server_cli::{verify_server, VerifyServer};
use kosync_contract::protocol::Dialect;
use kosync_contract::server::Defect;

const SEED: u64 = 11;
const CASES: u32 = 32;

async fn verify(dialect: Dialect, defect: Option<Defect>) -> Report {
    let mut run = VerifyServer::built_in(dialect, defect);
    run.cases = CASES;
    run.seed = Some(SEED);
    let report = verify_server(&run).await.expect("the run completes");
    assert!(
        report.results.iter().all(|r| r.status != Status::Error),
        "harness errors:\n{}",
        report.render_text()
    );
    report
}

/// Run `defect` in `dialect`; the run must fail `rule` and nothing outside `exactly`.
async fn assert_caught(dialect: Dialect, defect: Defect, rule: &str, exactly: &[&str]) {
    let report = verify(dialect, Some(defect)).await;
    let failed = report.failed_rules();
    assert!(
        failed.iter().any(|r| r == rule),
        "{dialect} {defect}: expected {rule} to fail, failed {failed:?}\n{}",
        report.render_text()
    );
    let mut want: Vec<String> = exactly.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(failed, want, "{dialect} {defect}: failed rules");
    let gating = kosync_contract::contract::catalogue::find(rule)
        .map(|r| r.level.gates())
        .unwrap_or(true);
    let any_gating = report.results.iter().any(|r| r.breaks_gate());
    assert_eq!(
        report.exit_code(),
        if any_gating { 1 } else { 0 },
        "{dialect} {defect}: exit code"
    );
    if gating {
        assert_eq!(
            report.exit_code(),
            1,
            "{dialect} {defect}: a MUST rule failed"
        );
    }
    // Every failure says what was expected, what came back and how to reproduce it.
    for r in report.failures() {
        assert!(r.actual.is_some(), "{}: no actual", r.title());
        assert!(
            r.reproduce.as_deref().is_some_and(|c| c.contains("curl ")),
            "{}: no curl line",
            r.title()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_server_passes_in_both_dialects() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        let report = verify(dialect, None).await;
        assert_eq!(
            report.failed_rules(),
            Vec::<String>::new(),
            "{}",
            report.render_text()
        );
        assert_eq!(report.summary.skipped, 0, "{}", report.render_text());
        assert_eq!(report.exit_code(), 0);
        assert!(report.conformant);
        assert!(
            report.summary.passed > 40,
            "{dialect}: only {} passed",
            report.summary.passed
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_progress_answering_200_empty_breaks_s_pull_2() {
    // Also shows in the other scenarios that expect "no progress" (a 404 in BookLore).
    assert_caught(
        Dialect::BookLore,
        Defect::UnknownProgressAnswers200Empty,
        "S-PULL-2",
        &["S-PULL-2", "S-BOOK-1", "S-ISO-1", "S-OFF-1"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixing_users_breaks_s_iso_1() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        assert_caught(dialect, Defect::SharedAcrossUsers, "S-ISO-1", &["S-ISO-1"]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn millisecond_timestamps_break_s_ts_1() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        assert_caught(
            dialect,
            Defect::MillisecondTimestamps,
            "S-TS-1",
            &["S-TS-1"],
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoing_the_client_timestamp_breaks_s_ts_1() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        assert_caught(dialect, Defect::EchoClientTimestamp, "S-TS-1", &["S-TS-1"]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percentage_as_a_string_breaks_s_pull_1() {
    // Every scenario that reads a position back sees the string.
    assert_caught(
        Dialect::BookLore,
        Defect::PercentageAsString,
        "S-PULL-1",
        &[
            "S-AUTH-2", "S-BAD-1", "S-BAD-2", "S-BAD-3", "S-CONC-1", "S-ISO-1", "S-LWW-1",
            "S-PULL-1", "S-PULL-3",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trimmed_progress_breaks_s_pull_1() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        assert_caught(dialect, Defect::TrimProgress, "S-PULL-1", &["S-PULL-1"]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_a_wrong_key_breaks_s_auth_2() {
    assert_caught(
        Dialect::BookLore,
        Defect::AcceptAnyKey,
        "S-AUTH-2",
        &["S-AUTH-2"],
    )
    .await;
    assert_caught(
        Dialect::Kosync,
        Defect::AcceptAnyKey,
        "S-AUTH-2",
        &["S-AUTH-2", "K-AUTH-2", "K-ERR-1"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeping_the_first_write_breaks_s_lww_1() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        assert_caught(dialect, Defect::FirstWriteWins, "S-LWW-1", &["S-LWW-1"]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_plain_answers_break_s_ct_1() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        assert_caught(
            dialect,
            Defect::TextPlainContentType,
            "S-CT-1",
            &["S-CT-1", "S-CT-2"],
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charset_parameter_breaks_s_ct_2_which_only_warns() {
    let report = verify(Dialect::BookLore, Some(Defect::CharsetInContentType)).await;
    assert_eq!(report.failed_rules(), vec!["S-CT-2"]);
    assert_eq!(
        report.exit_code(),
        0,
        "S-CT-2 is a SHOULD: reported, not gating"
    );
    assert!(report.render_text().contains("warn [S-CT-2]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storing_a_push_for_an_unknown_book_breaks_s_book_1() {
    assert_caught(
        Dialect::BookLore,
        Defect::StoreUnknownBook,
        "S-BOOK-1",
        &["S-BOOK-1"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_on_a_missing_percentage_breaks_s_bad_1() {
    assert_caught(
        Dialect::BookLore,
        Defect::MissingPercentage500,
        "S-BAD-1",
        &["S-BAD-1"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_range_percentage_accepted_breaks_s_bad_2() {
    assert_caught(
        Dialect::BookLore,
        Defect::PercentageOutOfRangeAccepted,
        "S-BAD-2",
        &["S-BAD-2"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn omitting_a_zero_percentage_breaks_s_pull_3() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        assert_caught(
            dialect,
            Defect::ZeroPercentageOmitted,
            "S-PULL-3",
            &["S-PULL-1", "S-PULL-3"],
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowing_registration_breaks_s_reg_1() {
    assert_caught(
        Dialect::BookLore,
        Defect::RegistrationAllowed,
        "S-REG-1",
        &["S-REG-1"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignoring_disabled_sync_breaks_s_off_1() {
    assert_caught(
        Dialect::BookLore,
        Defect::IgnoreSyncDisabled,
        "S-OFF-1",
        &["S-OFF-1"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_body_limit_breaks_s_bad_3() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        assert_caught(dialect, Defect::NoBodyLimit, "S-BAD-3", &["S-BAD-3"]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kosync_answering_404_for_an_unknown_document_breaks_k_pull_1() {
    assert_caught(
        Dialect::Kosync,
        Defect::KosyncUnknownDocument404,
        "K-PULL-1",
        &["K-PULL-1", "S-ISO-1"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kosync_without_healthcheck_breaks_k_health_1() {
    assert_caught(
        Dialect::Kosync,
        Defect::KosyncNoHealthcheck,
        "K-HEALTH-1",
        &["K-HEALTH-1"],
    )
    .await;
}
