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

/// How a command ended, and the one place its exit code is written down.
///
/// Every command returns an [`exit::Outcome`]; `main` hands it to the process.
pub mod exit {
    /// How a command ended. For commands that verify nothing (`serve`, `hash`,
    /// `docs`) [`Outcome::SUCCESS`] is the normal end.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Outcome {
        /// Exit 0: every gating rule held (MUST rules, and the INTERPRETATION
        /// rules the target's profile claims).
        Conformant,
        /// Exit 1: a gating rule failed.
        Violation,
        /// Exit 2: the harness could not do its job (bad usage, target
        /// unreachable, adapter crashed, a report file not writable).
        HarnessError,
        /// Exit 3: nothing checked failed, but a gating rule could not be
        /// checked on this target (every scenario of it was skipped, say for
        /// want of a second user), so the run does not say "conformant".
        /// `verify-server --allow-skips` accepts such a partial run as 0.
        Incomplete,
    }

    impl Outcome {
        /// The normal end of a command that verifies nothing.
        pub const SUCCESS: Outcome = Outcome::Conformant;

        /// The process exit code.
        pub const fn code(self) -> u8 {
            match self {
                Outcome::Conformant => 0,
                Outcome::Violation => 1,
                Outcome::HarnessError => 2,
                Outcome::Incomplete => 3,
            }
        }

        /// The outcome with this exit code, if any.
        pub fn from_code(code: u8) -> Option<Outcome> {
            [
                Outcome::Conformant,
                Outcome::Violation,
                Outcome::HarnessError,
                Outcome::Incomplete,
            ]
            .into_iter()
            .find(|o| o.code() == code)
        }
    }

    impl From<Outcome> for std::process::ExitCode {
        fn from(outcome: Outcome) -> Self {
            std::process::ExitCode::from(outcome.code())
        }
    }

    /// [`Outcome::Conformant`]'s code, for comparing with a report's `exit_code`.
    pub const CONFORMANT: u8 = Outcome::Conformant.code();
    /// [`Outcome::Violation`]'s code.
    pub const VIOLATION: u8 = Outcome::Violation.code();
    /// [`Outcome::HarnessError`]'s code.
    pub const HARNESS_ERROR: u8 = Outcome::HarnessError.code();
    /// [`Outcome::Incomplete`]'s code.
    pub const INCOMPLETE: u8 = Outcome::Incomplete.code();
}
