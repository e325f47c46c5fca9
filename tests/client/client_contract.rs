//! The client features against the reference model: every scenario must pass,
//! and every client rule of the catalogue must have a passing scenario.

use std::collections::BTreeSet;

use kosync_contract::contract::catalogue::{self, Side};
use kosync_contract::contract::client::cli::{verify_client, ClientRunOptions, ClientTarget};
use kosync_contract::contract::report::Status;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_model_passes_every_client_scenario() {
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for profile in kosync_contract::model::Profile::ALL {
        let options = ClientRunOptions {
            profile: profile.name().to_string(),
            ..ClientRunOptions::default()
        };
        let report = verify_client(ClientTarget::Model(None), options)
            .await
            .expect("the client features run");
        check_all_pass(&report);
        covered.extend(
            report
                .results
                .iter()
                .filter(|r| r.status == Status::Passed)
                .flat_map(|r| r.rules.iter().cloned()),
        );
    }
    let missing: Vec<&str> = catalogue::all()
        .iter()
        .filter(|r| r.side == Side::Client && !covered.contains(r.id))
        .map(|r| r.id)
        .collect();
    assert!(
        missing.is_empty(),
        "client rules without a passing scenario: {missing:?}"
    );
    for id in &covered {
        assert!(
            catalogue::find(id).is_some(),
            "the features cite {id}, which the catalogue does not have"
        );
    }
}

/// Every scenario of `report` passed.
fn check_all_pass(report: &kosync_contract::contract::report::Report) {
    let broken: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.status != Status::Passed)
        .map(|r| {
            format!(
                "{} [{}] at {}: {:?} step {:?}\n  expected {:?}\n  actual {:?}\n  reproduce {}\n  transcript:\n    {}",
                r.scenario,
                r.rules.join(" "),
                r.location.as_deref().unwrap_or("?"),
                r.status,
                r.step,
                r.expected,
                r.actual,
                r.reproduce.as_deref().unwrap_or("-"),
                r.transcript.join("\n    ")
            )
        })
        .collect();
    assert!(
        broken.is_empty(),
        "{} of {} scenarios did not pass:\n{}",
        broken.len(),
        report.results.len(),
        broken.join("\n\n")
    );
    assert_eq!(report.exit_code(), 0);
}

/// A client declaring less (adapter protocol 2) is asked for nothing else:
/// the scenarios that need what it lacks are not applicable, with the
/// capability named, and everything else still runs and passes. The model
/// keeps every behaviour, so a failure here is the harness using something
/// the client did not declare.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_declaring_less_gets_not_applicable_never_a_failure() {
    use kosync_contract::adapter::model_driver::ModelDriver;
    use kosync_contract::adapter::{Capabilities, Capability, ClientDriver};
    use kosync_contract::model::Profile;
    use kosync_contract::protocol::Dialect;
    use std::sync::Arc;

    // What KOReader's built-in plugin has.
    let declared = Capabilities::of(&[
        Capability::PendingCount,
        Capability::PeriodicPushes,
        Capability::PushNow,
        Capability::PullNow,
        Capability::SignIn,
    ]);
    let drivers: kosync_contract::contract::client::world::DriverFactory = Arc::new(move || {
        let driver = ModelDriver::for_profile(Profile::BookLorePlugin, Dialect::BookLore)
            .declaring(declared);
        Ok(Box::new(driver) as Box<dyn ClientDriver>)
    });
    let report = verify_client(
        ClientTarget::Driver {
            drivers,
            describe: "model declaring less".into(),
            args: String::new(),
        },
        // The BookLore plugin's scenarios: the ones every client keeps send
        // what is pending by the network coming back, which this model
        // (the BookLore plugin without Sync Pending Now) does not do.
        ClientRunOptions {
            tags: Some("@booklore-plugin".to_string()),
            ..ClientRunOptions::default()
        },
    )
    .await
    .expect("the client features run");
    let wrong: Vec<String> = report
        .results
        .iter()
        .filter(|r| !matches!(r.status, Status::Passed | Status::NotApplicable))
        .map(|r| {
            format!(
                "{} {:?}: {:?} / {:?}",
                r.scenario, r.status, r.step, r.actual
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(report.exit_code(), 0);
    let na: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status == Status::NotApplicable)
        .collect();
    let reason_of = |rule: &str| {
        na.iter()
            .find(|r| r.rules.iter().any(|id| id == rule))
            .and_then(|r| r.reason.clone())
            .unwrap_or_else(|| panic!("no not-applicable scenario of {rule}"))
    };
    assert!(reason_of("C-RATE-1").contains("needs rating"));
    assert!(reason_of("C-MAN-2").contains("needs manual_only"));
    assert!(reason_of("C-Q-4").contains("needs queue_summary"));
    assert!(reason_of("C-Q-2").contains("needs sync_pending_now"));
    assert!(reason_of("C-PULL-4").contains("needs pull_toggles"));
    assert!(
        report
            .results
            .iter()
            .filter(|r| r.status == Status::Passed)
            .count()
            > 20,
        "most scenarios need nothing the client lacks"
    );
}
