//! One typed client for the sync API, both dialects: every request the
//! harness sends to a sync server goes through [`SyncClient`], and every
//! answer comes back as an [`Exchange`] that can be shown in a report and
//! replayed as a `curl` line.
//!
//! It is used by the server contract (the cucumber world and the stateful
//! property) and by the in-process driver of the reference client model. It
//! sits below both: it knows the wire (`crate::protocol`) and HTTP, nothing
//! about rules, scenarios or clients.
//!
//! What it is for, besides sending:
//! - the `Accept` header each dialect's clients send is chosen here, once
//!   ([`accept_for`]);
//! - bodies are `protocol`'s wire types ([`ProgressPush`], [`CreateUser`]),
//!   serialized, or raw text when a check needs a broken body;
//! - a transport failure (refused connection, timeout, unreadable answer) is
//!   an [`Exchange`] with an error, never a panic or an `Err` the caller must
//!   remember to report;
//! - after [`TIMEOUTS_BEFORE_GIVING_UP`] timed-out requests on one
//!   [`HangGuard`], later requests are not sent, so a hanging server fails a
//!   run quickly instead of hanging CI;
//! - a request without any `Accept` header (which HTTP libraries add on their
//!   own) is written by hand over TCP ([`raw`]).
//!
//! It is not a KOReader client: it makes no decisions, keeps no queue and
//! retries nothing.

mod exchange;
mod raw;

pub use exchange::{shell_quote, Exchange};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::protocol::{self, CreateUser, Dialect, ProgressPush};

/// A user name and the key it signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    /// Lowercase hex MD5 of the password, as sent in `x-auth-key`.
    pub key: String,
}

impl Credentials {
    pub fn with_password(user: &str, password: &str) -> Self {
        Credentials {
            user: user.to_string(),
            key: protocol::key_for_password(password),
        }
    }

    /// The two auth headers, in the order KOReader sends them.
    pub fn headers(&self) -> Vec<(String, String)> {
        vec![
            (protocol::HEADER_AUTH_USER.to_string(), self.user.clone()),
            (protocol::HEADER_AUTH_KEY.to_string(), self.key.clone()),
        ]
    }
}

/// The `Accept` header the clients of a dialect send: KOReader's vendor type
/// for the reference server, plain JSON for BookLore.
pub fn accept_for(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Kosync => protocol::KOSYNC_ACCEPT,
        Dialect::BookLore => protocol::JSON_CONTENT_TYPE,
    }
}

/// After this many timed-out requests on one [`HangGuard`], later requests are not sent.
pub const TIMEOUTS_BEFORE_GIVING_UP: usize = 3;

/// Counts timed-out requests across every client that shares it (one run).
#[derive(Debug, Default)]
pub struct HangGuard {
    timeouts: AtomicUsize,
}

impl HangGuard {
    /// Timeouts so far.
    pub fn timeouts(&self) -> usize {
        self.timeouts.load(Ordering::SeqCst)
    }

    fn note_timeout(&self) {
        self.timeouts.fetch_add(1, Ordering::SeqCst);
    }
}

/// One request, before it is sent. Headers are sent exactly as listed: the
/// builders of [`SyncClient`] add the auth headers, the dialect's `Accept` and
/// `Content-Type`; a caller may change them (a wrong key, another `Accept`, no
/// `Accept` at all) before [`SyncClient::send`].
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: reqwest::Method,
    /// Path below the base URL, starting with `/`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl Request {
    /// Replace (or add) a header, matching its name without regard to case.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.remove_header(name);
        self.headers.push((name.to_string(), value.into()));
    }

    /// Drop every header of this name (without regard to case).
    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

/// Why a [`SyncClient`] could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct BuildError(String);

/// A client of one sync server (base URL and dialect). Cheap to clone: clones
/// share the connection pool and the [`HangGuard`].
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base_url: String,
    dialect: Dialect,
    timeout: Duration,
    guard: Arc<HangGuard>,
}

impl SyncClient {
    /// A client with its own connection pool and hang guard; `timeout` bounds
    /// each request (connect, send and read).
    pub fn new(base_url: &str, dialect: Dialect, timeout: Duration) -> Result<Self, BuildError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| BuildError(e.to_string()))?;
        Ok(SyncClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            dialect,
            timeout,
            guard: Arc::new(HangGuard::default()),
        })
    }

    /// The same pool, guard and timeout against another base URL (one fake
    /// server per scenario shares the run's connection pool).
    pub fn at(&self, base_url: &str) -> SyncClient {
        SyncClient {
            base_url: base_url.trim_end_matches('/').to_string(),
            ..self.clone()
        }
    }

    /// The same client sharing `guard` (one guard per run).
    pub fn with_guard(mut self, guard: Arc<HangGuard>) -> SyncClient {
        self.guard = guard;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn guard(&self) -> &Arc<HangGuard> {
        &self.guard
    }

    /// A request with the dialect's `Accept` and, when given, the auth headers.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: String,
        credentials: Option<&Credentials>,
    ) -> Request {
        let mut headers = credentials.map(Credentials::headers).unwrap_or_default();
        headers.push(("Accept".to_string(), accept_for(self.dialect).to_string()));
        Request {
            method,
            path,
            headers,
            body: None,
        }
    }

    /// The same request with a JSON body (text as given, `Content-Type: application/json`).
    pub fn with_body(mut request: Request, body: String) -> Request {
        request.set_header("Content-Type", protocol::JSON_CONTENT_TYPE);
        request.body = Some(body);
        request
    }

    /// `GET …/users/auth`.
    pub fn auth_request(&self, credentials: Option<&Credentials>) -> Request {
        self.request(reqwest::Method::GET, self.dialect.auth_path(), credentials)
    }

    /// `GET …/syncs/progress/{document}`.
    pub fn pull_request(&self, credentials: Option<&Credentials>, document: &str) -> Request {
        self.request(
            reqwest::Method::GET,
            self.dialect.pull_path(document),
            credentials,
        )
    }

    /// `PUT …/syncs/progress` with this body text (well-formed or not).
    pub fn push_raw_request(&self, credentials: Option<&Credentials>, body: String) -> Request {
        let request = self.request(reqwest::Method::PUT, self.dialect.push_path(), credentials);
        Self::with_body(request, body)
    }

    /// `PUT …/syncs/progress` with a push as clients send it.
    pub fn push_request(&self, credentials: Option<&Credentials>, push: &ProgressPush) -> Request {
        self.push_raw_request(credentials, wire_json(push))
    }

    /// `POST …/users/create` (no credentials: registration is public).
    pub fn register_request(&self, user: &CreateUser) -> Request {
        let request = self.request(reqwest::Method::POST, self.dialect.create_path(), None);
        Self::with_body(request, wire_json(user))
    }

    /// `GET /healthcheck` below the dialect's prefix, without credentials.
    pub fn health_request(&self) -> Request {
        let path = format!("{}{}", self.dialect.prefix(), protocol::routes::HEALTHCHECK);
        self.request(reqwest::Method::GET, path, None)
    }

    pub async fn auth(&self, credentials: &Credentials) -> Exchange {
        self.send(self.auth_request(Some(credentials))).await
    }

    pub async fn pull(&self, credentials: &Credentials, document: &str) -> Exchange {
        self.send(self.pull_request(Some(credentials), document))
            .await
    }

    pub async fn push(&self, credentials: &Credentials, push: &ProgressPush) -> Exchange {
        self.send(self.push_request(Some(credentials), push)).await
    }

    pub async fn register(&self, user: &CreateUser) -> Exchange {
        self.send(self.register_request(user)).await
    }

    /// Send `request` and keep what came back. A request that lists no
    /// `Accept` header is sent without one (by hand over TCP, since HTTP
    /// libraries add `Accept: */*`), which needs an `http://` base URL.
    pub async fn send(&self, request: Request) -> Exchange {
        let url = format!("{}{}", self.base_url, request.path);
        let mut exchange = Exchange::new(&request, url);
        let timeouts = self.guard.timeouts();
        if timeouts >= TIMEOUTS_BEFORE_GIVING_UP {
            exchange.error = Some(format!(
                "not sent: {timeouts} earlier requests got no answer within {} ms, so the server is taken to hang",
                self.timeout.as_millis()
            ));
            return exchange;
        }
        if !request.has_header("Accept") {
            raw::send_without_accept(&mut exchange, &request, self.timeout).await;
        } else {
            self.send_with_reqwest(&mut exchange, request).await;
        }
        if exchange.timed_out() {
            self.guard.note_timeout();
        }
        exchange
    }

    async fn send_with_reqwest(&self, exchange: &mut Exchange, request: Request) {
        let mut builder = self.http.request(request.method, &exchange.url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        match builder.send().await {
            Ok(response) => {
                exchange.status = Some(response.status().as_u16());
                exchange.content_type = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                match read_capped(response).await {
                    Ok(bytes) => exchange.response = String::from_utf8_lossy(&bytes).into_owned(),
                    Err(err) => exchange.error = Some(describe(&err, self.timeout)),
                }
            }
            Err(err) => exchange.error = Some(describe(&err, self.timeout)),
        }
    }
}

/// A wire type as JSON text. These types hold only strings and numbers, so
/// serializing cannot fail; the fallback keeps that an answer, not a panic.
fn wire_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"unserializable\":\"{e}\"}}"))
}

/// Most of an answer kept: sync answers are tiny, and a server streaming
/// without end must not exhaust memory before the timeout ends it.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ANSWER_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ANSWER_BYTES {
            break;
        }
    }
    Ok(body)
}

/// A transport error in one line, with its causes.
fn describe(err: &reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        format!("no answer within {} ms (timeout)", timeout.as_millis())
    } else if err.is_connect() {
        format!("cannot connect: {}", with_causes(err))
    } else {
        with_causes(err)
    }
}

/// An error and its chain of sources, `: `-separated.
pub fn with_causes(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(&format!(": {text}"));
        }
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_sign_and_pick_the_dialects_accept_once() {
        let client = SyncClient::new("http://h:1/", Dialect::Kosync, Duration::from_secs(1))
            .expect("client");
        let alice = Credentials::with_password("alice", "pw");
        let pull = client.pull_request(Some(&alice), "abc");
        assert_eq!(pull.path, "/syncs/progress/abc");
        assert!(pull
            .headers
            .contains(&("Accept".into(), protocol::KOSYNC_ACCEPT.into())));
        assert!(pull
            .headers
            .contains(&("x-auth-user".into(), "alice".into())));

        let push = ProgressPush {
            document: "abc".into(),
            percentage: 0.5,
            progress: "p".into(),
            timestamp: None,
            device: "d".into(),
            device_id: Some("D".into()),
        };
        let put = client.push_request(Some(&alice), &push);
        assert_eq!(put.method, reqwest::Method::PUT);
        assert!(put
            .headers
            .contains(&("Content-Type".into(), "application/json".into())));
        let body: serde_json::Value =
            serde_json::from_str(put.body.as_deref().unwrap_or("")).expect("json body");
        assert_eq!(body["device_id"], "D");
        assert!(body.get("timestamp").is_none());

        let booklore = client.at("http://x:2");
        assert_eq!(booklore.base_url(), "http://x:2");
        let bl =
            SyncClient::new("http://h", Dialect::BookLore, Duration::from_secs(1)).expect("client");
        assert!(bl
            .auth_request(None)
            .headers
            .contains(&("Accept".into(), "application/json".into())));
        assert_eq!(bl.auth_request(None).path, "/api/koreader/users/auth");
    }

    #[tokio::test]
    async fn an_unreachable_server_is_an_exchange_with_an_error() {
        // Port 9 on loopback: nothing listens there on a test machine.
        let client = SyncClient::new(
            "http://127.0.0.1:9",
            Dialect::Kosync,
            Duration::from_secs(2),
        )
        .expect("client");
        let ex = client.send(client.health_request()).await;
        assert!(ex.status.is_none());
        assert!(
            ex.error.as_deref().is_some_and(|e| e.contains("connect")),
            "{ex:?}"
        );
        assert!(ex.answer().starts_with("no answer"), "{}", ex.answer());
    }
}
