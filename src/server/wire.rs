//! A request and its reply as the handlers see them: no hyper connection, no
//! streaming, just the head, the whole (bounded) body, and what to answer.
//!
//! [`http`](super::http) builds a [`Request`] and renders a [`Reply`]; the
//! dialects and the admin API only ever see these two types, so none of them
//! depends on the connection layer (and it depends on them only to dispatch).

use bytes::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, Uri};
use serde_json::Value;

/// A request as the handlers see it: head and the whole (bounded) body.
pub(crate) struct Request {
    pub method: Method,
    /// The request target as sent; [`Request::path`] is the part handlers read.
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Request {
    /// The path without the query string.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// A header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A header's value as UTF-8: KOReader sends a user name that is not
    /// ASCII as its UTF-8 bytes.
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
    /// Served as `application/json`.
    Json(Value),
    /// JSON written already, served as `application/json`: the replies every
    /// sync request gets (a pull's record, a push's answer) are written
    /// straight from their fields, without building a [`Value`] first.
    JsonText(Bytes),
    /// Plain text, as the reference kosync server answers unknown routes.
    Text(String),
    /// Bytes served as they are under this media type: a fault's raw body,
    /// the journal (serialized off the runtime's workers).
    Raw {
        content_type: &'static str,
        bytes: Bytes,
    },
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body: ReplyBody::Json(body),
            allow: None,
        }
    }

    /// `body` written as JSON. Serializing a struct of strings and numbers
    /// cannot fail; if it ever did, the reply says so as a 500.
    pub fn json_of(status: u16, body: &impl serde::Serialize) -> Self {
        // Room for a progress record in one allocation.
        let mut text = Vec::with_capacity(256);
        match serde_json::to_writer(&mut text, body) {
            Ok(()) => Reply::json_text(status, Bytes::from(text)),
            Err(err) => Reply::json(
                500,
                serde_json::json!({ "message": format!("cannot write the reply: {err}") }),
            ),
        }
    }

    /// A JSON body written already (a constant, say).
    pub fn json_text(status: u16, text: Bytes) -> Self {
        Reply {
            status,
            body: ReplyBody::JsonText(text),
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

    pub fn raw(status: u16, content_type: &'static str, bytes: Bytes) -> Self {
        Reply {
            status,
            body: ReplyBody::Raw {
                content_type,
                bytes,
            },
            allow: None,
        }
    }
}
