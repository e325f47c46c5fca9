//! The renderings of a [`Report`]: JSON, JUnit XML, GitHub annotations and
//! the text a person reads in a terminal.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::*;

impl Report {
    /// The report as pretty JSON (shape in the module docs).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub fn write_json(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_json() + "\n")
    }

    /// JUnit XML: one test suite per feature, one test case per scenario named
    /// with its rule ids; failures carry expected/actual/reproduce.
    pub fn to_junit(&self) -> String {
        let mut junit = quick_junit::Report::new("kosync-contract");
        let mut suites: BTreeMap<usize, quick_junit::TestSuite> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for r in &self.results {
            let pos = match order.iter().position(|f| f == &r.feature) {
                Some(p) => p,
                None => {
                    order.push(r.feature.clone());
                    order.len() - 1
                }
            };
            let suite = suites
                .entry(pos)
                .or_insert_with(|| quick_junit::TestSuite::new(r.feature.clone()));
            let status = match r.status {
                Status::Passed => quick_junit::TestCaseStatus::success(),
                Status::Skipped => {
                    let mut s = quick_junit::TestCaseStatus::skipped();
                    if let Some(reason) = &r.reason {
                        s.set_message(reason.clone());
                    }
                    s
                }
                // JUnit has no third kind: a skip whose message and type say so.
                Status::NotApplicable => {
                    let mut s = quick_junit::TestCaseStatus::skipped();
                    s.set_message(format!(
                        "not applicable: {}",
                        r.reason
                            .as_deref()
                            .unwrap_or("the client lacks what it needs")
                    ));
                    s.set_type("not_applicable");
                    s
                }
                Status::Failed | Status::Error | Status::Pending => {
                    let kind = if r.status == Status::Failed {
                        quick_junit::NonSuccessKind::Failure
                    } else {
                        quick_junit::NonSuccessKind::Error
                    };
                    let mut s = quick_junit::TestCaseStatus::non_success(kind);
                    let why = r
                        .cites
                        .iter()
                        .find(|c| !c.why.is_empty())
                        .map(|c| format!(" (why it matters: {})", c.why))
                        .unwrap_or_default();
                    s.set_message(format!(
                        "{} {}: {}{why}",
                        r.rules.join(" "),
                        r.level.name(),
                        r.actual.as_deref().unwrap_or("failed")
                    ));
                    s.set_type(r.level.name());
                    s.set_description(failure_detail(r));
                    s
                }
            };
            let mut case = quick_junit::TestCase::new(r.title(), status);
            case.set_classname(format!("{}.{}", self.target_kind(), r.feature));
            suite.add_test_case(case);
        }
        for (_, suite) in suites {
            junit.add_test_suite(suite);
        }
        junit
            .to_string()
            .unwrap_or_else(|e| format!("<!-- cannot render JUnit: {e} -->"))
    }

    /// One GitHub Actions workflow command per failed or broken scenario:
    /// `::error` for a gating failure or a harness error, `::warning` for a
    /// SHOULD failure, at the feature file and line that states the scenario.
    pub fn to_github_annotations(&self) -> String {
        let mut out = String::new();
        for r in &self.results {
            let command = match r.status {
                Status::Failed if r.level.gates() => "error",
                Status::Failed => "warning",
                Status::Error | Status::Pending => "error",
                Status::Passed | Status::Skipped | Status::NotApplicable => continue,
            };
            let mut properties: Vec<String> = Vec::new();
            if let Some((file, line)) = r.location.as_deref().and_then(|l| l.rsplit_once(':')) {
                properties.push(format!("file={}", annotation_property(file)));
                if line.parse::<usize>().is_ok() {
                    properties.push(format!("line={line}"));
                }
            }
            let title = if r.status == Status::Failed {
                format!("{} ({})", r.rules.join(" "), r.level.name())
            } else {
                format!("{} (harness error)", r.rules.join(" "))
            };
            properties.push(format!("title={}", annotation_property(title.trim())));
            let mut message = r.scenario.clone();
            if let Some(step) = &r.step {
                message.push_str(&format!("\nstep: {step}"));
            }
            if let Some(expected) = &r.expected {
                message.push_str(&format!("\nexpected: {expected}"));
            }
            if let Some(actual) = &r.actual {
                message.push_str(&format!("\ngot: {actual}"));
            }
            if let Some(cite) = r.cites.iter().find(|c| !c.why.is_empty()) {
                message.push_str(&format!("\nwhy it matters: {}", cite.why));
            }
            if let Some(reproduce) = &r.reproduce {
                message.push_str(&format!("\nreproduce: {reproduce}"));
            }
            let _ = writeln!(
                out,
                "::{command} {}::{}",
                properties.join(","),
                annotation_data(&message)
            );
        }
        out
    }

    pub fn write_junit(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_junit())
    }

    fn target_kind(&self) -> &str {
        if let Some(d) = &self.dialect {
            d
        } else if let Some(p) = &self.profile {
            p
        } else {
            "contract"
        }
    }

    /// The report for a person: grouped by feature and rule, failures in full.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let what = match (&self.dialect, &self.profile) {
            (Some(d), _) => format!(" (dialect {d})"),
            (_, Some(p)) => format!(" (profile {p})"),
            _ => String::new(),
        };
        let _ = writeln!(out, "kosync-contract: verifying {}{what}", self.target);
        for note in &self.notes {
            // Continuation lines of a note line up under its first.
            let _ = writeln!(out, "  note: {}", note.replace('\n', "\n        "));
        }
        let mut features: Vec<&str> = Vec::new();
        for r in &self.results {
            if !features.contains(&r.feature.as_str()) {
                features.push(&r.feature);
            }
        }
        for feature in features {
            let _ = writeln!(out, "\nFeature: {feature}");
            let mut last_rule: Option<Option<&str>> = None;
            for r in self.results.iter().filter(|r| r.feature == feature) {
                if last_rule != Some(r.rule.as_deref()) {
                    if let Some(rule) = &r.rule {
                        let _ = writeln!(out, "  Rule: {rule}");
                    }
                    last_rule = Some(r.rule.as_deref());
                }
                let mark = match r.status {
                    Status::Passed => "ok  ",
                    Status::Failed if r.level.gates() => "FAIL",
                    Status::Failed => "warn",
                    Status::Skipped => "skip",
                    Status::NotApplicable => "n/a ",
                    Status::Error | Status::Pending => "ERR ",
                };
                let _ = writeln!(out, "    {mark} {}", r.title());
                match r.status {
                    Status::Skipped => {
                        if let Some(reason) = &r.reason {
                            let _ = writeln!(out, "         skipped: {reason}");
                        }
                    }
                    Status::NotApplicable => {
                        if let Some(reason) = &r.reason {
                            let _ = writeln!(out, "         not applicable: {reason}");
                        }
                    }
                    Status::Failed | Status::Error | Status::Pending => {
                        for line in failure_detail(r).lines() {
                            let _ = writeln!(out, "         {line}");
                        }
                    }
                    Status::Passed => {}
                }
            }
        }
        if !self.unchecked.is_empty() {
            let _ = writeln!(
                out,
                "\nNot checked ({} gating rules: every scenario of each was skipped):",
                self.unchecked.len()
            );
            for u in &self.unchecked {
                let _ = writeln!(
                    out,
                    "  {} ({}): {}",
                    u.rule,
                    u.level.name(),
                    u.reasons.join("; ")
                );
                if !u.why.is_empty() {
                    let _ = writeln!(out, "      why it matters: {}", u.why);
                }
            }
        }
        let s = self.summary;
        // Only runs with a client that lacks something have these; other
        // runs keep the summary line they always had.
        let not_applicable = if s.not_applicable > 0 {
            format!("{} not applicable, ", s.not_applicable)
        } else {
            String::new()
        };
        let verdict = match self.outcome() {
            Outcome::Conformant if self.unchecked.is_empty() => "conformant".to_string(),
            Outcome::Conformant => format!(
                "conformant on the rules checked; a partial run ({} gating rules not checked, accepted by --allow-skips)",
                self.unchecked.len()
            ),
            Outcome::Violation => "NOT conformant".to_string(),
            Outcome::Incomplete => format!(
                "NOT VERIFIED: {} gating rules could not be checked on this target (exit {}; --allow-skips accepts a partial run)",
                self.unchecked.len(),
                Outcome::Incomplete.code()
            ),
            Outcome::HarnessError => "could not be verified".to_string(),
        };
        let _ = writeln!(
            out,
            "\n{} passed, {} failed, {} skipped, {}{} errors: {verdict}",
            s.passed, s.failed, s.skipped, not_applicable, s.error
        );
        let failed = self.failed_rules();
        if !failed.is_empty() {
            let _ = writeln!(out, "failed rules: {}", failed.join(", "));
        }
        out
    }
}

/// A workflow command's message, escaped as GitHub Actions reads it back.
fn annotation_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command property (`file=`, `title=`): also without `:` and `,`.
pub(super) fn annotation_property(s: &str) -> String {
    annotation_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The last exchange (`GET /path → 404 text/html <body>`) for the `sent:`
/// line: without the answer's body when `got:` already shows it, so an error
/// page is printed once.
fn without_repeated_answer(sent: &str, r: &CaseResult) -> String {
    let (Some((request, answer)), Some(actual)) = (sent.split_once(" → "), &r.actual) else {
        return sent.to_string();
    };
    // `STATUS CONTENT-TYPE BODY…`: compare the body's start with what `got:` says.
    let body = answer.splitn(3, ' ').nth(2).unwrap_or("");
    let start: String = body.chars().take(24).collect();
    if start.chars().count() < 24 || !actual.contains(&start) {
        return sent.to_string();
    }
    let status = answer.split(' ').next().unwrap_or(answer);
    format!("{request} → {status} (answer below)")
}

/// The lines a failure shows: rule and level, step, what was sent, expected, got, curl.
pub(super) fn failure_detail(r: &CaseResult) -> String {
    let mut out = String::new();
    if r.cites.is_empty() {
        let _ = writeln!(out, "rule:     (no rule id) ({})", r.level.name());
    }
    for cite in &r.cites {
        let _ = writeln!(
            out,
            "rule:     {} ({}) {}",
            cite.id,
            cite.level.name(),
            cite.text
        );
        if !cite.why.is_empty() {
            let _ = writeln!(out, "why:      {}", cite.why);
        }
    }
    if let Some(step) = &r.step {
        let _ = writeln!(out, "step:     {step}");
    }
    if let Some(sent) = r.transcript.last() {
        let _ = writeln!(out, "sent:     {}", without_repeated_answer(sent, r));
    }
    if let Some(expected) = &r.expected {
        let _ = writeln!(out, "expected: {expected}");
    }
    if let Some(actual) = &r.actual {
        let _ = writeln!(out, "got:      {actual}");
    }
    if let Some(reproduce) = &r.reproduce {
        // A shrunk property failure reproduces as several lines, one request each.
        for (i, line) in reproduce.lines().enumerate() {
            let label = if i == 0 { "reproduce:" } else { "          " };
            let _ = writeln!(out, "{label} {line}");
        }
    }
    if let Some(location) = &r.location {
        let _ = writeln!(out, "written:  {location}");
    }
    out
}
