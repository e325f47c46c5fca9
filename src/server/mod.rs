//! The fake sync server, in BookLore's dialect or the reference kosync server's.
//!
//! Plugin developers run it with `kosync-contract serve`; the harness starts it
//! in process with [`start`]. Besides the sync routes it keeps a request
//! [journal](JournalEntry), answers scripted [faults](Fault), runs on a
//! controllable [clock](clock::ServerClock), and exposes all three over an admin
//! API under `/__admin/` (see [`AdminClient`]) so a harness in any language can
//! drive it.
//!
//! It is built on hyper directly (not a framework router) so that a `drop`
//! fault can close a connection without answering and an oversized body can be
//! refused before it is read. No lock is held across an `.await`: state lives
//! behind short-lived std mutexes, and the store hands back futures (the
//! memory store settles at once; SQLite works on its own threads).

mod admin;
pub mod admin_client;
mod booklore;
pub mod cli;
pub mod clock;
mod faults;
mod handler;
mod http;
mod journal;
mod kosync;
#[cfg(feature = "mutants")]
mod mutants;
pub mod store;
mod sync;
mod wire;

pub use admin_client::AdminClient;
pub use faults::Fault;
pub use journal::{JournalEntry, Truncated};
#[cfg(feature = "mutants")]
pub use mutants::Defect;
#[cfg(not(feature = "mutants"))]
pub use no_defects::Defect;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::protocol::{self, Dialect};
use store::{MemoryStore, ProgressStore, SqliteStore, StoredProgress};

/// Everything that decides how a fake server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub dialect: Dialect,
    /// Where to listen; port 0 picks a free one.
    pub bind: SocketAddr,
    pub users: Vec<UserSpec>,
    pub books: BookPolicy,
    /// A SQLite file store when `Some`; in memory otherwise.
    pub data: Option<PathBuf>,
    /// kosync: `false` makes `POST /users/create` answer 402 code 2005.
    pub registration: bool,
    /// kosync: require the vendor `Accept` header (412 code 100/101), as the reference does.
    pub strict_accept: bool,
    /// Most journal entries kept; the oldest are dropped past it.
    pub journal_limit: usize,
    /// Most bytes of requests the journal keeps; the oldest are dropped past it.
    pub journal_bytes: usize,
    /// How long a client may take to send a request's body (408 then).
    /// Headers have 30 s, and an idle kept-alive connection is closed after 30 s.
    pub read_timeout: Duration,
    /// Most connections served at once; more wait in the listen queue until
    /// one ends.
    pub max_connections: usize,
    /// When set, the admin API requires it (from any address); when not, the
    /// admin API answers loopback peers only.
    pub admin_token: Option<String>,
    /// A deliberate contract violation, for detection tests; `None` = correct
    /// server. Without the `mutants` feature no [`Defect`] exists.
    #[doc(hidden)]
    pub defect: Option<Defect>,
}

/// Default size of the request journal, in entries.
pub const DEFAULT_JOURNAL_LIMIT: usize = 10_000;
/// Default size of the request journal, in bytes kept: with entries capped
/// (see [`JournalEntry`]), this keeps a journal flooded with hostile requests,
/// and a copy of it being served, well under 100 MB.
pub const DEFAULT_JOURNAL_BYTES: usize = 16 << 20;
/// Default [`ServerConfig::read_timeout`].
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`ServerConfig::max_connections`]: under the usual limit of 1024
/// open files, with room for the store and the runtime.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

impl ServerConfig {
    /// A correct server of `dialect` on an ephemeral loopback port, in memory,
    /// treating every well-formed hash as a known book, with no users,
    /// registration open and a lenient `Accept` check.
    pub fn new(dialect: Dialect) -> Self {
        ServerConfig {
            dialect,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            users: Vec::new(),
            books: BookPolicy::AnyDocument,
            data: None,
            registration: true,
            strict_accept: false,
            journal_limit: DEFAULT_JOURNAL_LIMIT,
            journal_bytes: DEFAULT_JOURNAL_BYTES,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            admin_token: None,
            defect: None,
        }
    }
}

/// A user the server knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSpec {
    pub name: String,
    /// What `x-auth-key` must carry: lowercase hex MD5 of the password.
    pub key: String,
    /// BookLore's per-user "KOReader sync" switch; disabled users get 401 (S-OFF-1).
    pub sync_enabled: bool,
}

/// Why `name` can never sign in, if it cannot: `x-auth-user` carries it, and
/// a header value loses leading and trailing blanks and cannot hold control
/// characters. The reference server also refuses an empty name and `:`.
/// Anything else (accents, full-width letters, zero-width characters) is sent
/// as UTF-8 and compared byte for byte, so it signs in.
pub fn user_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("the user name is empty")
    } else if name.contains(':') {
        Some("the user name contains ':'")
    } else if name.chars().any(char::is_control) {
        Some("the user name contains a control character, which no header can carry")
    } else if name.starts_with([' ', '\t']) || name.ends_with([' ', '\t']) {
        Some("the user name starts or ends with a blank, which a header drops")
    } else {
        None
    }
}

impl UserSpec {
    /// A sync-enabled user whose key is derived from `password` the way KOReader does.
    pub fn with_password(name: &str, password: &str) -> Self {
        UserSpec {
            name: name.to_owned(),
            key: protocol::key_for_password(password),
            sync_enabled: true,
        }
    }
}

/// Which documents the server's "library" holds (BookLore dialect; rule S-BOOK-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookPolicy {
    /// Every well-formed id (32 lowercase hex) is a known book.
    AnyDocument,
    /// Only these hashes are books.
    Known(BTreeSet<String>),
}

impl BookPolicy {
    pub fn knows(&self, document: &str) -> bool {
        match self {
            BookPolicy::AnyDocument => protocol::is_document_hash(document),
            BookPolicy::Known(set) => set.contains(document),
        }
    }
}

/// State shared by every connection of one server.
pub(crate) struct Shared {
    pub dialect: Dialect,
    pub handler: Box<dyn handler::Handler>,
    pub registration: bool,
    pub strict_accept: bool,
    /// Largest body read; `None` reads any (only a defective server does).
    pub body_limit: Option<usize>,
    pub admin_token: Option<String>,
    /// Shared, so signing a request in copies a pointer, not the user.
    pub users: Mutex<BTreeMap<String, Arc<UserSpec>>>,
    pub books: Mutex<BookPolicy>,
    pub store: Arc<dyn ProgressStore>,
    pub journal: journal::Journal,
    pub faults: faults::FaultList,
    pub clock: clock::ServerClock,
    pub read_timeout: Duration,
}

impl Shared {
    pub fn user(&self, name: &str) -> Option<Arc<UserSpec>> {
        self.users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// Add or replace a user, keeping it in the store (SQLite keeps it across restarts).
    pub async fn put_user(&self, user: UserSpec) -> anyhow::Result<()> {
        self.persist_user(&user).await?;
        self.users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user.name.clone(), Arc::new(user));
        Ok(())
    }

    /// Add `user` unless the name is taken; true when added.
    pub fn insert_new_user(&self, user: &UserSpec) -> bool {
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if users.contains_key(&user.name) {
            return false;
        }
        users.insert(user.name.clone(), Arc::new(user.clone()));
        true
    }

    pub fn remove_user(&self, name: &str) {
        self.users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
    }

    /// Keep a user in the store (without touching the in-memory list).
    pub async fn persist_user(&self, user: &UserSpec) -> anyhow::Result<()> {
        self.store.put_user(user).await
    }

    /// Add a book to a library of known books (kept in the store too).
    pub async fn add_book(&self, document: &str) -> anyhow::Result<()> {
        self.store.add_book(document).await?;
        if let BookPolicy::Known(set) = &mut *self.books.lock().unwrap_or_else(|p| p.into_inner()) {
            set.insert(document.to_owned());
        }
        Ok(())
    }

    pub fn knows_book(&self, document: &str) -> bool {
        self.books
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .knows(document)
    }

    pub async fn load(
        &self,
        owner: &str,
        document: &str,
    ) -> anyhow::Result<Option<Arc<StoredProgress>>> {
        self.store.get(owner, document).await
    }

    /// Replace the record with `merge(previous)`; done once it is stored for good.
    pub async fn save(
        &self,
        owner: &str,
        document: &str,
        merge: impl FnOnce(Option<&StoredProgress>) -> StoredProgress + Send + 'static,
    ) -> anyhow::Result<StoredProgress> {
        self.store.write(owner, document, Box::new(merge)).await
    }

    pub async fn clear_store(&self) -> anyhow::Result<()> {
        self.store.clear().await
    }
}

/// Start a server; it runs until [`RunningServer::shutdown`] or drop.
pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
    if let Some(token) = &config.admin_token {
        if let Some(problem) = admin::token_problem(token) {
            anyhow::bail!("unusable admin token: {problem}");
        }
    }
    for user in &config.users {
        if let Some(problem) = user_name_problem(&user.name) {
            anyhow::bail!("user {:?} could never sign in: {problem}", user.name);
        }
    }
    let store: Arc<dyn ProgressStore> = match &config.data {
        Some(path) => {
            let path = path.clone();
            Arc::new(
                tokio::task::spawn_blocking(move || SqliteStore::open(&path))
                    .await
                    .context("the store task failed")??,
            )
        }
        None => Arc::new(MemoryStore::default()),
    };
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    // Users and books kept by an earlier run come first; the configured ones
    // (`--user`) replace a kept user of the same name.
    let kept_users = store.users().await;
    let kept_books = store.books().await;
    let (kept_users, kept_books) = kept_users
        .and_then(|users| Ok((users, kept_books?)))
        .context("cannot read the users and books kept in the store")?;
    let users = kept_users
        .into_iter()
        .chain(config.users.iter().cloned())
        .map(|u| (u.name.clone(), Arc::new(u)))
        .collect();
    let mut books = config.books.clone();
    if let BookPolicy::Known(set) = &mut books {
        set.extend(kept_books);
    }
    #[allow(unused_mut)] // changed only when a defect is installed
    let mut shared = Shared {
        dialect: config.dialect,
        handler: Box::new(handler::Reference),
        registration: config.registration,
        strict_accept: config.strict_accept,
        body_limit: Some(protocol::MAX_BODY_BYTES),
        admin_token: config.admin_token.clone(),
        users: Mutex::new(users),
        books: Mutex::new(books),
        store,
        journal: journal::Journal::new(config.journal_limit, config.journal_bytes),
        read_timeout: config.read_timeout,
        faults: faults::FaultList::default(),
        clock: clock::ServerClock::default(),
    };
    #[cfg(feature = "mutants")]
    if let Some(defect) = config.defect {
        mutants::install(defect, &mut shared);
    }
    let shared = Arc::new(shared);
    let task = tokio::spawn(http::accept_loop(
        listener,
        shared,
        config.max_connections.max(1),
    ));
    Ok(RunningServer {
        addr,
        admin_token: config.admin_token,
        task: Some(task),
    })
}

/// A server that is listening. Dropping it stops it (and every connection).
pub struct RunningServer {
    addr: SocketAddr,
    admin_token: Option<String>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// The address actually bound (the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT` with no trailing slash; a wildcard bind is reached over loopback.
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}")
    }

    /// A client of this server's admin API (with its token, if any).
    pub fn admin(&self) -> AdminClient {
        AdminClient::new(self.base_url(), self.admin_token.clone())
    }

    /// Stop listening and close every connection.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // The accept loop owns every connection task; awaiting it means they are gone.
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Without the `mutants` feature the server has no defective variants: this
/// [`Defect`] has no values, so `ServerConfig::defect` is always `None` and
/// callers that pass one through need no feature switches of their own.
#[cfg(not(feature = "mutants"))]
mod no_defects {
    use std::fmt;
    use std::str::FromStr;

    /// A deliberate contract violation; none exist in this build.
    #[doc(hidden)]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
    pub enum Defect {}

    impl Defect {
        /// Every defect: none in this build.
        pub const ALL: &'static [Defect] = &[];

        pub fn name(self) -> String {
            match self {}
        }

        pub fn breaks(self) -> &'static str {
            match self {}
        }
    }

    impl fmt::Display for Defect {
        fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
            match *self {}
        }
    }

    impl FromStr for Defect {
        type Err = String;
        fn from_str(s: &str) -> Result<Self, Self::Err> {
            Err(format!(
                "no defect {s:?} in this build: defective servers exist only with the `mutants` cargo feature"
            ))
        }
    }
}
