//! Reading the JSON reports of `verify-server` / `verify-client` back in, so
//! the docs can show how each target did on each scenario and rule.
//!
//! Parsing is lenient (missing fields take defaults, unknown ones are ignored)
//! so a report from a slightly older or newer harness still renders; a file
//! that is not a report at all is an error naming the file.

use std::path::Path;

use serde::Deserialize;

/// One JSON report, as written by `--json FILE`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Report {
    pub conformant: Option<bool>,
    pub target: String,
    pub dialect: Option<String>,
    pub results: Vec<CaseResult>,
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
    Skipped,
    Passed,
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
            _ => Status::NotRun,
        }
    }
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::NotRun => "not run",
            Status::Skipped => "skipped",
            Status::Passed => "passed",
            Status::Failed => "failed",
        }
    }

    /// A short mark for tables, readable in plain text too.
    pub fn mark(self) -> &'static str {
        match self {
            Status::NotRun => "—",
            Status::Skipped => "skipped",
            Status::Passed => "✅ passed",
            Status::Failed => "❌ failed",
        }
    }

    /// Combine two outcomes for the same cell: failed beats passed beats skipped beats not run.
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
    /// example row and its reported names carry the row's values in place of
    /// `<placeholders>`, so those match too.
    pub fn results_for<'a>(
        &'a self,
        feature: &'a str,
        scenario: &'a str,
    ) -> impl Iterator<Item = &'a CaseResult> + 'a {
        self.report.results.iter().filter(move |r| {
            r.feature.trim() == feature.trim() && name_matches(scenario, &r.scenario)
        })
    }

    /// Combined status of one scenario on this target.
    pub fn status_of(&self, feature: &str, scenario: &str) -> Status {
        self.results_for(feature, scenario)
            .fold(Status::NotRun, |acc, r| acc.combine(r.status))
    }
}

/// Whether a reported scenario name belongs to the scenario written as
/// `written`: equal, or equal once `<placeholder>`s stand for any text.
pub fn name_matches(written: &str, reported: &str) -> bool {
    let written = written.trim();
    let reported = reported.trim();
    if written == reported {
        return true;
    }
    if !written.contains('<') {
        return false;
    }
    // Split the written name into literal pieces around <placeholders>.
    let mut pieces = Vec::new();
    let mut rest = written;
    while let Some(open) = rest.find('<') {
        match rest[open..].find('>') {
            Some(close) => {
                pieces.push(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    pieces.push(rest);
    let mut at = 0;
    for (i, piece) in pieces.iter().enumerate() {
        if i == 0 {
            if !reported.starts_with(piece) {
                return false;
            }
            at = piece.len();
        } else if i == pieces.len() - 1 {
            return reported.len() >= at + piece.len() && reported[at..].ends_with(piece);
        } else {
            match reported[at..].find(piece) {
                Some(found) => at += found + piece.len(),
                None => return false,
            }
        }
    }
    true
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
    fn outline_names_match_with_placeholders() {
        assert!(name_matches("Push <value> reads back", "Push 0 reads back"));
        assert!(name_matches("<a> and <b>", "1 and 2"));
        assert!(!name_matches(
            "Push <value> reads back",
            "Pull 0 reads back"
        ));
        assert!(!name_matches("Push reads back", "Push 0 reads back"));
    }

    #[test]
    fn failed_wins_when_combining() {
        assert_eq!(Status::Passed.combine(Status::Failed), Status::Failed);
        assert_eq!(Status::NotRun.combine(Status::Skipped), Status::Skipped);
        assert_eq!(Status::Skipped.combine(Status::Passed), Status::Passed);
    }
}
