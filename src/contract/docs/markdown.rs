//! Markdown pages: one per feature (its rules, then its scenarios in prose)
//! and `rules.md`, the whole catalogue with coverage. Plain CommonMark plus
//! GitHub tables, so the pages read well in a repository browser or any
//! static-site generator.

use std::fmt::Write as _;

use super::results::{self, Note};
use super::spec::{SpecFeature, SpecScenario, SpecStep};
use super::{page_name, Spec};
use crate::contract::catalogue::{self, Level};

/// One feature's page.
pub fn render_feature(spec: &Spec, feature: &SpecFeature) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Feature: {}\n", inline(&feature.name));
    let mut meta = format!("Source: `{}`", feature.path);
    if !feature.tags.is_empty() {
        let _ = write!(meta, " · Tags: {}", tag_list(&feature.tags));
    }
    let _ = writeln!(out, "> {meta}\n");
    if let Some(d) = &feature.description {
        let _ = writeln!(out, "{d}\n");
    }

    let rules = Spec::rules_of(feature);
    if !rules.is_empty() {
        out.push_str("## Rules checked here\n\n");
        out.push_str("| Rule | Level | What it says | Source |\n|---|---|---|---|\n");
        for rule in rules {
            let mut text = cell(rule.text);
            if let Some(reading) = rule.reading {
                let _ = write!(text, "<br>*Reading chosen:* {}", cell(reading));
            }
            let _ = write!(text, "<br>*Why it matters:* {}", cell(rule.why));
            let _ = writeln!(
                out,
                "| **{}** | {} | {} | {} |",
                rule.id,
                level_label(rule.level),
                text,
                cell(rule.source)
            );
        }
        out.push('\n');
    }

    if !feature.background.is_empty() {
        out.push_str("## Background\n\n");
        steps(&mut out, &feature.background);
        out.push('\n');
    }

    for block in &feature.blocks {
        let heading = match &block.name {
            Some(name) => {
                let _ = writeln!(out, "## Rule: {}\n", inline(name));
                "###"
            }
            None => "##",
        };
        if !block.tags.is_empty() {
            let _ = writeln!(out, "Tags: {}\n", tag_list(&block.tags));
        }
        if let Some(d) = &block.description {
            let _ = writeln!(out, "{d}\n");
        }
        if !block.background.is_empty() {
            out.push_str("Background:\n\n");
            steps(&mut out, &block.background);
            out.push('\n');
        }
        for scenario in &block.scenarios {
            scenario_section(&mut out, spec, feature, heading, scenario, block);
        }
    }
    out
}

fn scenario_section(
    out: &mut String,
    spec: &Spec,
    feature: &SpecFeature,
    heading: &str,
    scenario: &SpecScenario,
    block: &super::spec::RuleBlock,
) {
    let _ = writeln!(
        out,
        "{heading} {}: {}\n",
        scenario.keyword.trim(),
        inline(&scenario.name)
    );
    let mut meta = vec![format!("Checks: {}", cites(&scenario.cites))];
    let labels = scenario.labels(feature, block);
    if !labels.is_empty() {
        let tags: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        meta.push(format!("Tags: {}", tag_list(&tags)));
    }
    meta.push(format!("`{}:{}`", feature.path, scenario.line));
    let _ = writeln!(out, "{}\n", meta.join(" · "));
    if let Some(d) = &scenario.description {
        let _ = writeln!(out, "{d}\n");
    }
    steps(out, &scenario.steps);
    out.push('\n');
    for ex in &scenario.examples {
        let title = match &ex.name {
            Some(n) => format!("Examples: {}", inline(n)),
            None => "Examples".to_string(),
        };
        let _ = writeln!(out, "**{title}**\n");
        table(out, &ex.table, "");
        out.push('\n');
    }
    if !spec.targets.is_empty() {
        let _ = writeln!(out, "| Target | Status |\n|---|---|");
        for target in &spec.targets {
            let status = target.status_of(feature, scenario);
            let _ = writeln!(out, "| {} | {} |", cell(&target.label), status.mark());
        }
        out.push('\n');
        for (target, r, note) in results::notes(&spec.targets, feature, scenario) {
            match note {
                Note::Failure => {
                    let _ = writeln!(
                        out,
                        "> **{}** {} `{}`",
                        cell(&target.label),
                        r.status.word(),
                        r.scenario
                    );
                    for (what, v) in r.details() {
                        let _ = writeln!(out, ">\n> {what}: `{}`", v.replace('`', "'"));
                    }
                    out.push('\n');
                }
                Note::Reason { what, reason } => {
                    let _ = writeln!(
                        out,
                        "{what} on {}: {}\n",
                        inline(&target.label),
                        inline(&reason)
                    );
                }
            }
        }
    }
}

/// `rules.md`: the catalogue, each rule with its scenarios and, with reports, its status per target.
pub fn render_rules(spec: &Spec) -> String {
    let coverage = spec.coverage();
    let mut out = String::from("# Rule catalogue\n\n");
    out.push_str(
        "Every rule the contract checks. MUST and INTERPRETATION rules fail a run; SHOULD \
         rules are reported without failing it. An INTERPRETATION is a reading the contract \
         chose where the source is silent.\n\n",
    );
    if !spec.targets.is_empty() {
        out.push_str("## Coverage\n\n| Rule | Level |");
        for t in &spec.targets {
            let _ = write!(out, " {} |", cell(&t.label));
        }
        out.push_str("\n|---|---|");
        for _ in &spec.targets {
            out.push_str("---|");
        }
        out.push('\n');
        for rule in catalogue::all() {
            let _ = write!(out, "| {} | {} |", rule.id, level_label(rule.level));
            for t in &spec.targets {
                let _ = write!(out, " {} |", spec.rule_status(t, rule.id).mark());
            }
            out.push('\n');
        }
        out.push('\n');
    }
    for rule in catalogue::all() {
        let _ = writeln!(out, "## {} — {}\n", rule.id, level_label(rule.level));
        let _ = writeln!(out, "{}\n", rule.text);
        if let Some(reading) = rule.reading {
            let _ = writeln!(out, "*Reading chosen:* {reading}\n");
        }
        let _ = writeln!(out, "*Why it matters:* {}\n", rule.why);
        let _ = writeln!(out, "Source: {}\n", rule.source);
        match coverage.get(rule.id) {
            None => out.push_str("Covered by: **no scenario yet**\n\n"),
            Some(refs) => {
                out.push_str("Covered by:\n\n");
                for r in refs {
                    let _ = writeln!(
                        out,
                        "- [{}]({}) — {}",
                        inline(&r.scenario.name),
                        page_name(&r.feature.relative),
                        inline(&r.feature.name)
                    );
                }
                out.push('\n');
            }
        }
    }
    out
}

fn level_label(level: Level) -> &'static str {
    match level {
        Level::Must => "MUST",
        Level::Should => "SHOULD",
        Level::Interpretation => "⚠️ INTERPRETATION",
    }
}

fn cites(ids: &[String]) -> String {
    if ids.is_empty() {
        return "*no rule*".to_string();
    }
    ids.iter()
        .map(|id| match catalogue::find(id) {
            Some(r) => format!("**{id}** ({})", level_label(r.level)),
            None => format!("**{id}** (not in the catalogue)"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn tag_list(tags: &[String]) -> String {
    tags.iter()
        .map(|t| format!("`@{t}`"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn steps(out: &mut String, steps: &[SpecStep]) {
    for step in steps {
        let _ = writeln!(out, "- **{}** {}", step.keyword, inline(&step.text));
        if let Some(doc) = &step.docstring {
            out.push_str("\n  ```\n");
            for line in doc.lines() {
                let _ = writeln!(out, "  {line}");
            }
            out.push_str("  ```\n");
        }
        if let Some(rows) = &step.table {
            out.push('\n');
            table(out, rows, "  ");
            out.push('\n');
        }
    }
}

/// A GitHub table; the first row is the header.
fn table(out: &mut String, rows: &[Vec<String>], indent: &str) {
    let Some((header, body)) = rows.split_first() else {
        return;
    };
    let _ = writeln!(
        out,
        "{indent}| {} |",
        header
            .iter()
            .map(|c| cell(c))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(out, "{indent}|{}", "---|".repeat(header.len().max(1)));
    for row in body {
        let _ = writeln!(
            out,
            "{indent}| {} |",
            row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        );
    }
}

/// Text inside a table cell: pipes escaped, line breaks kept as `<br>`.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

/// Text on one line of prose: characters Markdown would treat as markup escaped.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
