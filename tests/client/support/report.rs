//! `verify-client` run as a plugin's CI runs it, and what its JSON report says.

use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// Run `kosync-contract verify-client ARGS --json FILE` from the crate root;
/// the process output and the parsed report (`None` when none was written).
pub fn verify_client(args: &[String], timeout: Duration) -> (Output, Option<Value>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("report.json");
    let output = Command::cargo_bin("kosync-contract")
        .expect("binary builds")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("verify-client")
        .args(args)
        .arg("--json")
        .arg(&json)
        .timeout(timeout)
        .output()
        .expect("verify-client runs");
    let report = std::fs::read_to_string(&json)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    (output, report)
}

/// The rule ids of the report's failed results, sorted, once each.
pub fn failed_rules(report: &Value) -> Vec<String> {
    let mut rules: Vec<String> = report["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["status"] == "failed")
        .flat_map(|r| r["rules"].as_array().cloned().unwrap_or_default())
        .filter_map(|id| id.as_str().map(str::to_string))
        .collect();
    rules.sort();
    rules.dedup();
    rules
}
