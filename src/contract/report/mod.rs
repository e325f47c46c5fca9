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

mod render;

use std::collections::BTreeMap;
use std::path::PathBuf;

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
mod tests;
