//! Integration tests of the fake sync server and of `verify-server`: each
//! dialect's wire behaviour, the admin API, the `serve` command, robustness,
//! the defective servers that the server contract must catch, and the
//! stateful server property. One test binary (one link) for the whole area.

mod detect_server;
mod detect_server_wiremock;
mod foreign_servers;
mod korrosync;
mod server_abuse;
mod server_admin;
mod server_booklore;
mod server_cli;
mod server_contract;
mod server_contract_cli;
mod server_defects;
mod server_durability;
mod server_kosync;
mod server_robustness;
mod server_state_machine;
mod server_support;
