//! The rule-coverage gate: keeps the features and the rule catalogue from
//! drifting apart. `cargo test` runs it over the repository's `features/`
//! (tests/harness/gate.rs); `kosync-contract rules` uses the same coverage.
//!
//! Four checks, each a [`GateProblem`] kind: every feature file parses (with
//! no line read as description where a keyword was meant, see
//! [`crate::contract::parse`]), every
//! tag shaped like a rule id names a catalogue rule, every scenario cites at
//! least one rule, and every catalogue rule is cited by at least one scenario.

use std::fmt;

use crate::contract::catalogue;
use crate::contract::docs::spec::{self, FeatureFile, SpecFeature};

/// One way the features and the catalogue disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateProblem {
    /// A file is not valid Gherkin.
    Unparsable(spec::ParseFailure),
    /// A tag looks like a rule id but the catalogue has no such rule (a typo,
    /// or a rule that was never added to `catalogue.rs`).
    UnknownRule {
        tag: String,
        path: String,
        line: usize,
        /// What carries the tag: `Feature "…"`, `Rule "…"`, `Scenario "…"`, `Examples of "…"`.
        on: String,
    },
    /// A scenario cites no rule, through its own, its Rule's or its Feature's tags.
    UncitedScenario {
        path: String,
        line: usize,
        scenario: String,
    },
    /// A catalogue rule that no scenario cites: the spec says it but nothing checks it.
    UncoveredRule { id: String },
}

impl fmt::Display for GateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GateProblem::Unparsable(e) => write!(f, "{e}"),
            GateProblem::UnknownRule {
                tag,
                path,
                line,
                on,
            } => write!(
                f,
                "{path}:{line}: tag @{tag} on {on} looks like a rule id but the catalogue \
                 (src/contract/catalogue.rs) has no rule {tag}"
            ),
            GateProblem::UncitedScenario {
                path,
                line,
                scenario,
            } => write!(
                f,
                "{path}:{line}: scenario \"{scenario}\" cites no rule: tag it (or its Rule: or \
                 Feature:) with the rule ids it checks, e.g. @C-PULL-5"
            ),
            GateProblem::UncoveredRule { id } => write!(
                f,
                "rule {id} has no scenario: add one tagged @{id} under features/"
            ),
        }
    }
}

/// Run every check over these feature files. Empty means the gate passes.
/// Problems come per file in file order, then the uncovered rules in catalogue
/// order (only when every file parsed).
pub fn check(files: &[FeatureFile]) -> Vec<GateProblem> {
    let mut problems = Vec::new();
    let mut features: Vec<SpecFeature> = Vec::new();
    for file in files {
        match spec::parse(file) {
            Ok(feature) => {
                problems.extend(unknown_rules(&feature));
                problems.extend(uncited_scenarios(&feature));
                features.push(feature);
            }
            Err(e) => problems.push(GateProblem::Unparsable(e)),
        }
    }
    // A file that does not parse hides its scenarios: every rule only it
    // covers would be listed as uncovered, burying the one real problem.
    if features.len() == files.len() {
        problems.extend(uncovered_rules(&features));
    }
    problems
}

/// Tags shaped like rule ids that the catalogue does not have, wherever they are written.
pub fn unknown_rules(feature: &SpecFeature) -> Vec<GateProblem> {
    let mut out = Vec::new();
    let mut flag = |tags: &[String], line: usize, on: String| {
        for tag in tags {
            if catalogue::looks_like_rule_id(tag) && catalogue::find(tag).is_none() {
                out.push(GateProblem::UnknownRule {
                    tag: tag.clone(),
                    path: feature.path.clone(),
                    line,
                    on: on.clone(),
                });
            }
        }
    };
    flag(
        &feature.tags,
        feature.line,
        format!("Feature \"{}\"", feature.name),
    );
    for block in &feature.blocks {
        if let Some(name) = &block.name {
            flag(&block.tags, block.line, format!("Rule \"{name}\""));
        }
        for scenario in &block.scenarios {
            // Examples tags are folded into the scenario's; check them once, at the scenario.
            flag(
                &scenario.tags,
                scenario.line,
                format!("Scenario \"{}\"", scenario.name),
            );
        }
    }
    out
}

/// Scenarios that cite no rule id at all (known or not: an unknown id is its own problem).
pub fn uncited_scenarios(feature: &SpecFeature) -> Vec<GateProblem> {
    feature
        .blocks
        .iter()
        .flat_map(|b| &b.scenarios)
        .filter(|s| s.cites.is_empty())
        .map(|s| GateProblem::UncitedScenario {
            path: feature.path.clone(),
            line: s.line,
            scenario: s.name.clone(),
        })
        .collect()
}

/// Catalogue rules no scenario of these features cites.
pub fn uncovered_rules(features: &[SpecFeature]) -> Vec<GateProblem> {
    catalogue::all()
        .iter()
        .filter(|rule| {
            !features
                .iter()
                .flat_map(|f| &f.blocks)
                .flat_map(|b| &b.scenarios)
                .any(|s| s.cites.iter().any(|c| c == rule.id))
        })
        .map(|rule| GateProblem::UncoveredRule {
            id: rule.id.to_string(),
        })
        .collect()
}

/// The gate's verdict as one message, for a test failure or the CLI.
pub fn summary(problems: &[GateProblem]) -> String {
    let mut s = format!(
        "{} problem(s) between the features and the rule catalogue:\n",
        problems.len()
    );
    for p in problems {
        s.push_str("  - ");
        s.push_str(&p.to_string());
        s.push('\n');
    }
    if problems
        .iter()
        .any(|p| matches!(p, GateProblem::Unparsable(_)))
    {
        s.push_str("  (which rules lack a scenario is checked once every file parses)\n");
    }
    s
}
