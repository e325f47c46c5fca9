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
//! behind short-lived std mutexes, and the store is called through
//! `spawn_blocking`.

mod admin;
pub mod admin_client;
mod booklore;
pub mod cli;
pub mod clock;
mod defect;
mod faults;
mod http;
mod journal;
mod kosync;
mod push;
pub mod store;

pub use admin_client::AdminClient;
pub use defect::Defect;
pub use faults::Fault;
pub use journal::JournalEntry;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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
    /// When set, the admin API requires it (from any address); when not, the
    /// admin API answers loopback peers only.
    pub admin_token: Option<String>,
    /// A deliberate contract violation, for detection tests; `None` = correct server.
    #[doc(hidden)]
    pub defect: Option<Defect>,
}

/// Default size of the request journal.
pub const DEFAULT_JOURNAL_LIMIT: usize = 10_000;

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
    pub registration: bool,
    pub strict_accept: bool,
    pub admin_token: Option<String>,
    pub defect: Option<Defect>,
    pub users: Mutex<BTreeMap<String, UserSpec>>,
    pub books: Mutex<BookPolicy>,
    pub store: Arc<dyn ProgressStore>,
    pub journal: journal::Journal,
    pub faults: faults::FaultList,
    pub clock: clock::ServerClock,
}

impl Shared {
    pub fn has(&self, defect: Defect) -> bool {
        self.defect == Some(defect)
    }

    pub fn user(&self, name: &str) -> Option<UserSpec> {
        self.users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    pub fn put_user(&self, user: UserSpec) {
        self.users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user.name.clone(), user);
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
    ) -> anyhow::Result<Option<StoredProgress>> {
        let store = Arc::clone(&self.store);
        let (owner, document) = (owner.to_owned(), document.to_owned());
        tokio::task::spawn_blocking(move || store.get(&owner, &document))
            .await
            .context("the store task failed")?
    }

    pub async fn save(
        &self,
        owner: &str,
        document: &str,
        merge: impl Fn(Option<&StoredProgress>) -> StoredProgress + Send + Sync + 'static,
    ) -> anyhow::Result<StoredProgress> {
        let store = Arc::clone(&self.store);
        let (owner, document) = (owner.to_owned(), document.to_owned());
        tokio::task::spawn_blocking(move || store.write(&owner, &document, &merge))
            .await
            .context("the store task failed")?
    }

    pub async fn clear_store(&self) -> anyhow::Result<()> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || store.clear())
            .await
            .context("the store task failed")?
    }
}

/// Start a server; it runs until [`RunningServer::shutdown`] or drop.
pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
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
    let users = config
        .users
        .iter()
        .map(|u| (u.name.clone(), u.clone()))
        .collect();
    let shared = Arc::new(Shared {
        dialect: config.dialect,
        registration: config.registration,
        strict_accept: config.strict_accept,
        admin_token: config.admin_token.clone(),
        defect: config.defect,
        users: Mutex::new(users),
        books: Mutex::new(config.books.clone()),
        store,
        journal: journal::Journal::new(config.journal_limit),
        faults: faults::FaultList::default(),
        clock: clock::ServerClock::default(),
    });
    let task = tokio::spawn(http::accept_loop(listener, shared));
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
