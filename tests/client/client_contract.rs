//! The client features against the reference model: every scenario must pass,
//! and every client rule of the catalogue must have a passing scenario.

use std::collections::BTreeSet;

use kosync_contract::contract::catalogue::{self, Side};
use kosync_contract::contract::client::cli::{verify_client, ClientRunOptions, ClientTarget};
use kosync_contract::contract::report::Status;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_model_passes_every_client_scenario() {
    let report = verify_client(ClientTarget::Model(None), ClientRunOptions::default())
        .await
        .expect("the client features run");
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

    let covered: BTreeSet<&str> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Passed)
        .flat_map(|r| r.rules.iter().map(String::as_str))
        .collect();
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
