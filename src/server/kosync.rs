//! The reference koreader-sync-server's dialect: routes at the root,
//! `{"code", "message"}` errors with the reference codes, registration over
//! the API, 200 `{}` for a document with no progress, and `/healthcheck`.
//!
//! The reference has no library, so every document id is accepted on push.
//! Like the reference, a pull only routes ids of `[A-Za-z0-9_]+`.

use hyper::Method;
use serde_json::json;

use super::sync::{self, Answer, BodyProblem, RecordBody, Refusal, Route, Rules};
use super::wire::{Reply, Request};
use super::Shared;
use crate::protocol::{kosync_codes as code, routes, KOSYNC_ACCEPT};

pub(crate) const RULES: Rules = Rules {
    ignore_key_case: false,
    device_required: true,
    has_library: false,
    registers_users: true,
    reads_like_lua: true,
    sign_in_checks_sync: true,
};

/// `{"code", "message"}` with the HTTP status the reference pairs with it.
pub(crate) fn error(status: u16, code: u16, message: &str) -> Reply {
    Reply::json(status, json!({ "code": code, "message": message }))
}

pub(crate) fn route(request: &Request) -> Route<'_> {
    let path = request.path();
    match (&request.method, path) {
        (&Method::POST, routes::CREATE) => Route::Create,
        (&Method::GET, routes::AUTH) => Route::Auth,
        (&Method::PUT, routes::PROGRESS) => Route::Push,
        (&Method::GET, routes::HEALTHCHECK) => Route::Healthcheck,
        (&Method::GET, _) => match path
            .strip_prefix(routes::PROGRESS)
            .and_then(|rest| rest.strip_prefix('/'))
        {
            Some(document) if is_routable_document(document) => Route::Pull(document),
            _ => Route::NotFound,
        },
        _ => Route::NotFound,
    }
}

/// The reference's GET route pattern: `[A-Za-z0-9_]+`.
fn is_routable_document(document: &str) -> bool {
    !document.is_empty()
        && document
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// With `--strict-accept`, a known route needs `Accept` to name the vendor
/// media type (412 code 100 when absent, 101 otherwise).
pub(crate) fn admit(shared: &Shared, route: &Route<'_>, request: &Request) -> Result<(), Refusal> {
    if !shared.strict_accept || *route == Route::NotFound {
        return Ok(());
    }
    let Some(accept) = request.headers.get(hyper::header::ACCEPT) else {
        return Err(Refusal::AcceptMissing);
    };
    let names_vendor_type = accept.to_str().ok().is_some_and(|value| {
        value.split(',').any(|range| {
            range
                .split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(KOSYNC_ACCEPT))
        })
    });
    if names_vendor_type {
        Ok(())
    } else {
        Err(Refusal::AcceptMismatch)
    }
}

/// What the reference server answers an accepted push.
#[derive(serde::Serialize)]
struct Pushed<'a> {
    document: &'a str,
    timestamp: i64,
}

/// The wire form of a route's outcome.
pub(crate) fn to_wire(outcome: &Result<Answer, Refusal>) -> Reply {
    match outcome {
        Ok(Answer::SignedIn(_)) => Reply::json(200, json!({ "authorized": "OK" })),
        Ok(Answer::Registered(user)) => Reply::json(201, json!({ "username": user.name })),
        Ok(Answer::Pushed(stored)) => Reply::json_of(
            200,
            &Pushed {
                document: &stored.document,
                timestamp: stored.timestamp,
            },
        ),
        Ok(Answer::Progress(Some(record))) => Reply::json_of(200, &RecordBody::of(record, None)),
        Ok(Answer::Progress(None)) => Reply::json(200, json!({})),
        Ok(Answer::Healthy) => Reply::json(200, json!({ "state": "OK" })),
        Err(refusal) => refused(refusal),
    }
}

fn refused(refusal: &Refusal) -> Reply {
    match refusal {
        Refusal::NoRoute => Reply::text(404, "Not Found"),
        Refusal::AcceptMissing => error(412, code::ACCEPT_MISSING, "Accept header is missing"),
        Refusal::AcceptMismatch => error(
            412,
            code::ACCEPT_MISMATCH,
            &format!("Accept must be {KOSYNC_ACCEPT}"),
        ),
        Refusal::Credentials(_) | Refusal::SyncDisabled => {
            error(401, code::UNAUTHORIZED, "Unauthorized")
        }
        Refusal::RegistrationClosed => {
            error(402, code::REGISTRATION_DISABLED, "Registration is disabled")
        }
        Refusal::BadBody(problem) => body_refusal(*problem),
        Refusal::UnusableName { name, problem } => error(
            403,
            code::INVALID_REQUEST,
            &format!("{problem}: {name:?} could never sign in"),
        ),
        Refusal::NameTaken => error(402, code::USER_EXISTS, "Username is already registered"),
        // The reference has no library; kept total for completeness.
        Refusal::UnknownBook(_) => error(404, code::DOCUMENT_MISSING, "no such document"),
        Refusal::BodyTooLarge => Reply::json(413, json!({ "message": sync::too_large_message() })),
        Refusal::BodyTimedOut => Reply::json(
            408,
            json!({ "message": "the request body did not arrive in time" }),
        ),
        Refusal::Store(err) => error(500, 500, &format!("the store failed: {err}")),
    }
}

/// 400 code 103/104 for a body that is not a JSON object, 403 code 2004 for
/// no document, 403 code 2003 for any other field problem.
fn body_refusal(problem: BodyProblem) -> Reply {
    match problem {
        BodyProblem::InvalidJson => error(400, code::INVALID_JSON, problem.message()),
        BodyProblem::NotAnObject => error(400, code::NOT_AN_OBJECT, problem.message()),
        p if p.is_about_document() => error(403, code::DOCUMENT_MISSING, p.message()),
        p => error(403, code::INVALID_REQUEST, p.message()),
    }
}
