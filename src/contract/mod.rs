//! The contract runner: cucumber worlds, step definitions, rule catalogue, reports.
pub mod catalogue;
pub mod docs;
pub mod gate;
