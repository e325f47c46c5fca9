//! The reference koreader-sync-server's dialect: routes at the root,
//! `{"code", "message"}` errors with the reference codes, registration over
//! the API, 200 `{}` for a document with no progress, and `/healthcheck`.
//!
//! The reference has no library, so every document id is accepted on push.
//! Like the reference, a pull only routes ids of `[A-Za-z0-9_]+`.

use hyper::Method;
use serde_json::{json, Value};

use super::http::{Reply, ReplyBody, Request};
use super::push::{self, AuthFailure, PushProblem};
use super::{Defect, Shared, UserSpec};
use crate::protocol::{kosync_codes as code, routes, KOSYNC_ACCEPT};

/// `{"code", "message"}` with the HTTP status the reference pairs with it.
pub(crate) fn error(status: u16, code: u16, message: &str) -> Reply {
    Reply::json(status, json!({ "code": code, "message": message }))
}

fn unauthorized() -> Reply {
    error(401, code::UNAUTHORIZED, "Unauthorized")
}

/// The plain 404 the reference gives for a route it does not have.
fn no_route() -> Reply {
    Reply::text(404, "Not Found")
}

pub(crate) async fn handle(shared: &Shared, request: &Request) -> Reply {
    let mut reply = dispatch(shared, request).await;
    if let (true, ReplyBody::Json(Value::Object(body))) =
        (shared.has(Defect::KosyncErrorsWithoutCode), &mut reply.body)
    {
        body.remove("code");
    }
    reply
}

async fn dispatch(shared: &Shared, request: &Request) -> Reply {
    let route = request.path.as_str();
    let pull_prefix = format!("{}/", routes::PROGRESS);
    let known = matches!(
        (&request.method, route),
        (&Method::POST, routes::CREATE)
            | (&Method::GET, routes::AUTH)
            | (&Method::PUT, routes::PROGRESS)
            | (&Method::GET, routes::HEALTHCHECK)
    ) || (request.method == Method::GET
        && route
            .strip_prefix(&pull_prefix)
            .is_some_and(is_routable_document));
    if !known || (route == routes::HEALTHCHECK && shared.has(Defect::KosyncNoHealthcheck)) {
        return no_route();
    }
    if shared.strict_accept {
        if let Some(refusal) = accept_refusal(shared, request) {
            return refusal;
        }
    }
    match (&request.method, route) {
        (&Method::POST, routes::CREATE) => create(shared, request).await,
        (&Method::GET, routes::AUTH) => match authorized(shared, request) {
            Ok(user) if shared.has(Defect::KosyncAuthAnswersUsername) => {
                Reply::json(200, json!({ "username": user.name }))
            }
            Ok(_) if shared.has(Defect::KosyncAuthAnswers204) => Reply::text(204, ""),
            Ok(_) => Reply::json(200, json!({ "authorized": "OK" })),
            Err(reply) => reply,
        },
        (&Method::PUT, routes::PROGRESS) => push_progress(shared, request).await,
        (&Method::GET, routes::HEALTHCHECK) => Reply::json(200, json!({ "state": "OK" })),
        _ => match route.strip_prefix(&pull_prefix) {
            Some(document) => pull_progress(shared, request, document).await,
            None => no_route(),
        },
    }
}

/// The reference's GET route pattern: `[A-Za-z0-9_]+`.
fn is_routable_document(document: &str) -> bool {
    !document.is_empty()
        && document
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// 412 unless `Accept` names the vendor media type (code 100 absent, 101 other).
fn accept_refusal(shared: &Shared, request: &Request) -> Option<Reply> {
    let Some(accept) = request.headers.get(hyper::header::ACCEPT) else {
        let missing = if shared.has(Defect::KosyncMissingAcceptCode101) {
            code::ACCEPT_MISMATCH
        } else {
            code::ACCEPT_MISSING
        };
        return Some(error(412, missing, "Accept header is missing"));
    };
    let names_vendor_type = accept.to_str().ok().is_some_and(|value| {
        value.split(',').any(|range| {
            range
                .split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(KOSYNC_ACCEPT))
        })
    });
    (!names_vendor_type || shared.has(Defect::KosyncRejectsVendorAccept)).then(|| {
        error(
            412,
            code::ACCEPT_MISMATCH,
            &format!("Accept must be {KOSYNC_ACCEPT}"),
        )
    })
}

fn authorized(shared: &Shared, request: &Request) -> Result<UserSpec, Reply> {
    let user = push::authenticate(shared, request, false).map_err(|failure| {
        if failure == AuthFailure::WrongKey && shared.has(Defect::KosyncWrongKeyCode403) {
            error(403, code::UNAUTHORIZED, "Forbidden")
        } else {
            unauthorized()
        }
    })?;
    if push::may_sync(shared, &user) {
        Ok(user)
    } else {
        Err(unauthorized())
    }
}

/// 400 code 103/104 for a body that is not a JSON object, 403 code 2004 for
/// no document, 403 code 2003 for any other field problem.
fn body_refusal(shared: &Shared, problem: PushProblem) -> Reply {
    match problem {
        PushProblem::InvalidJson if shared.has(Defect::KosyncInvalidJson500) => {
            error(500, code::INVALID_JSON, problem.message())
        }
        PushProblem::InvalidJson => error(400, code::INVALID_JSON, problem.message()),
        PushProblem::NotAnObject => error(400, code::NOT_AN_OBJECT, problem.message()),
        PushProblem::DocumentMissing
        | PushProblem::DocumentNotAString
        | PushProblem::DocumentNotAKey
            if !shared.has(Defect::KosyncMissingDocumentCode2003) =>
        {
            error(403, code::DOCUMENT_MISSING, problem.message())
        }
        _ if shared.has(Defect::KosyncInvalidPushCode400) => {
            error(400, code::INVALID_REQUEST, problem.message())
        }
        _ => error(403, code::INVALID_REQUEST, problem.message()),
    }
}

async fn create(shared: &Shared, request: &Request) -> Reply {
    if !shared.registration && !shared.has(Defect::KosyncRegistrationDisabledIgnored) {
        return error(402, code::REGISTRATION_DISABLED, "Registration is disabled");
    }
    let map = match push::json_object(&request.body) {
        Ok(map) => map,
        Err(problem) => return body_refusal(shared, problem),
    };
    // `password` is what KOReader sends: the MD5 of the password, the same
    // value as `x-auth-key` later.
    let (Some(name), Some(key)) = (
        map.get("username").and_then(Value::as_str),
        map.get("password").and_then(Value::as_str),
    ) else {
        return error(
            403,
            code::INVALID_REQUEST,
            "username and password are required",
        );
    };
    if key.is_empty() {
        return error(403, code::INVALID_REQUEST, "password must not be empty");
    }
    if let Some(problem) = super::user_name_problem(name) {
        return error(
            403,
            code::INVALID_REQUEST,
            &format!("{problem}: {name:?} could never sign in"),
        );
    }
    let user = UserSpec {
        name: name.to_owned(),
        key: key.to_owned(),
        sync_enabled: true,
    };
    {
        let mut users = shared.users.lock().unwrap_or_else(|p| p.into_inner());
        if users.contains_key(name) && !shared.has(Defect::KosyncTakenNameAllowed) {
            return error(402, code::USER_EXISTS, "Username is already registered");
        }
        users.insert(name.to_owned(), user.clone());
    }
    if let Err(err) = shared.persist_user(&user).await {
        shared
            .users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        return error(500, 500, &format!("the store failed: {err:#}"));
    }
    let created = if shared.has(Defect::KosyncRegistrationAnswers200) {
        200
    } else {
        201
    };
    if shared.has(Defect::KosyncRegistrationAnswersWithoutUsername) {
        return Reply::json(created, json!({}));
    }
    Reply::json(created, json!({ "username": name }))
}

async fn push_progress(shared: &Shared, request: &Request) -> Reply {
    let user = match authorized(shared, request) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    let checked = match push::check_push(shared, &request.body, true) {
        Ok(checked) => checked,
        Err(problem) => return body_refusal(shared, problem),
    };
    match push::store_push(shared, push::owner(shared, &user), checked).await {
        Ok(stored) => {
            let mut answer = json!({
                "document": stored.document,
                "timestamp": push::wire_timestamp(shared, stored.timestamp),
            });
            if let (true, Some(fields)) = (
                shared.has(Defect::KosyncPushAnswersWithoutTimestamp),
                answer.as_object_mut(),
            ) {
                fields.remove("timestamp");
            }
            Reply::json(200, answer)
        }
        Err(err) => error(500, 500, &format!("the store failed: {err:#}")),
    }
}

async fn pull_progress(shared: &Shared, request: &Request, document: &str) -> Reply {
    let user = match authorized(shared, request) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    match shared.load(push::owner(shared, &user), document).await {
        Ok(Some(record)) => Reply::json(200, push::record_json(shared, &record, None)),
        Ok(None) if shared.has(Defect::KosyncUnknownDocument404) => {
            error(404, code::DOCUMENT_MISSING, "no progress for this document")
        }
        Ok(None) => Reply::json(200, json!({})),
        Err(err) => error(500, 500, &format!("the store failed: {err:#}")),
    }
}
