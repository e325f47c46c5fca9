//! Integration tests of the client side: the reference model's rules and
//! properties, its drivers (in process and over the stdio adapter protocol),
//! `verify-client`, the differential run, and the defective clients (model
//! mutants, Lua mutants) that the client contract must catch. One test binary
//! for the whole area.

mod adapter_differential;
mod adapter_subprocess;
mod client_contract;
mod client_contract_subprocess;
mod detect_client;
mod detect_client_lua;
mod detect_koreader_lua;
mod koreader_lua;
mod lua_differential;
mod lua_mutants;
mod lua_verify_client;
mod model_driver;
mod model_driver_fake_server;
mod model_mutants;
mod model_properties;
mod model_rules;
mod support;
