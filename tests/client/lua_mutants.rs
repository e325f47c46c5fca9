//! Proof that the harness catches broken clients: each defective variant of
//! the Lua example (KOSYNC_MUTANT=name, over the real subprocess path) must
//! make the differential run fail with the rule it breaks among the rules touched.

use std::time::Duration;

use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver};
use kosync_contract::contract::client::differential::{self, Candidate, Options, Outcome};

use crate::support;

use support::lua::{mutant_command_line, MUTANTS};

fn lua(mutant: &str) -> Candidate {
    let command = AdapterCommand::parse(&mutant_command_line(mutant)).expect("command parses");
    Candidate::Driver {
        make: Box::new(SubprocessDriver::factory(command, Duration::from_secs(5))),
    }
}

#[test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
fn every_lua_mutant_is_caught_by_the_rule_it_breaks() {
    support::lua::require_luajit();
    let mut missed = Vec::new();
    for (mutant, rule) in MUTANTS {
        let report = differential::run(&lua(mutant), Options::new(300, 5));
        match &report.outcome {
            Outcome::Mismatch(m) if m.rules.contains(rule) => {}
            _ => missed.push(format!(
                "{mutant} (breaks {rule}):\n{}",
                differential::render_report(&report)
            )),
        }
    }
    assert!(
        missed.is_empty(),
        "not caught by their rule:\n{}",
        missed.join("\n")
    );
}

#[test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
fn the_correct_lua_client_is_not_a_mutant() {
    support::lua::require_luajit();
    // An unknown mutant name leaves the client correct: the switch cannot break it by accident.
    let report = differential::run(&lua("no_such_mutant"), Options::new(30, 9));
    assert!(
        matches!(report.outcome, Outcome::Agreed),
        "{}",
        differential::render_report(&report)
    );
}
