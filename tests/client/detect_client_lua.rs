//! Detection over the subprocess path: each defective variant of the Lua
//! example client (`KOSYNC_MUTANT=name`) must fail the client features on the
//! rule it breaks, exactly as a defective model does in `detect_client.rs`.
//! The correct Lua client is checked in `client_contract_subprocess.rs`.

use std::sync::Arc;
use std::time::Duration;

use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver};
use kosync_contract::contract::client::cli::{verify_client, ClientRunOptions, ClientTarget};
use kosync_contract::contract::client::world::DriverFactory;

use crate::support;

use support::lua::{mutant_command_line, MUTANTS as LUA_MUTANTS};

fn lua(mutant: &str) -> ClientTarget {
    let line = mutant_command_line(mutant);
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
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
async fn every_lua_mutant_fails_the_rule_it_breaks() {
    support::lua::require_luajit();
    let mut missed = Vec::new();
    for (mutant, rule) in LUA_MUTANTS {
        let report = verify_client(lua(mutant), ClientRunOptions::default())
            .await
            .unwrap_or_else(|e| panic!("features did not run against {mutant}: {e}"));
        let errors = report.harness_errors();
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
