//! `kosync-contract verify-client` and `kosync-contract verify` as a person
//! uses them: exit codes, the text summary, the JSON and JUnit files, tag
//! filters, a user's own features, and clear errors for bad input.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn kosync() -> Command {
    Command::cargo_bin("kosync-contract").expect("the binary is built")
}

fn write_feature(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write feature");
}

/// `verify-client --features DIR` where DIR holds only the feature `name` saying `text`.
fn verify_client_on(name: &str, text: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().expect("tempdir");
    write_feature(dir.path(), name, text);
    kosync()
        .args(["verify-client", "--features"])
        .arg(dir.path())
        .assert()
}

/// The JSON report a run wrote to `path`.
fn read_report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("json written")).expect("JSON")
}

#[test]
fn verify_client_passes_the_reference_model() {
    kosync()
        .arg("verify-client")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("profile booklore-plugin"))
        .stdout(predicate::str::contains("ok   [C-PULL-5]"))
        .stdout(
            predicate::str::is_match(r"\n\d{3} passed, 0 failed, 0 skipped, 0 errors: conformant")
                .expect("regex"),
        );
}

#[test]
fn verify_client_writes_json_and_junit_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("client.json");
    let junit = dir.path().join("client.xml");
    kosync()
        .args(["verify-client", "--tags", "@C-PUSH-6 or @C-Q-4", "--json"])
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(0);
    let report: serde_json::Value = read_report(&json);
    assert_eq!(report["conformant"], true);
    assert_eq!(report["profile"], "booklore-plugin");
    let results = report["results"].as_array().expect("results");
    assert!(results.len() >= 6, "{results:#?}");
    for r in results {
        assert_eq!(r["status"], "passed", "{r:#}");
        let rules: Vec<&str> = r["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert!(
            rules.contains(&"C-PUSH-6") || rules.contains(&"C-Q-4"),
            "the tag filter let through {rules:?}"
        );
    }
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("<testsuites"), "{xml}");
    assert!(xml.contains("[C-PUSH-6]"), "{xml}");
}

#[test]
fn a_failing_client_scenario_exits_1_with_rule_expected_actual_and_reproduction() {
    // The reference model does not prompt on a 404 (C-PULL-5), so this
    // deliberately wrong expectation must fail and say so.
    verify_client_on(
        "wrong.feature",
        r#"@booklore-plugin
Feature: A deliberately wrong expectation
  @C-PULL-5
  Rule: A 404 is normal
    Scenario: Expecting a prompt on a 404
      Given progress sync is enabled
      And Wi-Fi is connected
      When the reader opens book A at 20%
      Then the user is asked whether to jump to 50%
"#,
    )
    .code(1)
    .stdout(predicate::str::contains(
        "FAIL [C-PULL-5] Expecting a prompt on a 404",
    ))
    .stdout(predicate::str::contains("a prompt to jump to 50%"))
    .stdout(predicate::str::contains("no prompt"))
    .stdout(predicate::str::contains(
        "kosync-contract verify-client --tags '@C-PULL-5'",
    ))
    .stdout(predicate::str::contains("\"type\":\"book_opened\""))
    .stdout(predicate::str::contains("NOT conformant"));
}

#[test]
fn a_should_rule_failure_is_reported_but_does_not_fail_the_run() {
    verify_client_on(
        "should.feature",
        r#"Feature: A SHOULD rule with a wrong expectation
  @C-SAFE-5
  Rule: Offline Sync Pending Now keeps the queue
    Scenario: Expecting the wrong count
      Given progress sync is enabled
      And Wi-Fi is disconnected
      When the reader opens book A at 20%
      Then the queue summary reads 3P
"#,
    )
    .code(0)
    .stdout(predicate::str::contains("warn [C-SAFE-5]"))
    .stdout(predicate::str::contains("1P (1 pending, 0 synced)"));
}

#[test]
fn a_step_no_definition_matches_is_a_harness_error() {
    verify_client_on(
        "typo.feature",
        "Feature: Typo\n  @C-PULL-1\n  Rule: r\n    Scenario: s\n      Given the reader opnes book A at 20%\n",
    )
        .code(2)
        .stdout(predicate::str::contains(
            "no step definition matches this step",
        ));
}

#[test]
fn an_unknown_book_in_the_features_is_a_harness_error() {
    verify_client_on(
        "book.feature",
        "Feature: Books\n  @C-PULL-1\n  Rule: r\n    Scenario: s\n      Given progress sync is enabled\n      When the reader opens book Z at 20%\n",
    )
        .code(2)
        .stdout(predicate::str::contains(
            "the features know books A, B, C, D",
        ));
}

#[test]
fn bad_usage_exits_2_with_a_clear_message() {
    kosync()
        .args(["verify-client", "--tags", "@C-PULL-5 and ("])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid tag expression"));
    kosync()
        .args(["verify-client", "--profile", "kindle"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown profile \"kindle\""));
    kosync()
        .args(["verify-client", "--features", "/nonexistent/features"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/features"));
    verify_client_on("broken.feature", "Feature: x\n  Scenario\n  Given\n")
        .code(2)
        .stderr(predicate::str::contains("broken.feature"));
}

#[test]
fn verify_runs_both_sides_with_one_summary_and_one_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("all.json");
    let junit = dir.path().join("all.xml");
    kosync()
        .args(["verify", "--cases", "4", "--json"])
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "server booklore (built-in fake server)",
        ))
        .stdout(predicate::str::contains(
            "server kosync (built-in fake server)",
        ))
        .stdout(predicate::str::contains(
            "client booklore-plugin (reference model",
        ))
        .stdout(predicate::str::contains("errors: conformant"));
    let report: serde_json::Value = read_report(&json);
    assert_eq!(report["exit_code"], 0);
    let results = report["results"].as_array().expect("results");
    let from = |prefix: &str| {
        results
            .iter()
            .filter(|r| r["feature"].as_str().is_some_and(|f| f.starts_with(prefix)))
            .count()
    };
    assert!(from("server booklore: ") > 10, "booklore results missing");
    assert!(from("server kosync: ") > 10, "kosync results missing");
    assert!(
        from("client booklore-plugin: ") > 100,
        "client results missing"
    );
    assert!(
        from("client koreader: ") > 10,
        "KOReader profile results missing"
    );
    assert!(from("hash: ") >= 12, "hash (H-1) results missing");
    assert_eq!(
        from("server booklore: ")
            + from("server kosync: ")
            + from("client booklore-plugin: ")
            + from("client koreader: ")
            + from("hash: "),
        results.len()
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains("[C-PUSH-6]") && xml.contains("[S-PULL-2]") && xml.contains("[H-1]"),
        "{xml}"
    );
}

#[test]
fn verify_tags_filter_applies_to_both_sides() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("tagged.json");
    kosync()
        .args([
            "verify",
            "--cases",
            "0",
            "--tags",
            "@C-Q-4 or @S-PULL-2",
            "--json",
        ])
        .arg(&json)
        .assert()
        .code(0);
    let report: serde_json::Value = read_report(&json);
    for r in report["results"].as_array().expect("results") {
        let rules = r["rules"].to_string();
        assert!(
            rules.contains("C-Q-4") || rules.contains("S-PULL-2"),
            "unfiltered result {r:#}"
        );
    }
}

#[test]
fn an_adapter_that_cannot_be_driven_exits_2() {
    kosync()
        .args(["verify-client", "--adapter", "/nonexistent/adapter --flag"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/adapter"));
}
