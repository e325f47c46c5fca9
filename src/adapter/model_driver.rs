//! The in-process driver: the reference model as a [`ClientDriver`], talking
//! real HTTP (through [`SyncClient`], sending exactly the headers the model
//! chose) to the server at `identity.base_url`.
//!
//! This is how the client features run against the model: the World sends
//! reader events, this driver executes every request the model asks for,
//! feeds each answer back, and returns once nothing is outstanding. Requests
//! the model asks for in one step go out in the order asked, each started
//! once the one before it is answered or has had [`HEAD_START`] — so the
//! server sees them in that order run after run, and a model that uploads
//! while its pull is still unanswered (a slow server) is visible in the
//! journal. The reference model never asks for more than one at a time.
//! Prompts stay on screen until the World answers them.

use futures::future::join_all;
use std::time::Duration;

use reqwest::Method;

use crate::sync_client::{Request, SyncClient};

use super::{Capabilities, ClientDriver, ClientIdentity, DriverError, DriverFuture, Observation};
use crate::model::{
    model_client, ClientConfig, ClientModel, Decision, Effect, Event, HttpOutcome, HttpRequest,
    Mutant, Profile, Settings,
};
use crate::protocol::{self, Dialect};

/// How long one request may take before it counts as a transport error.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request of a step has to itself before the next one of the
/// same step starts: far longer than a loopback answer, far shorter than the
/// features' slow server.
pub const HEAD_START: Duration = Duration::from_millis(50);

/// More requests than this for one event means a broken model, not a slow server.
const MAX_REQUESTS_PER_EVENT: usize = 10_000;

/// The reference model behind the [`ClientDriver`] seam.
pub struct ModelDriver {
    profile: Profile,
    dialect: Dialect,
    mutant: Option<Mutant>,
    /// What it declares, when not its profile's (tests of applicability).
    declares: Option<Capabilities>,
    session: Option<Session>,
}

struct Session {
    client: Box<dyn ClientModel>,
    http: SyncClient,
    /// The decisions behind the last event (the reference's, or the inner
    /// reference client's of a mutant).
    decisions: Vec<Decision>,
}

impl ModelDriver {
    /// The BookLore plugin profile against a BookLore-dialect server.
    pub fn new() -> ModelDriver {
        ModelDriver::for_profile(Profile::BookLorePlugin, Dialect::BookLore)
    }

    /// A model of `profile` using `dialect`'s routes.
    pub fn for_profile(profile: Profile, dialect: Dialect) -> ModelDriver {
        ModelDriver {
            profile,
            dialect,
            mutant: None,
            declares: None,
            session: None,
        }
    }

    /// The same driver with one rule broken, for detection tests.
    #[doc(hidden)]
    pub fn with_mutant(mut self, mutant: Mutant) -> ModelDriver {
        self.mutant = Some(mutant);
        self
    }

    /// The same driver declaring only `capabilities`, as a client without the
    /// rest would: the harness then never uses the rest (tests of applicability).
    #[doc(hidden)]
    pub fn declaring(mut self, capabilities: Capabilities) -> ModelDriver {
        self.declares = Some(capabilities);
        self
    }

    /// The model itself, between events (for checks that read its state).
    pub fn client(&self) -> Option<&dyn ClientModel> {
        self.session.as_ref().map(|s| s.client.as_ref())
    }

    async fn run_event(&mut self, event: &Event) -> Result<Observation, DriverError> {
        if matches!(event, Event::HttpCompleted { .. }) {
            return Err(DriverError::Harness(
                "the model driver does its own HTTP: do not send it http_completed".to_string(),
            ));
        }
        let session = self.session.as_mut().ok_or_else(|| {
            DriverError::Harness("event sent before the driver was started".to_string())
        })?;
        let mut observation = Observation::default();
        let mut batch = Vec::new();
        let mut sent = 0usize;
        session.decisions.clear();
        let handled = session.client.step(event.clone());
        session.decisions.extend(handled.decisions);
        sort_effects(handled.effects, &mut batch, &mut observation);
        // The requests of one `handle` call go out together, as a client with
        // asynchronous HTTP would send them; their answers are fed back in the
        // order the model asked, so the run stays deterministic.
        while !batch.is_empty() {
            sent += batch.len();
            if sent > MAX_REQUESTS_PER_EVENT {
                return Err(DriverError::Harness(format!(
                    "the model asked for more than {MAX_REQUESTS_PER_EVENT} requests for one event"
                )));
            }
            let http = &session.http;
            let outcomes = send_in_order(http, &batch).await;
            let mut next = Vec::new();
            for (request, outcome) in batch.iter().zip(outcomes) {
                let handled = session.client.step(Event::HttpCompleted {
                    id: request.id,
                    outcome: outcome?,
                });
                session.decisions.extend(handled.decisions);
                sort_effects(handled.effects, &mut next, &mut observation);
            }
            batch = next;
        }
        observation.queue = session.client.queue();
        observation.summary = Some(session.client.queue_summary());
        Ok(observation)
    }
}

impl Default for ModelDriver {
    fn default() -> Self {
        ModelDriver::new()
    }
}

/// Requests go to `todo`; what a user sees goes to the observation;
/// `QueueChanged` is dropped (the observation carries the final counts).
fn sort_effects(effects: Vec<Effect>, todo: &mut Vec<HttpRequest>, obs: &mut Observation) {
    for effect in effects {
        match effect {
            Effect::Http(request) => todo.push(request),
            Effect::QueueChanged(_) => {}
            other => obs.effects.push(other),
        }
    }
}

/// Send one step's requests in order: each starts when the one before is
/// answered or after [`HEAD_START`], whichever comes first. The outcomes, in
/// the order asked.
async fn send_in_order(
    http: &SyncClient,
    batch: &[HttpRequest],
) -> Vec<Result<HttpOutcome, DriverError>> {
    let mut started = Vec::with_capacity(batch.len());
    for request in batch {
        let mut sending = Box::pin(execute(http, request));
        let ahead = tokio::time::timeout(HEAD_START, &mut sending).await;
        started.push(async move {
            match ahead {
                Ok(outcome) => outcome,
                Err(_) => sending.await,
            }
        });
    }
    join_all(started).await
}

/// Send one request; a failure to reach the server is an outcome, not an error.
async fn execute(http: &SyncClient, request: &HttpRequest) -> Result<HttpOutcome, DriverError> {
    let method = Method::from_bytes(request.method.as_bytes()).map_err(|e| {
        DriverError::Harness(format!(
            "model asked for bad method {:?}: {e}",
            request.method
        ))
    })?;
    let exchange = http
        .send(Request {
            method,
            path: request.path.clone(),
            // The model sets Accept and Content-Type itself; they are part of its behaviour.
            headers: request.headers.clone(),
            body: request.body.as_ref().map(|b| b.to_string()),
        })
        .await;
    Ok(match (exchange.status, exchange.error) {
        (Some(status), None) => HttpOutcome::Response {
            status,
            body: exchange.response,
        },
        (_, Some(error)) => HttpOutcome::TransportError {
            message: format!("{} {}: {error}", request.method, exchange.url),
        },
        (None, None) => HttpOutcome::TransportError {
            message: format!("{} {}: no answer", request.method, exchange.url),
        },
    })
}

impl ClientDriver for ModelDriver {
    fn start<'a>(
        &'a mut self,
        identity: &'a ClientIdentity,
        settings: &'a Settings,
    ) -> DriverFuture<'a, Capabilities> {
        Box::pin(async move {
            let config = ClientConfig {
                dialect: self.dialect,
                user: identity.user.clone(),
                key: protocol::key_for_password(&identity.password),
                device: identity.device.clone(),
                device_id: identity.device_id.clone(),
                clock_start: identity.clock_start,
            };
            let client = model_client(
                config,
                settings.clone(),
                self.profile,
                self.mutant,
                &identity.password,
            );
            let http = SyncClient::new(&identity.base_url, self.dialect, REQUEST_TIMEOUT)
                .map_err(|e| DriverError::Harness(e.to_string()))?;
            self.session = Some(Session {
                client,
                http,
                decisions: Vec::new(),
            });
            Ok(self
                .declares
                .unwrap_or_else(|| Capabilities::of_profile(self.profile)))
        })
    }

    fn send<'a>(&'a mut self, event: &'a Event) -> DriverFuture<'a, Observation> {
        Box::pin(self.run_event(event))
    }

    fn stop(&mut self) -> DriverFuture<'_, ()> {
        Box::pin(async move {
            self.session = None;
            Ok(())
        })
    }

    /// The decisions behind the last event, its answers included.
    fn decisions(&self) -> &[Decision] {
        self.session
            .as_ref()
            .map_or(&[], |s| s.decisions.as_slice())
    }
}
