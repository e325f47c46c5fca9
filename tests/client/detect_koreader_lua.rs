//! The KOReader profile against the KOReader-style Lua example client
//! (`fixtures/adapters/koreader`): the correct client is conformant, and each
//! deliberately broken variant — KOReader's own three defects among them —
//! fails the rule it breaks, by id, over the subprocess path.

use std::sync::Arc;
use std::time::Duration;

use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver};
use kosync_contract::contract::client::cli::{verify_client, ClientRunOptions, ClientTarget};
use kosync_contract::contract::client::world::DriverFactory;
use kosync_contract::contract::report::Status;

use crate::support;

use support::lua::{koreader_command_line, require_luajit, KOREADER_MUTANTS};

fn koreader(mutant: &str) -> ClientTarget {
    let line = koreader_command_line(mutant);
    let command = AdapterCommand::parse(&line).expect("adapter command parses");
    let make = SubprocessDriver::factory(command, Duration::from_secs(20));
    let drivers: DriverFactory = Arc::new(move || Ok(make()));
    ClientTarget::Driver {
        drivers,
        describe: format!("KOReader-style Lua client, mutant {mutant:?}"),
        args: format!(" --profile koreader --adapter \"{line}\""),
    }
}

fn options() -> ClientRunOptions {
    ClientRunOptions {
        profile: "koreader".to_string(),
        ..ClientRunOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
async fn the_koreader_style_client_keeps_the_koreader_profile() {
    require_luajit();
    let report = verify_client(koreader(""), options())
        .await
        .expect("the client features run");
    let wrong: Vec<String> = report
        .results
        .iter()
        .filter(|r| !matches!(r.status, Status::Passed | Status::NotApplicable))
        .map(|r| {
            format!(
                "{} [{}] {:?} at {:?}: expected {:?}, got {:?}\n    {}",
                r.scenario,
                r.rules.join(" "),
                r.status,
                r.step,
                r.expected,
                r.actual,
                r.transcript.join("\n    ")
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(report.exit_code(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
async fn every_koreader_style_mutant_fails_the_rule_it_breaks() {
    require_luajit();
    let mut missed = Vec::new();
    for (mutant, rule) in KOREADER_MUTANTS {
        let report = verify_client(koreader(mutant), options())
            .await
            .unwrap_or_else(|e| panic!("features did not run against {mutant}: {e}"));
        let errors = report.harness_errors();
        assert!(
            errors.is_empty(),
            "mutant {mutant} broke the harness instead of a rule: {errors:#?}"
        );
        let failed = report.failed_rules();
        if !failed.iter().any(|id| id == rule) {
            missed.push(format!("{mutant} (breaks {rule}; failed: {failed:?})"));
        }
    }
    assert!(
        missed.is_empty(),
        "the KOReader profile misses these broken clients:\n  {}",
        missed.join("\n  ")
    );
}
