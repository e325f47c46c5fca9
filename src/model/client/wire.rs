//! What the client puts on the wire (C-WIRE-*): its identity, the snapshot a
//! push carries, the requests it builds, and how it reads a pull's answer.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Client;
use crate::model::decision::{governs, Outcome};
use crate::model::profile::RemoteProgress;
use crate::model::{Effect, HttpOutcome, HttpRequest, NoticeLevel, Position, RequestId};
use crate::protocol::{
    self, Dialect, ProgressPush, HEADER_AUTH_KEY, HEADER_AUTH_USER, JSON_CONTENT_TYPE,
    KOSYNC_ACCEPT,
};

/// Who the client is and which server routes it uses; fixed for a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientConfig {
    /// Route prefix of the server (`/api/koreader` for BookLore).
    pub dialect: Dialect,
    pub user: String,
    /// Lowercase hex MD5 of the password, sent as `x-auth-key` (C-WIRE-4).
    pub key: String,
    pub device: String,
    pub device_id: String,
    /// Virtual time at start, seconds since the Unix epoch.
    pub clock_start: i64,
}

impl ClientConfig {
    /// A configuration for `user` with `password`; the key is derived here so
    /// the model never holds the password.
    pub fn new(
        dialect: Dialect,
        user: &str,
        password: &str,
        device: &str,
        device_id: &str,
        clock_start: i64,
    ) -> ClientConfig {
        ClientConfig {
            dialect,
            user: user.to_string(),
            key: protocol::key_for_password(password),
            device: device.to_string(),
            device_id: device_id.to_string(),
            clock_start,
        }
    }
}

/// One queued progress state: exactly the six fields a push carries (C-WIRE-2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub document: String,
    pub percentage: f64,
    pub progress: String,
    /// Virtual time when it was queued, whole seconds.
    pub timestamp: i64,
    pub device: String,
    pub device_id: String,
}

impl Client {
    pub(super) fn auth_headers(&self) -> Vec<(String, String)> {
        vec![
            (HEADER_AUTH_USER.to_string(), self.config.user.clone()),
            (HEADER_AUTH_KEY.to_string(), self.config.key.clone()),
            ("Accept".to_string(), KOSYNC_ACCEPT.to_string()),
        ]
    }

    pub(super) fn next_request_id(&mut self) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    /// C-WIRE-1/3/4: `GET {prefix}/syncs/progress/{document}` for the open book.
    pub(super) fn send_pull(&mut self, out: &mut Vec<Effect>) {
        let Some(book) = &self.book else {
            return;
        };
        let document = book.document.clone();
        let path = self.config.dialect.pull_path(&document);
        self.decide("C-WIRE-1", Outcome::Pulled, governs::PATH);
        self.decide("C-WIRE-3", Outcome::Pulled, governs::DOCUMENT);
        self.decide("C-WIRE-4", Outcome::Pulled, governs::AUTH);
        let id = self.next_request_id();
        self.pulls.push((id, document));
        out.push(Effect::Http(HttpRequest {
            id,
            method: "GET".to_string(),
            path,
            headers: self.auth_headers(),
            body: None,
        }));
    }

    /// `GET {prefix}/users/auth` with the auth headers (C-WIRE-4).
    pub(super) fn send_sign_in(&mut self, out: &mut Vec<Effect>) {
        let id = self.next_request_id();
        self.sign_ins.push(id);
        out.push(Effect::Http(HttpRequest {
            id,
            method: "GET".to_string(),
            path: self.config.dialect.auth_path(),
            headers: self.auth_headers(),
            body: None,
        }));
    }

    /// C-WIRE-2..5: `PUT {prefix}/syncs/progress` with the snapshot's six fields.
    pub(super) fn send_push(&mut self, snapshot: &Snapshot, out: &mut Vec<Effect>) -> RequestId {
        let body = ProgressPush {
            document: snapshot.document.clone(),
            percentage: snapshot.percentage,
            progress: snapshot.progress.clone(),
            timestamp: self.policy.push_timestamp.then_some(snapshot.timestamp),
            device: snapshot.device.clone(),
            device_id: Some(snapshot.device_id.clone()),
        };
        self.decide("C-WIRE-2", Outcome::Uploaded, governs::PUSH_SHAPE);
        self.decide("C-WIRE-3", Outcome::Uploaded, governs::DOCUMENT);
        self.decide("C-WIRE-4", Outcome::Uploaded, governs::AUTH);
        self.decide("C-WIRE-5", Outcome::Uploaded, governs::TYPES);
        let mut headers = self.auth_headers();
        headers.push(("Content-Type".to_string(), JSON_CONTENT_TYPE.to_string()));
        let id = self.next_request_id();
        self.last_push_at = Some(self.now);
        out.push(Effect::Http(HttpRequest {
            id,
            method: "PUT".to_string(),
            path: self.config.dialect.push_path(),
            headers,
            // Strings and numbers only: serializing cannot fail (a NaN would
            // become null, as with `json!`).
            body: Some(serde_json::to_value(&body).expect("a push body serializes")),
        }));
        id
    }
}

/// What the user is told after signing in: only a 200 signs in (KOReader
/// counts sign-in as done only on 200).
pub(super) fn sign_in_notice(outcome: &HttpOutcome) -> Effect {
    match outcome {
        HttpOutcome::Response { status: 200, .. } => Effect::NoticeShown {
            level: NoticeLevel::Info,
            text: "Signed in".to_string(),
        },
        HttpOutcome::Response { status, .. } => Effect::NoticeShown {
            level: NoticeLevel::Error,
            text: format!("Sign-in failed: the server answered {status}"),
        },
        HttpOutcome::TransportError { message } => Effect::NoticeShown {
            level: NoticeLevel::Error,
            text: format!("Sign-in failed: {message}"),
        },
    }
}

/// How a 200 pull body reads.
pub(crate) enum RemoteAnswer {
    Progress(RemoteProgress),
    /// No numeric `percentage` (absent or null): the server has no progress.
    NoProgress,
    /// Not JSON, not an object, or ill-typed fields.
    Malformed,
}

/// Read a 200 pull body. A usable record is a JSON object with a finite
/// `percentage` in [0, 1] and a string `progress`; `percentage` absent or
/// null means no progress; anything else is malformed (C-PULL-6).
pub(crate) fn parse_remote(body: &str) -> RemoteAnswer {
    let Ok(Value::Object(record)) = serde_json::from_str::<Value>(body) else {
        return RemoteAnswer::Malformed;
    };
    let percentage = match record.get("percentage") {
        None | Some(Value::Null) => return RemoteAnswer::NoProgress,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(p) if p.is_finite() && (0.0..=1.0).contains(&p) => p,
            _ => return RemoteAnswer::Malformed,
        },
        Some(_) => return RemoteAnswer::Malformed,
    };
    let Some(Value::String(progress)) = record.get("progress") else {
        return RemoteAnswer::Malformed;
    };
    RemoteAnswer::Progress(RemoteProgress {
        position: Position {
            percentage,
            progress: progress.clone(),
        },
        timestamp: record.get("timestamp").and_then(Value::as_i64),
    })
}
