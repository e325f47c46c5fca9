//! The server side of the contract: the features of `features/server/` run
//! over HTTP against the built-in fake server or a server at a URL.
//!
//! - [`world`]: what one scenario knows (target, documents, exchanges);
//! - [`steps`]: the Given/When/Then steps, phrased in the domain's words;
//! - [`property`]: the stateful random-sequence property against the same targets;
//! - [`cli`], `verify-server`.
//!
//! Every request goes through [`crate::sync_client`].
pub mod cli;
pub mod property;
mod steps;
pub mod world;
