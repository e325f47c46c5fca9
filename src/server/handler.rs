//! The sync routes end to end: which route a request names, what the route
//! decides ([`sync::decide`]), and the dialect's wire form of that.
//!
//! [`Handler`] is the seam the connection layer calls through. The server runs
//! the [`Reference`] handler; the detection tests' defective servers (built
//! with the `mutants` feature) wrap these same pieces instead of changing them.

use futures::future::BoxFuture;

use super::sync::{self, Answer, Refusal, Route, Rules};
use super::wire::{Reply, Request};
use super::{booklore, kosync, Shared};
use crate::protocol::Dialect;

/// Answers the sync routes (everything but the admin API).
pub(crate) trait Handler: Send + Sync {
    /// The reply to one request.
    fn answer<'a>(&'a self, shared: &'a Shared, request: &'a Request) -> BoxFuture<'a, Reply>;

    /// The reply to a request refused before it reached [`Handler::answer`]
    /// (its body too large or too slow).
    fn refuse(&self, shared: &Shared, refusal: Refusal) -> Reply {
        to_wire(shared, &Err(refusal))
    }
}

/// The server as the contract describes it.
pub(crate) struct Reference;

impl Handler for Reference {
    fn answer<'a>(&'a self, shared: &'a Shared, request: &'a Request) -> BoxFuture<'a, Reply> {
        Box::pin(async move {
            let route = route(shared.dialect, request);
            let outcome = match admit(shared, &route, request) {
                Ok(()) => sync::decide(shared, rules(shared.dialect), &route, request).await,
                Err(refusal) => Err(refusal),
            };
            to_wire(shared, &outcome)
        })
    }
}

/// What makes this dialect's routes differ.
pub(crate) fn rules(dialect: Dialect) -> Rules {
    match dialect {
        Dialect::BookLore => booklore::RULES,
        Dialect::Kosync => kosync::RULES,
    }
}

/// The route a request names in this dialect.
pub(crate) fn route(dialect: Dialect, request: &Request) -> Route<'_> {
    match dialect {
        Dialect::BookLore => booklore::route(request),
        Dialect::Kosync => kosync::route(request),
    }
}

/// Checks a dialect makes before any route runs (kosync's strict `Accept`).
pub(crate) fn admit(shared: &Shared, route: &Route<'_>, request: &Request) -> Result<(), Refusal> {
    match shared.dialect {
        Dialect::BookLore => Ok(()),
        Dialect::Kosync => kosync::admit(shared, route, request),
    }
}

/// The dialect's wire form of an outcome.
pub(crate) fn to_wire(shared: &Shared, outcome: &Result<Answer, Refusal>) -> Reply {
    match shared.dialect {
        Dialect::BookLore => booklore::to_wire(shared, outcome),
        Dialect::Kosync => kosync::to_wire(outcome),
    }
}
