use super::render::{annotation_property, failure_detail};
use super::*;

fn sample() -> Report {
    let mut failed = CaseResult::new(
        "Pulling progress",
        "An unread book is not found",
        &["S-PULL-2"],
        Level::Must,
        Status::Failed,
    );
    failed.expected = Some("status 404".into());
    failed.actual = Some("status 200, body {}".into());
    failed.reproduce = Some("curl -sS -i http://x/".into());
    let mut warn = CaseResult::new(
        "Bad input",
        "charset",
        &["S-CT-2"],
        Level::Should,
        Status::Failed,
    );
    warn.actual = Some("application/json; charset=utf-8".into());
    let passed = CaseResult::new(
        "Pulling progress",
        "Push then pull",
        &["S-PULL-1"],
        Level::Must,
        Status::Passed,
    );
    let mut skipped = CaseResult::new(
        "Isolation",
        "Two users",
        &["S-ISO-1"],
        Level::Must,
        Status::Skipped,
    );
    skipped.reason = Some("needs a second user".into());
    Report::new(
        "http://x".into(),
        Some("booklore".into()),
        None,
        vec![failed, passed, warn, skipped],
    )
}

#[test]
fn a_must_failure_exits_1_and_a_should_failure_alone_exits_0() {
    let report = sample();
    assert_eq!(report.exit_code(), 1);
    assert!(!report.conformant);
    assert_eq!(report.failed_rules(), vec!["S-CT-2", "S-PULL-2"]);

    let only_should = Report::new(
        "x".into(),
        None,
        None,
        report
            .results
            .iter()
            .filter(|r| r.level == Level::Should)
            .cloned()
            .collect(),
    );
    assert_eq!(only_should.exit_code(), 0);
    assert!(only_should.conformant);
}

#[test]
fn a_gating_rule_only_skipped_makes_the_run_incomplete_unless_allowed() {
    let skipped = |rule: &str, level: Level, reason: &str| {
        let mut r = CaseResult::new("F", rule, &[rule], level, Status::Skipped);
        r.reason = Some(reason.into());
        r
    };
    let passed = CaseResult::new("F", "p", &["S-TS-1"], Level::Must, Status::Passed);
    let results = vec![
        passed,
        // S-TS-1 is checked by the passing scenario: a skip of another of its scenarios is fine.
        skipped("S-TS-1", Level::Must, "needs the admin API"),
        skipped("S-ISO-1", Level::Must, "needs a second user"),
        skipped("S-ISO-1", Level::Must, "needs a second user"),
        // SHOULD rules never gate.
        skipped("S-BAD-3", Level::Should, "whatever"),
    ];
    let mut report = Report::new("x".into(), None, None, results);
    assert_eq!(report.exit_code(), 0, "skips are only reported by default");
    assert!(report.conformant);

    report.set_skip_policy(SkipPolicy::Gate);
    assert_eq!(report.exit_code(), crate::exit::INCOMPLETE);
    assert!(!report.conformant);
    assert_eq!(report.unchecked.len(), 1, "{:?}", report.unchecked);
    assert_eq!(report.unchecked[0].rule, "S-ISO-1");
    assert_eq!(report.unchecked[0].reasons, vec!["needs a second user"]);
    let text = report.render_text();
    assert!(text.contains("NOT VERIFIED"), "{text}");
    assert!(!text.contains(": conformant"), "{text}");
    assert!(
        text.contains("S-ISO-1 (MUST): needs a second user"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
    assert_eq!(json["exit_code"], 3);
    assert_eq!(json["conformant"], false);
    assert_eq!(json["unchecked"][0]["rule"], "S-ISO-1");

    report.set_skip_policy(SkipPolicy::Allowed);
    assert_eq!(report.exit_code(), 0);
    assert!(!report.conformant, "a partial run is not called conformant");
    let text = report.render_text();
    assert!(text.contains("a partial run"), "{text}");

    // A failure dominates: it is a definite answer.
    report.extend([CaseResult::new(
        "F",
        "f",
        &["S-LWW-1"],
        Level::Must,
        Status::Failed,
    )]);
    report.set_skip_policy(SkipPolicy::Gate);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn a_run_that_could_not_be_done_still_has_reports_that_say_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = ReportFiles {
        json: Some(dir.path().join("r.json")),
        junit: Some(dir.path().join("r.xml")),
        ..ReportFiles::default()
    };
    files.prepare("http://x", None).expect("writable");
    let placeholder = std::fs::read_to_string(dir.path().join("r.json")).expect("json");
    assert!(placeholder.contains("did not finish"), "{placeholder}");
    let outcome = files.emit_could_not_verify("http://x", None, "cannot reach the server", "t");
    assert_eq!(outcome, Outcome::HarnessError);
    let json = std::fs::read_to_string(dir.path().join("r.json")).expect("json");
    assert!(json.contains("cannot reach the server"), "{json}");
    assert!(json.contains("\"exit_code\": 2"), "{json}");
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).expect("xml");
    assert!(xml.contains("cannot reach the server"), "{xml}");

    let missing = ReportFiles {
        json: Some(dir.path().join("no/such/dir/r.json")),
        ..ReportFiles::default()
    };
    let err = missing.prepare("x", None).expect_err("missing folder");
    assert!(err.contains("no/such/dir/r.json"), "{err}");
}

#[test]
fn not_applicable_is_its_own_status_in_every_rendering_and_gates_nothing() {
    let mut na = CaseResult::new(
        "Rating",
        "Rating marks the book read",
        &["C-RATE-1"],
        Level::Must,
        Status::NotApplicable,
    );
    na.reason = Some("needs rating (a rating hook), which the client does not declare".into());
    let report = Report::new("x".into(), None, Some("koreader".into()), vec![na]);
    assert_eq!(report.exit_code(), 0, "a missing capability is no failure");
    assert_eq!(report.summary.not_applicable, 1);
    assert_eq!(report.summary.skipped, 0, "not applicable is not a skip");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
    assert_eq!(json["results"][0]["status"], "not_applicable");
    assert_eq!(json["summary"]["not_applicable"], 1);
    let text = report.render_text();
    assert!(text.contains("n/a  [C-RATE-1]"), "{text}");
    assert!(text.contains("not applicable: needs rating"), "{text}");
    assert!(text.contains("1 not applicable"), "{text}");
    let junit = report.to_junit();
    assert!(junit.contains("not applicable: needs rating"), "{junit}");
    assert!(junit.contains("type=\"not_applicable\""), "{junit}");
}

#[test]
fn an_error_exits_2() {
    let mut report = sample();
    report.extend([CaseResult::new("x", "y", &[], Level::Must, Status::Error)]);
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn json_has_the_documented_fields() {
    let json: serde_json::Value = serde_json::from_str(&sample().to_json()).expect("json");
    assert_eq!(json["conformant"], false);
    assert_eq!(json["dialect"], "booklore");
    let first = &json["results"][0];
    for key in [
        "feature",
        "scenario",
        "rules",
        "level",
        "status",
        "expected",
        "actual",
        "reproduce",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    assert_eq!(first["status"], "failed");
    assert_eq!(first["level"], "MUST");
    let cite = &first["cites"][0];
    assert_eq!(cite["id"], "S-PULL-2");
    assert_eq!(cite["level"], "MUST");
    assert!(cite["text"].as_str().is_some_and(|t| t.contains("404")));
    assert!(cite["why"].as_str().is_some_and(|t| t.contains("BookLore")));
    assert!(
        json["results"][1].get("cites").is_none(),
        "a pass cites nothing"
    );
    assert_eq!(json["results"][3]["status"], "skipped");
}

#[test]
fn junit_names_cases_with_rule_ids() {
    let xml = sample().to_junit();
    assert!(
        xml.contains("[S-PULL-2] An unread book is not found"),
        "{xml}"
    );
    assert!(xml.contains("<failure"), "{xml}");
    assert!(xml.contains("why it matters: BookLore"), "{xml}");
    assert!(xml.contains("<skipped"), "{xml}");
    assert!(xml.contains("tests=\"4\""), "{xml}");
}

#[test]
fn github_annotations_point_at_the_feature_file() {
    let mut report = sample();
    report.results[0].location = Some("features/server/pull.feature:14".into());
    report.results[0].step = Some("Then the answer is 404".into());
    let shown = report.to_github_annotations();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "the MUST failure and the SHOULD warning: {shown}"
    );
    assert_eq!(
        lines[0],
        "::error file=features/server/pull.feature,line=14,title=S-PULL-2 (MUST)::\
         An unread book is not found%0Astep: Then the answer is 404%0Aexpected: status 404\
         %0Agot: status 200, body {}%0Awhy it matters: BookLore's plugin takes a 404 as \
         \"no remote progress yet\"; any other answer for a library book without progress \
         shows an error or a position that does not exist.%0Areproduce: curl -sS -i http://x/"
    );
    // No location: no file; SHOULD: a warning; `%`, `,` and `:` escaped.
    assert!(
        lines[1].starts_with(
            "::warning title=S-CT-2 (SHOULD)::charset%0Agot: application/json; charset=utf-8"
        ),
        "{}",
        lines[1]
    );
    assert_eq!(annotation_property("a:b,c%\nd"), "a%3Ab%2Cc%25%0Ad");
}

#[test]
fn an_answer_already_shown_as_got_is_not_repeated_in_sent() {
    let mut r = CaseResult::new("F", "S", &["S-AUTH-1"], Level::Must, Status::Failed);
    let page = "<!DOCTYPE HTML> <html lang=\"en\"> <head> <title>Error response</title>";
    r.actual = Some(format!("status 404, content type text/html, body {page}"));
    r.transcript = vec![format!(
        "GET /api/koreader/users/auth → 404 text/html {page}"
    )];
    let text = failure_detail(&r);
    assert!(
        text.contains("sent:     GET /api/koreader/users/auth → 404 (answer below)"),
        "{text}"
    );
    assert_eq!(text.matches("Error response").count(), 1, "{text}");
    // An answer `got:` does not show stays in `sent:`.
    r.actual = Some("percentage 0.3, expected 0.25".into());
    assert!(failure_detail(&r).contains(&format!("404 text/html {page}")));
}

#[test]
fn text_shows_rule_level_expected_got_and_curl() {
    let text = sample().render_text();
    assert!(
        text.contains("FAIL [S-PULL-2] An unread book is not found"),
        "{text}"
    );
    assert!(
        text.contains("S-PULL-2 (MUST) Pulling a document"),
        "{text}"
    );
    let why = catalogue::find("S-PULL-2").map(|r| r.why).unwrap_or("?");
    assert!(text.contains(&format!("why:      {why}")), "{text}");
    assert!(text.contains("expected: status 404"), "{text}");
    assert!(text.contains("got:      status 200, body {}"), "{text}");
    assert!(text.contains("reproduce: curl"), "{text}");
    assert!(text.contains("warn [S-CT-2]"), "{text}");
    assert!(text.contains("skipped: needs a second user"), "{text}");
    assert!(text.contains("NOT conformant"), "{text}");
}
