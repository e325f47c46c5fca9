//! Driving a client under test.
//!
//! The harness plays the reader's life to a client as [`Event`]s and reads back
//! what a user could see. A client is reached through a [`ClientDriver`]: the
//! reference model in process, or a real client behind the stdio adapter
//! protocol (`docs/adapter-protocol.md`). Either way the client talks real HTTP
//! to the fake server, whose journal is the record of what it sent, so HTTP
//! requests never appear in an [`Observation`].

pub mod capability;
pub mod model_driver;
pub mod protocol;
pub mod stdio;
pub mod subprocess;

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

pub use capability::{Capabilities, Capability};

use crate::model::{Decision, Effect, Event, QueueCounts, Settings};

/// Who the client is and where its server is, given once at start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientIdentity {
    /// Server base URL without a trailing slash, e.g. `http://127.0.0.1:40123`.
    pub base_url: String,
    pub user: String,
    /// The plain password; the client derives the key itself (C-WIRE-4).
    pub password: String,
    pub device: String,
    pub device_id: String,
    /// The client's virtual clock at start, seconds since the Unix epoch.
    pub clock_start: i64,
}

/// What a user could see after one event, once the client finished everything
/// the event caused (HTTP calls included).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Prompts, applied positions, notices, rejected settings — in order.
    /// Never [`Effect::Http`] and never [`Effect::QueueChanged`] (see `queue`).
    pub effects: Vec<Effect>,
    /// The pending/synced progress counts after the event.
    pub queue: QueueCounts,
    /// The queue summary exactly as the client would display it (`4P`), so
    /// C-Q-4 is checked on the client's own text rather than recomputed from
    /// the counts. `None` when the client reported none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// Why a driver could not do its job (the harness exits 2 on these).
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The client process is gone or broke the adapter protocol.
    #[error("adapter failed: {message}{}", format_tail(.stderr_tail))]
    Adapter {
        message: String,
        /// Last lines the adapter wrote to stderr, for the error message.
        stderr_tail: Vec<String>,
    },
    /// Anything else that stops the harness (server unreachable, I/O).
    #[error("{0}")]
    Harness(String),
}

fn format_tail(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!(
            "\n  last lines of its stderr:\n    {}",
            lines.join("\n    ")
        )
    }
}

/// A boxed future, so drivers can be used as trait objects.
pub type DriverFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, DriverError>> + Send + 'a>>;

/// A client the harness can drive, one scenario (or one property case) at a time.
pub trait ClientDriver: Send {
    /// Begin a fresh client session: empty queue, these settings, this
    /// identity. Returns what the client declares it can do.
    fn start<'a>(
        &'a mut self,
        identity: &'a ClientIdentity,
        settings: &'a Settings,
    ) -> DriverFuture<'a, Capabilities>;
    /// Deliver one event and wait until the client has finished what it caused.
    /// Must not be given [`Event::HttpCompleted`] (the client does its own
    /// HTTP) nor an event whose [`Capability`] the client did not declare.
    fn send<'a>(&'a mut self, event: &'a Event) -> DriverFuture<'a, Observation>;
    /// End the session and release its resources.
    fn stop(&mut self) -> DriverFuture<'_, ()>;
    /// The rules the client decided while handling the last event, when it
    /// can say (the reference model's in-process driver does; a client behind
    /// the adapter protocol does not).
    fn decisions(&self) -> &[Decision] {
        &[]
    }
}
