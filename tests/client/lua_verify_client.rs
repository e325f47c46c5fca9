//! `verify-client --adapter` end to end, as a plugin's CI would run it: the
//! Lua example and the reference adapter pass, broken adapters end in exit 2
//! with their stderr quoted, and each Lua mutant fails the rule it breaks.

use std::process::Output;

use kosync_contract::contract::catalogue;
use serde_json::Value;

use crate::support;

use support::lua::{mutant_command_line, MUTANTS};
use support::report::failed_rules;

fn verify(adapter: &str, extra: &[&str]) -> (Output, Option<Value>) {
    let mut args = vec!["--adapter".to_string(), adapter.to_string()];
    args.extend(extra.iter().map(|a| a.to_string()));
    support::report::verify_client(&args, std::time::Duration::from_secs(120))
}

const LUA: &str = "luajit fixtures/adapters/lua/adapter.lua";

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
fn the_lua_example_client_passes_every_feature_and_the_differential_run() {
    support::lua::require_luajit();
    let (output, report) = verify(LUA, &["--cases", "100"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = report.expect("a JSON report");
    let differential = report["results"]
        .as_array()
        .and_then(|r| {
            r.iter().find(|c| {
                c["feature"]
                    .as_str()
                    .is_some_and(|f| f.starts_with("differential"))
            })
        })
        .expect("the differential run is in the report");
    assert_eq!(differential["status"], "passed");
    assert!(
        report["summary"]["passed"].as_u64().unwrap_or(0) > 50,
        "{report}"
    );
}

#[test]
fn the_reference_adapter_passes_over_the_subprocess_path() {
    let bin = env!("CARGO_BIN_EXE_kosync-contract");
    let (output, _) = verify(&format!("'{bin}' adapter"), &["--cases", "50"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn a_crashing_adapter_ends_in_exit_2_quoting_its_stderr() {
    let (output, report) = verify("sh fixtures/adapters/broken/crash.sh", &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let all = text(&output);
    assert!(all.contains("attempt to index a nil value"), "{all}");
    assert!(all.contains("exit status: 3"), "{all}");
    assert_eq!(report.expect("a JSON report even so")["exit_code"], 2);
}

#[test]
fn a_silent_adapter_ends_in_exit_2_after_the_timeout() {
    let started = std::time::Instant::now();
    let (output, _) = verify(
        "sh fixtures/adapters/broken/silent.sh",
        &[
            "--adapter-timeout-ms",
            "300",
            "--adapter-startup-timeout-ms",
            "300",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("silent for 300 ms"),
        "{}",
        text(&output)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn a_bad_adapter_command_line_is_exit_2() {
    let (output, _) = verify("luajit 'unclosed", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("unclosed"), "{}", text(&output));
}

/// Each mutant, run on the scenarios of the rule it breaks plus the differential run.
#[test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
fn each_lua_mutant_fails_verify_client_on_its_rule() {
    support::lua::require_luajit();
    let mut missed = Vec::new();
    for &(mutant, rule) in MUTANTS {
        // Run on its own scenarios this one is seen uploading while disabled.
        let rule = if mutant == "sync_when_disabled" {
            "C-EN-1"
        } else {
            rule
        };
        let adapter = mutant_command_line(mutant);
        let (output, report) = verify(&adapter, &["--tags", &format!("@{rule}"), "--cases", "200"]);
        let failed = report.as_ref().map(failed_rules).unwrap_or_default();
        // A SHOULD rule's failure is reported without failing the run.
        let gates = catalogue::find(rule).is_none_or(|r| r.level.gates());
        let expected_exit = if gates { 1 } else { 0 };
        if output.status.code() != Some(expected_exit) || !failed.iter().any(|r| r == rule) {
            missed.push(format!(
                "{mutant}: exit {:?}, failed rules {failed:?}, expected {rule}",
                output.status.code()
            ));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

/// The lost update (a snapshot whose second upload fails is counted as
/// synced) is a MUST failure whichever profile the client is judged by: the
/// rules every client keeps catch it, and the correct client does not fail them.
#[test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
fn the_lost_update_client_fails_a_must_under_both_profiles() {
    support::lua::require_luajit();
    let rule = "C-SAFE-1";
    assert!(catalogue::find(rule).is_some_and(|r| r.level.gates()));
    for profile in ["booklore-plugin", "koreader"] {
        for (mutant, lost) in [("", false), ("second_failure_counted_as_sent", true)] {
            let adapter = mutant_command_line(mutant);
            let tags = format!("@{rule}");
            let (output, report) = verify(
                &adapter,
                &["--profile", profile, "--tags", &tags, "--cases", "0"],
            );
            let failed = report.as_ref().map(failed_rules).unwrap_or_default();
            assert_eq!(
                failed.iter().any(|r| r == rule),
                lost,
                "{profile} {mutant:?}: failed {failed:?}\n{}",
                text(&output)
            );
            let expected_exit = if lost { 1 } else { 0 };
            assert_eq!(
                output.status.code(),
                Some(expected_exit),
                "{profile} {mutant:?}\n{}",
                text(&output)
            );
        }
    }
}
