//! The Lua example client against the reference model: the differential run
//! over the real subprocess path (luajit, lua-socket, the fake server).

use std::time::Duration;

use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver};
use kosync_contract::contract::client::differential::{self, Candidate, Options, Outcome};

fn lua(mutant: Option<&str>) -> Candidate {
    let script = format!(
        "{}/fixtures/adapters/lua/adapter.lua",
        env!("CARGO_MANIFEST_DIR")
    );
    let line = match mutant {
        Some(m) => format!("KOSYNC_MUTANT={m} luajit '{script}'"),
        None => format!("luajit '{script}'"),
    };
    let command = AdapterCommand::parse(&line).expect("command parses");
    let make = SubprocessDriver::factory(command, Duration::from_secs(5));
    Candidate::Driver {
        make: Box::new(make),
    }
}

#[test]
fn the_lua_client_agrees_with_the_model() {
    let cases = std::env::var("LUA_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let report = differential::run(&lua(None), Options::new(cases, 11));
    assert!(
        matches!(report.outcome, Outcome::Agreed),
        "{}",
        differential::render_report(&report)
    );
}

#[test]
#[ignore = "survey: prints which rule each Lua mutant is attributed to"]
fn survey_lua_mutants() {
    for mutant in [
        "no_debounce",
        "pull_without_wifi",
        "notice_on_404",
        "apply_older_when_disabled",
        "drop_failed_upload",
        "upload_in_manual_only",
        "ignore_read_on_rating",
        "prompt_applies_silently",
        "counter_never_restarts",
        "lifo_queue",
        "plain_password",
        "sync_when_disabled",
        "no_pull_on_resume",
        "no_open_snapshot",
    ] {
        let report = differential::run(&lua(Some(mutant)), Options::new(300, 5));
        let found = match &report.outcome {
            Outcome::Mismatch(m) => format!("{:?} in {} steps", m.rules, m.case.steps.len()),
            Outcome::Agreed => "NOT CAUGHT".to_string(),
            Outcome::HarnessError { message } => format!("error {message}"),
        };
        println!("{mutant:<28} {found}");
    }
}
