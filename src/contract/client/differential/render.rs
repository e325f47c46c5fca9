//! Reporting a differential run: the case as numbered steps, both traces side
//! by side with the first difference marked and the reference's decisions
//! beside it, the rules broken, and the run as one entry of a verify report.

use std::fmt::Write as _;

use serde_json::Value;

use super::compare::aspect_words;
use super::trace::{identity, StepTrace, WireRequest};
use super::{
    Case, Mismatch, Outcome, Report, Step, CLOCK_START, DEVICE, DEVICE_ID, PASSWORD, USER,
};
use crate::adapter::{ClientDriver, DriverError};
use crate::contract::catalogue::{self, Level};
use crate::contract::report::{CaseResult, Status};
use crate::model::{describe_decisions, Aspect, Effect, Settings};
use crate::protocol::{self, Dialect};
use crate::server::{self, ServerConfig, UserSpec};

/// What differs at a step, in a sentence per differing part.
pub(super) fn describe_difference(r: &StepTrace, c: &StepTrace, aspects: &[Aspect]) -> String {
    let parts: Vec<&str> = aspects.iter().map(|a| aspect_words(*a)).collect();
    let mut text = format!("{} differ", parts.join(", "));
    let requests = aspects.iter().any(|a| {
        !matches!(
            a,
            Aspect::Prompts | Aspect::Notices | Aspect::Settings | Aspect::Pending | Aspect::Synced
        )
    });
    if requests {
        let _ = write!(
            text,
            ": the model sent {}, the client sent {}",
            describe_requests(&r.requests),
            describe_requests(&c.requests)
        );
    }
    if aspects
        .iter()
        .any(|a| matches!(a, Aspect::Prompts | Aspect::Notices | Aspect::Settings))
    {
        let _ = write!(
            text,
            "; the model showed {}, the client showed {}",
            describe_effects(&r.effects),
            describe_effects(&c.effects)
        );
    }
    if aspects
        .iter()
        .any(|a| matches!(a, Aspect::Pending | Aspect::Synced))
    {
        let _ = write!(
            text,
            "; the model has {} pending / {} synced, the client {} / {}",
            r.queue.pending, r.queue.synced, c.queue.pending, c.queue.synced
        );
    }
    text
}

fn describe_requests(requests: &[WireRequest]) -> String {
    if requests.is_empty() {
        return "nothing".to_string();
    }
    requests
        .iter()
        .map(compact_request)
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_effects(effects: &[Effect]) -> String {
    if effects.is_empty() {
        return "nothing".to_string();
    }
    effects
        .iter()
        .map(|e| serde_json::to_string(e).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The event list of a case, one numbered line per step.
pub fn render_steps(case: &Case) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  settings: {}",
        serde_json::to_string(&case.settings).unwrap_or_default()
    );
    for (i, step) in case.steps.iter().enumerate() {
        let _ = writeln!(out, "  {i:>3}. {}", describe_step(step));
    }
    out
}

fn describe_step(step: &Step) -> String {
    match step {
        Step::Reader { event } => serde_json::to_string(event).unwrap_or_default(),
        Step::RemoteProgress { document, position } => format!(
            "(server) another device pushes {document} at {} ({:?})",
            position.percentage, position.progress
        ),
        Step::ServerFails { failure, method } => format!(
            "(server) fails the next {} request: {failure:?}",
            method.name()
        ),
    }
}

/// A request in a few words for the side-by-side view: route, document
/// prefix, the push fields, the clock offset, the answer; auth only when wrong.
fn compact_request(r: &WireRequest) -> String {
    let path = r
        .path
        .strip_prefix(Dialect::BookLore.prefix())
        .unwrap_or(&r.path);
    let mut text = format!("{} {}", r.method, shorten_documents(path));
    if let Some(body) = &r.body {
        let field = |k: &str| body.get(k);
        match field("document").and_then(Value::as_str) {
            Some(d) => {
                let _ = write!(text, " {}", d.get(..8).unwrap_or(d));
            }
            None => text.push_str(" (no document)"),
        }
        match field("percentage") {
            Some(p) => {
                let _ = write!(text, " {p}");
            }
            None => text.push_str(" (no percentage)"),
        }
        match field("progress") {
            Some(p) => {
                let _ = write!(text, " {p}");
            }
            None => text.push_str(" (no progress)"),
        }
        match field("timestamp").and_then(Value::as_i64) {
            Some(t) => {
                let _ = write!(text, " t+{}", t - CLOCK_START);
            }
            None => text.push_str(" (no timestamp)"),
        }
        if field("device").and_then(Value::as_str) != Some(DEVICE)
            || field("device_id").and_then(Value::as_str) != Some(DEVICE_ID)
        {
            text.push_str(" (other device fields)");
        }
    }
    if r.auth_user.as_deref() != Some(USER)
        || r.auth_key.as_deref() != Some(protocol::key_for_password(PASSWORD).as_str())
    {
        text.push_str(" (wrong auth)");
    }
    let _ = write!(
        text,
        " → {}",
        if r.status == 0 {
            "dropped".to_string()
        } else {
            r.status.to_string()
        }
    );
    text
}

/// `/syncs/progress/<32 hex>` → `/syncs/progress/<first 8>…`.
fn shorten_documents(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((head, last)) if last.len() == 32 => format!("{head}/{}…", &last[..8]),
        _ => path.to_string(),
    }
}

fn step_lines(seen: &StepTrace) -> Vec<String> {
    let mut lines: Vec<String> = seen.requests.iter().map(compact_request).collect();
    lines.extend(
        seen.effects
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_default()),
    );
    lines.push(format!(
        "queue {} ({} synced)",
        seen.queue.summary(),
        seen.queue.synced
    ));
    lines
}

/// Both traces side by side, the first differing step marked `>>`.
pub fn render_side_by_side(m: &Mismatch, width: usize) -> String {
    let clip = |s: &str| -> String {
        if s.chars().count() <= width {
            format!("{s:<width$}")
        } else {
            let cut: String = s.chars().take(width.saturating_sub(1)).collect();
            format!("{cut}…")
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "     {} | {}",
        clip("reference model"),
        clip("client under test")
    );
    let _ = writeln!(out, "     {}-+-{}", "-".repeat(width), "-".repeat(width));
    for (i, step) in m.case.steps.iter().enumerate() {
        let mark = if i == m.step { ">>" } else { "  " };
        let _ = writeln!(out, "{mark}{i:>3} {}", describe_step(step));
        let (Some(r), Some(c)) = (m.reference.get(i), m.candidate.get(i)) else {
            continue;
        };
        if matches!(step, Step::Reader { .. }) {
            let (left, right) = (step_lines(r), step_lines(c));
            for k in 0..left.len().max(right.len()) {
                let l = left.get(k).map(String::as_str).unwrap_or("");
                let rt = right.get(k).map(String::as_str).unwrap_or("");
                let _ = writeln!(out, "{mark}   {} | {}", clip(l), clip(rt));
            }
        }
        if i == m.step {
            let _ = writeln!(out, ">>   first difference: {}", m.difference);
            if let Some(r) = m.reference.get(i) {
                let _ = writeln!(
                    out,
                    ">>   the reference decided: {}",
                    describe_decisions(&r.decisions)
                );
            }
            break;
        }
    }
    out
}

/// The whole failure report: what differs, the rules, the seed, the steps, the traces.
pub fn render_report(report: &Report) -> String {
    let mut out = match &report.outcome {
        Outcome::Agreed => format!(
            "differential: {} cases agreed with the reference model ({}, seed {})\n",
            report.cases, report.profile, report.seed
        ),
        Outcome::HarnessError { message } => format!(
            "differential: could not run (seed {}): {message}\n",
            report.seed
        ),
        Outcome::Mismatch(m) => {
            let mut out = String::new();
            let _ = writeln!(
                out,
                "differential: the client differs from the reference model ({}) at step {} — rules broken: {}",
                report.profile,
                m.step,
                rule_list(&m.rules)
            );
            let _ = writeln!(out, "  {}", m.difference);
            let _ = writeln!(
                out,
                "  seed {} (reproduce: --cases {} --seed {}); shrunk to {} steps:",
                report.seed,
                report.cases,
                report.seed,
                m.case.steps.len()
            );
            out.push_str(&render_steps(&m.case));
            out.push('\n');
            out.push_str(&render_side_by_side(m, 60));
            out
        }
    };
    if let Some(first) = &report.first_unattributed {
        let _ = writeln!(out, "{}", unattributed_note(report.unattributed, first));
    }
    out
}

/// `C-PUSH-6 (MUST), C-PUSH-7 (INTERPRETATION)`.
fn rule_list(rules: &[&str]) -> String {
    rules
        .iter()
        .map(|id| match catalogue::find(id) {
            Some(rule) => format!("{id} ({})", rule.level.name()),
            None => id.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The note for cases that differed where no rule decides.
fn unattributed_note(count: u32, first: &Mismatch) -> String {
    format!(
        "differential: {count} case(s) differed from the model where no rule decides (not failures; \
         the sources allow both readings). The first, at step {}: {}. The reference decided: {}.",
        first.step,
        first.difference,
        first
            .reference
            .get(first.step)
            .map(|r| describe_decisions(&r.decisions))
            .unwrap_or_default()
    )
}

/// Start `command` once against a fresh fake server (`init`, then `shutdown`),
/// so an adapter that cannot even start fails the run once, clearly, instead
/// of once per scenario (a silent one would cost a timeout each).
pub async fn preflight(
    command: &crate::adapter::subprocess::AdapterCommand,
    timeouts: crate::adapter::subprocess::Timeouts,
) -> Result<crate::adapter::Capabilities, DriverError> {
    let mut config = ServerConfig::new(Dialect::BookLore);
    config.users.push(UserSpec::with_password(USER, PASSWORD));
    let server = server::start(config)
        .await
        .map_err(|err| DriverError::Harness(format!("cannot start the fake server: {err:#}")))?;
    let mut driver = crate::adapter::subprocess::SubprocessDriver::new(command.clone(), timeouts);
    let capabilities = driver
        .start(&identity(&server.base_url()), &Settings::default())
        .await?;
    driver.stop().await?;
    Ok(capabilities)
}

/// The differential run as one entry of a verify report: passed when the
/// traces agreed, failed with the touched rule ids (and the strictest of their
/// levels) on a mismatch, error when the harness could not run it.
pub fn case_result(report: &Report, reproduce: &str) -> CaseResult {
    const FEATURE: &str = "differential (random reader lives vs the reference model)";
    let scenario = format!(
        "{} random cases, seed {}, profile {}",
        report.cases, report.seed, report.profile
    );
    let mut result = match &report.outcome {
        Outcome::Agreed => CaseResult::new(FEATURE, &scenario, &[], Level::Must, Status::Passed),
        Outcome::HarnessError { message } => {
            let mut r = CaseResult::new(FEATURE, &scenario, &[], Level::Must, Status::Error);
            r.actual = Some(message.clone());
            r
        }
        Outcome::Mismatch(m) => {
            // The strictest level broken: MUST, else INTERPRETATION (it gates too), else SHOULD.
            let levels: Vec<Level> = m
                .rules
                .iter()
                .map(|id| catalogue::find(id).map_or(Level::Must, |r| r.level))
                .collect();
            let level = [Level::Must, Level::Interpretation, Level::Should]
                .into_iter()
                .find(|l| levels.contains(l))
                .unwrap_or(Level::Must);
            let mut r = CaseResult::new(FEATURE, &scenario, &m.rules, level, Status::Failed);
            r.step = m
                .case
                .steps
                .get(m.step)
                .map(|s| format!("step {}: {}", m.step, describe_step(s)));
            r.expected = m.reference.get(m.step).map(|t| step_lines(t).join("; "));
            r.actual = m.candidate.get(m.step).map(|t| step_lines(t).join("; "));
            r.reason = Some(format!(
                "{}; the reference decided: {}",
                m.difference,
                m.reference
                    .get(m.step)
                    .map(|t| describe_decisions(&t.decisions))
                    .unwrap_or_default()
            ));
            // "sent": what the client sent at the differing step.
            r.transcript = m
                .candidate
                .get(m.step)
                .map(|t| t.requests.iter().map(compact_request).collect())
                .unwrap_or_default();
            // The reproduction carries the shrunk case and both traces: the text
            // report prints it whole, JUnit puts it in the failure description.
            r.reproduce = Some(format!(
                "{reproduce}\n  shrunk to {} steps (seed {}):\n{}\n{}",
                m.case.steps.len(),
                report.seed,
                render_steps(&m.case),
                render_side_by_side(m, 60)
            ));
            r
        }
    };
    if matches!(report.outcome, Outcome::HarnessError { .. }) {
        result.reproduce = Some(reproduce.to_string());
    }
    result
}

/// The note a verify report carries when cases differed where no rule
/// decides, or `None` when none did.
pub fn unattributed_summary(report: &Report) -> Option<String> {
    report
        .first_unattributed
        .as_ref()
        .map(|first| unattributed_note(report.unattributed, first))
}
