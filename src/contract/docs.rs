//! Living documentation: the features rendered as a readable spec, and the
//! `rules` listing of the catalogue with the scenarios that cover each rule.
//!
//! `kosync-contract docs --out DIR` writes one Markdown page per feature, a
//! `rules.md` catalogue page and one self-contained `index.html` for the whole
//! spec. Given JSON reports (`--results FILE`), every scenario shows its status
//! per target and the catalogue becomes a rule × target coverage matrix.
//! Nothing here runs a feature; it reads them ([`spec`]) and reports ([`results`]).

pub mod compat;
pub mod html;
pub mod markdown;
pub mod results;
pub mod spec;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::contract::catalogue::{self, Rule};
use crate::contract::gate;
use crate::contract::report::say;
use crate::exit::Outcome;
use results::{Status, TargetResults};
use spec::{FeatureFile, RuleBlock, SpecFeature, SpecScenario};

/// Everything a renderer needs: the parsed features and the reports to show.
pub struct Spec {
    pub features: Vec<SpecFeature>,
    pub targets: Vec<TargetResults>,
    /// Where the features came from, for the page footer.
    pub source: String,
}

/// A scenario that cites a rule, as the catalogue listing shows it.
#[derive(Debug, Clone)]
pub struct ScenarioRef<'a> {
    pub feature: &'a SpecFeature,
    pub scenario: &'a SpecScenario,
}

impl Spec {
    /// Every scenario with the feature and block it sits in, in file order.
    pub fn scenarios(&self) -> impl Iterator<Item = (&SpecFeature, &RuleBlock, &SpecScenario)> {
        self.features.iter().flat_map(|f| {
            f.blocks
                .iter()
                .flat_map(move |b| b.scenarios.iter().map(move |s| (f, b, s)))
        })
    }

    /// For each rule id cited anywhere, the scenarios citing it (catalogue ids
    /// with no scenario are simply absent).
    pub fn coverage(&self) -> BTreeMap<&str, Vec<ScenarioRef<'_>>> {
        let mut map: BTreeMap<&str, Vec<ScenarioRef<'_>>> = BTreeMap::new();
        for (feature, _, scenario) in self.scenarios() {
            for id in &scenario.cites {
                map.entry(id.as_str())
                    .or_default()
                    .push(ScenarioRef { feature, scenario });
            }
        }
        map
    }

    /// How one target did on one rule: the worst status among its results that
    /// cite the rule. A result without rule ids counts for the ids its scenario cites.
    pub fn rule_status(&self, target: &TargetResults, rule_id: &str) -> Status {
        target
            .report
            .results
            .iter()
            .filter(|r| {
                if r.rules.is_empty() {
                    self.scenarios()
                        .any(|(f, _, s)| r.belongs_to(f, s) && s.cites.iter().any(|c| c == rule_id))
                } else {
                    r.rules.iter().any(|id| id == rule_id)
                }
            })
            .fold(Status::NotRun, |acc, r| acc.combine(r.status))
    }

    /// Catalogue rules cited by at least one scenario of this feature, in catalogue order.
    pub fn rules_of(feature: &SpecFeature) -> Vec<&'static Rule> {
        catalogue::all()
            .iter()
            .filter(|r| {
                feature
                    .blocks
                    .iter()
                    .flat_map(|b| &b.scenarios)
                    .any(|s| s.cites.iter().any(|c| c == r.id))
            })
            .collect()
    }
}

/// The Markdown file name of a feature's page, from its path below the
/// features folder: `server/pull` → `server-pull.md`.
pub fn page_name(relative: &str) -> String {
    let slug: String = relative
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "feature.md".to_string()
    } else {
        format!("{slug}.md")
    }
}

/// An id for HTML anchors: lowercase letters, digits and dashes.
pub fn anchor(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Where to read the features from, shared by `docs` and `rules`.
#[derive(Debug, Clone, clap::Args)]
pub struct FeaturesArg {
    /// Read the features from this folder (searched recursively) instead of the
    /// ones built into the binary: for a docs author editing a copy.
    #[arg(long, value_name = "DIR")]
    pub features: Option<PathBuf>,
}

impl FeaturesArg {
    /// The feature files and a description of where they came from.
    pub fn load(&self) -> anyhow::Result<(Vec<FeatureFile>, String)> {
        match &self.features {
            Some(dir) => Ok((spec::from_dir(dir)?, dir.display().to_string())),
            None => {
                let files = spec::embedded();
                if files.is_empty() {
                    anyhow::bail!(
                        "this binary was built without features (features/ was empty); pass --features DIR"
                    );
                }
                Ok((files, "the features built into kosync-contract".to_string()))
            }
        }
    }
}

/// `kosync-contract docs`: render the spec.
#[derive(Debug, clap::Args)]
pub struct DocsArgs {
    /// Folder to write the pages into (created if missing; existing pages are overwritten).
    #[arg(long, value_name = "DIR", required_unless_present = "compat")]
    pub out: Option<PathBuf>,
    /// Instead of the spec, write the server compatibility table (Markdown)
    /// here, from the --results reports of verify-server: each report's file
    /// name (without .json) names its server.
    #[arg(
        long,
        value_name = "FILE.md",
        conflicts_with = "out",
        requires = "results"
    )]
    pub compat: Option<PathBuf>,
    /// A JSON report from `verify-server --json` or `verify-client --json`; repeat
    /// for several targets. Adds per-scenario status and a rule × target matrix.
    #[arg(long = "results", value_name = "FILE.json")]
    pub results: Vec<PathBuf>,
    #[command(flatten)]
    pub features: FeaturesArg,
}

/// `kosync-contract rules`: list the catalogue with the scenarios covering each rule.
#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub features: FeaturesArg,
    /// Run the coverage gate instead of listing: print every problem between
    /// the features and the catalogue (broken file, unknown rule id, scenario
    /// citing no rule, rule without a scenario) and exit 1 if there is any.
    #[arg(long)]
    pub check: bool,
}

/// Run `docs`: exit 0 when the pages were written, 2 when they could not be.
pub fn run_docs(args: &DocsArgs) -> Outcome {
    match write_docs(args) {
        Ok(written) => {
            for path in &written {
                say(&format!("{}\n", path.display()));
            }
            Outcome::SUCCESS
        }
        Err(e) => {
            eprintln!("kosync-contract docs: {e:#}");
            Outcome::HarnessError
        }
    }
}

/// Load, render and write every page; returns the files written (index.html first).
pub fn write_docs(args: &DocsArgs) -> anyhow::Result<Vec<PathBuf>> {
    if let Some(path) = &args.compat {
        let tried = compat::load(&args.results)?;
        std::fs::write(path, compat::render(&tried))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        return Ok(vec![path.clone()]);
    }
    let Some(out) = &args.out else {
        anyhow::bail!(
            "give --out DIR for the spec pages, or --compat FILE for the compatibility table"
        );
    };
    let (files, source) = args.features.load()?;
    let features = spec::parse_strict(&files)?;
    let targets = results::load_all(&args.results)?;
    // The pages render whatever the features say; drift is the gate's job, but say so.
    for problem in gate::check(&files) {
        if !matches!(problem, gate::GateProblem::UncoveredRule { .. }) {
            eprintln!("kosync-contract docs: warning: {problem}");
        }
    }
    let spec = Spec {
        features,
        targets,
        source,
    };
    write_pages(&spec, out)
}

/// Write index.html, rules.md and one Markdown page per feature into `out`.
pub fn write_pages(spec: &Spec, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)
        .map_err(|e| anyhow::anyhow!("cannot create output folder {}: {e}", out.display()))?;
    let mut pages: Vec<(PathBuf, String)> = vec![
        (out.join("index.html"), html::render(spec)),
        (out.join("rules.md"), markdown::render_rules(spec)),
    ];
    for feature in &spec.features {
        pages.push((
            out.join(page_name(&feature.relative)),
            markdown::render_feature(spec, feature),
        ));
    }
    for (path, text) in &pages {
        std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(pages.into_iter().map(|(p, _)| p).collect())
}

/// Run `rules`: exit 0; with `--check`, 1 when the gate finds a problem;
/// 2 when the features cannot be read (or, without `--check`, parsed).
pub fn run_rules(args: &RulesArgs) -> Outcome {
    let (files, source) = match args.features.load() {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("kosync-contract rules: {e:#}");
            return Outcome::HarnessError;
        }
    };
    if args.check {
        let problems = gate::check(&files);
        if problems.is_empty() {
            say(&format!(
                "gate passed: {} feature files, all {} rules covered, every scenario cites a known rule ({source})\n",
                files.len(),
                catalogue::all().len()
            ));
            return Outcome::SUCCESS;
        }
        say(&gate::summary(&problems));
        return Outcome::Violation;
    }
    let features = match spec::parse_strict(&files) {
        Ok(features) => features,
        Err(e) => {
            eprintln!("kosync-contract rules: {e}");
            return Outcome::HarnessError;
        }
    };
    let spec = Spec {
        features,
        targets: Vec::new(),
        source,
    };
    let (text, _) = list_rules(&spec);
    say(&text);
    Outcome::SUCCESS
}

/// The `rules` listing as text, and how many rules have no scenario.
pub fn list_rules(spec: &Spec) -> (String, usize) {
    let coverage = spec.coverage();
    let mut out = String::new();
    let mut uncovered = 0;
    for rule in catalogue::all() {
        let covering = coverage.get(rule.id).map(Vec::as_slice).unwrap_or(&[]);
        if covering.is_empty() {
            uncovered += 1;
        }
        out.push_str(&format!(
            "{:<11} {:<15} {}\n",
            rule.id,
            rule.level.name(),
            rule.text
        ));
        if let Some(reading) = rule.reading {
            out.push_str(&format!("{:27}reading: {reading}\n", ""));
        }
        out.push_str(&format!("{:27}why it matters: {}\n", "", rule.why));
        if covering.is_empty() {
            out.push_str(&format!("{:27}covered by: NO SCENARIO\n", ""));
        }
        for r in covering {
            out.push_str(&format!(
                "{:27}covered by: {}:{}  {}: {}\n",
                "", r.feature.path, r.scenario.line, r.scenario.keyword, r.scenario.name
            ));
        }
    }
    out.push_str(&format!(
        "\n{} rules, {} covered by at least one scenario, {} without ({})\n",
        catalogue::all().len(),
        catalogue::all().len() - uncovered,
        uncovered,
        spec.source
    ));
    (out, uncovered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_names_are_flat_and_safe() {
        assert_eq!(page_name("server/pull"), "server-pull.md");
        assert_eq!(page_name("client/Push Q"), "client-push-q.md");
        assert_eq!(page_name("../"), "feature.md");
    }

    #[test]
    fn anchors() {
        assert_eq!(
            anchor("features/server/pull.feature:12"),
            "features-server-pull-feature-12"
        );
        assert_eq!(anchor("C-PULL-5"), "c-pull-5");
    }
}
