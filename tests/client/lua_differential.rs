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
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
fn the_lua_client_agrees_with_the_model() {
    crate::support::lua::require_luajit();
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
