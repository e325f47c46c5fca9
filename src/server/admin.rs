//! The admin API under `/__admin/`: journal, reset, faults, clock, users, books.
//!
//! It is how a harness in any language sets up and inspects the fake server.
//! Admin requests are neither journaled nor subject to faults. Access: with an
//! admin token configured, every admin request must carry it
//! (`Authorization: Bearer TOKEN` or `x-admin-token: TOKEN`); without one,
//! only loopback peers are answered.

use std::net::SocketAddr;

use hyper::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::faults::Fault;
use super::sync::Refusal;
use super::wire::{Reply, Request};
use super::{BookPolicy, Shared, UserSpec};
use crate::protocol::{self, routes};

/// Header a harness may use instead of `Authorization: Bearer`.
pub const ADMIN_TOKEN_HEADER: &str = "x-admin-token";

fn error(status: u16, message: &str) -> Reply {
    Reply::json(status, json!({ "error": message }))
}

/// An admin request whose body was refused unread.
pub(crate) fn refuse(refusal: &Refusal) -> Reply {
    match refusal {
        Refusal::BodyTooLarge => error(
            413,
            &format!(
                "request body larger than {} bytes",
                protocol::MAX_BODY_BYTES
            ),
        ),
        Refusal::BodyTimedOut => error(408, "the request body did not arrive in time"),
        other => error(400, &format!("refused: {other:?}")),
    }
}

/// Why `token` cannot be an admin token, if it cannot: an empty or blank one
/// would let anyone in (a header carries no surrounding blanks), and one with
/// control characters could never be sent.
pub(crate) fn token_problem(token: &str) -> Option<&'static str> {
    if token.trim().is_empty() {
        Some("the admin token is empty or blank")
    } else if token.trim() != token {
        Some("the admin token starts or ends with a blank, which no header can carry")
    } else if token.chars().any(char::is_control) {
        Some("the admin token contains a control character, which no header can carry")
    } else {
        None
    }
}

/// Compares in time that depends only on the lengths, so a client timing the
/// refusals learns nothing about how much of its guess was right.
fn same_token(sent: &[u8], token: &[u8]) -> bool {
    let mut differ = u8::from(sent.len() != token.len());
    for (i, expected) in token.iter().enumerate() {
        differ |= expected ^ sent.get(i).copied().unwrap_or(!expected);
    }
    differ == 0
}

/// Whether this peer with these headers may use the admin API, or the refusal.
pub(crate) fn access(
    token: Option<&str>,
    peer: SocketAddr,
    request: &Request,
) -> Result<(), Reply> {
    match token {
        Some(token) => {
            let bearer = request
                .header("authorization")
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            let direct = request.header(ADMIN_TOKEN_HEADER).map(str::trim);
            let matches = |sent: Option<&str>| {
                sent.is_some_and(|sent| same_token(sent.as_bytes(), token.as_bytes()))
            };
            // Both are compared, so which header was right does not show in the time either.
            if matches(bearer) | matches(direct) {
                Ok(())
            } else {
                Err(error(
                    401,
                    "admin token required: send Authorization: Bearer TOKEN",
                ))
            }
        }
        None => {
            let loopback = match peer.ip() {
                std::net::IpAddr::V4(ip) => ip.is_loopback(),
                std::net::IpAddr::V6(ip) => {
                    ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
                }
            };
            if loopback {
                Ok(())
            } else {
                Err(error(
                    403,
                    "the admin API answers loopback clients only (start the server with --admin-token to allow others)",
                ))
            }
        }
    }
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|err| error(400, &format!("bad request body: {err}")))
}

pub(crate) async fn handle(shared: &Shared, peer: SocketAddr, request: &Request) -> Reply {
    if let Err(refusal) = access(shared.admin_token.as_deref(), peer, request) {
        return refusal;
    }
    let route = request
        .path()
        .strip_prefix(routes::ADMIN)
        .unwrap_or(request.path());
    let result = match (&request.method, route) {
        (&Method::GET, "/journal") => return journal(shared).await,
        (&Method::POST, "/reset") => reset(shared).await,
        (&Method::GET, "/faults") => Ok(json!(shared.faults.list())),
        (&Method::POST, "/faults") => add_fault(shared, &request.body),
        (&Method::DELETE, "/faults") => {
            shared.faults.clear();
            Ok(json!(shared.faults.list()))
        }
        (&Method::GET, "/clock") => Ok(json!({ "now": shared.clock.now() })),
        (&Method::POST, "/clock") => set_clock(shared, &request.body),
        (&Method::GET, "/users") => Ok(list_users(shared)),
        (&Method::POST, "/users") => add_user(shared, &request.body).await,
        (&Method::GET, "/books") => Ok(list_books(shared)),
        (&Method::POST, "/books") => add_book(shared, &request.body).await,
        _ => Err(match allowed_methods(route) {
            Some(allowed) => Reply {
                allow: Some(allowed),
                ..error(405, &format!("{route} takes {allowed}"))
            },
            None => error(404, "no such admin route"),
        }),
    };
    match result {
        Ok(body) => Reply::json(200, body),
        Err(reply) => reply,
    }
}

/// The methods an admin route answers, for a 405's `Allow` header.
fn allowed_methods(route: &str) -> Option<&'static str> {
    match route {
        "/journal" => Some("GET"),
        "/reset" => Some("POST"),
        "/faults" => Some("GET, POST, DELETE"),
        "/clock" | "/users" | "/books" => Some("GET, POST"),
        _ => None,
    }
}

/// The journal, serialized on a blocking thread: a large one takes a while,
/// and the connection tasks sharing the runtime's workers must not wait on it.
async fn journal(shared: &Shared) -> Reply {
    let entries = shared.journal.snapshot();
    match tokio::task::spawn_blocking(move || super::journal::render(&entries)).await {
        Ok(bytes) => Reply::raw(200, protocol::JSON_CONTENT_TYPE, bytes),
        Err(err) => error(500, &format!("serving the journal failed: {err}")),
    }
}

async fn reset(shared: &Shared) -> Result<Value, Reply> {
    shared.faults.clear();
    shared.journal.clear();
    shared
        .clear_store()
        .await
        .map_err(|err| error(500, &format!("the store failed: {err:#}")))?;
    Ok(json!({ "reset": true }))
}

fn add_fault(shared: &Shared, body: &[u8]) -> Result<Value, Reply> {
    let fault: Fault = parse(body)?;
    if let Some(problem) = fault.problem() {
        return Err(error(400, &problem));
    }
    shared.faults.add(fault);
    Ok(json!(shared.faults.list()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    set: Option<i64>,
    advance: Option<i64>,
    real: Option<bool>,
}

fn set_clock(shared: &Shared, body: &[u8]) -> Result<Value, Reply> {
    let change: ClockChange = parse(body)?;
    let result =
        match (change.set, change.advance, change.real) {
            (Some(at), None, None) => shared.clock.set(at),
            (None, Some(by), None) => shared.clock.advance(by),
            (None, None, Some(true)) => {
                shared.clock.real();
                Ok(())
            }
            _ => return Err(error(
                400,
                "send exactly one of {\"set\": SECONDS}, {\"advance\": SECONDS}, {\"real\": true}",
            )),
        };
    result.map_err(|problem| error(400, &problem))?;
    Ok(json!({ "now": shared.clock.now() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    name: String,
    password: Option<String>,
    key: Option<String>,
    sync_enabled: Option<bool>,
}

async fn add_user(shared: &Shared, body: &[u8]) -> Result<Value, Reply> {
    let new: NewUser = parse(body)?;
    if let Some(problem) = super::user_name_problem(&new.name) {
        return Err(error(
            400,
            &format!("{problem}: {:?} could never sign in", new.name),
        ));
    }
    let key = match (new.password, new.key) {
        (Some(password), None) => protocol::key_for_password(&password),
        (None, Some(key)) if !key.is_empty() => key,
        _ => {
            return Err(error(
                400,
                "send exactly one of \"password\" or a non-empty \"key\"",
            ))
        }
    };
    let user = UserSpec {
        name: new.name,
        key,
        sync_enabled: new.sync_enabled.unwrap_or(true),
    };
    shared
        .put_user(user.clone())
        .await
        .map_err(|err| error(500, &format!("the store failed: {err:#}")))?;
    Ok(json!(user))
}

fn list_users(shared: &Shared) -> Value {
    let users = shared.users.lock().unwrap_or_else(|p| p.into_inner());
    json!(users.values().map(|u| u.as_ref()).collect::<Vec<_>>())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBook {
    document: String,
}

async fn add_book(shared: &Shared, body: &[u8]) -> Result<Value, Reply> {
    let new: NewBook = parse(body)?;
    if !protocol::is_document_hash(&new.document) {
        return Err(error(
            400,
            "document must be a KOReader partial-MD5: 32 lowercase hex digits",
        ));
    }
    let any_document = matches!(
        *shared.books.lock().unwrap_or_else(|p| p.into_inner()),
        BookPolicy::AnyDocument
    );
    if any_document {
        return Err(error(
            409,
            "this server treats every well-formed hash as a book (--any-document), so there is no library to add to; start it with --books DIR to keep one",
        ));
    }
    shared
        .add_book(&new.document)
        .await
        .map_err(|err| error(500, &format!("the store failed: {err:#}")))?;
    Ok(json!({ "document": new.document }))
}

fn list_books(shared: &Shared) -> Value {
    match &*shared.books.lock().unwrap_or_else(|p| p.into_inner()) {
        BookPolicy::AnyDocument => json!({ "any_document": true, "documents": [] }),
        BookPolicy::Known(set) => json!({ "any_document": false, "documents": set }),
    }
}
