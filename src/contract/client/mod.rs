//! The client side of the contract: the features of `features/client/` run
//! against a client driven through [`crate::adapter`] (the reference model in
//! process, or a real client over the stdio protocol).
//!
//! - [`world`]: the cucumber world; `steps` (what the reader and the server
//!   do) and `steps_then` (what must be seen) hold its steps;
//! - [`differential`]: random reader lives run on the reference model and on
//!   the client, traces compared step by step;
//! - [`cli`], `verify-client`.
pub mod cli;
pub mod differential;
mod replay;
mod steps;
mod steps_seen;
mod steps_then;
pub mod world;
