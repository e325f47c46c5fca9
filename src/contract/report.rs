//! The outcome of a verify run and its three renderings: text for a person,
//! JSON for tools (the living docs read it), JUnit XML for CI viewers.
//!
//! One [`CaseResult`] per scenario (or per property check). The exit code is
//! decided here, once: 0 when every gating rule held, 1 when one failed, 2 when
//! the harness could not do its job.
//!
//! # JSON shape (`--json FILE`)
//!
//! ```json
//! {
//!   "conformant": false,
//!   "target": "http://localhost:6060",
//!   "dialect": "booklore",            // server runs; client runs carry "profile"
//!   "exit_code": 1,
//!   "summary": {"passed": 30, "failed": 1, "skipped": 2, "not_applicable": 3, "error": 0},
//!   "notes": ["documents written: 3f1c…, …"],
//!   "results": [
//!     {
//!       "feature": "Pulling progress",
//!       "rule": "A document with no progress answers 404",   // the Rule: title, or null
//!       "scenario": "An unread book is not found",
//!       "rules": ["S-PULL-2"],
//!       "level": "MUST",                // strictest level among "rules"
//!       "status": "failed",             // passed | failed | skipped | not_applicable | error
//!       "step": "Then the answer is 404",   // the step that failed, or null
//!       "expected": "status 404",       // null unless failed
//!       "actual": "status 200, body {}",   // what came back; null when passed
//!       "reason": null,                 // why it was skipped or is not applicable
//!       "reproduce": "curl -sS -i …",   // null when passed or skipped
//!       "location": "features/server/pull.feature:14",
//!       "transcript": ["GET /api/koreader/syncs/progress/… → 200 {}"],
//!       "cites": [                      // absent when passed: each rule from the catalogue
//!         {"id": "S-PULL-2", "level": "MUST", "text": "Pulling a document for which …",
//!          "why": "BookLore's plugin takes a 404 as \"no remote progress yet\"; …"}
//!       ]
//!     }
//!   ]
//! }
//! ```
//!
//! `error` means the harness broke on that scenario (no step matched, a setup
//! failed): the run exits 2. Skipped scenarios never count as passed.
//! `not_applicable` is different from `skipped`: the client declared it lacks
//! a capability the scenario needs (adapter protocol 2), so the rule has
//! nothing to judge there — neither passed nor failed, and the reason names
//! the capability. A skip is the harness not checking something it could.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::catalogue::{self, Level};
use super::scenario::ScenarioMeta;
use crate::exit::Outcome;

/// How one scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    /// The scenario needs a capability the client declared it lacks: never
    /// run to a verdict, never passed, never failed.
    #[serde(rename = "not_applicable")]
    NotApplicable,
    /// The harness broke (not the target): counts towards exit 2.
    Error,
    /// Not finished yet; never present in a finished report.
    Pending,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::NotApplicable => "not_applicable",
            Status::Error => "error",
            Status::Pending => "pending",
        }
    }
}

/// The result of one scenario (or one property check).
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub feature: String,
    pub rule: Option<String>,
    pub scenario: String,
    pub rules: Vec<String>,
    pub level: Level,
    pub status: Status,
    pub step: Option<String>,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub reason: Option<String>,
    pub reproduce: Option<String>,
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transcript: Vec<String>,
    /// For a result that did not pass: each cited rule's level, text and why
    /// it matters, from the catalogue, so a report is readable on its own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cites: Vec<Citation>,
}

/// One rule as a failure report quotes it from the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Citation {
    pub id: String,
    pub level: Level,
    pub text: String,
    pub why: String,
}

impl Citation {
    /// The catalogue's entry for `id`; an unknown id is cited as a MUST with no text.
    pub fn of(id: &str) -> Citation {
        match catalogue::find(id) {
            Some(rule) => Citation {
                id: rule.id.to_string(),
                level: rule.level,
                text: rule.text.to_string(),
                why: rule.why.to_string(),
            },
            None => Citation {
                id: id.to_string(),
                level: Level::Must,
                text: "(not in the catalogue)".to_string(),
                why: String::new(),
            },
        }
    }
}

impl CaseResult {
    /// A blank result for a scenario about to run.
    pub fn pending(meta: &ScenarioMeta, level: Level) -> Self {
        CaseResult {
            feature: meta.feature.clone(),
            rule: meta.rule.clone(),
            scenario: meta.scenario.clone(),
            rules: meta.rules.clone(),
            level,
            status: Status::Pending,
            step: None,
            expected: None,
            actual: None,
            reason: None,
            reproduce: None,
            location: Some(meta.location.clone()),
            transcript: Vec::new(),
            cites: Vec::new(),
        }
    }

    /// A scenario that does not run on this target, and why.
    pub fn skipped(meta: &ScenarioMeta, level: Level, reason: String) -> Self {
        CaseResult {
            status: Status::Skipped,
            reason: Some(reason),
            ..CaseResult::pending(meta, level)
        }
    }

    /// A scenario that needs what this client lacks, and what that is.
    pub fn not_applicable(meta: &ScenarioMeta, level: Level, reason: String) -> Self {
        CaseResult {
            status: Status::NotApplicable,
            reason: Some(reason),
            ..CaseResult::pending(meta, level)
        }
    }

    /// A result built by hand (property checks), with the given rule ids.
    pub fn new(
        feature: &str,
        scenario: &str,
        rules: &[&str],
        level: Level,
        status: Status,
    ) -> Self {
        CaseResult {
            feature: feature.to_string(),
            rule: None,
            scenario: scenario.to_string(),
            rules: rules.iter().map(|r| r.to_string()).collect(),
            level,
            status,
            step: None,
            expected: None,
            actual: None,
            reason: None,
            reproduce: None,
            location: None,
            transcript: Vec::new(),
            cites: Vec::new(),
        }
    }

    /// Whether this result makes the run non-conformant (exit 1).
    pub fn breaks_gate(&self) -> bool {
        self.status == Status::Failed && self.level.gates()
    }

    /// `[S-PULL-2 S-TS-1] scenario name`, as JUnit test case names and text headings.
    pub fn title(&self) -> String {
        if self.rules.is_empty() {
            self.scenario.clone()
        } else {
            format!("[{}] {}", self.rules.join(" "), self.scenario)
        }
    }
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub not_applicable: usize,
    pub error: usize,
}

/// What skipped scenarios do to a run's outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipPolicy {
    /// Skips are listed and change nothing (client runs, for now).
    #[default]
    Reported,
    /// A gating rule none of whose checks ran makes the run incomplete (exit 3).
    Gate,
    /// The user accepted a partial run (`--allow-skips`): unchecked rules are
    /// listed, and the verdict says the run was partial, but the exit code is 0.
    Allowed,
}

/// A gating rule the run was asked to check and could not: every scenario
/// (and property) citing it was skipped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unchecked {
    pub rule: String,
    pub level: Level,
    pub why: String,
    /// Why its checks were skipped, each reason once.
    pub reasons: Vec<String>,
}

/// The outcome of one verify run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub conformant: bool,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub exit_code: u8,
    pub summary: Summary,
    /// Gating rules in scope that no scenario checked (see [`SkipPolicy`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<Unchecked>,
    pub skip_policy: SkipPolicy,
    /// Facts about the run a reader needs (which documents were written, what was skipped wholesale).
    pub notes: Vec<String>,
    pub results: Vec<CaseResult>,
}

impl Report {
    pub fn new(
        target: String,
        dialect: Option<String>,
        profile: Option<String>,
        results: Vec<CaseResult>,
    ) -> Self {
        let mut report = Report {
            conformant: true,
            target,
            dialect,
            profile,
            exit_code: Outcome::Conformant.code(),
            summary: Summary::default(),
            unchecked: Vec::new(),
            skip_policy: SkipPolicy::default(),
            notes: Vec::new(),
            results,
        };
        report.refresh();
        report
    }

    /// The report of a run that could not be done (exit 2): one error result
    /// saying why, so the JSON and JUnit files a CI job reads exist and explain.
    pub fn could_not_verify(target: String, dialect: Option<String>, reason: &str) -> Self {
        let mut case = CaseResult::new(
            "Verifying the target",
            "The run could not be done",
            &[],
            Level::Must,
            Status::Error,
        );
        case.actual = Some(reason.to_string());
        let mut report = Report::new(target, dialect, None, vec![case]);
        report.note(format!("could not verify: {reason}"));
        report
    }

    /// Decide what skipped gating rules do to the outcome.
    pub fn set_skip_policy(&mut self, policy: SkipPolicy) {
        self.skip_policy = policy;
        self.refresh();
    }

    /// Add results (e.g. property checks) and recompute the verdict.
    pub fn extend(&mut self, results: impl IntoIterator<Item = CaseResult>) {
        self.results.extend(results);
        self.refresh();
    }

    /// Add a note shown above the results.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    fn refresh(&mut self) {
        let mut summary = Summary::default();
        for r in &mut self.results {
            r.cites = if r.status == Status::Passed {
                Vec::new()
            } else {
                r.rules.iter().map(|id| Citation::of(id)).collect()
            };
        }
        for r in &self.results {
            match r.status {
                Status::Passed => summary.passed += 1,
                Status::Failed => summary.failed += 1,
                Status::Skipped => summary.skipped += 1,
                Status::NotApplicable => summary.not_applicable += 1,
                Status::Error | Status::Pending => summary.error += 1,
            }
        }
        self.summary = summary;
        self.unchecked = match self.skip_policy {
            SkipPolicy::Reported => Vec::new(),
            SkipPolicy::Gate | SkipPolicy::Allowed => unchecked_rules(&self.results),
        };
        let outcome = if summary.error > 0 {
            Outcome::HarnessError
        } else if self.results.iter().any(CaseResult::breaks_gate) {
            Outcome::Violation
        } else if !self.unchecked.is_empty() && self.skip_policy == SkipPolicy::Gate {
            Outcome::Incomplete
        } else {
            Outcome::Conformant
        };
        self.exit_code = outcome.code();
        self.conformant = outcome == Outcome::Conformant && self.unchecked.is_empty();
    }

    /// 0 conformant (or a partial run the user accepted), 1 a gating rule
    /// failed, 2 the harness could not do its job, 3 a gating rule could not
    /// be checked (see [`SkipPolicy`]).
    pub fn exit_code(&self) -> u8 {
        self.exit_code
    }

    /// How the run ended: what the command returns to `main`.
    pub fn outcome(&self) -> Outcome {
        Outcome::from_code(self.exit_code).unwrap_or(Outcome::HarnessError)
    }

    /// The results that failed, in order.
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| r.status == Status::Failed)
    }

    /// Every rule id that has at least one failed scenario.
    pub fn failed_rules(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.failures().flat_map(|r| r.rules.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The scenarios the harness could not run, each as `scenario: actual`:
    /// a detection run with any of these says nothing about its target.
    pub fn harness_errors(&self) -> Vec<String> {
        self.results
            .iter()
            .filter(|r| r.status == Status::Error)
            .map(|r| format!("{}: {:?}", r.scenario, r.actual))
            .collect()
    }

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

/// The gating rules cited by some result and checked by none: every result
/// citing them was skipped. Rules are those of the catalogue (an unknown id
/// counts as MUST, as in [`super::runner::strictest_level`]).
fn unchecked_rules(results: &[CaseResult]) -> Vec<Unchecked> {
    let mut by_rule: BTreeMap<&str, (bool, Vec<String>)> = BTreeMap::new();
    for r in results {
        for id in &r.rules {
            let entry = by_rule.entry(id.as_str()).or_default();
            match r.status {
                Status::Passed | Status::Failed => entry.0 = true,
                Status::Skipped => {
                    let reason = r.reason.clone().unwrap_or_else(|| "skipped".to_string());
                    if !entry.1.contains(&reason) {
                        entry.1.push(reason);
                    }
                }
                // A client that declares it lacks a feature is judged without
                // it: that rule is out of scope, not unchecked.
                Status::Error | Status::Pending | Status::NotApplicable => {}
            }
        }
    }
    by_rule
        .into_iter()
        .filter(|(_, (checked, reasons))| !checked && !reasons.is_empty())
        .filter_map(|(id, (_, reasons))| {
            let cite = Citation::of(id);
            cite.level.gates().then_some(Unchecked {
                rule: cite.id,
                level: cite.level,
                why: cite.why,
                reasons,
            })
        })
        .collect()
}

/// A workflow command's message, escaped as GitHub Actions reads it back.
fn annotation_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command property (`file=`, `title=`): also without `:` and `,`.
fn annotation_property(s: &str) -> String {
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
fn failure_detail(r: &CaseResult) -> String {
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

/// Print to stdout; a closed pipe (`… | head`) is the reader's choice, not an
/// error, so nothing is reported (and nothing panics) when it is gone.
pub fn say(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// The `--json FILE` / `--junit FILE` flags every verify command takes: where
/// the report goes besides the terminal.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReportFiles {
    /// Write the report as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the report as JUnit XML here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also print each failure as a GitHub Actions annotation
    /// (`::error file=…,line=…::…`, `::warning` for SHOULD rules) pointing at
    /// the feature file, so it shows on the workflow run and the pull request.
    #[arg(long)]
    pub github_annotations: bool,
}

impl ReportFiles {
    /// Before a run: write a placeholder report ("did not finish") to every
    /// requested file, so a path that cannot be written is found before the
    /// run rather than after it, and a run killed half-way leaves files that
    /// say so. The error names the file and why it cannot be written.
    pub fn prepare(&self, target: &str, dialect: Option<String>) -> Result<(), String> {
        let placeholder = Report::could_not_verify(
            target.to_string(),
            dialect,
            "the run did not finish (this file is rewritten when it does)",
        );
        self.write_all(&placeholder)
    }

    /// Write the requested files; the first one that cannot be written, named, with why.
    pub fn write_all(&self, report: &Report) -> Result<(), String> {
        let written = [
            self.json.as_ref().map(|p| (p, report.write_json(p))),
            self.junit.as_ref().map(|p| (p, report.write_junit(p))),
        ];
        let mut problems = Vec::new();
        for (path, result) in written.into_iter().flatten() {
            if let Err(err) = result {
                problems.push(format!("cannot write {}: {err}", path.display()));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// A run that could not be done: say why on stderr in one line, and still
    /// write the requested files (a could-not-verify report): a harness error.
    pub fn emit_could_not_verify(
        &self,
        target: &str,
        dialect: Option<String>,
        reason: &str,
        command: &str,
    ) -> Outcome {
        eprintln!("{command}: {reason}");
        let report = Report::could_not_verify(target.to_string(), dialect, reason);
        if self.github_annotations {
            say(&report.to_github_annotations());
        }
        if let Err(err) = self.write_all(&report) {
            eprintln!("{command}: {err}");
        }
        Outcome::HarnessError
    }

    /// Print the report and write the requested files; the exit code to use
    /// (the report's, or 2 when a file cannot be written). `command` names the
    /// command in the error message (`kosync-contract verify-server`).
    pub fn emit(&self, report: &Report, command: &str) -> Outcome {
        say(&report.render_text());
        if self.github_annotations {
            say(&report.to_github_annotations());
        }
        let mut outcome = report.outcome();
        let written = [
            self.json.as_ref().map(|p| (p, report.write_json(p))),
            self.junit.as_ref().map(|p| (p, report.write_junit(p))),
        ];
        for (path, result) in written.into_iter().flatten() {
            if let Err(err) = result {
                eprintln!("{command}: cannot write {}: {err}", path.display());
                outcome = Outcome::HarnessError;
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
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
}
