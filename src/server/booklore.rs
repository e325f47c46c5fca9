//! BookLore's dialect: `/api/koreader/...`, as BookLore's Spring controller
//! answers it, plus the 400s a correct server gives where BookLore would 500.
//!
//! Bad credentials → 403 (Spring refusing an unauthenticated request), sync
//! disabled → 401, unknown book → 404, no progress → 404, registration → 403.

use hyper::Method;
use serde_json::{json, Value};

use super::clock::rfc3339;
use super::http::{Reply, Request};
use super::push::{self, AuthFailure, PushProblem};
use super::{Defect, Shared, UserSpec};
use crate::protocol::{routes, Dialect};

/// The device name BookLore reports on every pull, whoever pushed.
pub(crate) const BOOKLORE_DEVICE: &str = "BookLore";

/// BookLore's error body: `{"status", "message", "timestamp"}`.
pub(crate) fn error(status: u16, message: &str, now: i64) -> Reply {
    Reply::json(
        status,
        json!({ "status": status, "message": message, "timestamp": rfc3339(now) }),
    )
}

pub(crate) async fn handle(shared: &Shared, request: &Request) -> Reply {
    let now = shared.clock.now();
    let Some(route) = request.path.strip_prefix(Dialect::BookLore.prefix()) else {
        return error(404, "no such route", now);
    };
    let pull_prefix = format!("{}/", routes::PROGRESS);
    match (&request.method, route) {
        (&Method::GET, routes::AUTH) => match authorized(shared, request, now) {
            Ok(_) if shared.has(Defect::AuthAnswersWithoutUsername) => {
                Reply::json(200, json!({ "authorized": "OK" }))
            }
            Ok(user) => Reply::json(200, json!({ "username": user.name })),
            Err(reply) => reply,
        },
        (&Method::POST, routes::CREATE) => create(shared, request, now).await,
        (&Method::PUT, routes::PROGRESS) => push_progress(shared, request, now).await,
        (&Method::GET, r)
            if r.starts_with(&pull_prefix) && !r[pull_prefix.len()..].contains('/') =>
        {
            pull_progress(shared, request, &r[pull_prefix.len()..], now).await
        }
        _ => error(404, "no such route", now),
    }
}

fn authorized(shared: &Shared, request: &Request, now: i64) -> Result<UserSpec, Reply> {
    push::authenticate(shared, request, true).map_err(|failure| {
        let message = match failure {
            AuthFailure::MissingHeaders => {
                "authentication required: send x-auth-user and x-auth-key"
            }
            AuthFailure::UnknownUser | AuthFailure::WrongKey => "invalid credentials",
        };
        error(403, message, now)
    })
}

/// Authenticated and allowed to sync (S-AUTH-2, S-OFF-1).
fn syncing_user(shared: &Shared, request: &Request, now: i64) -> Result<UserSpec, Reply> {
    let user = authorized(shared, request, now)?;
    if push::may_sync(shared, &user) {
        Ok(user)
    } else {
        Err(error(401, "Sync is disabled for this user", now))
    }
}

async fn create(shared: &Shared, request: &Request, now: i64) -> Reply {
    if !shared.has(Defect::RegistrationAllowed) {
        return Reply::json(
            403,
            json!({ "error": "User registration via Koreader is disabled" }),
        );
    }
    let map = match push::json_object(&request.body) {
        Ok(map) => map,
        Err(problem) => return error(400, problem.message(), now),
    };
    match (
        map.get("username").and_then(Value::as_str),
        map.get("password").and_then(Value::as_str),
    ) {
        (Some(name), Some(key)) if !name.is_empty() && !key.is_empty() => {
            let user = UserSpec {
                name: name.to_owned(),
                key: key.to_owned(),
                sync_enabled: true,
            };
            match shared.put_user(user).await {
                Ok(()) => Reply::json(201, json!({ "username": name })),
                Err(err) => error(500, &format!("the store failed: {err:#}"), now),
            }
        }
        _ => error(400, "username and password are required", now),
    }
}

async fn push_progress(shared: &Shared, request: &Request, now: i64) -> Reply {
    let user = match syncing_user(shared, request, now) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    let checked = match push::check_push(shared, &request.body, false) {
        Ok(checked) => checked,
        Err(PushProblem::PercentageMissing) if shared.has(Defect::MissingPercentage500) => {
            return error(500, "Internal Server Error", now)
        }
        Err(problem) => return error(400, problem.message(), now),
    };
    if !shared.knows_book(&checked.document) && !shared.has(Defect::StoreUnknownBook) {
        return book_not_found(&checked.document, now);
    }
    match push::store_push(shared, push::owner(shared, &user), checked).await {
        Ok(_) => Reply::json(200, json!({ "status": "progress updated" })),
        Err(err) => error(500, &format!("the store failed: {err:#}"), now),
    }
}

async fn pull_progress(shared: &Shared, request: &Request, document: &str, now: i64) -> Reply {
    let user = match syncing_user(shared, request, now) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    if !shared.knows_book(document) {
        return book_not_found(document, now);
    }
    match shared.load(push::owner(shared, &user), document).await {
        Ok(Some(record)) => Reply::json(
            200,
            push::record_json(shared, &record, Some(BOOKLORE_DEVICE)),
        ),
        Ok(None) if shared.has(Defect::UnknownProgressAnswers200Empty) => {
            Reply::json(200, json!({}))
        }
        Ok(None) => error(404, "No progress found for user and book", now),
        Err(err) => error(500, &format!("the store failed: {err:#}"), now),
    }
}

fn book_not_found(document: &str, now: i64) -> Reply {
    let shown: String = document.chars().take(64).collect();
    error(404, &format!("Book not found for hash {shown}"), now)
}
