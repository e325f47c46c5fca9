//! The contract runner: cucumber worlds, step definitions, rule catalogue, reports.
pub mod catalogue;
pub mod client_cli;
mod client_steps;
mod client_steps_then;
pub mod client_world;
pub mod docs;
pub mod features;
pub mod gate;
pub mod hash_world;
pub mod parse;
pub mod report;
pub mod runner;
pub mod server_cli;
pub mod server_property;
pub mod server_world;
pub mod verify_cli;
