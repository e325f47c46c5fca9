//! kosync-contract: a contract-test harness and fake server for reading-progress
//! sync between KOReader clients and BookLore (or any server speaking KOReader's
//! sync protocol).
//!
//! The Gherkin features under `features/` are the contract; every part of this
//! crate exists to execute them against some target:
//!
//! - [`protocol`] — the wire facts (headers, routes, bodies, key, document hash).
//! - [`server`] — the fake sync server (both dialects) with journal, faults, clock.
//! - [`model`] — the reference client model, a sans-IO state machine.
//! - [`sync_client`] — one typed HTTP client of the sync API, for every request the harness sends.
//! - [`adapter`] — how the harness drives a client under test (in process or over stdio).
//! - [`contract`] — cucumber worlds, the runner, the rule catalogue, the reports.
//!
//! The binary (`src/main.rs`) is a thin shell over these.

pub mod adapter;
pub mod contract;
pub mod model;
pub mod protocol;
pub mod server;
pub mod sync_client;

/// Exit codes shared by every `verify*` command.
pub mod exit {
    /// Every MUST rule held.
    pub const CONFORMANT: u8 = 0;
    /// At least one MUST rule failed.
    pub const VIOLATION: u8 = 1;
    /// The harness could not do its job: bad usage, target unreachable, adapter crashed.
    pub const HARNESS_ERROR: u8 = 2;
    /// Nothing checked failed, but a gating rule could not be checked on this
    /// target (every scenario of it was skipped, say for want of a second
    /// user): the run does not say "conformant". `verify-server
    /// --allow-skips` accepts such a partial run as 0.
    pub const INCOMPLETE: u8 = 3;
}
