//! A tiny deterministic stand-in for a sync server, in memory, for property
//! tests and mutant checks of the model: thousands of event sequences a
//! second, no sockets, scripted failures.
//!
//! It is not the fake server (`crate::server`): it knows one user, answers
//! the BookLore dialect's progress routes only, and stamps records with its
//! own virtual clock. Anything else gets 404.

use std::collections::{HashMap, VecDeque};

use serde_json::{json, Value};

use crate::protocol::{Dialect, BOOKLORE_DEVICE, HEADER_AUTH_KEY, HEADER_AUTH_USER};

use super::{ClientModel, Effect, Event, HttpOutcome, HttpRequest};

/// A failure the server plays for the next request it gets, instead of answering.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status and an error body; nothing is stored.
    Status(u16),
    /// No answer at all (refused, dropped, timed out); nothing is stored.
    Transport,
    /// Handled as usual (a push is stored), but answered 200 with a body
    /// that is not JSON.
    Garbage,
}

/// A stored progress record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub percentage: f64,
    pub progress: String,
    pub timestamp: i64,
    pub device: String,
    pub device_id: String,
}

/// One request the server saw, and what it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    pub request: HttpRequest,
    pub outcome: HttpOutcome,
    /// The server's clock when it answered.
    pub at: i64,
}

/// The in-memory server. All fields are public so tests can set it up and inspect it.
#[derive(Debug, Clone)]
pub struct SimServer {
    pub dialect: Dialect,
    pub user: String,
    pub key: String,
    /// Progress by document.
    pub records: HashMap<String, Record>,
    /// Played one per request, oldest first, before answering normally.
    pub faults: VecDeque<Fault>,
    pub journal: Vec<Exchange>,
    /// Server time, seconds since the Unix epoch.
    pub clock: i64,
}

impl SimServer {
    /// An empty server that accepts `user` with `key`.
    pub fn new(dialect: Dialect, user: &str, key: &str, clock: i64) -> SimServer {
        SimServer {
            dialect,
            user: user.to_string(),
            key: key.to_string(),
            records: HashMap::new(),
            faults: VecDeque::new(),
            journal: Vec::new(),
            clock,
        }
    }

    /// Store progress for `document` as if another device had pushed it.
    pub fn hold(&mut self, document: &str, percentage: f64, progress: &str) {
        self.records.insert(
            document.to_string(),
            Record {
                percentage,
                progress: progress.to_string(),
                timestamp: self.clock,
                device: "other".to_string(),
                device_id: "OTHER".to_string(),
            },
        );
    }

    /// Answer one request, recording it in the journal.
    pub fn answer(&mut self, request: &HttpRequest) -> HttpOutcome {
        let outcome = self.respond(request);
        self.journal.push(Exchange {
            request: request.clone(),
            outcome: outcome.clone(),
            at: self.clock,
        });
        outcome
    }

    fn respond(&mut self, request: &HttpRequest) -> HttpOutcome {
        match self.faults.pop_front() {
            Some(Fault::Status(status)) => {
                return response(status, json!({"message": "scripted fault"}))
            }
            Some(Fault::Transport) => {
                return HttpOutcome::TransportError {
                    message: "scripted: connection dropped".to_string(),
                }
            }
            Some(Fault::Garbage) => {
                self.respond_normally(request);
                return HttpOutcome::Response {
                    status: 200,
                    body: "<html>not json".to_string(),
                };
            }
            None => {}
        }
        self.respond_normally(request)
    }

    fn respond_normally(&mut self, request: &HttpRequest) -> HttpOutcome {
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        if header(HEADER_AUTH_USER) != Some(self.user.as_str())
            || header(HEADER_AUTH_KEY).map(str::to_ascii_lowercase) != Some(self.key.clone())
        {
            return response(401, json!({"message": "unauthorized"}));
        }
        let push_path = self.dialect.push_path();
        let pull_prefix = format!("{push_path}/");
        match request.method.as_str() {
            "GET" if request.path == self.dialect.auth_path() => {
                response(200, json!({"username": self.user}))
            }
            "GET" => match request.path.strip_prefix(&pull_prefix) {
                Some(document) => match self.records.get(document) {
                    // BookLore answers its own name for the device, whoever pushed.
                    Some(r) => response(
                        200,
                        json!({
                            "document": document,
                            "percentage": r.percentage,
                            "progress": r.progress,
                            "timestamp": r.timestamp,
                            "device": BOOKLORE_DEVICE,
                            "device_id": BOOKLORE_DEVICE,
                        }),
                    ),
                    None => response(404, json!({"message": "No progress found"})),
                },
                None => response(404, json!({"message": "no such route"})),
            },
            "PUT" if request.path == push_path => match request.body.as_ref().and_then(push_record)
            {
                Some((document, mut record)) => {
                    record.timestamp = self.clock;
                    self.records.insert(document, record);
                    response(200, json!({"status": "progress updated"}))
                }
                None => response(400, json!({"message": "bad push body"})),
            },
            _ => response(404, json!({"message": "no such route"})),
        }
    }
}

fn response(status: u16, body: Value) -> HttpOutcome {
    HttpOutcome::Response {
        status,
        body: body.to_string(),
    }
}

fn push_record(body: &Value) -> Option<(String, Record)> {
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    Some((
        text("document")?,
        Record {
            percentage: body.get("percentage")?.as_f64()?,
            progress: text("progress")?,
            timestamp: 0,
            device: text("device")?,
            device_id: text("device_id").unwrap_or_default(),
        },
    ))
}

/// Feed `event` to `client` and answer every request it causes, oldest
/// first, until none is outstanding. `TimePassed` also moves the server's
/// clock. Returns every effect, `Http` and `QueueChanged` included.
pub fn drive<C: ClientModel + ?Sized>(
    client: &mut C,
    server: &mut SimServer,
    event: Event,
) -> Vec<Effect> {
    if let Event::TimePassed { seconds } = &event {
        server.clock = server
            .clock
            .saturating_add(i64::try_from(*seconds).unwrap_or(i64::MAX));
    }
    let mut all = client.handle(event);
    let mut next = 0;
    // Bounded so a broken (mutant) model cannot loop forever.
    let mut budget = 10_000;
    while next < all.len() && budget > 0 {
        if let Effect::Http(request) = &all[next] {
            let request = request.clone();
            let outcome = server.answer(&request);
            let more = client.handle(Event::HttpCompleted {
                id: request.id,
                outcome,
            });
            all.extend(more);
            budget -= 1;
        }
        next += 1;
    }
    all
}

/// [`drive`] over a whole sequence, concatenating the effects.
pub fn drive_all<C: ClientModel + ?Sized>(
    client: &mut C,
    server: &mut SimServer,
    events: impl IntoIterator<Item = Event>,
) -> Vec<Effect> {
    let mut all = Vec::new();
    for event in events {
        all.extend(drive(client, server, event));
    }
    all
}
