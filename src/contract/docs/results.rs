//! Reading the JSON reports of `verify-server` / `verify-client` back in, so
//! the docs can show how each target did on each scenario and rule.
//!
//! Parsing is lenient (missing fields take defaults, unknown ones are ignored)
//! so a report from a slightly older or newer harness still renders; a file
//! that is not a report at all is an error naming the file.

use std::path::Path;

use serde::Deserialize;

use super::spec::{SpecFeature, SpecScenario};

/// One JSON report, as written by `--json FILE`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Report {
    pub conformant: Option<bool>,
    pub exit_code: Option<u8>,
    pub target: String,
    pub dialect: Option<String>,
    pub summary: Summary,
    /// Gating rules the run could not check (verify-server's exit 3).
    pub unchecked: Vec<Unchecked>,
    pub results: Vec<CaseResult>,
}

/// Counts per status, as the report gives them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub error: usize,
}

/// A gating rule the run could not check, and why.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Unchecked {
    pub rule: String,
    pub reasons: Vec<String>,
}

/// One scenario's outcome in a report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CaseResult {
    pub feature: String,
    pub scenario: String,
    pub rules: Vec<String>,
    pub level: Option<String>,
    pub status: Status,
    pub expected: Option<serde_json::Value>,
    pub actual: Option<serde_json::Value>,
    pub reproduce: Option<serde_json::Value>,
    /// The step that failed, when the report says.
    pub step: Option<serde_json::Value>,
    /// Why a scenario was skipped (or what broke, for an error).
    pub reason: Option<serde_json::Value>,
    /// Where the scenario is written (`features/server/pull.feature:12`), when the report says.
    pub location: Option<String>,
}

impl CaseResult {
    /// What a failed or broken result has to say, in reading order, each with
    /// its label (`step`, `expected`, `actual`, `reason`, `reproduce`); fields
    /// the report left empty are not listed. Every page shows the same ones.
    pub fn details(&self) -> Vec<(&'static str, String)> {
        [
            ("step", &self.step),
            ("expected", &self.expected),
            ("actual", &self.actual),
            ("reason", &self.reason),
            ("reproduce", &self.reproduce),
        ]
        .into_iter()
        .filter_map(|(what, value)| show(value).map(|v| (what, v)))
        .collect()
    }

    /// Whether this result is about `scenario` of `feature`. A result that
    /// says where its scenario is written is matched by that alone (its line
    /// must fall inside the scenario, example rows included); one that does
    /// not is matched by feature name and scenario name, an outline's name
    /// with each example row filled in.
    pub fn belongs_to(&self, feature: &SpecFeature, scenario: &SpecScenario) -> bool {
        if let Some((path, line)) = self.location.as_deref().and_then(|l| l.rsplit_once(':')) {
            if let Ok(line) = line.trim().parse::<usize>() {
                let path = path.replace('\\', "/");
                let wanted = format!("{}.feature", feature.relative);
                let same_file = path == wanted || path.ends_with(&format!("/{wanted}"));
                return same_file && (scenario.line..scenario.end_line).contains(&line);
            }
        }
        self.feature.trim() == feature.name.trim() && scenario.is_named(&self.scenario)
    }
}

/// A scenario's (or rule's) outcome on one target. Ordered from least to most
/// telling, so combining several results keeps the worst: one failure makes
/// the whole cell fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize)]
#[serde(from = "Option<String>")]
pub enum Status {
    /// The report has no result for it (or a status this version does not know).
    #[default]
    NotRun,
    /// The client declared it lacks a capability the scenario needs.
    NotApplicable,
    Skipped,
    Passed,
    /// The harness broke while running it: neither a pass nor the target's fault.
    Error,
    Failed,
}

impl From<Option<String>> for Status {
    fn from(word: Option<String>) -> Status {
        match word
            .as_deref()
            .map(str::trim)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("passed") => Status::Passed,
            Some("failed") => Status::Failed,
            Some("skipped") => Status::Skipped,
            Some("not_applicable") => Status::NotApplicable,
            Some("error") => Status::Error,
            _ => Status::NotRun,
        }
    }
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::NotRun => "not run",
            Status::NotApplicable => "not applicable",
            Status::Skipped => "skipped",
            Status::Passed => "passed",
            Status::Error => "error",
            Status::Failed => "failed",
        }
    }

    /// A short mark for tables, readable in plain text too.
    pub fn mark(self) -> &'static str {
        match self {
            Status::NotRun => "—",
            Status::NotApplicable => "n/a",
            Status::Skipped => "skipped",
            Status::Passed => "✅ passed",
            Status::Error => "⚠️ error",
            Status::Failed => "❌ failed",
        }
    }

    /// Combine two outcomes for the same cell: failed beats error beats passed
    /// beats skipped beats not run.
    pub fn combine(self, other: Status) -> Status {
        self.max(other)
    }
}

/// A report with the name the docs show for its target.
#[derive(Debug, Clone)]
pub struct TargetResults {
    /// Column heading: the report's target (and dialect), made unique.
    pub label: String,
    pub file: String,
    pub report: Report,
}

impl TargetResults {
    /// The results for one scenario of one feature. An outline runs once per
    /// example row, so it can have several.
    pub fn results_for<'a>(
        &'a self,
        feature: &'a SpecFeature,
        scenario: &'a SpecScenario,
    ) -> impl Iterator<Item = &'a CaseResult> + 'a {
        self.report
            .results
            .iter()
            .filter(move |r| r.belongs_to(feature, scenario))
    }

    /// Combined status of one scenario on this target.
    pub fn status_of(&self, feature: &SpecFeature, scenario: &SpecScenario) -> Status {
        self.results_for(feature, scenario)
            .fold(Status::NotRun, |acc, r| acc.combine(r.status))
    }
}

/// What a page says under a scenario about one target's result, beside its
/// status mark. The HTML and Markdown pages render the same notes.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// The scenario failed (or could not run) there: the result's details follow.
    Failure,
    /// Why it was skipped (`what` is "Skipped") or did not apply ("Not applicable").
    Reason { what: &'static str, reason: String },
}

/// Every note of `scenario` across `targets`, in target order then result
/// order: failures always, skips and not-applicables when they say why,
/// nothing for passes and results not run.
pub fn notes<'a>(
    targets: &'a [TargetResults],
    feature: &'a SpecFeature,
    scenario: &'a SpecScenario,
) -> impl Iterator<Item = (&'a TargetResults, &'a CaseResult, Note)> + 'a {
    targets.iter().flat_map(move |target| {
        target.results_for(feature, scenario).filter_map(move |r| {
            let note = match r.status {
                Status::Failed | Status::Error => Note::Failure,
                Status::Skipped => Note::Reason {
                    what: "Skipped",
                    reason: show(&r.reason)?,
                },
                Status::NotApplicable => Note::Reason {
                    what: "Not applicable",
                    reason: show(&r.reason)?,
                },
                _ => return None,
            };
            Some((target, r, note))
        })
    })
}

/// Read one report file. The error names the file and says what is wrong
/// with it (with serde's line and column for bad JSON).
pub fn load(path: &Path) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read results file {}: {e}", path.display()))?;
    parse(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a kosync-contract JSON report (as written by verify-server/verify-client --json): {e}",
            path.display()
        )
    })
}

/// Parse a report's text (see [`load`]).
pub fn parse(text: &str) -> Result<Report, serde_json::Error> {
    serde_json::from_str(text)
}

/// Load several reports and give each a distinct column label.
pub fn load_all(paths: &[impl AsRef<Path>]) -> anyhow::Result<Vec<TargetResults>> {
    let mut out: Vec<TargetResults> = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let report = load(path)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "report".to_string());
        let mut label = if report.target.trim().is_empty() {
            stem.clone()
        } else {
            report.target.trim().to_string()
        };
        if let Some(d) = report.dialect.as_deref().filter(|d| !d.is_empty()) {
            if !label.contains(d) {
                label = format!("{label} ({d})");
            }
        }
        if out.iter().any(|t| t.label == label) {
            label = format!("{label} [{stem}]");
        }
        let mut n = 2;
        let base = label.clone();
        while out.iter().any(|t| t.label == label) {
            label = format!("{base} #{n}");
            n += 1;
        }
        out.push(TargetResults {
            label,
            file: path.display().to_string(),
            report,
        });
    }
    Ok(out)
}

/// Render an expected/actual/reproduce value for people: strings as they are,
/// anything else as compact JSON.
pub fn show(value: &Option<serde_json::Value>) -> Option<String> {
    match value {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_report_with_missing_and_unknown_fields() {
        let r = parse(
            r#"{"target":"fake","extra":1,"results":[{"feature":"F","scenario":"S","status":"failed","expected":"200","actual":{"status":500}},{"feature":"F","scenario":"T","status":"weird"}]}"#,
        )
        .expect("lenient");
        assert_eq!(r.results[0].status, Status::Failed);
        assert_eq!(
            show(&r.results[0].actual).as_deref(),
            Some(r#"{"status":500}"#)
        );
        assert_eq!(r.results[1].status, Status::NotRun);
        assert_eq!(r.conformant, None);
    }

    #[test]
    fn failed_wins_when_combining() {
        assert_eq!(Status::Passed.combine(Status::Failed), Status::Failed);
        assert_eq!(Status::NotRun.combine(Status::Skipped), Status::Skipped);
        assert_eq!(
            Status::NotApplicable.combine(Status::Skipped),
            Status::Skipped
        );
        assert_eq!(
            Status::NotApplicable.combine(Status::Passed),
            Status::Passed
        );
        assert_eq!(
            Status::from(Some("not_applicable".to_string())),
            Status::NotApplicable
        );
        assert_eq!(Status::Skipped.combine(Status::Passed), Status::Passed);
    }
}
