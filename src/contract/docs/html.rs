//! The whole spec as one self-contained HTML page (`index.html`): inline CSS,
//! no scripts, no fonts or images from elsewhere, so it can be mailed,
//! attached to a CI run or published as is.
//!
//! Layout: a summary, the rule catalogue (with a rule × target matrix when
//! reports are given), then every feature with its scenarios in prose.

use std::fmt::Write as _;

use super::results::{self, Note, Status};
use super::spec::{RuleBlock, SpecFeature, SpecScenario, SpecStep};
use super::{anchor, Spec};
use crate::contract::catalogue::{self, Level};

const CSS: &str = r#"
:root { --ink:#1d2330; --muted:#5b6475; --line:#dde1e8; --paper:#ffffff; --wash:#f5f7fa;
  --must:#9b1c31; --should:#1f5fa8; --interp:#8a5a00; --interp-bg:#fff6e0;
  --pass:#1a7f37; --pass-bg:#e6f4ea; --fail:#b42318; --fail-bg:#fde8e7; --skip:#5b6475; --skip-bg:#eef0f3; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  color:var(--ink); background:var(--wash); }
a { color:var(--should); text-decoration:none; } a:hover { text-decoration:underline; }
code, pre, .id { font-family: ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace; font-size:13px; }
.page { display:grid; grid-template-columns: 250px minmax(0,1fr); max-width:1280px; margin:0 auto; }
nav { position:sticky; top:0; align-self:start; max-height:100vh; overflow:auto; padding:24px 16px 24px 24px; font-size:14px; }
nav h2 { font-size:12px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); margin:18px 0 6px; }
nav ol { list-style:none; margin:0; padding:0; } nav li { margin:3px 0; }
nav .count { color:var(--muted); font-size:12px; }
main { padding:24px 32px 64px; min-width:0; }
header.top { background:var(--paper); border:1px solid var(--line); border-radius:10px; padding:20px 24px; margin-bottom:24px; }
header.top h1 { margin:0 0 4px; font-size:26px; }
header.top p { margin:4px 0; color:var(--muted); }
.stats { display:flex; flex-wrap:wrap; gap:12px; margin-top:14px; }
.stat { background:var(--wash); border:1px solid var(--line); border-radius:8px; padding:8px 14px; min-width:120px; }
.stat b { display:block; font-size:22px; } .stat span { color:var(--muted); font-size:13px; }
section.block { background:var(--paper); border:1px solid var(--line); border-radius:10px; padding:20px 24px; margin-bottom:24px; }
section.block > h2 { margin:0 0 6px; font-size:22px; }
.meta { color:var(--muted); font-size:13px; margin:2px 0 10px; }
.desc { margin:8px 0 14px; } .desc p { margin:0 0 8px; }
table { border-collapse:collapse; width:100%; margin:8px 0 14px; font-size:14px; }
th, td { border-bottom:1px solid var(--line); padding:7px 9px; text-align:left; vertical-align:top; }
th { background:var(--wash); font-weight:600; font-size:13px; }
.scroll { overflow-x:auto; }
td.id { white-space:nowrap; width:1%; }
table.catalogue td.id .badge { margin-top:4px; }
table.catalogue td.cover { min-width:13em; width:22%; }
table.catalogue th.target { width:7.5em; max-width:9em; overflow-wrap:anywhere; text-align:center; font-size:12px; }
table.catalogue tr.group th { background:#eef2f8; color:var(--ink); font-size:13px; text-transform:none; padding-top:12px; border-top:2px solid var(--line); }
table.catalogue tr:target { background:#fffbe6; }
.badge { display:inline-block; border-radius:999px; padding:1px 9px; font-size:11px; font-weight:700; letter-spacing:.03em; white-space:nowrap; border:1px solid currentColor; }
.lv-must { color:var(--must); } .lv-should { color:var(--should); } .lv-interpretation { color:var(--interp); background:var(--interp-bg); }
.reading { background:var(--interp-bg); border-left:3px solid var(--interp); padding:6px 10px; margin-top:6px; border-radius:0 6px 6px 0; font-size:13.5px; }
.reading b { color:var(--interp); }
.why { color:var(--muted); font-size:13.5px; margin-top:4px; }
.src { color:var(--muted); font-size:12.5px; }
.none { color:var(--fail); font-weight:600; }
ul.cover { margin:0; padding-left:16px; font-size:13px; }
.chip { display:inline-block; border-radius:6px; padding:0 7px; margin:0 4px 4px 0; font-size:12px; border:1px solid var(--line); background:var(--wash); }
a.chip.rule { font-family:ui-monospace,Menlo,Consolas,monospace; }
.chip.unknown { color:var(--fail); border-color:var(--fail); }
.chip.label { color:var(--muted); }
.st { display:inline-block; border-radius:6px; padding:1px 8px; font-size:12px; font-weight:600; white-space:nowrap; }
.st-passed { color:var(--pass); background:var(--pass-bg); } .st-failed { color:var(--fail); background:var(--fail-bg); }
.st-skipped { color:var(--skip); background:var(--skip-bg); } .st-error { color:var(--interp); background:var(--interp-bg); }
.skip-reason { color:var(--muted); font-size:12.5px; margin:4px 0 0; } .st-not-run { color:var(--muted); }
td.st-cell { text-align:center; }
.rule-block { border-top:1px solid var(--line); margin-top:18px; padding-top:14px; }
.rule-block > h3 { margin:0 0 4px; font-size:18px; }
.scenario { border:1px solid var(--line); border-radius:8px; padding:12px 16px; margin:12px 0; background:#fcfcfd; }
.scenario.interp { border-left:4px solid var(--interp); }
.scenario h4 { margin:0 0 6px; font-size:16px; } .scenario h4 .kw { color:var(--muted); font-weight:500; }
ol.steps { list-style:none; margin:8px 0; padding:0; }
ol.steps li { margin:3px 0; padding-left:4.6em; text-indent:-4.6em; }
.kw { font-weight:700; color:var(--should); display:inline-block; min-width:4.2em; text-indent:0; }
ol.steps table, ol.steps pre { text-indent:0; margin:4px 0 8px; }
pre { background:var(--wash); border:1px solid var(--line); border-radius:6px; padding:8px 10px; overflow:auto; white-space:pre-wrap; }
.examples h5 { margin:10px 0 0; font-size:13px; color:var(--muted); text-transform:uppercase; letter-spacing:.05em; }
.examples table { width:auto; min-width:40%; }
.results { margin-top:8px; font-size:13px; }
.failure { background:var(--fail-bg); border-radius:6px; padding:8px 10px; margin-top:6px; font-size:13px; }
.failure dt { font-weight:600; } .failure dd { margin:0 0 4px; } .failure code { white-space:pre-wrap; word-break:break-all; }
.ph { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:.9em; color:#6b3fa0; background:#f3edfb; border-radius:4px; padding:0 3px; }
footer { color:var(--muted); font-size:12.5px; margin-top:24px; }
@media (max-width: 900px) { .page { grid-template-columns: 1fr; } nav { position:static; max-height:none; } main { padding:16px; } }
@media print { nav { display:none; } .page { display:block; } section.block { break-inside:avoid-page; } }
"#;

/// The page.
pub fn render(spec: &Spec) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>Progress sync — the contract</title>\n<style>");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n<div class=\"page\">\n");
    nav(&mut out, spec);
    out.push_str("<main>\n");
    summary(&mut out, spec);
    catalogue_section(&mut out, spec);
    for feature in &spec.features {
        feature_section(&mut out, spec, feature);
    }
    let _ = writeln!(
        out,
        "<footer>Rendered by <code>kosync-contract docs</code> from {}. The features are the \
         contract: edit a <code>.feature</code> file and render again.</footer>",
        esc(&spec.source)
    );
    out.push_str("</main>\n</div>\n</body>\n</html>\n");
    out
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn feature_anchor(feature: &SpecFeature) -> String {
    format!("feature-{}", anchor(&feature.relative))
}

fn scenario_anchor(feature: &SpecFeature, scenario: &SpecScenario) -> String {
    format!("{}-l{}", feature_anchor(feature), scenario.line)
}

fn rule_anchor(id: &str) -> String {
    format!("rule-{}", anchor(id))
}

fn nav(out: &mut String, spec: &Spec) {
    out.push_str("<nav>\n<h2>Contents</h2>\n<ol>\n");
    out.push_str("<li><a href=\"#catalogue\">Rule catalogue</a></li>\n</ol>\n");
    // One list per top folder (`client`, `server`), so the two sides stay apart.
    let mut group: Option<&str> = None;
    for f in &spec.features {
        let folder = f.relative.split_once('/').map(|(dir, _)| dir).unwrap_or("");
        if group != Some(folder) {
            if group.is_some() {
                out.push_str("</ol>\n");
            }
            group = Some(folder);
            let heading = match folder {
                "" => "Features".to_string(),
                dir => format!("{} features", capitalised(dir)),
            };
            let _ = writeln!(out, "<h2>{}</h2>\n<ol>", esc(&heading));
        }
        let n: usize = f.blocks.iter().map(|b| b.scenarios.len()).sum();
        let _ = writeln!(
            out,
            "<li><a href=\"#{}\">{}</a> <span class=\"count\">{n}</span></li>",
            feature_anchor(f),
            esc(&f.name)
        );
    }
    if group.is_none() {
        out.push_str("<ol>\n");
    }
    out.push_str("</ol>\n</nav>\n");
}

fn summary(out: &mut String, spec: &Spec) {
    let coverage = spec.coverage();
    let rules = catalogue::all();
    let covered = rules.iter().filter(|r| coverage.contains_key(r.id)).count();
    let scenarios = spec.scenarios().count();
    let interps = rules
        .iter()
        .filter(|r| r.level == Level::Interpretation)
        .count();
    out.push_str(
        "<header class=\"top\">\n<h1>KOReader ↔ BookLore progress sync: the contract</h1>\n",
    );
    out.push_str(
        "<p>What a client and a server must do to keep a reader's position in sync, written as \
         executable scenarios. Each scenario cites the rules it checks; rules marked \
         <span class=\"badge lv-interpretation\">INTERPRETATION</span> are readings chosen \
         where the source page is silent.</p>\n<div class=\"stats\">\n",
    );
    for (n, what) in [
        (rules.len().to_string(), "rules"),
        (
            format!("{covered}/{}", rules.len()),
            "rules with a scenario",
        ),
        (interps.to_string(), "interpretations"),
        (spec.features.len().to_string(), "features"),
        (scenarios.to_string(), "scenarios"),
    ] {
        let _ = writeln!(
            out,
            "<div class=\"stat\"><b>{}</b><span>{what}</span></div>",
            esc(&n)
        );
    }
    for target in &spec.targets {
        let (mut passed, mut failed, mut skipped, mut errors) = (0, 0, 0, 0);
        let mut not_applicable = 0;
        for r in &target.report.results {
            match r.status {
                Status::Passed => passed += 1,
                Status::Failed => failed += 1,
                Status::Skipped => skipped += 1,
                Status::NotApplicable => not_applicable += 1,
                Status::Error => errors += 1,
                Status::NotRun => {}
            }
        }
        let verdict = match target.report.conformant {
            Some(true) => "<span class=\"st st-passed\">conformant</span>",
            Some(false) => "<span class=\"st st-failed\">not conformant</span>",
            None => "",
        };
        // A skipped check is not a pass: the header says how many there were.
        let mut counts = format!("{passed}✓ {failed}✗");
        if skipped > 0 {
            counts.push_str(&format!(" {skipped} skipped"));
        }
        if not_applicable > 0 {
            counts.push_str(&format!(" {not_applicable} not applicable"));
        }
        if errors > 0 {
            counts.push_str(&format!(" {errors} not run (harness error)"));
        }
        let _ = writeln!(
            out,
            "<div class=\"stat\"><b>{counts}</b><span>{} {verdict}</span></div>",
            esc(&target.label)
        );
    }
    out.push_str("</div>\n</header>\n");
}

/// What a rule says, for a table cell: its text, then the reading the contract
/// chose where the source is silent and the "why it matters" line, if any.
fn rule_says(rule: &catalogue::Rule) -> String {
    format!(
        "{}{}{}",
        esc(rule.text),
        reading_note(rule.reading),
        why_note(rule.why)
    )
}

/// The rule's "why it matters" line, under its text.
fn why_note(why: &str) -> String {
    if why.is_empty() {
        String::new()
    } else {
        format!(
            "<div class=\"why\"><b>Why it matters:</b> {}</div>",
            esc(why)
        )
    }
}

/// The reading the contract chose for a rule where the source is silent, or nothing.
fn reading_note(reading: Option<&str>) -> String {
    reading
        .map(|r| {
            format!(
                "<div class=\"reading\"><b>Reading chosen:</b> {}</div>",
                esc(r)
            )
        })
        .unwrap_or_default()
}

fn level_badge(level: Level) -> String {
    format!(
        "<span class=\"badge lv-{}\">{}</span>",
        level.name().to_ascii_lowercase(),
        level.name()
    )
}

/// A status for a scenario (spelled out: a lone dash next to a target name reads as nothing).
fn scenario_status_chip(status: Status) -> String {
    if status == Status::NotRun {
        return "<span class=\"st st-not-run\">not run</span>".to_string();
    }
    status_chip(status)
}

/// A status for a matrix cell, where "not run" is a quiet dash.
fn status_chip(status: Status) -> String {
    if status == Status::NotRun {
        return "<span class=\"st st-not-run\" title=\"not run\">—</span>".to_string();
    }
    format!(
        "<span class=\"st st-{}\">{}</span>",
        status.word().replace(' ', "-"),
        esc(status.word())
    )
}

/// The catalogue's groups, by id prefix, in catalogue order.
fn group_of(id: &str) -> &'static str {
    match id.split('-').next() {
        Some("C") => "Client: the BookLore plugin's progress sync",
        Some("S") => "Server: BookLore's /api/koreader (dialect booklore)",
        Some("K") => "Server: the reference kosync server (dialect kosync)",
        Some("H") => "The document hash",
        _ => "Other rules",
    }
}

fn catalogue_section(out: &mut String, spec: &Spec) {
    let coverage = spec.coverage();
    out.push_str("<section class=\"block\" id=\"catalogue\">\n<h2>Rule catalogue</h2>\n");
    out.push_str(
        "<p class=\"meta\">MUST and INTERPRETATION rules fail a verify run; SHOULD rules are \
         reported without failing it.",
    );
    if !spec.targets.is_empty() {
        out.push_str(
            " The right-hand columns are the coverage matrix: each rule's worst result per target \
             (— means the target's report has no scenario for it).",
        );
    }
    out.push_str(
        "</p>\n<div class=\"scroll\"><table class=\"catalogue\">\n<thead><tr><th>Rule</th>\
         <th>What it says</th><th>Scenarios</th>",
    );
    for t in &spec.targets {
        let _ = write!(out, "<th class=\"target\">{}</th>", esc(&t.label));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let columns = 3 + spec.targets.len();
    let mut group = "";
    for rule in catalogue::all() {
        if group_of(rule.id) != group {
            group = group_of(rule.id);
            let _ = writeln!(
                out,
                "<tr class=\"group\"><th colspan=\"{columns}\">{}</th></tr>",
                esc(group)
            );
        }
        let _ = write!(
            out,
            "<tr id=\"{}\"><td class=\"id\"><b>{}</b><br>{}</td><td>{}",
            rule_anchor(rule.id),
            esc(rule.id),
            level_badge(rule.level),
            rule_says(rule)
        );
        let _ = write!(
            out,
            "<div class=\"src\">{}</div></td><td class=\"cover\">",
            esc(rule.source)
        );
        match coverage.get(rule.id) {
            None => out.push_str("<span class=\"none\">no scenario</span>"),
            Some(refs) => {
                out.push_str("<ul class=\"cover\">");
                for r in refs {
                    let _ = write!(
                        out,
                        "<li><a href=\"#{}\">{}</a></li>",
                        scenario_anchor(r.feature, r.scenario),
                        with_placeholders(&r.scenario.name)
                    );
                }
                out.push_str("</ul>");
            }
        }
        out.push_str("</td>");
        for t in &spec.targets {
            let _ = write!(
                out,
                "<td class=\"st-cell\">{}</td>",
                status_chip(spec.rule_status(t, rule.id))
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn feature_section(out: &mut String, spec: &Spec, feature: &SpecFeature) {
    let _ = writeln!(
        out,
        "<section class=\"block\" id=\"{}\">\n<h2>{}</h2>",
        feature_anchor(feature),
        esc(&feature.name)
    );
    let _ = write!(out, "<p class=\"meta\"><code>{}</code>", esc(&feature.path));
    for t in &feature.tags {
        let _ = write!(out, " {}", tag_chip(t));
    }
    out.push_str("</p>\n");
    if let Some(d) = &feature.description {
        out.push_str(&description(d));
    }
    let rules = Spec::rules_of(feature);
    if !rules.is_empty() {
        out.push_str("<table><thead><tr><th>Rule</th><th>Level</th><th>What it says</th></tr></thead><tbody>\n");
        for rule in rules {
            let _ = writeln!(
                out,
                "<tr><td class=\"id\"><a href=\"#{}\"><b>{}</b></a></td><td>{}</td><td>{}</td></tr>",
                rule_anchor(rule.id),
                esc(rule.id),
                level_badge(rule.level),
                rule_says(rule)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    if !feature.background.is_empty() {
        out.push_str("<div class=\"scenario\"><h4><span class=\"kw\">Background</span></h4>");
        steps(out, &feature.background);
        out.push_str("</div>\n");
    }
    for block in &feature.blocks {
        rule_block(out, spec, feature, block);
    }
    out.push_str("</section>\n");
}

fn rule_block(out: &mut String, spec: &Spec, feature: &SpecFeature, block: &RuleBlock) {
    if let Some(name) = &block.name {
        out.push_str("<div class=\"rule-block\">\n");
        let _ = write!(out, "<h3>Rule: {}</h3>", esc(name));
        if !block.tags.is_empty() {
            out.push_str("<p class=\"meta\">");
            for t in &block.tags {
                out.push_str(&tag_chip(t));
            }
            out.push_str("</p>");
        }
        out.push('\n');
        if let Some(d) = &block.description {
            out.push_str(&description(d));
        }
        if !block.background.is_empty() {
            out.push_str("<div class=\"scenario\"><h4><span class=\"kw\">Background</span></h4>");
            steps(out, &block.background);
            out.push_str("</div>\n");
        }
    }
    for scenario in &block.scenarios {
        scenario_card(out, spec, feature, block, scenario);
    }
    if block.name.is_some() {
        out.push_str("</div>\n");
    }
}

fn scenario_card(
    out: &mut String,
    spec: &Spec,
    feature: &SpecFeature,
    block: &RuleBlock,
    scenario: &SpecScenario,
) {
    let interp = scenario
        .cites
        .iter()
        .any(|id| catalogue::find(id).is_some_and(|r| r.level == Level::Interpretation));
    let _ = write!(
        out,
        "<article class=\"scenario{}\" id=\"{}\"><h4><span class=\"kw\">{}:</span> {}</h4>",
        if interp { " interp" } else { "" },
        scenario_anchor(feature, scenario),
        esc(scenario.keyword.trim()),
        with_placeholders(&scenario.name)
    );
    out.push_str("<p class=\"meta\">");
    if scenario.cites.is_empty() {
        out.push_str("<span class=\"chip unknown\">cites no rule</span>");
    }
    for id in &scenario.cites {
        match catalogue::find(id) {
            Some(rule) => {
                let _ = write!(
                    out,
                    "<a class=\"chip rule lv-{}\" href=\"#{}\" title=\"{}\">{}</a>",
                    rule.level.name().to_ascii_lowercase(),
                    rule_anchor(id),
                    esc(rule.level.name()),
                    esc(id)
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<span class=\"chip unknown\" title=\"not in the catalogue\">{} ?</span>",
                    esc(id)
                );
            }
        }
    }
    for label in scenario.labels(feature, block) {
        out.push_str(&tag_chip(label));
    }
    let _ = write!(
        out,
        " <code>{}:{}</code></p>",
        esc(&feature.path),
        scenario.line
    );
    if let Some(d) = &scenario.description {
        out.push_str(&description(d));
    }
    steps(out, &scenario.steps);
    for ex in &scenario.examples {
        out.push_str("<div class=\"examples\"><h5>Examples");
        if let Some(n) = &ex.name {
            let _ = write!(out, ": {}", esc(n));
        }
        out.push_str("</h5>");
        table(out, &ex.table);
        out.push_str("</div>");
    }
    if !spec.targets.is_empty() {
        out.push_str("<div class=\"results\">");
        for t in &spec.targets {
            let _ = write!(
                out,
                "<span class=\"chip\">{} {}</span>",
                esc(&t.label),
                scenario_status_chip(t.status_of(feature, scenario))
            );
        }
        for (t, r, note) in results::notes(&spec.targets, feature, scenario) {
            match note {
                Note::Failure => {
                    let _ = write!(
                        out,
                        "<dl class=\"failure\"><dt>{} — {} ({})</dt>",
                        esc(&t.label),
                        esc(&r.scenario),
                        r.status.word()
                    );
                    for (what, v) in r.details() {
                        let _ = write!(out, "<dt>{what}</dt><dd><code>{}</code></dd>", esc(&v));
                    }
                    out.push_str("</dl>");
                }
                Note::Reason { what, reason } => {
                    let _ = write!(
                        out,
                        "<p class=\"skip-reason\">{what} on {}: {}</p>",
                        esc(&t.label),
                        esc(&reason)
                    );
                }
            }
        }
        out.push_str("</div>");
    }
    out.push_str("</article>\n");
}

/// A description: paragraphs separated by blank lines.
fn description(text: &str) -> String {
    let mut out = String::from("<div class=\"desc\">");
    for para in text.split("\n\n") {
        let _ = write!(out, "<p>{}</p>", esc(para.trim()));
    }
    out.push_str("</div>");
    out
}

fn tag_chip(tag: &str) -> String {
    if catalogue::looks_like_rule_id(tag) {
        match catalogue::find(tag) {
            Some(_) => format!(
                "<a class=\"chip rule\" href=\"#{}\">@{}</a>",
                rule_anchor(tag),
                esc(tag)
            ),
            None => format!("<span class=\"chip unknown\">@{} ?</span>", esc(tag)),
        }
    } else {
        format!("<span class=\"chip label\">@{}</span>", esc(tag))
    }
}

fn steps(out: &mut String, steps: &[SpecStep]) {
    if steps.is_empty() {
        return;
    }
    out.push_str("<ol class=\"steps\">");
    for step in steps {
        let _ = write!(
            out,
            "<li><span class=\"kw\">{}</span> {}",
            esc(&step.keyword),
            with_placeholders(&step.text)
        );
        if let Some(doc) = &step.docstring {
            let _ = write!(out, "<pre>{}</pre>", esc(doc));
        }
        if let Some(rows) = &step.table {
            table(out, rows);
        }
        out.push_str("</li>");
    }
    out.push_str("</ol>\n");
}

fn table(out: &mut String, rows: &[Vec<String>]) {
    let Some((header, body)) = rows.split_first() else {
        return;
    };
    out.push_str("<table><thead><tr>");
    for c in header {
        let _ = write!(out, "<th>{}</th>", esc(c));
    }
    out.push_str("</tr></thead><tbody>");
    for row in body {
        out.push_str("<tr>");
        for c in row {
            let _ = write!(out, "<td>{}</td>", esc(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// Step or scenario text with outline `<placeholders>` marked, so a reader sees
/// which words the Examples table fills in.
fn with_placeholders(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        match after.find(['>', '<']) {
            Some(close) if after.as_bytes()[close] == b'>' && close > 0 => {
                out.push_str(&esc(&rest[..open]));
                let _ = write!(
                    out,
                    "<span class=\"ph\">&lt;{}&gt;</span>",
                    esc(&after[..close])
                );
                rest = &after[close + 1..];
            }
            _ => {
                out.push_str(&esc(&rest[..=open]));
                rest = after;
            }
        }
    }
    out.push_str(&esc(rest));
    out
}

/// HTML-escape text for element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_marked_and_escaped() {
        assert_eq!(
            super::with_placeholders("push <value> & a < b"),
            "push <span class=\"ph\">&lt;value&gt;</span> &amp; a &lt; b"
        );
        assert_eq!(super::with_placeholders("<>"), "&lt;&gt;");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::esc("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
