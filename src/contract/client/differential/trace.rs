//! Playing a case: on the reference model against the in-memory [`SimServer`]
//! (microseconds, with the decisions the model took at each step), or on a
//! [`ClientDriver`] against the fake BookLore server, whose journal says what
//! the client sent. Both give a [`Trace`]: what an outsider saw, step by step.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::{json, Value};

use super::{
    Case, FailedMethod, ServerFailure, Step, CLOCK_START, DEVICE, DEVICE_ID, GARBAGE_BODY,
    PASSWORD, USER,
};
use crate::adapter::{ClientDriver, ClientIdentity, DriverError};
use crate::model::sim::SimServer;
use crate::model::{
    model_client, ClientConfig, ClientModel, Decision, Effect, Event, HttpOutcome, HttpRequest,
    Mutant, Position, Profile, QueueCounts,
};
use crate::protocol::{self, Dialect, HEADER_AUTH_KEY, HEADER_AUTH_USER};
use crate::server::{self, Fault};

/// One request as the trace records it: what the rules constrain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WireRequest {
    pub method: String,
    pub path: String,
    pub auth_user: Option<String>,
    pub auth_key: Option<String>,
    /// The push body's constrained fields (`document`, `percentage`, `progress`,
    /// `timestamp`, `device`, `device_id`), as sent; `None` without a JSON object body.
    pub body: Option<Value>,
    /// What the server answered (0 = dropped). Shown, not compared.
    pub status: u16,
}

/// What an outsider saw of one step, and (reference side) the decisions behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct StepTrace {
    pub requests: Vec<WireRequest>,
    pub effects: Vec<Effect>,
    pub queue: QueueCounts,
    /// The rules the model decided at this step (empty for a client under test).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<Decision>,
}

/// A whole case's trace, one entry per step.
pub type Trace = Vec<StepTrace>;

/// The identity a case's client gets.
pub fn identity(base_url: &str) -> ClientIdentity {
    ClientIdentity {
        base_url: base_url.to_string(),
        user: USER.to_string(),
        password: PASSWORD.to_string(),
        device: DEVICE.to_string(),
        device_id: DEVICE_ID.to_string(),
        clock_start: CLOCK_START,
    }
}

/// Run `case` on the model of `profile` (with `mutant`, if any) against the
/// in-memory server.
pub fn reference_trace(case: &Case, profile: Profile, mutant: Option<Mutant>) -> Trace {
    model_trace(case, |config, settings| {
        model_client(config, settings, profile, mutant, PASSWORD)
    })
}

/// The configuration every in-process case's client gets.
pub fn case_config() -> ClientConfig {
    ClientConfig::new(
        Dialect::BookLore,
        USER,
        PASSWORD,
        DEVICE,
        DEVICE_ID,
        CLOCK_START,
    )
}

/// Run `case` on the client `make` builds against the in-memory server.
pub fn model_trace(
    case: &Case,
    make: impl FnOnce(ClientConfig, crate::model::Settings) -> Box<dyn ClientModel>,
) -> Trace {
    let mut client = make(case_config(), case.settings.clone());
    let mut server = SimServer::new(
        Dialect::BookLore,
        USER,
        &protocol::key_for_password(PASSWORD),
        CLOCK_START,
    );
    // Scripted failures are played here, not by the simulator, with the fake
    // server's meaning: a failed request is not processed, nothing is stored.
    let mut faults = Faults::default();
    let mut trace = Vec::with_capacity(case.steps.len());
    for step in &case.steps {
        let mut seen = StepTrace {
            queue: client.queue(),
            ..StepTrace::default()
        };
        match step {
            Step::Reader { event } => {
                drive(client.as_mut(), &mut server, &mut faults, event, &mut seen);
                seen.queue = client.queue();
            }
            Step::RemoteProgress { document, position } => {
                if faults.take("PUT").is_none() {
                    server.hold(document, position.percentage, &position.progress);
                }
            }
            Step::ServerFails { failure, method } => faults.add(*method, *failure),
        }
        trace.push(seen);
    }
    trace
}

/// Scripted failures waiting for their request, by method, oldest first.
#[derive(Default)]
struct Faults {
    get: VecDeque<ServerFailure>,
    put: VecDeque<ServerFailure>,
}

impl Faults {
    fn add(&mut self, method: FailedMethod, failure: ServerFailure) {
        match method {
            FailedMethod::Get => self.get.push_back(failure),
            FailedMethod::Put => self.put.push_back(failure),
        }
    }

    fn take(&mut self, method: &str) -> Option<ServerFailure> {
        match method {
            "GET" => self.get.pop_front(),
            "PUT" => self.put.pop_front(),
            _ => None,
        }
    }
}

/// More requests than this for one step means a broken client, not a busy one.
const MAX_REQUESTS_PER_STEP: usize = 10_000;

/// Feed `event` to the model and answer every request it makes, in order,
/// until none is outstanding; like `sim::drive`, with the scripted failures
/// applied first. Records the user-visible effects, the requests as sent and
/// every decision in `seen`.
fn drive(
    client: &mut dyn ClientModel,
    server: &mut SimServer,
    faults: &mut Faults,
    event: &Event,
    seen: &mut StepTrace,
) {
    if let Event::TimePassed { seconds } = event {
        server.clock = server
            .clock
            .saturating_add(i64::try_from(*seconds).unwrap_or(i64::MAX));
    }
    let handled = client.step(event.clone());
    seen.decisions.extend(handled.decisions);
    let mut effects: VecDeque<Effect> = handled.effects.into();
    // Bounded so a broken (mutant) model cannot loop forever.
    while let Some(effect) = effects.pop_front() {
        let request = match effect {
            Effect::Http(request) => request,
            Effect::QueueChanged(_) => continue,
            visible => {
                seen.effects.push(visible);
                continue;
            }
        };
        if seen.requests.len() >= MAX_REQUESTS_PER_STEP {
            break;
        }
        let outcome = match faults.take(&request.method) {
            Some(ServerFailure::Status(status)) => HttpOutcome::Response {
                status,
                body: json!({"message": "fault injected"}).to_string(),
            },
            Some(ServerFailure::Dropped) => HttpOutcome::TransportError {
                message: "connection dropped".to_string(),
            },
            Some(ServerFailure::Garbage) => HttpOutcome::Response {
                status: 200,
                body: GARBAGE_BODY.to_string(),
            },
            None => server.answer(&request),
        };
        seen.requests.push(wire_from_model(&request, &outcome));
        let more = client.step(Event::HttpCompleted {
            id: request.id,
            outcome,
        });
        seen.decisions.extend(more.decisions);
        effects.extend(more.effects);
    }
}

fn other_device_push(document: &str, position: &Position) -> Value {
    json!({
        "document": document,
        "percentage": position.percentage,
        "progress": position.progress,
        "timestamp": CLOCK_START,
        "device": "another device",
        "device_id": "0THER0000000000000000000000000000",
    })
}

/// What a driver candidate needs: the fake server and a client to seed it with.
pub(super) struct Live {
    pub runtime: tokio::runtime::Runtime,
    pub server: server::RunningServer,
    pub http: reqwest::Client,
}

/// Run `case` on `driver` against the live fake server.
pub(super) async fn live_trace(
    live: &Live,
    driver: &mut dyn ClientDriver,
    case: &Case,
) -> Result<Trace, DriverError> {
    let admin = live.server.admin();
    let harness = |what: &str, err: anyhow::Error| {
        DriverError::Harness(format!("the fake server failed to {what}: {err:#}"))
    };
    admin.reset().await.map_err(|e| harness("reset", e))?;
    // The server's clock is virtual like the client's: records are stamped
    // with it, and a profile that compares times reads those stamps.
    admin
        .set_clock(CLOCK_START)
        .await
        .map_err(|e| harness("set its clock", e))?;
    let base_url = live.server.base_url();
    driver.start(&identity(&base_url), &case.settings).await?;
    let mut cursor = 0;
    let mut trace = Vec::with_capacity(case.steps.len());
    let mut queue = QueueCounts::default();
    for step in &case.steps {
        let mut seen = StepTrace {
            queue,
            ..StepTrace::default()
        };
        match step {
            Step::Reader { event } => {
                if let Event::TimePassed { seconds } = event {
                    let delta = i64::try_from(*seconds).unwrap_or(i64::MAX);
                    admin
                        .advance_clock(delta)
                        .await
                        .map_err(|e| harness("advance its clock", e))?;
                }
                let observation = driver.send(event).await?;
                let journal = admin
                    .journal()
                    .await
                    .map_err(|e| harness("list its journal", e))?;
                seen.requests = journal.iter().skip(cursor).map(wire_from_journal).collect();
                cursor = journal.len();
                seen.effects = observation.effects;
                seen.queue = observation.queue;
                queue = observation.queue;
            }
            Step::RemoteProgress { document, position } => {
                // The answer does not matter: a scripted failure may eat it, as on the reference.
                let _ = live
                    .http
                    .put(format!("{base_url}{}", Dialect::BookLore.push_path()))
                    .header(HEADER_AUTH_USER, USER)
                    .header(HEADER_AUTH_KEY, protocol::key_for_password(PASSWORD))
                    .json(&other_device_push(document, position))
                    .send()
                    .await;
                cursor = admin
                    .journal()
                    .await
                    .map_err(|e| harness("list its journal", e))?
                    .len();
            }
            Step::ServerFails { failure, method } => {
                let mut fault = Fault {
                    method: Some(method.name().to_string()),
                    times: Some(1),
                    ..Fault::default()
                };
                match failure {
                    ServerFailure::Status(status) => fault.status = Some(*status),
                    ServerFailure::Dropped => fault.drop = true,
                    ServerFailure::Garbage => {
                        fault.status = Some(200);
                        fault.body = Some(GARBAGE_BODY.to_string());
                    }
                }
                admin
                    .add_fault(&fault)
                    .await
                    .map_err(|e| harness("add a fault", e))?;
            }
        }
        trace.push(seen);
    }
    Ok(trace)
}

fn constrained_body(body: Option<&Value>) -> Option<Value> {
    let object = body?.as_object()?;
    let kept = protocol::PROGRESS_FIELDS
        .iter()
        .filter_map(|k| object.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    Some(Value::Object(kept))
}

fn wire_from_model(request: &HttpRequest, outcome: &HttpOutcome) -> WireRequest {
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    WireRequest {
        method: request.method.clone(),
        path: request.path.clone(),
        auth_user: header(HEADER_AUTH_USER),
        auth_key: header(HEADER_AUTH_KEY),
        body: constrained_body(request.body.as_ref()),
        status: match outcome {
            HttpOutcome::Response { status, .. } => *status,
            HttpOutcome::TransportError { .. } => 0,
        },
    }
}

fn wire_from_journal(entry: &server::JournalEntry) -> WireRequest {
    WireRequest {
        method: entry.method.clone(),
        path: entry.path.clone(),
        auth_user: entry.headers.get(HEADER_AUTH_USER).cloned(),
        auth_key: entry.headers.get(HEADER_AUTH_KEY).cloned(),
        body: constrained_body(Some(&entry.body)),
        status: entry.status,
    }
}
