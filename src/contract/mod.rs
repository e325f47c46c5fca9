//! The contract runner: cucumber worlds, step definitions, rule catalogue, reports.
pub mod catalogue;
pub mod docs;
pub mod gate;
pub mod report;
pub mod runner;
pub mod server_cli;
pub mod server_property;
pub mod server_world;
