//! The living documentation: rendered pages for the fixture features, the
//! `docs` and `rules` commands as a docs author would use them.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use kosync_contract::contract::catalogue;
use kosync_contract::contract::docs::{self, markdown, results, spec, Spec};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn good_spec(with_results: bool) -> Spec {
    let dir = fixtures().join("features/good");
    let mut files = spec::from_dir(&dir).expect("fixture features");
    // Paths relative to the fixture root, so the snapshot does not depend on the checkout.
    for f in &mut files {
        let rel = Path::new(&f.path)
            .strip_prefix(&dir)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| f.path.clone());
        f.path = format!("features/{rel}");
    }
    let targets = if with_results {
        results::load_all(&[
            fixtures().join("results/builtin-booklore.json"),
            fixtures().join("results/broken-server.json"),
        ])
        .expect("fixture reports")
    } else {
        Vec::new()
    };
    Spec {
        features: spec::parse_strict(&files).expect("fixtures parse"),
        targets,
        source: "fixture features".into(),
    }
}

fn kosync() -> Command {
    Command::cargo_bin("kosync-contract").expect("binary is built")
}

/// `docs --out OUT --features tests/fixtures/features/FEATURES`, with one
/// `--results tests/fixtures/results/R` per entry of `results`.
fn docs_command(out: &Path, features: &str, results: &[&str]) -> Command {
    let mut command = kosync();
    command
        .args(["docs", "--out"])
        .arg(out)
        .arg("--features")
        .arg(fixtures().join("features").join(features));
    for r in results {
        command
            .arg("--results")
            .arg(fixtures().join("results").join(r));
    }
    command
}

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn markdown_page_of_a_feature_with_results() {
    let spec = good_spec(true);
    let feature = spec
        .features
        .iter()
        .find(|f| f.path == "features/server/progress.feature")
        .expect("fixture feature");
    insta::assert_snapshot!(
        "server_progress_md",
        markdown::render_feature(&spec, feature)
    );
}

#[test]
fn outline_rows_combine_into_one_status_per_target() {
    let spec = good_spec(true);
    let (feature, scenario) = spec
        .scenarios()
        .find(|(_, _, s)| s.name == "A percentage of <value> is a real value")
        .map(|(f, _, s)| (f, s))
        .expect("the outline");
    let broken = &spec.targets[1];
    assert_eq!(
        broken.results_for(feature, scenario).count(),
        2,
        "one result per row"
    );
    assert_eq!(broken.status_of(feature, scenario), results::Status::Failed);
    assert_eq!(
        spec.targets[0].status_of(feature, scenario),
        results::Status::Passed
    );
    assert_eq!(
        spec.rule_status(broken, "S-PULL-2"),
        results::Status::Skipped
    );
    assert_eq!(
        spec.rule_status(broken, "S-PULL-3"),
        results::Status::Failed
    );
    assert_eq!(
        spec.rule_status(broken, "C-PULL-1"),
        results::Status::NotRun
    );
}

#[test]
fn a_result_is_found_by_its_location_when_names_differ() {
    let spec = good_spec(false);
    let (feature, scenario) = spec
        .scenarios()
        .find(|(_, _, s)| s.name == "Pulling a book nobody has read")
        .map(|(f, _, s)| (f, s))
        .expect("scenario");
    let report = results::parse(&format!(
        r#"{{"target":"t","results":[
            {{"feature":"renamed","scenario":"renamed too","location":"features/server/progress.feature:{}","status":"failed"}},
            {{"feature":"renamed","scenario":"elsewhere","location":"features/server/progress.feature:13","status":"passed"}}
        ]}}"#,
        scenario.line
    ))
    .expect("report");
    let matched: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.belongs_to(feature, scenario))
        .map(|r| r.scenario.as_str())
        .collect();
    assert_eq!(matched, vec!["renamed too"]);
}

#[test]
fn rules_listing_names_every_rule_and_its_scenarios() {
    let spec = good_spec(false);
    let (text, uncovered) = docs::list_rules(&spec);
    for rule in catalogue::all() {
        assert!(
            text.lines()
                .any(|l| l.starts_with(rule.id) && l.contains(rule.text)),
            "{} missing from the listing",
            rule.id
        );
    }
    assert!(text.contains(
        "covered by: features/client/pull.feature:4  Scenario: Opening a book with Wi-Fi up pulls before it pushes"
    ));
    assert_eq!(uncovered, catalogue::all().len() - 7);
}

#[test]
fn docs_command_writes_every_page_with_every_rule() {
    let out = tempfile::tempdir().expect("temp dir");
    let assert = docs_command(
        out.path(),
        "good",
        &["builtin-booklore.json", "broken-server.json"],
    )
    .assert()
    .success();
    let stdout = stdout_of(&assert);
    for page in [
        "index.html",
        "rules.md",
        "server-progress.md",
        "client-pull.md",
    ] {
        assert!(out.path().join(page).is_file(), "{page} not written");
        assert!(stdout.contains(page), "{page} not listed in: {stdout}");
    }
    let html = std::fs::read_to_string(out.path().join("index.html")).expect("index.html");
    let rules_md = std::fs::read_to_string(out.path().join("rules.md")).expect("rules.md");
    for rule in catalogue::all() {
        assert!(
            html.contains(&format!("id=\"rule-{}\"", rule.id.to_ascii_lowercase())),
            "{}",
            rule.id
        );
        assert!(
            rules_md.contains(&format!("## {} —", rule.id)),
            "{}",
            rule.id
        );
        if let Some(reading) = rule.reading {
            assert!(
                html.contains(&html_escaped(reading)),
                "{}'s reading not shown",
                rule.id
            );
        }
    }
    // Self-contained: no stylesheet, script, image or font fetched from anywhere.
    for external in [
        "<link", "<script", "src=", "url(", "@import", "http://", "https://",
    ] {
        let hits: Vec<&str> = html.lines().filter(|l| l.contains(external)).collect();
        // The broken server's address appears as text in its column and reproduce line only.
        let allowed =
            |l: &&str| l.contains("127.0.0.1:6060") && !l.contains("src=") && !l.contains("<link");
        assert!(
            hits.iter().all(allowed),
            "external reference {external}: {hits:?}"
        );
    }
    // Coverage matrix: the broken server fails S-PULL-3, skips S-PULL-2.
    let row = html
        .lines()
        .find(|l| l.contains("id=\"rule-s-pull-3\""))
        .expect("S-PULL-3 row");
    assert!(
        row.contains("st-passed") && row.contains("st-failed"),
        "{row}"
    );
    assert!(html.contains("percentage 0"), "failure details shown");
    // The header counts the broken server's skipped scenario: a skip is no pass.
    assert!(
        html.contains("<b>2✓ 1✗ 1 skipped</b>"),
        "skipped count in the header"
    );
    assert!(
        rules_md.contains("| S-PULL-2 | MUST | ✅ passed | skipped |"),
        "{rules_md}"
    );
}

fn html_escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[test]
fn a_malformed_report_is_refused_naming_the_file() {
    let out = tempfile::tempdir().expect("temp dir");
    let assert = docs_command(out.path(), "good", &["malformed.json"])
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("malformed.json is not a kosync-contract JSON report"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 1"),
        "serde's position is kept: {stderr}"
    );
    assert!(
        !out.path().join("index.html").exists(),
        "nothing half-written"
    );
}

#[test]
fn a_broken_feature_stops_docs_with_file_and_line() {
    let out = tempfile::tempdir().expect("temp dir");
    let assert = docs_command(out.path(), "bad-syntax", &[]).assert().code(2);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("broken.feature:6:"), "{stderr}");
}

#[test]
fn rules_command_lists_the_catalogue() {
    let assert = kosync()
        .arg("rules")
        .arg("--features")
        .arg(fixtures().join("features/good"))
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    let listed = catalogue::all()
        .iter()
        .filter(|r| stdout.lines().any(|l| l.starts_with(r.id)))
        .count();
    assert_eq!(listed, catalogue::all().len());
    assert!(
        stdout.contains(&format!("{} rules, 7 covered", catalogue::all().len())),
        "{stdout}"
    );
}

#[test]
fn rules_check_runs_the_gate() {
    let assert = kosync()
        .args(["rules", "--check", "--features"])
        .arg(fixtures().join("features/unknown-id"))
        .assert()
        .code(1);
    let stdout = stdout_of(&assert);
    assert!(stdout.contains("tag @S-PULL-99 on Rule"), "{stdout}");
    assert!(stdout.contains("rule H-1 has no scenario"), "{stdout}");
    let assert = kosync()
        .args(["rules", "--check", "--features"])
        .arg(fixtures().join("features/bad-syntax"))
        .assert()
        .code(1);
    let stdout = stdout_of(&assert);
    assert!(
        stdout.contains(
            "broken.feature:6:3: `This line is neither a step nor a keyword` cannot stand here"
        ),
        "{stdout}"
    );
    kosync()
        .args(["rules", "--features", "/nonexistent/features"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("/nonexistent/features"));
}
