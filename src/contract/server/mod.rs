//! The server side of the contract: the features of `features/server/` run
//! over HTTP against the built-in fake server or a server at a URL.
//!
//! - [`world`]: the cucumber world and its steps;
//! - [`property`]: the stateful random-sequence property against the same targets;
//! - [`cli`], `verify-server`.
pub mod cli;
pub mod property;
pub mod world;
