//! A misspelt keyword cannot make a scenario vanish: on two fixtures that
//! differ from runnable features by one typo (`Scenaro:`, `Givn`), the gate,
//! `rules --check`, `docs` and `verify-client` all refuse the file, naming the
//! line of the typo and the keyword meant. Fixed, each fixture runs and passes,
//! so the refusal is about the typo and nothing else.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use kosync_contract::contract::docs::spec;
use kosync_contract::contract::gate::{self, GateProblem};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/features")
        .join(name)
}

fn kosync(args: &[&str], features: &Path) -> Output {
    Command::cargo_bin("kosync-contract")
        .expect("binary")
        .args(args)
        .arg("--features")
        .arg(features)
        .output()
        .expect("runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// (fixture, file, line:column of the typo, the keyword it should say, the typo, its fix)
const CASES: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "misspelt-scenario",
        "pull.feature",
        "10:5",
        "did you mean `Scenario:`",
        "Scenaro:",
        "Scenario:",
    ),
    (
        "misspelt-step",
        "resume.feature",
        "11:7",
        "did you mean `Given`",
        "Givn ",
        "Given ",
    ),
];

#[test]
fn the_gate_names_the_typo_line_and_only_that() {
    for &(dir, file, at, meant, _, _) in CASES {
        let files = spec::from_dir(&fixture(dir)).expect("readable");
        let problems = gate::check(&files);
        assert_eq!(problems.len(), 1, "{}", gate::summary(&problems));
        let GateProblem::Unparsable(failure) = &problems[0] else {
            panic!("expected the file to be refused: {}", problems[0]);
        };
        let shown = failure.to_string();
        assert!(shown.contains(&format!("{file}:{at}: ")), "{shown}");
        assert!(shown.contains(meant), "{shown}");
    }
}

#[test]
fn every_command_that_reads_features_refuses_the_file() {
    for &(dir, file, at, meant, _, _) in CASES {
        let features = fixture(dir);
        let site = tempfile::tempdir().expect("temp dir");
        let site = site.path().to_string_lossy().into_owned();
        for (args, code) in [
            (vec!["rules", "--check"], 1),
            (vec!["rules"], 2),
            (vec!["docs", "--out", site.as_str()], 2),
            (vec!["verify-client", "--cases", "0"], 2),
        ] {
            let out = kosync(&args, &features);
            let shown = text(&out);
            assert_eq!(out.status.code(), Some(code), "{args:?} on {dir}: {shown}");
            assert!(
                shown.contains(&format!("{file}:{at}: ")),
                "{args:?} on {dir}: {shown}"
            );
            assert!(shown.contains(meant), "{args:?} on {dir}: {shown}");
        }
    }
}

#[test]
fn with_the_typo_fixed_each_fixture_runs_and_passes() {
    for &(dir, file, _, _, typo, fix) in CASES {
        let copy = tempfile::tempdir().expect("temp dir");
        let original = std::fs::read_to_string(fixture(dir).join(file)).expect("fixture");
        assert_eq!(
            original.matches(typo).count(),
            1,
            "{dir} holds exactly one typo"
        );
        std::fs::write(copy.path().join(file), original.replace(typo, fix)).expect("write");
        let json = copy.path().join("report.json");
        let out = Command::cargo_bin("kosync-contract")
            .expect("binary")
            .args(["verify-client", "--cases", "0", "--features"])
            .arg(copy.path())
            .arg("--json")
            .arg(&json)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{dir} fixed: {}", text(&out));
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).expect("report")).expect("JSON");
        assert_eq!(report["summary"]["passed"], 1, "{report}");
    }
}
