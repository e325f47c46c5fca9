//! `verify-server` against small kosync servers written here, each with one
//! behaviour seen in real third-party servers (issue 9): string error codes,
//! 422 for a body it cannot decode, a required `device_id`, a zero-filled
//! record for a document nobody pushed, `f32` storage, a healthcheck behind
//! authentication. The verdict must follow client impact: what KOReader never
//! looks at fails as SHOULD and leaves the run conformant; what misleads a
//! reader fails as MUST, in the scenario that checks it.
//!
//! The server is a plain reference kosync server (in memory) unless a quirk
//! says otherwise; with no quirk it must pass every rule.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::{HeaderMap, Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use kosync_contract::contract::catalogue::{self, Level};
use kosync_contract::contract::report::{Report, Status};
use kosync_contract::contract::server::cli::{verify_server, VerifyServer};
use kosync_contract::protocol::{key_for_password, lua_number, Dialect};
use kosync_contract::sync_client::Credentials;

/// What differs from the reference server.
#[derive(Debug, Clone, Copy, Default)]
struct Quirks {
    /// Error bodies carry `"code": "unauthorized"` (a string), as korrosync's do.
    string_codes: bool,
    /// Any body it cannot decode into its push type answers 422, as a typed
    /// JSON extractor does (numeric text included).
    unprocessable: bool,
    /// A push without `device_id` is refused (422), before anything else is checked.
    device_id_required: bool,
    /// A pull of a document nobody pushed answers a zero-filled record.
    zero_filled: bool,
    /// Percentages are stored as `f32` (and answered as their shortest text).
    single_precision: bool,
    /// `/healthcheck` needs credentials (401 without).
    healthcheck_needs_auth: bool,
}

impl Quirks {
    fn korrosync() -> Self {
        Quirks {
            string_codes: true,
            unprocessable: true,
            device_id_required: true,
            zero_filled: false,
            single_precision: true,
            healthcheck_needs_auth: true,
        }
    }
}

/// An answer: status and JSON body.
type Answer = (u16, Value);

struct Foreign {
    quirks: Quirks,
    users: Mutex<HashMap<String, String>>,
    records: Mutex<HashMap<(String, String), Value>>,
}

impl Foreign {
    fn error(&self, status: u16, code: u16, name: &str, message: &str) -> Answer {
        let code = if self.quirks.string_codes {
            json!(name)
        } else {
            json!(code)
        };
        (status, json!({"code": code, "message": message}))
    }

    /// The signed-in user, if the headers name one with the right key.
    fn user(&self, headers: &HeaderMap) -> Option<String> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let (user, key) = (header("x-auth-user")?, header("x-auth-key")?);
        let known = self
            .users
            .lock()
            .map(|u| u.get(user) == Some(&key.to_string()));
        known.unwrap_or(false).then(|| user.to_string())
    }

    fn unauthorized(&self) -> Answer {
        self.error(401, 2001, "unauthorized", "Unauthorized")
    }

    fn unprocessable(&self) -> Answer {
        (
            422,
            json!({"code": "bad_request", "message": "cannot decode the body"}),
        )
    }

    fn handle(&self, method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> Answer {
        match (method, path) {
            (&Method::POST, "/users/create") => self.create(body),
            (&Method::GET, "/users/auth") => match self.user(headers) {
                Some(_) => (200, json!({"authorized": "OK"})),
                None => self.unauthorized(),
            },
            (&Method::GET, "/healthcheck") => {
                if self.quirks.healthcheck_needs_auth && self.user(headers).is_none() {
                    return self.unauthorized();
                }
                (200, json!({"state": "OK"}))
            }
            (&Method::PUT, "/syncs/progress") => self.push(headers, body),
            (&Method::GET, _) => match path.strip_prefix("/syncs/progress/") {
                Some(document) => self.pull(headers, document),
                None => (404, json!({})),
            },
            _ => (404, json!({})),
        }
    }

    fn create(&self, body: &[u8]) -> Answer {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return self.error(400, 103, "bad_request", "Invalid JSON");
        };
        let (Some(name), Some(key)) = (
            map.get("username").and_then(Value::as_str),
            map.get("password").and_then(Value::as_str),
        ) else {
            return self.error(403, 2003, "invalid_input", "Invalid request");
        };
        let Ok(mut users) = self.users.lock() else {
            return self.error(500, 2000, "runtime_error", "poisoned");
        };
        if users.contains_key(name) {
            return self.error(402, 2002, "existing_user", "Username is already registered");
        }
        users.insert(name.to_string(), key.to_string());
        (201, json!({"username": name}))
    }

    fn push(&self, headers: &HeaderMap, body: &[u8]) -> Answer {
        let Some(user) = self.user(headers) else {
            return self.unauthorized();
        };
        let map = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            Ok(_) | Err(_) if self.quirks.unprocessable => return self.unprocessable(),
            Ok(_) => return self.error(400, 104, "bad_request", "Not an object"),
            Err(_) => return self.error(400, 103, "bad_request", "Invalid JSON"),
        };
        let field = |name: &str| map.get(name).filter(|v| !v.is_null());
        if self.quirks.device_id_required && !field("device_id").is_some_and(Value::is_string) {
            return self.unprocessable();
        }
        let typed = |name: &str| field(name).is_some_and(Value::is_string);
        if self.quirks.unprocessable
            && !(typed("document")
                && typed("progress")
                && typed("device")
                && field("percentage").is_some_and(Value::is_number))
        {
            return self.unprocessable();
        }
        let document = match field("document").and_then(Value::as_str) {
            Some(d) if !d.is_empty() && !d.contains(':') => d.to_string(),
            _ => return self.error(403, 2004, "invalid_input", "Field 'document' not provided."),
        };
        let percentage = field("percentage").and_then(lua_number::tonumber);
        let (Some(mut percentage), Some(progress), Some(device)) =
            (percentage, field("progress"), field("device"))
        else {
            return self.error(403, 2003, "invalid_input", "Invalid request");
        };
        if self.quirks.single_precision {
            percentage = (percentage as f32)
                .to_string()
                .parse()
                .unwrap_or(percentage);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut record = json!({
            "document": document,
            "percentage": percentage,
            "progress": progress,
            "device": device,
            "timestamp": now,
        });
        if let Some(id) = field("device_id") {
            record["device_id"] = id.clone();
        }
        if let Ok(mut records) = self.records.lock() {
            records.insert((user, document.clone()), record);
        }
        (200, json!({"document": document, "timestamp": now}))
    }

    fn pull(&self, headers: &HeaderMap, document: &str) -> Answer {
        let Some(user) = self.user(headers) else {
            return self.unauthorized();
        };
        let record = self
            .records
            .lock()
            .ok()
            .and_then(|r| r.get(&(user, document.to_string())).cloned());
        match record {
            Some(record) => (200, record),
            None if self.quirks.zero_filled => (
                200,
                json!({
                    "document": "", "progress": "", "percentage": 0.0,
                    "device": "", "device_id": "", "timestamp": 0
                }),
            ),
            None => (200, json!({})),
        }
    }
}

/// Bodies over this are refused with 413, as the reference's nginx does.
const BODY_LIMIT: usize = 64 * 1024;

async fn serve_one(
    state: Arc<Foreign>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let (status, json) = match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => state.handle(
            &parts.method,
            parts.uri.path(),
            &parts.headers,
            &collected.to_bytes(),
        ),
        Err(_) => (413, json!({"code": 413, "message": "body too large"})),
    };
    let response = Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(json.to_string())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())));
    Ok(response)
}

/// Start a server with these quirks and two users; its base URL.
async fn start(quirks: Quirks) -> String {
    let state = Arc::new(Foreign {
        quirks,
        users: Mutex::new(
            [("alice", "alice-pw"), ("bob", "bob-pw")]
                .into_iter()
                .map(|(u, p)| (u.to_string(), key_for_password(p)))
                .collect(),
        ),
        records: Mutex::new(HashMap::new()),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |r| serve_one(Arc::clone(&state), r));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

async fn verify(quirks: Quirks, cases: u32) -> Report {
    let url = start(quirks).await;
    let mut run = VerifyServer::url(
        &url,
        Dialect::Kosync,
        Credentials::with_password("alice", "alice-pw"),
    );
    run.second = Some(Credentials::with_password("bob", "bob-pw"));
    run.cases = cases;
    run.seed = Some(9);
    run.timeout = Duration::from_secs(5);
    verify_server(&run).await.expect("a report")
}

fn level(rule: &str) -> Option<Level> {
    catalogue::find(rule).map(|r| r.level)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_server_passes_every_rule() {
    let report = verify(Quirks::default(), 8).await;
    assert_eq!(
        report.failed_rules(),
        Vec::<String>::new(),
        "{}",
        report.render_text()
    );
    assert_eq!(report.exit_code(), 0, "{}", report.render_text());
    assert!(report.conformant);
}

/// Point 2(a): each bad-input case varies one thing, so a server that
/// requires `device_id` (and refuses its absence differently) is judged on
/// the field under test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_device_id_is_no_false_alarm() {
    let quirks = Quirks {
        device_id_required: true,
        ..Quirks::default()
    };
    let report = verify(quirks, 8).await;
    assert_eq!(
        report.failed_rules(),
        Vec::<String>::new(),
        "{}",
        report.render_text()
    );
    assert!(report.conformant);
}

/// Point 1: korrosync's differences (string codes, 422 for a body it cannot
/// decode, a required device_id, f32 storage, an authenticated healthcheck)
/// are fidelity no KOReader client depends on: SHOULD failures, each named;
/// the verdict is conformant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korrosync_like_differences_are_should_failures_and_the_verdict_is_conformant() {
    let report = verify(Quirks::korrosync(), 16).await;
    let failed = report.failed_rules();
    for rule in &failed {
        assert_eq!(
            level(rule),
            Some(Level::Should),
            "{rule} failed\n{}",
            report.render_text()
        );
    }
    for expected in [
        "K-AUTH-2",
        "K-BAD-1",
        "K-BAD-2",
        "K-BAD-3",
        "K-ERR-1",
        "K-HEALTH-1",
        "K-NUM-1",
        "K-REG-2",
        "S-PREC-1",
    ] {
        assert!(
            failed.iter().any(|r| r == expected),
            "{expected} not named: {failed:?}"
        );
    }
    assert_eq!(report.exit_code(), 0, "{}", report.render_text());
    assert!(report.conformant);
    let text = report.render_text();
    assert!(text.contains("warn [K-ERR-1]"), "{text}");
    assert!(text.contains("why:"), "{text}");
}

/// Point 2(c): f32 storage loses digits no client sends; S-CONC-1 checks
/// whole records with what clients send and holds, S-PREC-1 names the loss.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_precision_storage_fails_precision_only() {
    let quirks = Quirks {
        single_precision: true,
        ..Quirks::default()
    };
    let report = verify(quirks, 8).await;
    assert_eq!(
        report.failed_rules(),
        vec!["S-PREC-1"],
        "{}",
        report.render_text()
    );
    let conc = report
        .results
        .iter()
        .find(|r| r.rules.iter().any(|id| id == "S-CONC-1"))
        .expect("S-CONC-1 ran");
    assert_eq!(conc.status, Status::Passed);
    assert_eq!(report.exit_code(), 0);
}

/// Point 3: a server that invents a zero-filled record for a document nobody
/// pushed fails K-PULL-1 in its own scenario, without random sequences; it is
/// not skipped as "already has progress".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_filled_record_fails_k_pull_1_in_its_scenario() {
    let quirks = Quirks {
        zero_filled: true,
        ..Quirks::default()
    };
    let report = verify(quirks, 0).await;
    let k_pull_1 = report
        .results
        .iter()
        .find(|r| r.rules.iter().any(|id| id == "K-PULL-1"))
        .expect("the K-PULL-1 scenario");
    assert_eq!(k_pull_1.status, Status::Failed, "{}", report.render_text());
    assert!(
        k_pull_1
            .actual
            .as_deref()
            .is_some_and(|a| a.contains("\"percentage\":0.0")),
        "{k_pull_1:#?}"
    );
    assert_eq!(report.exit_code(), 1);
    assert!(report.results.iter().all(|r| r.status != Status::Skipped
        || !r
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("already has progress")));
}

/// String error codes alone: SHOULD failures, conformant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_error_codes_are_fidelity_only() {
    let quirks = Quirks {
        string_codes: true,
        ..Quirks::default()
    };
    let report = verify(quirks, 0).await;
    let failed = report.failed_rules();
    assert!(failed.iter().any(|r| r == "K-ERR-1"), "{failed:?}");
    assert!(
        failed.iter().all(|r| level(r) == Some(Level::Should)),
        "{failed:?}"
    );
    assert_eq!(report.exit_code(), 0);
}
