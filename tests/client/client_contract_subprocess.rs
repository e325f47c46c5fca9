//! The client features through the subprocess adapter path: the World takes
//! any driver, so the same scenarios run against `kosync-contract adapter`
//! (the reference model over JSON lines on stdio) and against the Lua example
//! client. A client behind an adapter is judged by exactly the same text.

use std::sync::Arc;
use std::time::Duration;

use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver};
use kosync_contract::contract::client::cli::{verify_client, ClientRunOptions, ClientTarget};
use kosync_contract::contract::client::world::DriverFactory;
use kosync_contract::contract::report::{Report, Status};

fn adapter_target(line: &str) -> ClientTarget {
    let command = AdapterCommand::parse(line).expect("adapter command parses");
    let make = SubprocessDriver::factory(command, Duration::from_secs(20));
    let drivers: DriverFactory = Arc::new(move || Ok(make()));
    ClientTarget::Driver {
        drivers,
        describe: format!("adapter `{line}`"),
        args: format!(" --adapter '{line}'"),
    }
}

fn problems(report: &Report) -> Vec<String> {
    report
        .results
        .iter()
        .filter(|r| r.status != Status::Passed)
        .map(|r| {
            format!(
                "{} [{}] {:?} at {:?}: expected {:?}, actual {:?}",
                r.scenario,
                r.rules.join(" "),
                r.status,
                r.step,
                r.expected,
                r.actual
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_over_stdio_passes_the_client_features() {
    let binary = env!("CARGO_BIN_EXE_kosync-contract");
    let report = verify_client(
        adapter_target(&format!("{binary} adapter")),
        ClientRunOptions::default(),
    )
    .await
    .expect("features run");
    let problems = problems(&report);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(report.summary.passed > 100, "{:?}", report.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_model_over_stdio_fails_its_rule() {
    let binary = env!("CARGO_BIN_EXE_kosync-contract");
    let report = verify_client(
        adapter_target(&format!("{binary} adapter --mutant NoDebounce")),
        ClientRunOptions {
            tags: Some("@C-PUSH-6".to_string()),
            ..ClientRunOptions::default()
        },
    )
    .await
    .expect("features run");
    assert_eq!(report.failed_rules(), vec!["C-PUSH-6".to_string()]);
    assert_eq!(report.exit_code(), 1);
    let failure = report.failures().next().expect("a failure");
    let reproduce = failure.reproduce.as_deref().unwrap_or_default();
    assert!(
        reproduce.contains("--adapter '") && reproduce.contains("--tags '@C-PUSH-6'"),
        "{reproduce}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_that_cannot_start_is_a_harness_error() {
    let report = verify_client(
        adapter_target("/nonexistent/kosync-adapter"),
        ClientRunOptions {
            tags: Some("@C-PULL-1".to_string()),
            ..ClientRunOptions::default()
        },
    )
    .await
    .expect("features run");
    assert_eq!(report.exit_code(), 2, "{:#?}", report.results);
    assert!(report.results.iter().all(|r| r.status == Status::Error));
    let actual = report.results[0].actual.as_deref().unwrap_or_default();
    assert!(actual.contains("/nonexistent/kosync-adapter"), "{actual}");
}

/// The Lua example client (`fixtures/adapters/lua`), a second implementation
/// of the same rules, against the same features.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
async fn the_lua_example_client_passes_the_client_features() {
    crate::support::lua::require_luajit();
    let root = env!("CARGO_MANIFEST_DIR");
    let report = verify_client(
        adapter_target(&format!("luajit {root}/fixtures/adapters/lua/adapter.lua")),
        ClientRunOptions::default(),
    )
    .await
    .expect("features run");
    let problems = problems(&report);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
