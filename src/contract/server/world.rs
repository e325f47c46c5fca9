//! The server world: what one scenario of `features/server/*.feature` knows
//! while it runs against a sync server over HTTP. The steps are in
//! [`super::steps`]; every request goes through the typed
//! [`SyncClient`](crate::sync_client::SyncClient).
//!
//! The target is either the built-in fake server (one fresh server per
//! scenario, with a user whose sync is disabled and the admin API for library
//! changes) or any base URL with the credentials given on the command line.
//! Scenarios run concurrently in both cases, each on its own documents; those
//! that need more than a URL offers are skipped with a reason.
//!
//! Users in the features are roles: `alice` is the first user (`--user`),
//! `bob` the second (`--second-user`), `carol` a user whose KOReader sync is
//! disabled (`--disabled-user`; the built-in server has one). Books are labels (`"A"`) mapped to
//! document ids per scenario:
//!
//! - the built-in server gets a fresh random id per book, added to its library;
//! - a kosync server has no library: every book is a fresh random id, so runs
//!   and concurrent scenarios never see each other's writes;
//! - a BookLore server serves progress only for books in its library, so books
//!   are the `--document`s, in order. Scenarios that use them run one at a
//!   time (they share those books); a book "that bob has never synced" is a
//!   `--document` for which bob's pull is observed to find nothing, and which
//!   is shown to be a library book by the other user's progress there (the
//!   other user pushes to it when needed), so a 404 there means "no progress",
//!   not "no such book".
//!
//! Every exchange is kept so a failure can show what was sent and a `curl`
//! line that reproduces it.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::LocalBoxFuture;
use futures::FutureExt as _;
use rand::Rng as _;
use serde_json::Value;

use crate::contract::runner::{fail, harness_fault, skip, Applicability, ContractWorld};
use crate::contract::scenario::ScenarioMeta;
use crate::protocol::{self, Dialect, ProgressPush};
use crate::server::{self, BookPolicy, Defect, RunningServer, ServerConfig, UserSpec};
pub use crate::sync_client::{shell_quote, Credentials, Exchange, TIMEOUTS_BEFORE_GIVING_UP};
use crate::sync_client::{Request, SyncClient};

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
    /// A user whose KOReader sync is switched off (`carol`): the built-in
    /// server's, or `--disabled-user` against a URL.
    pub disabled: Option<Credentials>,
    /// Hashes the server knows as books (`--document`, in order).
    pub documents: Vec<String>,
    /// The run's client: one connection pool and one hang guard for every
    /// scenario and the property (against the built-in server, each
    /// scenario points it at its own server).
    pub client: SyncClient,
    /// Every document id the run pushed to, for the report ("the run says which ids it wrote").
    pub written: Mutex<BTreeSet<String>>,
    /// User names the run registered (kosync), listed in the report for real servers.
    pub registered: Mutex<BTreeSet<String>>,
    /// BookLore against a URL: the scenarios that use the library's books
    /// share them, so they take this lock for as long as they run.
    library: Arc<tokio::sync::Mutex<()>>,
}

/// Users of the built-in fake server (its passwords are not secrets).
pub const BUILT_IN_USERS: [(&str, &str); 2] =
    [("alice", "alice-password"), ("bob", "bob-password")];
/// The built-in user whose KOReader sync is disabled (rule S-OFF-1).
pub const BUILT_IN_DISABLED_USER: (&str, &str) = ("carol", "carol-password");

/// The device every setup push names (the concurrency step uses its own).
pub const HARNESS_DEVICE: &str = "kosync-contract";
/// KOReader sends 32 uppercase hex digits; this is "kosync-contract1" in hex.
pub const HARNESS_DEVICE_ID: &str = "6B6F73796E632D636F6E747261637431";

impl ServerTarget {
    /// A target: `client` carries the base URL (for a URL target), the dialect and the timeout.
    pub fn new(
        kind: TargetKind,
        client: SyncClient,
        user: Credentials,
        second: Option<Credentials>,
        documents: Vec<String>,
    ) -> Self {
        ServerTarget {
            kind,
            dialect: client.dialect(),
            user,
            second,
            disabled: None,
            documents,
            client,
            written: Mutex::new(BTreeSet::new()),
            registered: Mutex::new(BTreeSet::new()),
            library: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The built-in fake server with its two users.
    pub fn built_in(
        dialect: Dialect,
        defect: Option<Defect>,
        timeout: Duration,
    ) -> Result<Self, crate::sync_client::BuildError> {
        // Each scenario points the client at its own server.
        let client = SyncClient::new("http://127.0.0.1", dialect, timeout)?;
        let mut target = ServerTarget::new(
            TargetKind::BuiltIn { defect },
            client,
            Credentials::with_password(BUILT_IN_USERS[0].0, BUILT_IN_USERS[0].1),
            Some(Credentials::with_password(
                BUILT_IN_USERS[1].0,
                BUILT_IN_USERS[1].1,
            )),
            Vec::new(),
        );
        target.disabled = Some(Credentials::with_password(
            BUILT_IN_DISABLED_USER.0,
            BUILT_IN_DISABLED_USER.1,
        ));
        Ok(target)
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

    /// True when documents are books of a library the harness cannot extend
    /// (BookLore at a URL): they come from `--document` and are shared.
    pub fn books_are_given(&self) -> bool {
        !self.is_built_in() && self.dialect == Dialect::BookLore
    }

    pub fn timeout(&self) -> Duration {
        self.client.timeout()
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

    /// The lock that the users of a BookLore library's books take (see [`ServerTarget::books_are_given`]).
    pub fn library_lock(&self) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(&self.library)
    }

    /// Note a document the run pushed to (listed in the report for real servers).
    pub fn remember_written(&self, document: &str) {
        if let Ok(mut set) = self.written.lock() {
            set.insert(document.to_string());
        }
    }

    /// Note `document` unless the server refused the push: a refused push
    /// wrote nothing, one it never answered may have.
    pub fn remember_if_written(&self, document: &str, push: &Exchange) {
        if push.status.is_none_or(|s| (200..300).contains(&s)) {
            self.remember_written(document);
        }
    }
}

const NEEDS_DISABLED_USER: &str =
    "needs a user whose KOReader sync is disabled: pass --disabled-user with --disabled-password or --disabled-key";

/// The tags that say which dialect a scenario is for.
pub const DIALECT_TAGS: [&str; 2] = ["booklore", "kosync"];

/// How a request is signed, per `Given requests carry …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signing {
    Proper,
    None,
    UserOnly,
    UnknownUser,
    WrongKey,
}

/// What `Accept` a scenario sends, per `Given requests carry … Accept …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AcceptOverride {
    /// The dialect's own (the default).
    Dialect,
    Header(String),
    Omitted,
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
    pub(super) target: Option<Arc<ServerTarget>>,
    /// The run's client, pointed at this scenario's server.
    pub(super) client: Option<SyncClient>,
    pub(super) dialect: Dialect,
    pub(super) server: Option<OwnedServer>,
    /// Random per scenario: fresh document ids and user names derive from it.
    pub(super) nonce: String,
    pub(super) books: HashMap<String, String>,
    pub(super) signing: Signing,
    pub(super) accept: AcceptOverride,
    pub(super) exchanges: Vec<Exchange>,
    /// Pushes sent by the concurrency step.
    pub(super) concurrent: Vec<ProgressPush>,
    pub(super) remembered_timestamp: HashMap<String, i64>,
    /// Names of users registered in this scenario, by feature name.
    pub(super) registered: HashMap<String, (String, String)>,
    /// Held while a BookLore-at-a-URL scenario uses the library's books.
    library_lease: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl ServerWorld {
    fn blank() -> Self {
        ServerWorld {
            target: None,
            client: None,
            dialect: Dialect::BookLore,
            server: None,
            nonce: String::new(),
            books: HashMap::new(),
            signing: Signing::Proper,
            accept: AcceptOverride::Dialect,
            exchanges: Vec::new(),
            concurrent: Vec::new(),
            remembered_timestamp: HashMap::new(),
            registered: HashMap::new(),
            library_lease: None,
        }
    }

    pub(super) fn target(&self) -> &ServerTarget {
        match &self.target {
            Some(t) => t,
            None => harness_fault("the scenario was not prepared"),
        }
    }

    pub(super) fn client(&self) -> &SyncClient {
        match &self.client {
            Some(c) => c,
            None => harness_fault("the scenario was not prepared"),
        }
    }

    pub(super) fn last(&self) -> &Exchange {
        match self.exchanges.last() {
            Some(e) => e,
            None => fail("a request before this step", "no request was sent"),
        }
    }

    /// The credentials a feature's user name stands for.
    pub(super) fn credentials(&self, who: &str) -> Credentials {
        let target = self.target();
        match who {
            "alice" => target.user.clone(),
            "bob" => match &target.second {
                Some(c) => c.clone(),
                None => skip("needs a second user: pass --second-user with --second-password or --second-key"),
            },
            "carol" => match &target.disabled {
                Some(c) => c.clone(),
                None => skip(NEEDS_DISABLED_USER),
            },
            other => harness_fault(format!(
                "the step names user {other:?}; the features know alice, bob and carol"
            )),
        }
    }

    /// The other test user than `who` (alice ↔ bob), if the run has two.
    fn other_user(&self, who: &str) -> Option<Credentials> {
        let target = self.target();
        match who {
            "alice" => target.second.clone(),
            "bob" => Some(target.user.clone()),
            _ => None,
        }
    }

    pub(super) fn fresh_hash(&self, label: &str) -> String {
        protocol::key_for_password(&format!("{}:{label}", self.nonce))
    }

    /// The id of book `label`, declared by an earlier `Given`.
    pub(super) fn book(&self, label: &str) -> String {
        match self.books.get(label) {
            Some(h) => h.clone(),
            None => harness_fault(format!(
                "book {label:?} is used before a `Given a book \"{label}\"` declares it"
            )),
        }
    }

    /// Take the library's books for this scenario (BookLore at a URL).
    async fn lease_library(&mut self) {
        if self.library_lease.is_none() {
            let lock = Arc::clone(&self.target().library);
            self.library_lease = Some(lock.lock_owned().await);
        }
    }

    /// The `--document`s this scenario has not used yet, in order.
    async fn unused_library_books(&mut self) -> Vec<String> {
        self.lease_library().await;
        let used: BTreeSet<&String> = self.books.values().collect();
        self.target()
            .documents
            .iter()
            .filter(|d| !used.contains(d))
            .cloned()
            .collect()
    }

    /// Declare book `label` (once per scenario): see the module docs.
    pub(super) async fn declare_book(&mut self, label: &str) -> String {
        if let Some(h) = self.books.get(label) {
            return h.clone();
        }
        let hash = if self.target().books_are_given() {
            let given = self.target().documents.len();
            match self.unused_library_books().await.into_iter().next() {
                Some(document) => document,
                None => skip(format!(
                    "needs {} books in the library: pass one --document per book ({given} given)",
                    self.books.len() + 1
                )),
            }
        } else {
            let hash = self.fresh_hash(label);
            if let Some(server) = &self.server {
                if let Err(err) = server.0.admin().add_book(&hash).await {
                    harness_fault(format!(
                        "the fake server cannot add a book over its admin API: {err:#}"
                    ));
                }
            }
            hash
        };
        self.books.insert(label.to_string(), hash.clone());
        hash
    }

    /// Declare book `label` as one `who` has never synced. A fresh id has
    /// never been pushed by anyone, so it needs no look; a library book of a
    /// BookLore server is looked at (see the module docs).
    pub(super) async fn declare_never_synced(&mut self, label: &str, who: &str) {
        if self.books.contains_key(label) {
            harness_fault(format!(
                "book {label:?} is declared twice; a book that a user never synced is declared once"
            ));
        }
        if !self.target().books_are_given() {
            self.declare_book(label).await;
            return;
        }
        let reader = self.credentials(who);
        let mut fresh = Vec::new();
        let mut looked = Vec::new();
        for document in self.unused_library_books().await {
            let ex = self
                .send(self.client().pull_request(Some(&reader), &document))
                .await;
            match (ex.status, has_progress(&ex)) {
                (Some(404), _) => fresh.push(document),
                (Some(200), true) => looked.push(document),
                _ => fail(
                    format!("{who}'s pull of --document {document} to answer 404 (no progress) or a record"),
                    ex.answer(),
                ),
            }
        }
        if fresh.is_empty() {
            let given = self.target().documents.len();
            skip(format!(
                "needs a book {who} never synced: {who} has progress for every --document this scenario can use ({}), and BookLore cannot forget progress; pass a --document {who} never synced ({given} given)",
                looked.join(", ")
            ));
        }
        let document = match self.other_user(who) {
            Some(other) => self.library_book_among(&fresh, &other).await,
            // The command line says every --document is a library book.
            None => fresh.swap_remove(0),
        };
        self.books.insert(label.to_string(), document);
    }

    /// The first of `candidates` shown to be a library book by `other`'s
    /// progress there; failing that, `other` pushes to the first one, which a
    /// BookLore server accepts only for a library book.
    async fn library_book_among(&mut self, candidates: &[String], other: &Credentials) -> String {
        for document in candidates {
            let ex = self
                .send(self.client().pull_request(Some(other), document))
                .await;
            if ex.status == Some(200) && has_progress(&ex) {
                return document.clone();
            }
        }
        let document = candidates[0].clone();
        let push = self.harness_push(
            &document,
            0.5,
            "kosync-contract: shows the book is in the library",
        );
        let ex = self
            .send(self.client().push_request(Some(other), &push))
            .await;
        if ex.status != Some(200) {
            harness_fault(format!(
                "--document {document} is not usable as a library book: {}'s push answered {}; is it the hash of a book in the library? (`kosync-contract hash FILE` prints it)",
                other.user,
                ex.answer()
            ));
        }
        document
    }

    /// A push as the harness sends it: a complete, valid body.
    pub(super) fn harness_push(
        &self,
        document: &str,
        percentage: f64,
        progress: &str,
    ) -> ProgressPush {
        ProgressPush {
            document: document.to_string(),
            percentage,
            progress: progress.to_string(),
            timestamp: None,
            device: HARNESS_DEVICE.to_string(),
            device_id: Some(HARNESS_DEVICE_ID.to_string()),
        }
    }

    /// Sign `request` as `creds` per `signing`.
    pub(super) fn signed(
        &self,
        mut request: Request,
        creds: &Credentials,
        signing: Signing,
    ) -> Request {
        request.remove_header(protocol::HEADER_AUTH_USER);
        request.remove_header(protocol::HEADER_AUTH_KEY);
        let (user, key) = match signing {
            Signing::Proper => (Some(creds.user.clone()), Some(creds.key.clone())),
            Signing::None => (None, None),
            Signing::UserOnly => (Some(creds.user.clone()), None),
            Signing::UnknownUser => (
                Some(format!("nobody{}", &self.nonce[..8])),
                Some(creds.key.clone()),
            ),
            Signing::WrongKey => (
                Some(creds.user.clone()),
                Some(protocol::key_for_password("not the password")),
            ),
        };
        let mut headers = Vec::new();
        if let Some(user) = user {
            headers.push((protocol::HEADER_AUTH_USER.to_string(), user));
        }
        if let Some(key) = key {
            headers.push((protocol::HEADER_AUTH_KEY.to_string(), key));
        }
        headers.append(&mut request.headers);
        request.headers = headers;
        request
    }

    /// Send one request with the scenario's `Accept`, keep the exchange,
    /// return a copy; never panics on transport errors.
    pub(super) async fn send(&mut self, mut request: Request) -> Exchange {
        match &self.accept {
            AcceptOverride::Dialect => {}
            AcceptOverride::Header(value) => request.set_header("Accept", value.clone()),
            AcceptOverride::Omitted => {
                if !self.client().base_url().starts_with("http://") {
                    skip("sending a request without Accept needs a plain http:// base URL");
                }
                request.remove_header("Accept");
            }
        }
        let exchange = self.client().send(request).await;
        self.exchanges.push(exchange.clone());
        exchange
    }

    pub(super) async fn pull_as(&mut self, who: &str, label: &str, signing: Signing) -> Exchange {
        let creds = self.credentials(who);
        let document = self.book(label);
        let request = self.client().pull_request(None, &document);
        self.send(self.signed(request, &creds, signing)).await
    }

    pub(super) async fn push_as(
        &mut self,
        who: &str,
        push: &ProgressPush,
        signing: Signing,
    ) -> Exchange {
        let creds = self.credentials(who);
        let request = self.client().push_request(None, push);
        let exchange = self.send(self.signed(request, &creds, signing)).await;
        self.target().remember_if_written(&push.document, &exchange);
        exchange
    }

    pub(super) fn answer_json(&self) -> Value {
        let last = self.last();
        if last.status.is_none() {
            fail("a JSON answer", last.answer());
        }
        match last.json() {
            Some(v) => v,
            None => fail("a JSON body", last.answer()),
        }
    }

    pub(super) fn field(&self, name: &str) -> Value {
        let body = self.answer_json();
        match body.get(name) {
            Some(v) => v.clone(),
            None => fail(format!("a field {name:?}"), self.last().answer()),
        }
    }

    /// The server's idea of now: the fake's clock, or the local clock for a real server.
    pub(super) async fn server_now(&self) -> (i64, i64) {
        if let Some(server) = &self.server {
            // Frozen for the scenario (see `start`): no tolerance needed.
            if let Ok(now) = server.0.admin().clock().await {
                return (now, 0);
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
}

/// True when a pull's answer carries a position: a JSON object with a numeric `percentage`.
pub(super) fn has_progress(ex: &Exchange) -> bool {
    ex.json()
        .is_some_and(|b| b.get("percentage").is_some_and(Value::is_number))
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
        if meta.has_tag("needs-disabled-user") && target.disabled.is_none() {
            return Applicability::Skip(NEEDS_DISABLED_USER.into());
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
            match &target.kind {
                TargetKind::BuiltIn { defect } => {
                    let server = server::start(target.fake_config(*defect, Some(meta)))
                        .await
                        .map_err(|e| {
                            anyhow::anyhow!("cannot start the built-in fake server: {e:#}")
                        })?;
                    // Virtual time: the clock stands still for the scenario
                    // (steps move it over the admin API), so a time check is
                    // exact instead of a race with the wall clock.
                    let admin = server.admin();
                    let now = admin.clock().await?;
                    admin.set_clock(now).await?;
                    self.client = Some(target.client.at(&server.base_url()));
                    self.server = Some(OwnedServer(server));
                }
                TargetKind::Url(_) => self.client = Some(target.client.clone()),
            }
            self.target = Some(Arc::clone(target));
            Ok(())
        }
        .boxed_local()
    }

    fn finish(&mut self) -> LocalBoxFuture<'_, ()> {
        async move {
            self.library_lease = None;
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
