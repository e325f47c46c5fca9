//! What the reference would have decided: a scenario's events replayed on the
//! reference model against the in-memory `SimServer`, with the same remote
//! progress and the same scripted failures, to annotate a failure with the
//! rules the reference decided at each event — whatever client was verified.
//!
//! A replay, not the run itself: it costs microseconds, needs no socket, and
//! happens only when a report is written. Server delays do not matter to it
//! (the model waits for every answer either way).

use crate::model::sim::{Record, SimServer};
use crate::model::{
    describe_decisions, ClientConfig, Decision, Effect, Event, HttpOutcome, Profile, Settings,
};
use crate::protocol::Dialect;
use crate::server::Fault;

/// Something the harness did to the server before an event.
#[derive(Debug, Clone)]
pub(crate) enum Scripted {
    /// Another device pushed this position; `offset` moves its timestamp
    /// away from the server's clock.
    Seed {
        document: String,
        percentage: f64,
        progress: String,
        offset: i64,
        device_id: String,
    },
    /// The server fails matching requests this way.
    Fault(Fault),
}

/// Whether `fault` applies to a request.
fn matches(fault: &Fault, method: &str, path: &str) -> bool {
    fault
        .method
        .as_deref()
        .is_none_or(|m| m.eq_ignore_ascii_case(method))
        && fault.path.as_deref().is_none_or(|p| p == path)
        && fault.times != Some(0)
        && (fault.drop || fault.status.is_some() || fault.body.is_some())
}

/// The answer a scripted fault gives, using up one of its `times`.
fn play(fault: &mut Fault) -> HttpOutcome {
    if let Some(n) = fault.times.as_mut() {
        *n -= 1;
    }
    if fault.drop {
        return HttpOutcome::TransportError {
            message: "scripted: dropped".to_string(),
        };
    }
    HttpOutcome::Response {
        status: fault.status.unwrap_or(200),
        body: fault.body.clone().unwrap_or_default(),
    }
}

/// The reference's decisions at each of `events`, given the client's start
/// `settings` and what the harness scripted before each event (by index).
pub(crate) fn decisions(
    config: ClientConfig,
    settings: &Settings,
    profile: Profile,
    events: &[Event],
    script: &[(usize, Scripted)],
) -> Vec<Vec<Decision>> {
    let clock_start = config.clock_start;
    let mut server = SimServer::new(Dialect::BookLore, &config.user, &config.key, clock_start);
    let mut client = profile.client(config, settings.clone());
    let mut faults: Vec<Fault> = Vec::new();
    let mut script = script.iter().peekable();
    let mut out = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        while let Some((_, scripted)) = script.next_if(|(at, _)| *at <= index) {
            match scripted {
                Scripted::Seed {
                    document,
                    percentage,
                    progress,
                    offset,
                    device_id,
                } => {
                    let record = Record {
                        percentage: *percentage,
                        progress: progress.clone(),
                        timestamp: server.clock.saturating_add(*offset),
                        device: "other-device".to_string(),
                        device_id: device_id.clone(),
                    };
                    server.records.insert(document.clone(), record);
                }
                Scripted::Fault(fault) => faults.push(fault.clone()),
            }
        }
        if let Event::TimePassed { seconds } = event {
            let seconds = i64::try_from(*seconds).unwrap_or(i64::MAX);
            server.clock = server.clock.saturating_add(seconds);
        }
        let handled = client.step(event.clone());
        let mut decided = handled.decisions;
        let mut todo: std::collections::VecDeque<Effect> = handled.effects.into();
        // Bounded like every driver: the reference asks for few requests.
        let mut budget = 10_000;
        while let Some(effect) = todo.pop_front() {
            let Effect::Http(request) = effect else {
                continue;
            };
            budget -= 1;
            if budget == 0 {
                break;
            }
            let outcome = match faults
                .iter_mut()
                .find(|f| matches(f, &request.method, &request.path))
            {
                Some(fault) => play(fault),
                None => server.answer(&request),
            };
            let more = client.step(Event::HttpCompleted {
                id: request.id,
                outcome,
            });
            decided.extend(more.decisions);
            todo.extend(more.effects);
        }
        out.push(decided);
    }
    out
}

/// The decisions of one event for a report, without the wire rules every
/// request repeats (C-WIRE-*), which say nothing about what the event did.
pub(crate) fn describe(decisions: &[Decision]) -> String {
    let kept: Vec<Decision> = decisions
        .iter()
        .filter(|d| !d.rule.starts_with("C-WIRE-"))
        .cloned()
        .collect();
    describe_decisions(&kept)
}
