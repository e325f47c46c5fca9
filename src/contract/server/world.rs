//! The server world: the cucumber world and step definitions that run
//! `features/server/*.feature` against a sync server over HTTP.
//!
//! The target is either the built-in fake server (one fresh server per
//! scenario, so scenarios run concurrently and in isolation, with a user whose
//! sync is disabled and the admin API for library changes) or any base URL
//! with the credentials given on the command line (scenarios run one at a
//! time; those that need more than the URL offers are skipped with a reason).
//!
//! Users in the features are roles: `alice` is the first user (`--user`),
//! `bob` the second (`--second-user`), `carol` a user whose KOReader sync is
//! disabled (built-in server only). Books are labels (`"A"`) mapped to hashes
//! per scenario: the first book is `--document` against a real server, every
//! other one is fresh and random, so runs never see each other's writes.
//!
//! Every request has a timeout; every exchange is kept so a failure can show
//! what was sent and a `curl` line that reproduces it.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use cucumber::{given, then, when};
use futures::future::LocalBoxFuture;
use futures::FutureExt as _;
use rand::Rng as _;
use serde_json::{json, Value};

use crate::contract::runner::{fail, skip, Applicability, ContractWorld, ScenarioMeta};
use crate::protocol::{self, Dialect};
use crate::server::{self, BookPolicy, Defect, RunningServer, ServerConfig, UserSpec};

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
}

/// Which server the features run against.
#[derive(Debug, Clone)]
pub enum TargetKind {
    /// A fresh built-in fake server per scenario, optionally with one defect
    /// (the harness's own detection tests).
    BuiltIn { defect: Option<Defect> },
    /// Any server, at this base URL (no trailing slash).
    Url(String),
}

/// Everything the scenarios of one run share.
#[derive(Debug)]
pub struct ServerTarget {
    pub kind: TargetKind,
    pub dialect: Dialect,
    pub user: Credentials,
    pub second: Option<Credentials>,
    /// A hash the server knows as a book (`--document`).
    pub document: Option<String>,
    pub timeout: Duration,
    /// Every document hash the run pushed to, for the report ("the run says which ids it wrote").
    pub written: Mutex<BTreeSet<String>>,
    /// User names the run registered (kosync), listed in the report for real servers.
    pub registered: Mutex<BTreeSet<String>>,
    /// Requests that timed out so far: past [`TIMEOUTS_BEFORE_GIVING_UP`] the
    /// run stops sending, so a hanging server fails fast instead of hanging CI.
    pub timeouts: AtomicUsize,
}

/// After this many timed-out requests, later requests of the run are not sent.
pub const TIMEOUTS_BEFORE_GIVING_UP: usize = 3;

/// Users of the built-in fake server (its passwords are not secrets).
pub const BUILT_IN_USERS: [(&str, &str); 2] =
    [("alice", "alice-password"), ("bob", "bob-password")];
/// The built-in user whose KOReader sync is disabled (rule S-OFF-1).
pub const BUILT_IN_DISABLED_USER: (&str, &str) = ("carol", "carol-password");

impl ServerTarget {
    /// The built-in fake server with its two users.
    pub fn built_in(dialect: Dialect, defect: Option<Defect>) -> Self {
        ServerTarget {
            kind: TargetKind::BuiltIn { defect },
            dialect,
            user: Credentials::with_password(BUILT_IN_USERS[0].0, BUILT_IN_USERS[0].1),
            second: Some(Credentials::with_password(
                BUILT_IN_USERS[1].0,
                BUILT_IN_USERS[1].1,
            )),
            document: None,
            timeout: Duration::from_secs(10),
            written: Mutex::new(BTreeSet::new()),
            registered: Mutex::new(BTreeSet::new()),
            timeouts: AtomicUsize::new(0),
        }
    }

    /// What the report calls this target.
    pub fn describe(&self) -> String {
        match &self.kind {
            TargetKind::BuiltIn { defect: None } => "built-in fake server".to_string(),
            TargetKind::BuiltIn { defect: Some(d) } => {
                format!("built-in fake server with defect {d}")
            }
            TargetKind::Url(url) => url.clone(),
        }
    }

    pub fn is_built_in(&self) -> bool {
        matches!(self.kind, TargetKind::BuiltIn { .. })
    }

    /// The built-in server's configuration for one scenario; tags adjust it
    /// (`@registration-disabled`, `@strict-accept`).
    pub fn fake_config(&self, defect: Option<Defect>, meta: Option<&ScenarioMeta>) -> ServerConfig {
        let mut config = ServerConfig::new(self.dialect);
        config.users = BUILT_IN_USERS
            .iter()
            .map(|(n, p)| UserSpec::with_password(n, p))
            .collect();
        let mut carol = UserSpec::with_password(BUILT_IN_DISABLED_USER.0, BUILT_IN_DISABLED_USER.1);
        carol.sync_enabled = false;
        config.users.push(carol);
        config.books = BookPolicy::Known(BTreeSet::new());
        config.defect = defect;
        if let Some(meta) = meta {
            if meta.has_tag("registration-disabled") {
                config.registration = false;
            }
            if meta.has_tag("strict-accept") {
                config.strict_accept = true;
            }
        }
        config
    }

    /// Note a document the run pushed to (listed in the report for real servers).
    pub fn remember_written(&self, document: &str) {
        if let Ok(mut set) = self.written.lock() {
            set.insert(document.to_string());
        }
    }
}

/// The tags that say which dialect a scenario is for.
pub const DIALECT_TAGS: [&str; 2] = ["booklore", "kosync"];

/// How a request is signed, per `Given requests carry …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signing {
    Proper,
    None,
    UserOnly,
    UnknownUser,
    WrongKey,
}

/// One request and what came back, kept for the report.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub response: String,
    /// Transport failure (timeout, refused connection) instead of an answer.
    pub error: Option<String>,
}

impl Exchange {
    /// A `curl` line that sends the same request.
    pub fn curl(&self) -> String {
        let mut line = format!("curl -sS -i -X {}", self.method);
        for (name, value) in &self.headers {
            line.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
        }
        if let Some(body) = &self.body {
            if body.len() > 2048 {
                line.push_str(&format!(
                    " --data-binary @body.json  # a {}-byte body starting {}",
                    body.len(),
                    shell_quote(&body.chars().take(60).collect::<String>())
                ));
            } else {
                line.push_str(&format!(" --data-binary {}", shell_quote(body)));
            }
        }
        line.push_str(&format!(" {}", shell_quote(&self.url)));
        line
    }

    /// `PUT /path {body} → 200 application/json {answer}`, one line, shortened.
    pub fn summary(&self) -> String {
        let path = self
            .url
            .find("//")
            .and_then(|i| self.url[i + 2..].find('/').map(|j| &self.url[i + 2 + j..]))
            .unwrap_or(&self.url);
        let body = self
            .body
            .as_deref()
            .map(|b| format!(" {}", shorten(b, 160)))
            .unwrap_or_default();
        let answer = match (&self.status, &self.error) {
            (_, Some(err)) => format!("no answer: {err}"),
            (Some(status), None) => format!(
                "{status} {} {}",
                self.content_type.as_deref().unwrap_or("(no content type)"),
                shorten(&self.response, 200)
            ),
            (None, None) => "no answer".to_string(),
        };
        format!("{} {path}{body} → {answer}", self.method)
    }

    /// What came back, for `actual`: status, content type, body (or the transport error).
    pub fn answer(&self) -> String {
        match (&self.status, &self.error) {
            (_, Some(err)) => format!("no answer: {err}"),
            (Some(status), None) => format!(
                "status {status}, content type {}, body {}",
                self.content_type.as_deref().unwrap_or("(none)"),
                if self.response.is_empty() {
                    "(empty)".to_string()
                } else {
                    shorten(&self.response, 300)
                }
            ),
            (None, None) => "no answer".to_string(),
        }
    }

    fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.response).ok()
    }
}

/// `s` on one line and at most `max` characters: a pretty-printed HTML error
/// page must not take a screen of the report. Only whitespace runs that hold a
/// line break become one space; other spacing is shown as sent.
fn shorten(s: &str, max: usize) -> String {
    let flat = if s.contains(['\n', '\r']) {
        let mut flat = String::with_capacity(s.len());
        let mut gap = String::new();
        for c in s.chars() {
            if c.is_whitespace() {
                gap.push(c);
                continue;
            }
            if !gap.is_empty() {
                if gap.contains(['\n', '\r']) {
                    flat.push(' ');
                } else {
                    flat.push_str(&gap);
                }
                gap.clear();
            }
            flat.push(c);
        }
        flat
    } else {
        s.to_string()
    };
    if flat.chars().count() <= max {
        flat
    } else {
        let head: String = flat.chars().take(max).collect();
        format!("{head}… ({} bytes)", s.len())
    }
}

/// Quote for a POSIX shell: single quotes, with `'` written as `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A fake server owned by one scenario (Debug without the server's internals).
pub(crate) struct OwnedServer(pub(crate) RunningServer);

impl std::fmt::Debug for OwnedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OwnedServer({})", self.0.base_url())
    }
}

/// The world of one server scenario.
#[derive(Debug, cucumber::World)]
#[world(init = Self::blank)]
pub struct ServerWorld {
    target: Option<Arc<ServerTarget>>,
    base_url: String,
    dialect: Dialect,
    server: Option<OwnedServer>,
    http: reqwest::Client,
    /// Random per scenario: fresh document hashes and user names derive from it.
    nonce: String,
    books: HashMap<String, String>,
    signing: Signing,
    accept_override: Option<String>,
    exchanges: Vec<Exchange>,
    /// Pushes sent by the concurrency step, as (percentage, progress, device, device_id).
    concurrent: Vec<Value>,
    remembered_timestamp: HashMap<String, i64>,
    /// Names of users registered in this scenario, by feature name.
    registered: HashMap<String, (String, String)>,
}

impl ServerWorld {
    fn blank() -> Self {
        ServerWorld {
            target: None,
            base_url: String::new(),
            dialect: Dialect::BookLore,
            server: None,
            http: reqwest::Client::new(),
            nonce: String::new(),
            books: HashMap::new(),
            signing: Signing::Proper,
            accept_override: None,
            exchanges: Vec::new(),
            concurrent: Vec::new(),
            remembered_timestamp: HashMap::new(),
            registered: HashMap::new(),
        }
    }

    fn target(&self) -> &ServerTarget {
        match &self.target {
            Some(t) => t,
            None => skip("the scenario was not prepared"),
        }
    }

    fn last(&self) -> &Exchange {
        match self.exchanges.last() {
            Some(e) => e,
            None => fail("a request before this step", "no request was sent"),
        }
    }

    /// The credentials a feature's user name stands for.
    fn credentials(&self, who: &str) -> Credentials {
        let target = self.target();
        match who {
            "alice" => target.user.clone(),
            "bob" => match &target.second {
                Some(c) => c.clone(),
                None => skip("needs a second user: pass --second-user with --second-password or --second-key"),
            },
            "carol" => {
                if target.is_built_in() {
                    Credentials::with_password(BUILT_IN_DISABLED_USER.0, BUILT_IN_DISABLED_USER.1)
                } else {
                    skip("needs a user whose KOReader sync is disabled; only the built-in server has one")
                }
            }
            other => fail(
                "a user the features know (alice, bob or carol)",
                format!("the step names {other:?}"),
            ),
        }
    }

    fn fresh_hash(&self, label: &str) -> String {
        protocol::key_for_password(&format!("{}:{label}", self.nonce))
    }

    /// The hash of book `label`, declared by an earlier `Given`.
    fn book(&self, label: &str) -> String {
        match self.books.get(label) {
            Some(h) => h.clone(),
            None => fail(
                format!("a `Given a book \"{label}\"` before this step"),
                format!("book {label:?} was never declared"),
            ),
        }
    }

    async fn declare_book(&mut self, label: &str) -> String {
        if let Some(h) = self.books.get(label) {
            return h.clone();
        }
        let known_so_far = self.books.len();
        let target = self.target();
        let hash = match (&target.kind, &target.document, target.dialect) {
            (TargetKind::BuiltIn { .. }, _, _) => {
                let hash = self.fresh_hash(label);
                if let Some(server) = &self.server {
                    if let Err(err) = server.0.admin().add_book(&hash).await {
                        fail(
                            "the fake server adds a book over its admin API",
                            format!("{err:#}"),
                        );
                    }
                }
                hash
            }
            (TargetKind::Url(_), Some(document), _) if known_so_far == 0 => document.clone(),
            (TargetKind::Url(_), None, Dialect::BookLore) => {
                skip("needs --document: a hash this BookLore server knows as a book")
            }
            (TargetKind::Url(_), Some(_), Dialect::BookLore) => {
                skip("needs a second book; only --document is known to be in this BookLore library")
            }
            (TargetKind::Url(_), _, Dialect::Kosync) => self.fresh_hash(label),
        };
        self.books.insert(label.to_string(), hash.clone());
        hash
    }

    fn accept(&self) -> String {
        if let Some(a) = &self.accept_override {
            return a.clone();
        }
        match self.dialect {
            Dialect::Kosync => protocol::KOSYNC_ACCEPT.to_string(),
            Dialect::BookLore => protocol::JSON_CONTENT_TYPE.to_string(),
        }
    }

    fn auth_headers(&self, creds: &Credentials, signing: Signing) -> Vec<(String, String)> {
        let user = (protocol::HEADER_AUTH_USER.to_string(), creds.user.clone());
        let key = (protocol::HEADER_AUTH_KEY.to_string(), creds.key.clone());
        match signing {
            Signing::Proper => vec![user, key],
            Signing::None => vec![],
            Signing::UserOnly => vec![user],
            Signing::UnknownUser => vec![
                (
                    protocol::HEADER_AUTH_USER.to_string(),
                    format!("nobody{}", &self.nonce[..8]),
                ),
                key,
            ],
            Signing::WrongKey => vec![
                user,
                (
                    protocol::HEADER_AUTH_KEY.to_string(),
                    protocol::key_for_password("not the password"),
                ),
            ],
        }
    }

    /// Send one request and keep the exchange; never panics on transport errors.
    async fn send(
        &mut self,
        method: reqwest::Method,
        path: &str,
        mut headers: Vec<(String, String)>,
        body: Option<String>,
    ) -> &Exchange {
        let url = format!("{}{path}", self.base_url);
        let without_accept = self.accept_override.as_deref() == Some("");
        if without_accept {
            let exchange = self.send_without_accept(method, url, headers).await;
            self.exchanges.push(exchange);
            return self.last();
        }
        headers.push(("Accept".to_string(), self.accept()));
        if body.is_some() {
            headers.push((
                "Content-Type".to_string(),
                protocol::JSON_CONTENT_TYPE.to_string(),
            ));
        }
        let mut request = self.http.request(method.clone(), &url);
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &body {
            request = request.body(body.clone());
        }
        let mut exchange = Exchange {
            method: method.to_string(),
            url,
            headers,
            body,
            status: None,
            content_type: None,
            response: String::new(),
            error: None,
        };
        let timeouts = self
            .target
            .as_ref()
            .map(|t| t.timeouts.load(Ordering::SeqCst))
            .unwrap_or(0);
        if timeouts >= TIMEOUTS_BEFORE_GIVING_UP {
            exchange.error = Some(format!(
                "not sent: {timeouts} earlier requests got no answer within {} ms, so the server is taken to hang",
                self.timeout().as_millis()
            ));
            self.exchanges.push(exchange);
            return self.last();
        }
        let result = request.send().await;
        if matches!(&result, Err(e) if e.is_timeout()) {
            if let Some(t) = &self.target {
                t.timeouts.fetch_add(1, Ordering::SeqCst);
            }
        }
        match result {
            Ok(response) => {
                exchange.status = Some(response.status().as_u16());
                exchange.content_type = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                match read_capped(response).await {
                    Ok(bytes) => exchange.response = String::from_utf8_lossy(&bytes).into_owned(),
                    Err(err) => {
                        exchange.error = Some(describe_transport_error(&err, self.timeout()))
                    }
                }
            }
            Err(err) => exchange.error = Some(describe_transport_error(&err, self.timeout())),
        }
        self.exchanges.push(exchange);
        self.last()
    }

    /// HTTP clients add `Accept: */*` on their own; to send a request with no
    /// `Accept` at all (rule K-ACCEPT-2), write HTTP/1.1 by hand over TCP.
    async fn send_without_accept(
        &self,
        method: reqwest::Method,
        url: String,
        headers: Vec<(String, String)>,
    ) -> Exchange {
        let mut exchange = Exchange {
            method: method.to_string(),
            url: url.clone(),
            headers: headers.clone(),
            body: None,
            status: None,
            content_type: None,
            response: String::new(),
            error: None,
        };
        let parsed = match reqwest::Url::parse(&url) {
            Ok(u) if u.scheme() == "http" => u,
            _ => skip("sending a request without Accept needs a plain http:// base URL"),
        };
        let host = parsed.host_str().unwrap_or("localhost").to_string();
        let port = parsed.port_or_known_default().unwrap_or(80);
        let mut target = parsed.path().to_string();
        if let Some(q) = parsed.query() {
            target.push('?');
            target.push_str(q);
        }
        let mut request =
            format!("{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n");
        for (name, value) in &headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let timeout = self.timeout();
        let exchange_result = tokio::time::timeout(timeout, async {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
            stream.write_all(request.as_bytes()).await?;
            let mut raw = Vec::new();
            let mut chunk = [0u8; 8192];
            loop {
                let n = stream.read(&mut chunk).await?;
                if n == 0 || raw.len() >= MAX_ANSWER_BYTES {
                    break;
                }
                raw.extend_from_slice(&chunk[..n]);
            }
            Ok::<Vec<u8>, std::io::Error>(raw)
        })
        .await;
        match exchange_result {
            Err(_) => {
                exchange.error = Some(format!(
                    "no answer within {} ms (timeout)",
                    timeout.as_millis()
                ))
            }
            Ok(Err(e)) => exchange.error = Some(format!("cannot talk to the server: {e}")),
            Ok(Ok(raw)) => match parse_http_response(&raw) {
                Some((status, content_type, body)) => {
                    exchange.status = Some(status);
                    exchange.content_type = content_type;
                    exchange.response = body;
                }
                None => exchange.error = Some("the answer is not HTTP/1.x".to_string()),
            },
        }
        exchange
    }

    fn timeout(&self) -> Duration {
        self.target
            .as_ref()
            .map(|t| t.timeout)
            .unwrap_or(Duration::from_secs(10))
    }

    async fn pull_as(&mut self, who: &str, label: &str, signing: Signing) -> Exchange {
        let creds = self.credentials(who);
        let document = self.book(label);
        let headers = self.auth_headers(&creds, signing);
        let path = self.dialect.pull_path(&document);
        self.send(reqwest::Method::GET, &path, headers, None)
            .await
            .clone()
    }

    async fn push_body(&mut self, who: &str, body: Value, signing: Signing) -> Exchange {
        let creds = self.credentials(who);
        let headers = self.auth_headers(&creds, signing);
        let path = self.dialect.push_path();
        let exchange = self
            .send(reqwest::Method::PUT, &path, headers, Some(body.to_string()))
            .await
            .clone();
        // A push the server refused wrote nothing; one it never answered may have.
        let refused = exchange.status.is_some_and(|s| !(200..300).contains(&s));
        if let (false, Some(doc)) = (refused, body.get("document").and_then(Value::as_str)) {
            self.target().remember_written(doc);
        }
        exchange
    }

    fn push_json(&self, label: &str, percentage: f64, progress: &str) -> Value {
        json!({
            "document": self.book(label),
            "percentage": percentage,
            "progress": progress,
            "device": "kosync-contract",
            "device_id": "6B6F73796E632D636F6E747261637431",
        })
    }

    fn expect_status(&self, expected: u16) {
        let last = self.last();
        if last.status != Some(expected) {
            fail(format!("status {expected}"), last.answer());
        }
    }

    fn answer_json(&self) -> Value {
        let last = self.last();
        if last.status.is_none() {
            fail("a JSON answer", last.answer());
        }
        match last.json() {
            Some(v) => v,
            None => fail("a JSON body", last.answer()),
        }
    }

    fn field(&self, name: &str) -> Value {
        let body = self.answer_json();
        match body.get(name) {
            Some(v) => v.clone(),
            None => fail(format!("a field {name:?}"), self.last().answer()),
        }
    }

    /// Pull with proper credentials and check the stored position.
    async fn check_reads(&mut self, who: &str, label: &str, percentage: f64, progress: &str) {
        let ex = self.pull_as(who, label, Signing::Proper).await;
        let expected = format!("status 200 with percentage {percentage} and progress {progress:?}");
        if ex.status != Some(200) {
            fail(expected, ex.answer());
        }
        let Some(body) = ex.json() else {
            fail(expected, ex.answer());
        };
        let got_pct = body.get("percentage").and_then(Value::as_f64);
        let got_progress = body.get("progress").and_then(Value::as_str);
        let same_pct = got_pct.is_some_and(|p| crate::protocol::same_percentage(p, percentage));
        if !same_pct || got_progress != Some(progress) {
            fail(expected, ex.answer());
        }
    }

    /// The server's idea of now: the fake's clock, or the local clock for a real server.
    async fn server_now(&self) -> (i64, i64) {
        if let Some(server) = &self.server {
            if let Ok(now) = server.0.admin().clock().await {
                return (now, 5);
            }
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        // A real server's clock may be off; a day of tolerance still tells
        // seconds from milliseconds and a server stamp from a client's echo.
        (now, 86_400)
    }

    async fn pulled_timestamp(&mut self, label: &str) -> i64 {
        let ex = self.pull_as("alice", label, Signing::Proper).await;
        match ex
            .json()
            .and_then(|b| b.get("timestamp").and_then(Value::as_i64))
        {
            Some(t) if ex.status == Some(200) => t,
            _ => fail("status 200 with a whole-number timestamp", ex.answer()),
        }
    }
}

/// Status, content type and body of a raw HTTP/1.x answer (chunked bodies decoded).
fn parse_http_response(raw: &[u8]) -> Option<(u16, Option<String>, String)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status: u16 = parts.next()?.parse().ok()?;
    let mut content_type = None;
    let mut chunked = false;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            if name == "content-type" {
                content_type = Some(value.to_string());
            } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    let mut body = &raw[split + 4..];
    let mut decoded = Vec::new();
    if chunked {
        while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
            let size_text = String::from_utf8_lossy(&body[..end]);
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            body = &body[end + 2..];
            if size == 0 || body.len() < size {
                break;
            }
            decoded.extend_from_slice(&body[..size]);
            body = body.get(size + 2..).unwrap_or(&[]);
        }
    } else {
        decoded.extend_from_slice(body);
    }
    Some((
        status,
        content_type,
        String::from_utf8_lossy(&decoded).into_owned(),
    ))
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

fn describe_transport_error(err: &reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        format!("no answer within {} ms (timeout)", timeout.as_millis())
    } else if err.is_connect() {
        format!("cannot connect: {err}")
    } else {
        let mut message = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            message.push_str(&format!(": {s}"));
            source = s.source();
        }
        message
    }
}

fn parse_number(s: &str) -> f64 {
    match s.parse::<f64>() {
        Ok(v) => v,
        Err(_) => fail("a number in the step", format!("{s:?}")),
    }
}

fn dialect_of(meta: &ScenarioMeta) -> Option<Dialect> {
    if meta.has_tag("booklore") {
        Some(Dialect::BookLore)
    } else if meta.has_tag("kosync") {
        Some(Dialect::Kosync)
    } else {
        None
    }
}

impl ContractWorld for ServerWorld {
    type Context = Arc<ServerTarget>;

    fn applicability(target: &Arc<ServerTarget>, meta: &ScenarioMeta) -> Applicability {
        if let Some(d) = dialect_of(meta) {
            if d != target.dialect {
                return Applicability::Exclude;
            }
        }
        if target.is_built_in() {
            return Applicability::Run;
        }
        if meta.has_tag("needs-admin") {
            return Applicability::Skip(
                "needs the built-in server's admin API (to set its clock, library or users), \
                 which a server at a URL does not have"
                    .into(),
            );
        }
        if meta.has_tag("needs-disabled-user") {
            return Applicability::Skip(
                "needs a user whose KOReader sync is disabled; only the built-in server has one"
                    .into(),
            );
        }
        if meta.has_tag("registration-disabled") {
            return Applicability::Skip(
                "needs a server with registration turned off; only the built-in server can be configured so"
                    .into(),
            );
        }
        if meta.has_tag("needs-second-user") && target.second.is_none() {
            return Applicability::Skip(
                "needs a second user: pass --second-user with --second-password or --second-key"
                    .into(),
            );
        }
        Applicability::Run
    }

    fn prepare<'a>(
        &'a mut self,
        target: &'a Arc<ServerTarget>,
        meta: &'a ScenarioMeta,
    ) -> LocalBoxFuture<'a, anyhow::Result<()>> {
        async move {
            self.nonce = hex::encode(rand::thread_rng().gen::<[u8; 16]>());
            self.dialect = target.dialect;
            self.http = reqwest::Client::builder()
                .timeout(target.timeout)
                .build()
                .context("cannot build the HTTP client")?;
            match &target.kind {
                TargetKind::BuiltIn { defect } => {
                    let server = server::start(target.fake_config(*defect, Some(meta)))
                        .await
                        .context("cannot start the built-in fake server")?;
                    self.base_url = server.base_url();
                    self.server = Some(OwnedServer(server));
                }
                TargetKind::Url(url) => self.base_url = url.trim_end_matches('/').to_string(),
            }
            self.target = Some(Arc::clone(target));
            Ok(())
        }
        .boxed_local()
    }

    fn finish(&mut self) -> LocalBoxFuture<'_, ()> {
        async move {
            if let Some(server) = self.server.take() {
                server.0.shutdown().await;
            }
        }
        .boxed_local()
    }

    fn reproduce(&self) -> Option<String> {
        self.exchanges.last().map(Exchange::curl)
    }

    fn transcript(&self) -> Vec<String> {
        self.exchanges.iter().map(Exchange::summary).collect()
    }
}

// ---------------------------------------------------------------- Given

#[given(regex = r#"^a book "([^"]+)"$"#)]
async fn a_book(w: &mut ServerWorld, label: String) {
    w.declare_book(&label).await;
}

#[given(regex = r#"^a book "([^"]+)" that (\w+) has never synced$"#)]
async fn a_book_never_synced(w: &mut ServerWorld, label: String, who: String) {
    if w.target().is_built_in() {
        w.declare_book(&label).await;
        return;
    }
    if w.dialect == Dialect::BookLore && !w.books.contains_key(&label) {
        // Only --document is known to be in a real BookLore library, and it may
        // carry progress from earlier runs. A fresh hash has surely never been
        // synced, and BookLore answers 404 for it either way (no book or no
        // progress), so the rule is checked without guessing the library.
        let hash = w.fresh_hash(&label);
        w.books.insert(label, hash);
        return;
    }
    // Against a real server the book may carry progress from earlier runs:
    // look first, and skip rather than misjudge.
    w.declare_book(&label).await;
    let ex = w.pull_as(&who, &label, Signing::Proper).await;
    let has_progress = ex.status == Some(200)
        && ex
            .json()
            .is_some_and(|b| b.get("percentage").is_some_and(Value::is_number));
    if has_progress {
        skip(format!(
            "book {label:?} already has progress for {who} on this server; this check needs a book the user never synced"
        ));
    }
    w.exchanges.pop();
}

#[given(regex = r#"^a hash "([^"]+)" that matches no book$"#)]
fn a_hash_matching_no_book(w: &mut ServerWorld, label: String) {
    let hash = w.fresh_hash(&format!("unknown:{label}"));
    w.books.insert(label, hash);
}

#[given(
    regex = r"^requests carry (no credentials|only a user name|an unknown user|a wrong key|proper credentials)$"
)]
fn requests_carry(w: &mut ServerWorld, what: String) {
    w.signing = match what.as_str() {
        "no credentials" => Signing::None,
        "only a user name" => Signing::UserOnly,
        "an unknown user" => Signing::UnknownUser,
        "a wrong key" => Signing::WrongKey,
        _ => Signing::Proper,
    };
}

#[given(regex = r"^requests carry no Accept header$")]
fn requests_carry_no_accept(w: &mut ServerWorld) {
    w.accept_override = Some(String::new());
}

#[given(regex = r#"^requests carry the Accept header "([^"]*)"$"#)]
fn requests_carry_accept(w: &mut ServerWorld, accept: String) {
    w.accept_override = Some(accept);
}

#[given(regex = r#"^(\w+) has pushed "([^"]+)" at (-?[0-9.]+) with progress "([^"]*)"$"#)]
async fn has_pushed(
    w: &mut ServerWorld,
    who: String,
    label: String,
    pct: String,
    progress: String,
) {
    let body = w.push_json(&label, parse_number(&pct), &progress);
    let ex = w.push_body(&who, body, Signing::Proper).await;
    if ex.status != Some(200) {
        fail("the setup push to be accepted with 200", ex.answer());
    }
}

// ---------------------------------------------------------------- When

#[when(regex = r"^(\w+) checks (?:her|his|their) credentials$")]
async fn checks_credentials(w: &mut ServerWorld, who: String) {
    let creds = w.credentials(&who);
    let headers = w.auth_headers(&creds, w.signing);
    let path = w.dialect.auth_path();
    w.send(reqwest::Method::GET, &path, headers, None).await;
}

#[when(regex = r#"^(\w+) pulls "([^"]+)"$"#)]
async fn pulls(w: &mut ServerWorld, who: String, label: String) {
    let signing = w.signing;
    w.pull_as(&who, &label, signing).await;
}

#[when(regex = r#"^(\w+) pushes "([^"]+)" at (-?[0-9.]+) with progress "([^"]*)"$"#)]
async fn pushes(w: &mut ServerWorld, who: String, label: String, pct: String, progress: String) {
    let body = w.push_json(&label, parse_number(&pct), &progress);
    let signing = w.signing;
    w.push_body(&who, body, signing).await;
}

#[when(
    regex = r#"^(\w+) pushes "([^"]+)" at (-?[0-9.]+) with progress "([^"]*)" and timestamp (\d+)$"#
)]
async fn pushes_with_timestamp(
    w: &mut ServerWorld,
    who: String,
    label: String,
    pct: String,
    progress: String,
    timestamp: i64,
) {
    let mut body = w.push_json(&label, parse_number(&pct), &progress);
    body["timestamp"] = json!(timestamp);
    let signing = w.signing;
    w.push_body(&who, body, signing).await;
}

#[when(
    regex = r#"^(\w+) pushes "([^"]+)" from device "([^"]*)" with id "([^"]*)" at (-?[0-9.]+) with progress "([^"]*)"$"#
)]
async fn pushes_from_device(
    w: &mut ServerWorld,
    who: String,
    label: String,
    device: String,
    device_id: String,
    pct: String,
    progress: String,
) {
    let mut body = w.push_json(&label, parse_number(&pct), &progress);
    body["device"] = json!(device);
    body["device_id"] = json!(device_id);
    let signing = w.signing;
    w.push_body(&who, body, signing).await;
}

#[when(regex = r"^(\w+) pushes the raw body (.+)$")]
async fn pushes_raw(w: &mut ServerWorld, who: String, template: String) {
    // `{A}` in the body stands for the hash of book "A".
    let mut body = template;
    let labels: Vec<(String, String)> = w
        .books
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (label, hash) in labels {
        body = body.replace(&format!("{{{label}}}"), &hash);
    }
    let creds = w.credentials(&who);
    let headers = w.auth_headers(&creds, w.signing);
    let path = w.dialect.push_path();
    w.send(reqwest::Method::PUT, &path, headers, Some(body))
        .await;
}

#[when(regex = r#"^(\w+) pushes "([^"]+)" with a progress of (\d+) characters$"#)]
async fn pushes_oversized(w: &mut ServerWorld, who: String, label: String, size: usize) {
    let body = w.push_json(&label, 0.5, &"x".repeat(size));
    let signing = w.signing;
    w.push_body(&who, body, signing).await;
}

#[when(regex = r#"^(\d+) devices of (\w+) push "([^"]+)" at the same time$"#)]
async fn concurrent_pushes(w: &mut ServerWorld, count: usize, who: String, label: String) {
    let creds = w.credentials(&who);
    let document = w.book(&label);
    let url = format!("{}{}", w.base_url, w.dialect.push_path());
    let bodies: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "document": document,
                "percentage": (i as f64 + 1.0) / (count as f64 + 1.0),
                "progress": format!("/body/DocFragment[{}]/p[{}]", i + 1, i * 7 + 3),
                "device": format!("device {}", i + 1),
                "device_id": format!("{:032X}", i + 1),
            })
        })
        .collect();
    let sends = bodies.iter().map(|body| {
        w.http
            .put(&url)
            .header(protocol::HEADER_AUTH_USER, &creds.user)
            .header(protocol::HEADER_AUTH_KEY, &creds.key)
            .header("Accept", w.accept())
            .header("Content-Type", protocol::JSON_CONTENT_TYPE)
            .body(body.to_string())
            .send()
    });
    let answers = futures::future::join_all(sends).await;
    // Written unless the server refused every push.
    if answers
        .iter()
        .any(|a| a.as_ref().map_or(true, |r| r.status().is_success()))
    {
        w.target().remember_written(&document);
    }
    for (i, answer) in answers.into_iter().enumerate() {
        match answer {
            Ok(r) if r.status().as_u16() == 200 => {}
            Ok(r) => fail(
                "every concurrent push to be accepted with 200",
                format!("push {} answered {}", i + 1, r.status()),
            ),
            Err(e) => fail(
                "every concurrent push to be answered",
                format!(
                    "push {}: {}",
                    i + 1,
                    describe_transport_error(&e, w.timeout())
                ),
            ),
        }
    }
    w.concurrent = bodies;
}

#[when(regex = r#"^(\w+) remembers the timestamp of "([^"]+)"$"#)]
async fn remembers_timestamp(w: &mut ServerWorld, _who: String, label: String) {
    let t = w.pulled_timestamp(&label).await;
    w.remembered_timestamp.insert(label, t);
}

#[when(regex = r#"^the library gains the book "([^"]+)"$"#)]
async fn library_gains(w: &mut ServerWorld, label: String) {
    let hash = w.book(&label);
    let Some(server) = &w.server else {
        skip("needs the built-in server's admin API");
    };
    if let Err(err) = server.0.admin().add_book(&hash).await {
        fail(
            "the fake server adds a book over its admin API",
            format!("{err:#}"),
        );
    }
}

#[when(regex = r"^the server's clock goes back (\d+) seconds$")]
async fn clock_goes_back(w: &mut ServerWorld, seconds: i64) {
    let Some(server) = &w.server else {
        skip("needs the built-in server's admin API (it sets the server's clock)");
    };
    let admin = server.0.admin();
    let result = async {
        let now = admin.clock().await?;
        admin.set_clock(now - seconds).await
    }
    .await;
    if let Err(err) = result {
        fail(
            "the fake server sets its clock over its admin API",
            format!("{err:#}"),
        );
    }
}

#[when(regex = r"^carol's KOReader sync is switched on$")]
async fn carol_sync_on(w: &mut ServerWorld) {
    let Some(server) = &w.server else {
        skip("needs the built-in server's admin API (it changes a user)");
    };
    let user = UserSpec::with_password(BUILT_IN_DISABLED_USER.0, BUILT_IN_DISABLED_USER.1);
    if let Err(err) = server.0.admin().add_user(&user).await {
        fail(
            "the fake server changes a user over its admin API",
            format!("{err:#}"),
        );
    }
}

#[when(regex = r#"^someone registers a new user "([^"]+)" with password "([^"]*)"$"#)]
async fn registers(w: &mut ServerWorld, name: String, password: String) {
    let actual = format!("{name}{}", &w.nonce[..12]);
    w.registered
        .insert(name, (actual.clone(), password.clone()));
    let body = json!({"username": actual, "password": protocol::key_for_password(&password)});
    let path = w.dialect.create_path();
    let created = w
        .send(reqwest::Method::POST, &path, vec![], Some(body.to_string()))
        .await
        .status
        .is_some_and(|s| (200..300).contains(&s));
    if created {
        if let Ok(mut names) = w.target().registered.lock() {
            names.insert(actual);
        }
    }
}

#[when(regex = r#"^someone registers the same user "([^"]+)" again$"#)]
async fn registers_again(w: &mut ServerWorld, name: String) {
    let Some((actual, password)) = w.registered.get(&name).cloned() else {
        fail(
            format!("user {name:?} registered earlier in the scenario"),
            "it was not",
        );
    };
    let body = json!({"username": actual, "password": protocol::key_for_password(&password)});
    let path = w.dialect.create_path();
    w.send(reqwest::Method::POST, &path, vec![], Some(body.to_string()))
        .await;
}

#[when(regex = r"^someone checks the server's health$")]
async fn checks_health(w: &mut ServerWorld) {
    let path = format!("{}{}", w.dialect.prefix(), protocol::routes::HEALTHCHECK);
    w.send(reqwest::Method::GET, &path, vec![], None).await;
}

// ---------------------------------------------------------------- Then

#[then(regex = r"^the answer is (\d{3})$")]
fn answer_is(w: &mut ServerWorld, status: u16) {
    w.expect_status(status);
}

#[then(regex = r"^the answer is a refusal$")]
fn answer_is_refusal(w: &mut ServerWorld) {
    let last = w.last();
    if !matches!(last.status, Some(401) | Some(403)) {
        fail("status 401 or 403", last.answer());
    }
}

#[then(regex = r"^the answer is a refusal or a client error$")]
fn answer_is_client_error(w: &mut ServerWorld) {
    let last = w.last();
    if !matches!(last.status, Some(400..=499)) {
        fail("a 4xx status (registration refused)", last.answer());
    }
}

#[then(regex = r"^the answer is a JSON object$")]
fn answer_is_object(w: &mut ServerWorld) {
    if !w.answer_json().is_object() {
        fail("a JSON object", w.last().answer());
    }
}

#[then(regex = r"^the answer is the JSON (.+)$")]
fn answer_is_the_json(w: &mut ServerWorld, expected: String) {
    let want: Value = match serde_json::from_str(&expected) {
        Ok(v) => v,
        Err(e) => fail("valid JSON in the step", format!("{expected:?}: {e}")),
    };
    if w.answer_json() != want {
        fail(format!("the JSON {want}"), w.last().answer());
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is (\w+)'s user name$"#)]
fn field_is_user_name(w: &mut ServerWorld, field: String, who: String) {
    let name = w.credentials(&who).user;
    if w.field(&field) != json!(name) {
        fail(format!("{field:?} to be {name:?}"), w.last().answer());
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is the new user's name$"#)]
fn field_is_new_user(w: &mut ServerWorld, field: String) {
    let names: Vec<String> = w.registered.values().map(|(n, _)| n.clone()).collect();
    let got = w.field(&field);
    if !names.iter().any(|n| got == json!(n)) {
        fail(
            format!("{field:?} to be one of {names:?}"),
            w.last().answer(),
        );
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is "([^"]*)"$"#)]
fn field_is_string(w: &mut ServerWorld, field: String, value: String) {
    if w.field(&field) != json!(value) {
        fail(
            format!("{field:?} to be the string {value:?}"),
            w.last().answer(),
        );
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is the hash of "([^"]+)"$"#)]
fn field_is_hash(w: &mut ServerWorld, field: String, label: String) {
    let hash = w.book(&label);
    if w.field(&field) != json!(hash) {
        fail(format!("{field:?} to be {hash:?}"), w.last().answer());
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is a whole number$"#)]
fn field_is_whole(w: &mut ServerWorld, field: String) {
    let v = w.field(&field);
    if !(v.is_i64() || v.is_u64()) {
        fail(format!("{field:?} to be a whole number"), w.last().answer());
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is a string$"#)]
fn field_is_a_string(w: &mut ServerWorld, field: String) {
    if !w.field(&field).is_string() {
        fail(format!("{field:?} to be a string"), w.last().answer());
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is the number (-?[0-9.]+)$"#)]
fn field_is_number(w: &mut ServerWorld, field: String, number: String) {
    let want = parse_number(&number);
    let v = w.field(&field);
    if v.as_f64() != Some(want) || !v.is_number() {
        fail(
            format!("{field:?} to be the JSON number {number}"),
            w.last().answer(),
        );
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is the server's time in whole seconds$"#)]
async fn field_is_server_time(w: &mut ServerWorld, field: String) {
    let v = w.field(&field);
    let answer = w.last().answer();
    let Some(ts) = v.as_i64() else {
        fail(
            format!("{field:?} to be whole seconds since the epoch"),
            answer,
        );
    };
    let (now, tolerance) = w.server_now().await;
    if (ts - now).abs() > tolerance {
        fail(
            format!("{field:?} within {tolerance} s of the server's time {now} (whole seconds since the epoch)"),
            answer,
        );
    }
}

#[then(regex = r#"^the answer does not contain "([^"]+)"$"#)]
fn answer_does_not_contain(w: &mut ServerWorld, needle: String) {
    let last = w.last();
    if last.response.contains(&needle) {
        fail(format!("nothing revealing {needle:?}"), last.answer());
    }
}

#[then(regex = r#"^(\w+) reads "([^"]+)" at (-?[0-9.]+) with progress "([^"]*)"$"#)]
async fn reads(w: &mut ServerWorld, who: String, label: String, pct: String, progress: String) {
    w.check_reads(&who, &label, parse_number(&pct), &progress)
        .await;
}

#[then(regex = r#"^(\w+) finds no progress for "([^"]+)"$"#)]
async fn finds_no_progress(w: &mut ServerWorld, who: String, label: String) {
    let ex = w.pull_as(&who, &label, Signing::Proper).await;
    let none = match w.dialect {
        Dialect::BookLore => ex.status == Some(404),
        Dialect::Kosync => {
            ex.status == Some(200)
                && ex
                    .json()
                    .is_some_and(|b| b.get("percentage").is_none_or(Value::is_null))
        }
    };
    if !none {
        let expected = match w.dialect {
            Dialect::BookLore => "status 404 (no progress for this user)",
            Dialect::Kosync => "status 200 without a percentage (no progress for this user)",
        };
        fail(expected, ex.answer());
    }
}

#[then(regex = r#"^(\w+) reads "([^"]+)" as exactly one of those pushes$"#)]
async fn reads_one_of(w: &mut ServerWorld, who: String, label: String) {
    let ex = w.pull_as(&who, &label, Signing::Proper).await;
    let Some(body) = ex.json().filter(|_| ex.status == Some(200)) else {
        fail("status 200 with one of the concurrent pushes", ex.answer());
    };
    let same = |push: &Value, key: &str| push.get(key) == body.get(key);
    let whole = w.concurrent.iter().any(|push| {
        same(push, "percentage")
            && same(push, "progress")
            && (w.dialect == Dialect::BookLore || (same(push, "device") && same(push, "device_id")))
    });
    if !whole {
        fail(
            "the stored record to equal one of the concurrent pushes, field for field",
            ex.answer(),
        );
    }
}

#[then(regex = r#"^the timestamp of "([^"]+)" has not gone backwards$"#)]
async fn timestamp_not_backwards(w: &mut ServerWorld, label: String) {
    let Some(&before) = w.remembered_timestamp.get(&label) else {
        fail("a remembered timestamp", "none was remembered");
    };
    let after = w.pulled_timestamp(&label).await;
    if after < before {
        fail(
            format!("a timestamp no earlier than {before}"),
            format!("timestamp {after}: {}", w.last().answer()),
        );
    }
}

#[then(regex = r"^the error code is (\d+)$")]
fn error_code_is(w: &mut ServerWorld, code: u64) {
    if w.answer_json().get("code").and_then(Value::as_u64) != Some(code) {
        fail(
            format!("an error body with \"code\": {code}"),
            w.last().answer(),
        );
    }
}

#[then(regex = r"^the answer is an error with a numeric code and a message$")]
fn error_shape(w: &mut ServerWorld) {
    let body = w.answer_json();
    let ok = body.get("code").is_some_and(Value::is_u64)
        && body.get("message").is_some_and(Value::is_string);
    if !ok {
        fail(
            "an error body {\"code\": N, \"message\": \"…\"}",
            w.last().answer(),
        );
    }
}

#[then(regex = r"^the answer is JSON with a JSON media type$")]
fn json_media_type(w: &mut ServerWorld) {
    let last = w.last();
    let media = last
        .content_type
        .as_deref()
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    let json_type = media.as_deref().is_some_and(|m| {
        m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
    });
    if !json_type || last.json().is_none() {
        fail("a JSON body labelled with a JSON media type", last.answer());
    }
}

#[then(regex = r#"^the media type is exactly "([^"]+)"$"#)]
fn media_type_exactly(w: &mut ServerWorld, media: String) {
    let last = w.last();
    if last.content_type.as_deref() != Some(media.as_str()) {
        fail(format!("Content-Type: {media}"), last.answer());
    }
}

#[then(regex = r#"^the new user "([^"]+)" (can|cannot) sign in$"#)]
async fn new_user_signs_in(w: &mut ServerWorld, name: String, can: String) {
    let Some((actual, password)) = w.registered.get(&name).cloned() else {
        fail(
            format!("user {name:?} registered earlier in the scenario"),
            "it was not",
        );
    };
    let creds = Credentials::with_password(&actual, &password);
    let headers = w.auth_headers(&creds, Signing::Proper);
    let path = w.dialect.auth_path();
    let ex = w
        .send(reqwest::Method::GET, &path, headers, None)
        .await
        .clone();
    let signed_in = ex.status == Some(200);
    if signed_in != (can == "can") {
        let expected = if can == "can" {
            "the registered user to sign in (200)"
        } else {
            "the refused registration to create no user (auth refused)"
        };
        fail(expected, ex.answer());
    }
}

#[then(regex = r"^the answer is served, or refused with 412 and error code (\d+)$")]
fn served_or_412(w: &mut ServerWorld, code: u64) {
    let last = w.last();
    if last.status == Some(200) {
        return;
    }
    let got = last
        .json()
        .and_then(|b| b.get("code").and_then(Value::as_u64));
    if last.status != Some(412) || got != Some(code) {
        fail(format!("200, or 412 with error code {code}"), last.answer());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_line_body_is_shown_on_one_line_and_other_spacing_kept() {
        let page = "<html>\n    <head>\r\n  <title>Error</title>\n</head>";
        assert_eq!(
            shorten(page, 200),
            "<html> <head> <title>Error</title> </head>"
        );
        assert_eq!(shorten("page  12", 200), "page  12");
        assert_eq!(shorten("a\nbcdef", 3), "a b… (7 bytes)");
    }

    #[test]
    fn raw_answers_parse_with_and_without_chunking() {
        let plain = b"HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json\r\nContent-Length: 35\r\n\r\n{\"code\":100,\"message\":\"no accept\"}";
        let (status, ct, body) = parse_http_response(plain).expect("parses");
        assert_eq!(status, 412);
        assert_eq!(ct.as_deref(), Some("application/json"));
        assert!(body.contains("\"code\":100"));

        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        let (_, _, body) = parse_http_response(chunked).expect("parses");
        assert_eq!(body, "{\"a\":1}");

        assert!(parse_http_response(b"garbage").is_none());
        assert!(parse_http_response(b"SMTP 220 hi\r\n\r\n").is_none());
    }

    #[test]
    fn curl_lines_quote_for_the_shell() {
        let exchange = Exchange {
            method: "PUT".into(),
            url: "http://h:1/syncs/progress".into(),
            headers: vec![("x-auth-user".into(), "o'brien".into())],
            body: Some("{\"progress\":\"it's\"}".into()),
            status: Some(200),
            content_type: None,
            response: String::new(),
            error: None,
        };
        let curl = exchange.curl();
        assert_eq!(
            curl,
            r#"curl -sS -i -X PUT -H 'x-auth-user: o'\''brien' --data-binary '{"progress":"it'\''s"}' 'http://h:1/syncs/progress'"#
        );
        assert!(exchange.summary().starts_with("PUT /syncs/progress {"));
    }
}
