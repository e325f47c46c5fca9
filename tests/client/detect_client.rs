//! Detection: every deliberately broken reference model must fail the client
//! features on exactly the rule it breaks. A feature that passes against a
//! model with its rule broken checks nothing.

use kosync_contract::contract::catalogue::{self, Level};
use kosync_contract::contract::client::cli::{verify_client, ClientRunOptions, ClientTarget};
use kosync_contract::contract::report::Status;
use kosync_contract::model::Mutant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_model_mutant_fails_the_rule_it_breaks() {
    let mut undetected = Vec::new();
    let mut lines = Vec::new();
    for &mutant in Mutant::ALL {
        let rule = mutant.breaks();
        let report = verify_client(
            ClientTarget::Model(Some(mutant)),
            ClientRunOptions::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("features did not run against {mutant}: {e}"));
        let errors = report.harness_errors();
        assert!(
            errors.is_empty(),
            "mutant {mutant} made the harness fail instead of the rule: {errors:#?}"
        );
        let caught = report
            .results
            .iter()
            .any(|r| r.status == Status::Failed && r.rules.iter().any(|id| id == rule));
        let failed = report.failed_rules();
        lines.push(format!(
            "{mutant:<34} breaks {rule:<10} failed: {}",
            failed.join(" ")
        ));
        if !caught {
            undetected.push(format!(
                "{mutant} (breaks {rule}; failed rules: {failed:?})"
            ));
            continue;
        }
        // A mutant of a gating rule must also make the run fail (exit 1).
        let level = catalogue::find(rule).map(|r| r.level);
        if level.is_some_and(Level::gates) {
            assert_eq!(
                report.exit_code(),
                1,
                "mutant {mutant} of gating rule {rule} did not fail the run"
            );
        }
    }
    eprintln!("{}", lines.join("\n"));
    assert!(
        undetected.is_empty(),
        "the client features miss these broken models:\n  {}",
        undetected.join("\n  ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_model_raises_no_false_alarm() {
    let report = verify_client(ClientTarget::Model(None), ClientRunOptions::default())
        .await
        .expect("features run");
    assert_eq!(report.failed_rules(), Vec::<String>::new());
    assert_eq!(report.summary.failed + report.summary.error, 0);
    assert!(report.summary.passed > 100, "{:?}", report.summary);
}

/// C-PULL-7 is caught through a race the slow-pull scenario makes one-sided;
/// it must be caught on every run, not most.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_before_pull_is_caught_on_every_run() {
    for round in 0..5 {
        let report = verify_client(
            ClientTarget::Model(Some(Mutant::UploadBeforePull)),
            ClientRunOptions {
                tags: Some("@C-PULL-7".to_string()),
                ..ClientRunOptions::default()
            },
        )
        .await
        .expect("features run");
        assert!(
            report.failed_rules().contains(&"C-PULL-7".to_string()),
            "round {round}: UploadBeforePull not caught: {:?}",
            report.summary
        );
    }
}
