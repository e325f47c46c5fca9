//! The HTTP layer: accepting connections, reading bodies within the limit and
//! the read timeout, journaling, applying faults, and rendering replies.
//!
//! Each connection runs in its own task, owned by the accept loop's `JoinSet`,
//! so one slow or misbehaving client never holds up another and aborting the
//! loop ends every connection. The handlers never touch hyper: they get a
//! [`Request`] and give back a [`Reply`] (both in [`wire`](super::wire)).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt as _;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue, ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::StatusCode;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::admin;
use super::journal::{Recorded, Ticket};
use super::sync::Refusal;
use super::wire::{Reply, ReplyBody, Request};
use super::Shared;
use crate::protocol::{self, routes};

/// How long a client may take to send a request's headers; an idle kept-alive
/// connection is closed after it too (hyper times the wait for the next head).
/// Longer than the body's read timeout so a client reusing a pooled connection
/// seldom meets one the server is just closing.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
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
    let service = service_fn(move |req| handle(Arc::clone(&shared), peer, req));
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
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
    /// The request for a handler when the body came whole; else why it was
    /// refused unread (the rest of a too-large one drained), or a dropped
    /// connection for one that broke off.
    fn into_request(
        self,
        parts: hyper::http::request::Parts,
    ) -> Result<Result<Request, Refusal>, DropConnection> {
        match self {
            BodyRead::Whole(body) => Ok(Ok(Request {
                method: parts.method,
                uri: parts.uri,
                headers: parts.headers,
                body,
            })),
            BodyRead::TooLarge(rest) => {
                drain(rest);
                Ok(Err(Refusal::BodyTooLarge))
            }
            BodyRead::TimedOut => Ok(Err(Refusal::BodyTimedOut)),
            BodyRead::Broken => Err(DropConnection),
        }
    }
}

/// Read the body, refusing it past `limit` bytes or `timeout`.
async fn read_body(
    body: Incoming,
    headers: &HeaderMap,
    limit: Option<usize>,
    timeout: Duration,
) -> BodyRead {
    let mut read = std::pin::pin!(read_body_untimed(body, headers, limit));
    // Most bodies (and every GET's empty one) have arrived with the head: take
    // them without arming a timer, which costs more than the read itself.
    if let Some(done) = read.as_mut().now_or_never() {
        return done;
    }
    // A body that came with its head is read by hyper only once asked for
    // (the poll above asked): one turn of the connection's task delivers it,
    // still without a timer.
    tokio::task::yield_now().await;
    if let Some(done) = read.as_mut().now_or_never() {
        return done;
    }
    tokio::time::timeout(timeout, read)
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
    path.strip_prefix(routes::ADMIN)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, DropConnection> {
    let (parts, incoming) = req.into_parts();
    let path = parts.uri.path();

    if is_admin_path(path) {
        let read = read_body(
            incoming,
            &parts.headers,
            Some(protocol::MAX_BODY_BYTES),
            shared.read_timeout,
        )
        .await;
        let reply = match read.into_request(parts)? {
            Ok(request) => admin::handle(&shared, peer, &request).await,
            Err(refusal) => admin::refuse(&refusal),
        };
        return Ok(render(&reply));
    }

    let mut guard = JournalGuard {
        ticket: shared.journal.arrive(Recorded::arrive(
            &parts.method,
            path,
            &parts.headers,
            shared.clock.now(),
        )),
        shared: Arc::clone(&shared),
        body: Bytes::new(),
        status: 0,
    };

    let read = read_body(
        incoming,
        &parts.headers,
        shared.body_limit,
        shared.read_timeout,
    )
    .await;
    if let BodyRead::Whole(body) = &read {
        guard.body = body.clone();
    }

    if let Some(fault) = shared.faults.take(parts.method.as_str(), path) {
        if let Some(ms) = fault.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if fault.drop {
            return Err(DropConnection);
        }
        if fault.replaces_answer() {
            let status = fault.status.unwrap_or(200);
            let reply = match fault.body {
                Some(raw) => Reply::raw(status, protocol::JSON_CONTENT_TYPE, Bytes::from(raw)),
                None => Reply::json(
                    status,
                    serde_json::json!({ "message": "fault injected by the fake server" }),
                ),
            };
            guard.status = reply.status;
            return Ok(render(&reply));
        }
    }

    let reply = match read.into_request(parts)? {
        Ok(request) => shared.handler.answer(&shared, &request).await,
        Err(refusal) => shared.handler.refuse(&shared, refusal),
    };
    guard.status = reply.status;
    Ok(render(&reply))
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

/// Turn a reply into a response; the one place media types are set.
fn render(reply: &Reply) -> hyper::Response<Full<Bytes>> {
    let (content_type, bytes) = match &reply.body {
        ReplyBody::Json(value) => (
            protocol::JSON_CONTENT_TYPE,
            // A `Value` always serializes (its map keys are strings).
            Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
        ),
        ReplyBody::JsonText(text) => (protocol::JSON_CONTENT_TYPE, text.clone()),
        ReplyBody::Text(text) => ("text/plain", Bytes::from(text.clone())),
        ReplyBody::Raw {
            content_type,
            bytes,
        } => (*content_type, bytes.clone()),
    };
    let mut response = hyper::Response::new(Full::new(bytes));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    // A body that was not read whole (413, 408) would be taken for the next
    // request: close the connection after answering.
    if matches!(reply.status, 408 | 413) {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    if let Some(allow) = reply.allow {
        headers.insert(ALLOW, HeaderValue::from_static(allow));
    }
    response
}
