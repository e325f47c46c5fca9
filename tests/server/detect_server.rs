//! Detection tests, the other half: the correct built-in server passes the
//! server contract in both dialects with no false alarm. That every defective
//! variant is caught by the rule it breaks is `tests/detection_coverage.rs`.

use kosync_contract::contract::report::{Report, Status};
use kosync_contract::contract::server::cli::{verify_server, VerifyServer};
use kosync_contract::protocol::Dialect;

const SEED: u64 = 11;
const CASES: u32 = 32;

async fn verify(dialect: Dialect) -> Report {
    let mut run = VerifyServer::built_in(dialect, None);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_server_passes_in_both_dialects() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        let report = verify(dialect).await;
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
