//! The HTTP layer: accepting connections, reading bodies within the limit,
//! journaling, applying faults, and rendering replies.
//!
//! Each connection runs in its own task, owned by the accept loop's `JoinSet`,
//! so one slow or misbehaving client never holds up another and aborting the
//! loop ends every connection. The dialect modules never touch hyper: they
//! get a [`Request`] and give back a [`Reply`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::journal::{Recorded, Ticket};
use super::{admin, booklore, kosync, Defect, Shared};
use crate::protocol::{self, routes, Dialect};

/// After refusing an oversized body, how much of it is still read (and thrown
/// away) so an ordinary client sees the 413 instead of a reset connection.
const DRAIN_AFTER_413_BYTES: usize = 1024 * 1024;
const DRAIN_AFTER_413_TIME: Duration = Duration::from_secs(2);

/// Accept connections until the task is aborted; dropping the `JoinSet` then
/// aborts every connection. At most `max_connections` are served at once:
/// past that, newcomers wait in the listen queue until a connection ends
/// (the read timeout makes sure a stalled one does).
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    max_connections: usize,
) {
    let slots = Arc::new(Semaphore::new(max_connections));
    let mut connections = JoinSet::new();
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let accepted = loop {
            tokio::select! {
                accepted = listener.accept() => break accepted,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    serve_connection(stream, peer, shared).await;
                    drop(slot);
                });
            }
            Err(err) => {
                // Out of file descriptors and the like: back off, keep serving.
                tracing::warn!("accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let read_timeout = shared.read_timeout;
    let service = service_fn(move |req| handle(Arc::clone(&shared), peer, req));
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        // Also closes a kept-alive connection that stays idle this long.
        .header_read_timeout(read_timeout)
        // A client may send its whole request and shut its side down while it
        // waits: the request is still answered.
        .half_close(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(err) = result {
        tracing::debug!("connection from {peer} ended: {err}");
    }
}

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault")
    }
}

impl std::error::Error for DropConnection {}

/// A request as the dialect handlers see it: head and the whole (bounded) body.
pub(crate) struct Request {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Request {
    /// A header's value as text, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A header's value as UTF-8, as KOReader sends a user name that is not ASCII.
    pub fn header_utf8(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
    }
}

/// What to answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: ReplyBody,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ReplyBody {
    /// Served with the JSON media type (subject to the content-type defects).
    Json(Value),
    /// Plain text, as the reference kosync server answers unknown routes.
    Text(String),
    /// A fault's raw body, served as `application/json` whatever it holds.
    Raw(String),
    /// JSON already written out (the journal, serialized off the workers).
    Serialized(Bytes),
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body: ReplyBody::Json(body),
            allow: None,
        }
    }

    pub fn json_bytes(status: u16, body: Bytes) -> Self {
        Reply {
            status,
            body: ReplyBody::Serialized(body),
            allow: None,
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Reply {
            status,
            body: ReplyBody::Text(body.to_owned()),
            allow: None,
        }
    }
}

enum BodyRead {
    Whole(Bytes),
    /// Over the limit; the unread rest, when it was refused on its declared length.
    TooLarge(Option<Incoming>),
    /// The client went away (or sent a broken body) before it was complete.
    Broken,
    /// The body did not arrive within the read timeout.
    TimedOut,
}

impl BodyRead {
    /// The request for a handler when the body came whole; else the 413 for
    /// one over the limit (its rest drained), or a dropped connection for one
    /// that broke off.
    fn into_request(
        self,
        parts: hyper::http::request::Parts,
        path: String,
        shared: &Shared,
    ) -> Result<Result<Request, Reply>, DropConnection> {
        match self {
            BodyRead::Whole(body) => Ok(Ok(Request {
                method: parts.method,
                path,
                headers: parts.headers,
                body,
            })),
            BodyRead::TooLarge(rest) => {
                drain(rest);
                let message = format!(
                    "request body larger than {} bytes",
                    protocol::MAX_BODY_BYTES
                );
                Ok(Err(unread(shared, 413, &message)))
            }
            BodyRead::TimedOut => {
                let message = format!(
                    "the request body did not arrive within {} s",
                    shared.read_timeout.as_secs_f64()
                );
                Ok(Err(unread(shared, 408, &message)))
            }
            BodyRead::Broken => Err(DropConnection),
        }
    }
}

/// Read the body within `timeout`.
async fn read_body(
    body: Incoming,
    headers: &HeaderMap,
    limit: Option<usize>,
    timeout: Duration,
) -> BodyRead {
    tokio::time::timeout(timeout, read_body_untimed(body, headers, limit))
        .await
        .unwrap_or(BodyRead::TimedOut)
}

async fn read_body_untimed(body: Incoming, headers: &HeaderMap, limit: Option<usize>) -> BodyRead {
    let Some(limit) = limit else {
        return match body.collect().await {
            Ok(all) => BodyRead::Whole(all.to_bytes()),
            Err(_) => BodyRead::Broken,
        };
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        // Refused on the declaration alone: nothing of it is read first.
        return BodyRead::TooLarge(Some(body));
    }
    match Limited::new(body, limit).collect().await {
        Ok(all) => BodyRead::Whole(all.to_bytes()),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => BodyRead::TooLarge(None),
        Err(_) => BodyRead::Broken,
    }
}

/// Completes a journal entry when the request ends, even if hyper drops the
/// handler (client gone): then it is recorded with status 0.
struct JournalGuard {
    shared: Arc<Shared>,
    ticket: Ticket,
    body: Bytes,
    status: u16,
}

impl Drop for JournalGuard {
    fn drop(&mut self) {
        self.shared
            .journal
            .complete(self.ticket, &self.body, self.status);
    }
}

fn is_admin_path(path: &str) -> bool {
    path == routes::ADMIN || path.starts_with(&format!("{}/", routes::ADMIN))
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, DropConnection> {
    let (parts, incoming) = req.into_parts();
    let path = parts.uri.path().to_owned();

    if is_admin_path(&path) {
        let read = read_body(
            incoming,
            &parts.headers,
            Some(protocol::MAX_BODY_BYTES),
            shared.read_timeout,
        )
        .await;
        let reply = match read.into_request(parts, path, &shared)? {
            Ok(request) => admin::handle(&shared, peer, &request).await,
            Err(refused) => refused,
        };
        return Ok(finish(render(&reply, None), &reply));
    }

    let mut guard = JournalGuard {
        ticket: shared.journal.arrive(Recorded::arrive(
            parts.method.as_str(),
            &path,
            &parts.headers,
            shared.clock.now(),
        )),
        shared: Arc::clone(&shared),
        body: Bytes::new(),
        status: 0,
    };

    let limit = (!shared.has(Defect::NoBodyLimit)).then_some(protocol::MAX_BODY_BYTES);
    let read = read_body(incoming, &parts.headers, limit, shared.read_timeout).await;
    if let BodyRead::Whole(body) = &read {
        guard.body = body.clone();
    }

    if let Some(fault) = shared.faults.take(parts.method.as_str(), &path) {
        if let Some(ms) = fault.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if fault.drop {
            return Err(DropConnection);
        }
        if fault.replaces_answer() {
            let reply = Reply {
                status: fault.status.unwrap_or(200),
                body: match fault.body {
                    Some(raw) => ReplyBody::Raw(raw),
                    None => ReplyBody::Json(serde_json::json!({
                        "message": "fault injected by the fake server"
                    })),
                },
                allow: None,
            };
            guard.status = reply.status;
            return Ok(render(&reply, shared.defect));
        }
    }

    let reply = match read.into_request(parts, path, &shared)? {
        Ok(request) => match shared.dialect {
            Dialect::BookLore => booklore::handle(&shared, &request).await,
            Dialect::Kosync => kosync::handle(&shared, &request).await,
        },
        Err(refused) => refused,
    };
    guard.status = reply.status;
    Ok(finish(render(&reply, shared.defect), &reply))
}

/// The headers that depend on the status: `Allow` on a 405, and `Connection:
/// close` after a body that was not read whole (413, 408), whose rest would
/// otherwise be taken for the next request.
fn finish(
    mut response: hyper::Response<Full<Bytes>>,
    reply: &Reply,
) -> hyper::Response<Full<Bytes>> {
    if matches!(reply.status, 408 | 413) {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    if let Some(allow) = reply.allow {
        response
            .headers_mut()
            .insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
    }
    response
}

/// Read and discard a little more of a refused body in the background, so the
/// client's send does not hit a reset before it reads the 413. Bounded in
/// bytes and time; ends at once when the connection goes.
fn drain(rest: Option<Incoming>) {
    let Some(mut rest) = rest else {
        return;
    };
    tokio::spawn(async move {
        let mut seen = 0usize;
        let _ = tokio::time::timeout(DRAIN_AFTER_413_TIME, async {
            while let Some(Ok(frame)) = rest.frame().await {
                if let Some(data) = frame.data_ref() {
                    seen += data.len();
                }
                if seen > DRAIN_AFTER_413_BYTES {
                    break;
                }
            }
        })
        .await;
    });
}

/// The answer to a request whose body was not read (413, 408), in the dialect's error shape.
fn unread(shared: &Shared, status: u16, message: &str) -> Reply {
    match shared.dialect {
        Dialect::BookLore => booklore::error(status, message, shared.clock.now()),
        Dialect::Kosync => Reply::json(status, serde_json::json!({ "message": message })),
    }
}

/// Turn a reply into a response; the one place the media type is decided.
pub(crate) fn render(reply: &Reply, defect: Option<Defect>) -> hyper::Response<Full<Bytes>> {
    let json_type = match defect {
        Some(Defect::TextPlainContentType) => "text/plain",
        Some(Defect::CharsetInContentType) => "application/json; charset=utf-8",
        _ => protocol::JSON_CONTENT_TYPE,
    };
    let (content_type, bytes) = match &reply.body {
        ReplyBody::Json(value) => (json_type, Bytes::from(value.to_string())),
        ReplyBody::Text(text) => ("text/plain", Bytes::from(text.clone())),
        ReplyBody::Raw(raw) => (protocol::JSON_CONTENT_TYPE, Bytes::from(raw.clone())),
        ReplyBody::Serialized(bytes) => (protocol::JSON_CONTENT_TYPE, bytes.clone()),
    };
    let mut response = hyper::Response::new(Full::new(bytes));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
