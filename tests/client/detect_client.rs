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
            ClientRunOptions {
                profile: mutant.profile().name().to_string(),
                ..ClientRunOptions::default()
            },
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

/// C-PULL-7 is caught on every run, not most: an upload while the pull is
/// still unanswered (the slow-pull scenario makes that race one-sided), and a
/// close of the other book whose upload carries the opened book's queued
/// snapshots (the driver starts one step's requests in the order asked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_order_mutants_are_caught_on_every_run() {
    for mutant in [Mutant::UploadBeforePull, Mutant::CloseUploadsBeforePull] {
        for round in 0..5 {
            let report = verify_client(
                ClientTarget::Model(Some(mutant)),
                ClientRunOptions {
                    tags: Some("@C-PULL-7".to_string()),
                    ..ClientRunOptions::default()
                },
            )
            .await
            .expect("features run");
            assert!(
                report.failed_rules().contains(&"C-PULL-7".to_string()),
                "round {round}: {mutant} not caught: {:?}",
                report.summary
            );
        }
    }
}

/// The scenarios of `tags` a mutant fails, by name.
async fn failed_scenarios(mutant: Mutant, tags: &str) -> Vec<String> {
    let report = verify_client(
        ClientTarget::Model(Some(mutant)),
        ClientRunOptions {
            tags: Some(tags.to_string()),
            ..ClientRunOptions::default()
        },
    )
    .await
    .expect("features run");
    report.failures().map(|r| r.scenario.clone()).collect()
}

/// Negative checks wait until the client is quiet: a client that does the
/// forbidden thing 11 s or 59 s (a page push) or 1 s (a pull) after the last event
/// fails the scenario that forbids it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_client_does_after_the_last_event_is_judged_too() {
    for (late, mutant) in [(11, Mutant::LatePagePush), (59, Mutant::LastMinutePagePush)] {
        let failed = failed_scenarios(mutant, "@C-PUSH-6").await;
        for wait in [0, 20, 24] {
            let name = format!("A periodic snapshot {wait} seconds after the open upload");
            assert!(
                failed.iter().any(|s| s.starts_with(&name)),
                "a push {late} s after the last page turn passed {name:?}; failed: {failed:?}"
            );
        }
    }
    let failed = failed_scenarios(Mutant::PullsWhenWifiReturns, "@C-PULL-3").await;
    assert!(
        failed
            .iter()
            .any(|s| s == "Wi-Fi coming back later does not pull the open book"),
        "a pull 1 s after Wi-Fi came back passed; failed: {failed:?}"
    );
}

/// A prompt that names the wrong direction fails the C-CONF-4 cases of both
/// directions, the "older" ones included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_direction_a_prompt_names_is_checked() {
    let failed = failed_scenarios(Mutant::PromptDirectionReversed, "@C-CONF-4").await;
    for direction in ["newer", "older"] {
        assert!(
            failed
                .iter()
                .any(|s| s.starts_with(&format!("Prompt, {direction} direction"))),
            "a reversed prompt passed the {direction} cases; failed: {failed:?}"
        );
    }
}

/// A failed check does not hide the next ones: every failed `Then` of a
/// scenario is in its report entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failed_check_of_a_scenario_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("two_checks.feature"),
        "Feature: two checks\n\n  @C-Q-5\n  Scenario: both counts\n    Given progress sync is enabled\n    And Wi-Fi is connected\n    When the reader opens book A at 20%\n    Then View Pending Sessions shows 0 pending and 1 synced\n    And the queue summary reads 0P\n    And the server holds progress 30% for book A\n",
    )
    .expect("write the feature");
    let report = verify_client(
        ClientTarget::Model(Some(Mutant::SyncedNotCounted)),
        ClientRunOptions {
            source: kosync_contract::contract::runner::FeatureSource::Dir(dir.path().to_path_buf()),
            ..ClientRunOptions::default()
        },
    )
    .await
    .expect("features run");
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1, "{:#?}", report.results);
    let expected = failed[0].expected.as_deref().unwrap_or_default();
    // The synced count and the server's 20% (not 30%) both fail; the summary holds.
    assert!(
        expected.contains("1. Then View Pending Sessions shows 0 pending and 1 synced")
            && expected.contains("2. And the server holds progress 30% for book A"),
        "{expected}"
    );
    assert!(!expected.contains("queue summary"), "{expected}");
}
