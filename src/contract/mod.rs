//! The contract: the features run against targets, rule by rule.
//!
//! The shared core — the rule [`catalogue`], the compiled-in [`features`], the
//! feature-file reader ([`parse`]), the generic [`runner`], [`report`]s, the
//! coverage [`gate`] and living [`docs`] — knows nothing of either side. Each side has its own folder: [`server`] (the
//! server world, the stateful server property, `verify-server`), [`client`]
//! (the client world and steps, the differential run, `verify-client`) and
//! [`hash`] (the document-hash feature). [`verify`] runs all three against the
//! built-in targets.
//!
//! Imports point down only: a side uses the core, the core never uses a side.
pub mod args;
pub mod catalogue;
pub mod client;
pub mod docs;
pub mod features;
pub mod gate;
pub mod hash;
pub mod parse;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod server;
pub mod verify;
