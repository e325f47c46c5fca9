//! BookLore's dialect: `/api/koreader/...`, as BookLore's Spring controller
//! answers it, plus the 400s a correct server gives where BookLore would 500.
//!
//! Bad credentials → 403 (Spring refusing an unauthenticated request), sync
//! disabled → 401, unknown book → 404, no progress → 404, registration → 403.

use bytes::Bytes;
use hyper::Method;
use serde_json::json;

use super::clock::rfc3339;
use super::sync::{self, Answer, AuthFailure, RecordBody, Refusal, Route, Rules};
use super::wire::{Reply, Request};
use super::Shared;
use crate::protocol::{routes, Dialect};

/// The device name BookLore reports on every pull, whoever pushed.
pub(crate) const BOOKLORE_DEVICE: &str = crate::protocol::BOOKLORE_DEVICE;

pub(crate) const RULES: Rules = Rules {
    ignore_key_case: true,
    device_required: false,
    has_library: true,
    registers_users: false,
    reads_like_lua: false,
    sign_in_checks_sync: false,
};

/// What BookLore answers an accepted push.
const PUSHED: &[u8] = br#"{"status":"progress updated"}"#;

/// BookLore's error body: `{"status", "message", "timestamp"}`.
pub(crate) fn error(status: u16, message: &str, now: i64) -> Reply {
    Reply::json(
        status,
        json!({ "status": status, "message": message, "timestamp": rfc3339(now) }),
    )
}

pub(crate) fn route(request: &Request) -> Route<'_> {
    let Some(path) = request.path().strip_prefix(Dialect::BookLore.prefix()) else {
        return Route::NotFound;
    };
    match (&request.method, path) {
        (&Method::GET, routes::AUTH) => Route::Auth,
        (&Method::POST, routes::CREATE) => Route::Create,
        (&Method::PUT, routes::PROGRESS) => Route::Push,
        (&Method::GET, _) => match path
            .strip_prefix(routes::PROGRESS)
            .and_then(|rest| rest.strip_prefix('/'))
        {
            Some(document) if !document.contains('/') => Route::Pull(document),
            _ => Route::NotFound,
        },
        _ => Route::NotFound,
    }
}

/// The wire form of a route's outcome.
pub(crate) fn to_wire(shared: &Shared, outcome: &Result<Answer, Refusal>) -> Reply {
    // Only error bodies carry a timestamp: read the clock for those alone.
    let now = || shared.clock.now();
    match outcome {
        Ok(Answer::SignedIn(user)) => Reply::json(200, json!({ "username": user.name })),
        Ok(Answer::Registered(user)) => Reply::json(201, json!({ "username": user.name })),
        Ok(Answer::Pushed(_)) => Reply::json_text(200, Bytes::from_static(PUSHED)),
        Ok(Answer::Progress(Some(record))) => {
            Reply::json_of(200, &RecordBody::of(record, Some(BOOKLORE_DEVICE)))
        }
        Ok(Answer::Progress(None)) => error(404, "No progress found for user and book", now()),
        Ok(Answer::Healthy) => Reply::json(200, json!({ "state": "OK" })),
        Err(refusal) => refused(refusal, now()),
    }
}

fn refused(refusal: &Refusal, now: i64) -> Reply {
    match refusal {
        Refusal::NoRoute => error(404, "no such route", now),
        Refusal::Credentials(AuthFailure::MissingHeaders) => error(
            403,
            "authentication required: send x-auth-user and x-auth-key",
            now,
        ),
        Refusal::Credentials(AuthFailure::UnknownUser | AuthFailure::WrongKey) => {
            error(403, "invalid credentials", now)
        }
        Refusal::SyncDisabled => error(401, "Sync is disabled for this user", now),
        Refusal::RegistrationClosed => Reply::json(
            403,
            json!({ "error": "User registration via Koreader is disabled" }),
        ),
        Refusal::BadBody(problem) => error(400, problem.message(), now),
        Refusal::UnusableName { name, problem } => error(
            400,
            &format!("{problem}: {name:?} could never sign in"),
            now,
        ),
        Refusal::NameTaken => error(400, "Username is already registered", now),
        Refusal::UnknownBook(document) => {
            let shown: String = document.chars().take(64).collect();
            error(404, &format!("Book not found for hash {shown}"), now)
        }
        // BookLore never checks Accept; kept total for completeness.
        Refusal::AcceptMissing | Refusal::AcceptMismatch => {
            error(412, "unacceptable Accept header", now)
        }
        Refusal::BodyTooLarge => error(413, &sync::too_large_message(), now),
        Refusal::BodyTimedOut => error(408, "the request body did not arrive in time", now),
        Refusal::Store(err) => error(500, &format!("the store failed: {err}"), now),
    }
}
