//! `verify-client --profile koreader` against the KOReader-style Lua example
//! client (`fixtures/adapters/koreader`), as a plugin's CI would run it —
//! features and the differential run: the correct client is conformant, and
//! each deliberately broken variant (KOReader's own three defects among them)
//! fails, naming the rule it breaks.

use std::process::Output;

use kosync_contract::contract::catalogue;
use serde_json::Value;

use crate::support;

use support::lua::{koreader_command_line, require_luajit, KOREADER_MUTANTS};
use support::report::failed_rules;

/// Run `verify-client --profile koreader` on the example with `mutant`;
/// the process output and the JSON report.
fn verify(mutant: &str) -> (Output, Option<Value>) {
    let args = ["--profile", "koreader", "--adapter"].map(String::from);
    let mut args = args.to_vec();
    args.push(koreader_command_line(mutant));
    support::report::verify_client(&args, std::time::Duration::from_secs(300))
}

fn results_with(report: &Value, status: &str) -> Vec<String> {
    report["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["status"] == status)
        .map(|r| {
            format!(
                "{} {}: {}",
                r["rules"],
                r["scenario"].as_str().unwrap_or("?"),
                r["actual"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
fn the_koreader_style_client_is_conformant_to_the_koreader_profile() {
    require_luajit();
    let (output, report) = verify("");
    let report = report.expect("a JSON report");
    assert_eq!(
        output.status.code(),
        Some(0),
        "failed: {:#?}\nerrors: {:#?}",
        results_with(&report, "failed"),
        results_with(&report, "error")
    );
    assert!(results_with(&report, "failed").is_empty());
    let passed = results_with(&report, "passed");
    assert!(passed.len() > 20, "too little ran: {passed:#?}");
}

#[test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
fn every_koreader_style_mutant_fails_naming_the_rule_it_breaks() {
    require_luajit();
    let mut missed = Vec::new();
    for &(mutant, rule) in KOREADER_MUTANTS {
        let (output, report) = verify(mutant);
        let Some(report) = report else {
            missed.push(format!("{mutant}: no report ({output:?})"));
            continue;
        };
        let errors = results_with(&report, "error");
        assert!(
            errors.is_empty(),
            "mutant {mutant} broke the harness instead of a rule: {errors:#?}"
        );
        let failed = failed_rules(&report);
        // A gating rule's failure fails the run; a SHOULD rule's alone does not,
        // but the same defect may break a gating rule too.
        let gates = catalogue::find(rule).is_none_or(|r| r.level.gates());
        let exit_ok = match output.status.code() {
            Some(1) => true,
            Some(0) => !gates,
            _ => false,
        };
        if !failed.iter().any(|r| r == rule) || !exit_ok {
            missed.push(format!(
                "{mutant}: exit {:?}, failed rules {failed:?}, expected {rule}",
                output.status.code()
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "the KOReader profile misses these broken clients:\n  {}",
        missed.join("\n  ")
    );
}
