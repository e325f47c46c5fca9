//! Detection over the subprocess path: each defective variant of the Lua
//! example client (`KOSYNC_MUTANT=name`) must fail the client features on the
//! rule it breaks, exactly as a defective model does in `detect_client.rs`.
//! The correct Lua client is checked in `client_contract_subprocess.rs`.

use std::sync::Arc;
use std::time::Duration;

use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver};
use kosync_contract::contract::client_cli::{verify_client, ClientRunOptions, ClientTarget};
use kosync_contract::contract::client_world::DriverFactory;
use kosync_contract::contract::report::Status;

/// Each mutant of `fixtures/adapters/lua/progress_sync.lua` and the rule it breaks.
const LUA_MUTANTS: &[(&str, &str)] = &[
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
    ("sync_when_disabled", "C-EN-2"),
    ("no_pull_on_resume", "C-PULL-2"),
    ("no_open_snapshot", "C-PUSH-1"),
];

fn lua(mutant: &str) -> ClientTarget {
    let script = format!(
        "{}/fixtures/adapters/lua/adapter.lua",
        env!("CARGO_MANIFEST_DIR")
    );
    let line = format!("KOSYNC_MUTANT={mutant} luajit '{script}'");
    let command = AdapterCommand::parse(&line).expect("adapter command parses");
    let make = SubprocessDriver::factory(command, Duration::from_secs(20));
    let drivers: DriverFactory = Arc::new(move || Ok(make()));
    ClientTarget::Driver {
        drivers,
        describe: format!("Lua example client, mutant {mutant}"),
        args: format!(" --adapter \"{line}\""),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lua_mutant_fails_the_rule_it_breaks() {
    let mut missed = Vec::new();
    for (mutant, rule) in LUA_MUTANTS {
        let report = verify_client(lua(mutant), ClientRunOptions::default())
            .await
            .unwrap_or_else(|e| panic!("features did not run against {mutant}: {e}"));
        let errors: Vec<String> = report
            .results
            .iter()
            .filter(|r| r.status == Status::Error)
            .map(|r| format!("{}: {:?}", r.scenario, r.actual))
            .collect();
        assert!(
            errors.is_empty(),
            "Lua mutant {mutant} broke the harness instead of a rule: {errors:#?}"
        );
        let failed = report.failed_rules();
        if !failed.iter().any(|id| id == rule) {
            missed.push(format!("{mutant} (breaks {rule}; failed: {failed:?})"));
        }
    }
    assert!(
        missed.is_empty(),
        "the client features miss these broken Lua clients:\n  {}",
        missed.join("\n  ")
    );
}
