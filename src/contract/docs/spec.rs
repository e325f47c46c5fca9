//! The spec as docs and the coverage gate see it: feature files read from the
//! binary or a directory, parsed with the `gherkin` crate, and flattened into
//! scenarios that know which rules they cite.
//!
//! This is a read-only view for rendering and checking. Running the features is
//! the runner's job; it parses the same files on its own.

use std::path::Path;

use include_dir::Dir;

use crate::contract::catalogue;

/// One `.feature` file, unparsed: where it lives and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureFile {
    /// Shown in docs and error messages (`features/client/pull.feature`).
    pub path: String,
    /// The path below the features folder, without `.feature` (`client/pull`):
    /// names the feature's page whatever folder the features were read from.
    pub relative: String,
    pub text: String,
}

/// `client/pull.feature` → `client/pull`, with `/` separators on every platform.
fn relative_name(rel: &Path) -> String {
    let rel = rel.with_extension("");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every `.feature` file compiled into the binary, sorted by path.
pub fn embedded() -> Vec<FeatureFile> {
    let mut files = Vec::new();
    collect_embedded(&crate::contract::features::EMBEDDED, &mut files);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn collect_embedded(dir: &Dir<'static>, out: &mut Vec<FeatureFile>) {
    for file in dir.files() {
        if file.path().extension().is_some_and(|e| e == "feature") {
            out.push(FeatureFile {
                path: format!("features/{}", file.path().display()),
                relative: relative_name(file.path()),
                // A non-UTF-8 file still shows up, and fails to parse with its name.
                text: String::from_utf8_lossy(file.contents()).into_owned(),
            });
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

/// Every `.feature` file under `dir` (recursively), sorted by path. An empty
/// or missing folder is an error: a docs author pointing at the wrong place
/// should hear about it rather than get an empty spec.
pub fn from_dir(dir: &Path) -> anyhow::Result<Vec<FeatureFile>> {
    let mut files = Vec::new();
    collect_dir(dir, dir, &mut files)
        .map_err(|e| anyhow::anyhow!("cannot read features in {}: {e}", dir.display()))?;
    if files.is_empty() {
        anyhow::bail!("no .feature files found in {}", dir.display());
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn collect_dir(root: &Path, dir: &Path, out: &mut Vec<FeatureFile>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_dir(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "feature") {
            let bytes = std::fs::read(&path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            out.push(FeatureFile {
                path: path.display().to_string(),
                relative: relative_name(path.strip_prefix(root).unwrap_or(&path)),
                text: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
    }
    Ok(())
}

pub use crate::contract::parse::ParseFailure;

/// A parsed feature: what docs render and the gate checks.
#[derive(Debug, Clone)]
pub struct SpecFeature {
    pub path: String,
    /// See [`FeatureFile::relative`].
    pub relative: String,
    pub line: usize,
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub background: Vec<SpecStep>,
    /// The feature's parts in file order: scenarios outside any `Rule:` come
    /// first as a block without a name.
    pub blocks: Vec<RuleBlock>,
}

/// A `Rule:` block of a feature, or (with `name == None`) the scenarios
/// written directly under the feature.
#[derive(Debug, Clone)]
pub struct RuleBlock {
    pub name: Option<String>,
    pub line: usize,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub background: Vec<SpecStep>,
    pub scenarios: Vec<SpecScenario>,
}

/// One scenario (or outline) with everything the docs say about it.
#[derive(Debug, Clone)]
pub struct SpecScenario {
    /// `Scenario`, `Scenario Outline`, `Example`… as written.
    pub keyword: String,
    pub name: String,
    pub line: usize,
    /// The line where the next scenario or `Rule:` of the file starts (or
    /// `usize::MAX`): the scenario's steps and example rows lie before it.
    pub end_line: usize,
    pub description: Option<String>,
    /// Tags written on the scenario itself and on its `Examples:`.
    pub tags: Vec<String>,
    /// Rule ids the scenario cites through its own, its Rule's or its
    /// Feature's tags, in that order, without repeats. Ids the catalogue does
    /// not know are included; the gate reports them.
    pub cites: Vec<String>,
    pub steps: Vec<SpecStep>,
    pub examples: Vec<SpecExamples>,
}

impl SpecScenario {
    /// Tags that are not rule ids (`booklore`, `kosync`, profile markers), own
    /// and inherited, for display.
    pub fn labels<'a>(&'a self, feature: &'a SpecFeature, block: &'a RuleBlock) -> Vec<&'a str> {
        let mut out: Vec<&str> = Vec::new();
        for tag in self.tags.iter().chain(&block.tags).chain(&feature.tags) {
            if !catalogue::looks_like_rule_id(tag) && !out.contains(&tag.as_str()) {
                out.push(tag);
            }
        }
        out
    }

    /// Whether a report's scenario name is this scenario's: its name as
    /// written, or for an outline, its name with one example row's values in
    /// place of the `<placeholders>` (how runners name each row's run).
    pub fn is_named(&self, reported: &str) -> bool {
        let reported = reported.trim();
        if self.name.trim() == reported {
            return true;
        }
        self.examples.iter().any(|ex| {
            let Some((header, rows)) = ex.table.split_first() else {
                return false;
            };
            rows.iter().any(|row| {
                let mut name = self.name.clone();
                for (key, value) in header.iter().zip(row) {
                    name = name.replace(&format!("<{key}>"), value);
                }
                name.trim() == reported
            })
        })
    }

    /// Whether this is an outline with example rows.
    pub fn is_outline(&self) -> bool {
        !self.examples.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct SpecStep {
    /// The keyword as written (`Given`, `And`, `But`…).
    pub keyword: String,
    pub text: String,
    pub docstring: Option<String>,
    pub table: Option<Vec<Vec<String>>>,
}

#[derive(Debug, Clone)]
pub struct SpecExamples {
    pub name: Option<String>,
    pub line: usize,
    pub tags: Vec<String>,
    /// Header row first.
    pub table: Vec<Vec<String>>,
}

/// Parse one file. A syntax error, or a line read as description where a
/// keyword was likely meant, becomes a [`ParseFailure`] naming the file and line.
pub fn parse(file: &FeatureFile) -> Result<SpecFeature, ParseFailure> {
    let feature = crate::contract::parse::feature(&file.path, &file.text)?;
    Ok(flatten(file, feature))
}

/// Parse every file, keeping the good ones and the failures apart so the
/// gate can report every broken file at once.
pub fn parse_all(files: &[FeatureFile]) -> (Vec<SpecFeature>, Vec<ParseFailure>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for file in files {
        match parse(file) {
            Ok(f) => good.push(f),
            Err(e) => bad.push(e),
        }
    }
    (good, bad)
}

/// Parse every file or fail on the first broken one (for `docs` and `rules`,
/// which cannot render half a spec honestly).
pub fn parse_strict(files: &[FeatureFile]) -> Result<Vec<SpecFeature>, ParseFailure> {
    files.iter().map(parse).collect()
}

fn flatten(file: &FeatureFile, feature: gherkin::Feature) -> SpecFeature {
    let background = feature
        .background
        .as_ref()
        .map(|b| steps(&b.steps))
        .unwrap_or_default();
    let mut blocks = Vec::new();
    if !feature.scenarios.is_empty() {
        blocks.push(RuleBlock {
            name: None,
            line: feature.scenarios[0].position.line,
            description: None,
            tags: Vec::new(),
            background: Vec::new(),
            scenarios: feature
                .scenarios
                .iter()
                .map(|s| scenario(s, &[], &feature.tags))
                .collect(),
        });
    }
    for rule in &feature.rules {
        blocks.push(RuleBlock {
            name: Some(rule.name.clone()),
            line: rule.position.line,
            description: clean(&rule.description),
            tags: rule.tags.clone(),
            background: rule
                .background
                .as_ref()
                .map(|b| steps(&b.steps))
                .unwrap_or_default(),
            scenarios: rule
                .scenarios
                .iter()
                .map(|s| scenario(s, &rule.tags, &feature.tags))
                .collect(),
        });
    }
    blocks.sort_by_key(|b| b.line);
    // Tags sit above their keyword, so a scenario ends a little before the next
    // keyword line; locations point at keyword lines, so this is close enough.
    let mut starts: Vec<usize> = blocks
        .iter()
        .filter(|b| b.name.is_some())
        .map(|b| b.line)
        .chain(
            blocks
                .iter()
                .flat_map(|b| b.scenarios.iter().map(|s| s.line)),
        )
        .collect();
    starts.sort_unstable();
    for scenario in blocks.iter_mut().flat_map(|b| b.scenarios.iter_mut()) {
        scenario.end_line = starts
            .iter()
            .copied()
            .find(|&l| l > scenario.line)
            .unwrap_or(usize::MAX);
    }
    SpecFeature {
        path: file.path.clone(),
        relative: file.relative.clone(),
        line: feature.position.line,
        name: feature.name,
        description: clean(&feature.description),
        tags: feature.tags,
        background,
        blocks,
    }
}

fn scenario(s: &gherkin::Scenario, rule_tags: &[String], feature_tags: &[String]) -> SpecScenario {
    let mut tags = s.tags.clone();
    for ex in &s.examples {
        for t in &ex.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
    }
    let mut cites: Vec<String> = Vec::new();
    for tag in tags.iter().chain(rule_tags).chain(feature_tags) {
        if catalogue::looks_like_rule_id(tag) && !cites.contains(tag) {
            cites.push(tag.clone());
        }
    }
    SpecScenario {
        keyword: s.keyword.clone(),
        name: s.name.clone(),
        line: s.position.line,
        end_line: usize::MAX,
        description: clean(&s.description),
        tags,
        cites,
        steps: steps(&s.steps),
        examples: s
            .examples
            .iter()
            .map(|ex| SpecExamples {
                name: ex.name.clone().filter(|n| !n.trim().is_empty()),
                line: ex.position.line,
                tags: ex.tags.clone(),
                table: ex
                    .table
                    .as_ref()
                    .map(|t| t.rows.clone())
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

fn steps(steps: &[gherkin::Step]) -> Vec<SpecStep> {
    steps
        .iter()
        .map(|s| SpecStep {
            keyword: s.keyword.trim().to_string(),
            text: s.value.clone(),
            docstring: s
                .docstring
                .as_ref()
                .map(|d| d.trim_matches(|c| c == '\n' || c == '\r').to_string()),
            table: s.table.as_ref().map(|t| t.rows.clone()),
        })
        .collect()
}

/// Descriptions come hard-wrapped and indented like the source: keep the
/// paragraphs (blank-line separated), join each paragraph's lines.
fn clean(text: &Option<String>) -> Option<String> {
    let text = text.as_ref()?;
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join(" "));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current.join(" "));
    }
    (!paragraphs.is_empty()).then(|| paragraphs.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FeatureFile {
        FeatureFile {
            path: "features/x.feature".into(),
            relative: "x".into(),
            text: text.into(),
        }
    }

    #[test]
    fn cites_come_from_scenario_rule_and_feature_tags() {
        let f = parse(&file(
            "@S-CT-1 @booklore\nFeature: F\n\n  @S-PULL-1\n  Rule: R\n\n    @S-PULL-3 @slow\n    Scenario: S\n      Given a thing\n",
        ))
        .expect("parses");
        let s = &f.blocks[0].scenarios[0];
        assert_eq!(s.cites, vec!["S-PULL-3", "S-PULL-1", "S-CT-1"]);
        assert_eq!(s.labels(&f, &f.blocks[0]), vec!["slow", "booklore"]);
    }

    #[test]
    fn outline_names_are_filled_from_example_rows() {
        let f = parse(&file(
            "Feature: F\n  @S-PULL-3\n  Scenario Outline: Push <value> of <kind>\n    Given <value>\n\n    Examples:\n      | value | kind |\n      | 0     | zero |\n      | 1     | one  |\n",
        ))
        .expect("parses");
        let s = &f.blocks[0].scenarios[0];
        assert!(s.is_named("Push <value> of <kind>"));
        assert!(s.is_named("Push 0 of zero"));
        assert!(s.is_named("Push 1 of one"));
        assert!(!s.is_named("Push 1 of zero"));
        assert!(!s.is_named("Push anything"));
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let err = parse(&file(
            "Feature: F\n\n  Scenario: S\n    Given a\n  Bogus line here\n",
        ))
        .expect_err("does not parse");
        assert_eq!(err.path, "features/x.feature");
        assert_eq!(err.line, 5, "{err}");
        assert!(
            err.to_string().starts_with("features/x.feature:5:"),
            "{err}"
        );
    }
}
