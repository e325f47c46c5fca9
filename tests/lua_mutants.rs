//! Proof that the harness catches broken clients: each defective variant of
//! the Lua example (KOSYNC_MUTANT=name, over the real subprocess path) must
//! make the differential run fail with the rule it breaks among the rules touched.

use std::time::Duration;

use kosync_contract::adapter::differential::{self, Candidate, Options, Outcome};
use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver};

/// Every mutant of `fixtures/adapters/lua/progress_sync.lua` and the rule it breaks.
const MUTANTS: &[(&str, &str)] = &[
    ("no_debounce", "C-PUSH-6"),
    ("pull_without_wifi", "C-PULL-3"),
    ("notice_on_404", "C-PULL-5"),
    ("apply_older_when_disabled", "C-CONF-5"),
    ("drop_failed_upload", "C-Q-3"),
    ("upload_in_manual_only", "C-MAN-2"),
    ("ignore_read_on_rating", "C-RATE-1"),
    ("prompt_applies_silently", "C-CONF-4"),
    ("counter_never_restarts", "C-PUSH-3"),
    ("lifo_queue", "C-SAFE-2"),
    ("plain_password", "C-WIRE-4"),
    // Queues (and later pushes) while disabled; the shortest case shows the queueing.
    ("sync_when_disabled", "C-EN-2"),
    ("no_pull_on_resume", "C-PULL-2"),
    ("no_open_snapshot", "C-PUSH-1"),
];

fn lua(mutant: &str) -> Candidate {
    let script = format!(
        "{}/fixtures/adapters/lua/adapter.lua",
        env!("CARGO_MANIFEST_DIR")
    );
    let command = AdapterCommand::parse(&format!("KOSYNC_MUTANT={mutant} luajit '{script}'"))
        .expect("command parses");
    Candidate::Driver {
        make: Box::new(SubprocessDriver::factory(command, Duration::from_secs(5))),
    }
}

#[test]
fn every_lua_mutant_is_caught_by_the_rule_it_breaks() {
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
fn the_correct_lua_client_is_not_a_mutant() {
    // An unknown mutant name leaves the client correct: the switch cannot break it by accident.
    let report = differential::run(&lua("no_such_mutant"), Options::new(30, 9));
    assert!(
        matches!(report.outcome, Outcome::Agreed),
        "{}",
        differential::render_report(&report)
    );
}
