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
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
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
    /// Any body it cannot decode into its push type answers 422, as axum's
    /// `Json` extractor does (numeric text included).
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

#[derive(Clone)]
struct Foreign {
    quirks: Quirks,
    users: Arc<Mutex<HashMap<String, String>>>,
    records: Arc<Mutex<HashMap<(String, String), Value>>>,
}

impl Foreign {
    fn error(&self, status: u16, code: u16, name: &str, message: &str) -> Response {
        let code = if self.quirks.string_codes {
            json!(name)
        } else {
            json!(code)
        };
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(json!({"code": code, "message": message}))).into_response()
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

    fn unauthorized(&self) -> Response {
        self.error(401, 2001, "unauthorized", "Unauthorized")
    }

    fn unprocessable(&self) -> Response {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"code": "bad_request", "message": "cannot decode the body"})),
        )
            .into_response()
    }
}

async fn create(State(s): State<Foreign>, body: Bytes) -> Response {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) else {
        return s.error(400, 103, "bad_request", "Invalid JSON");
    };
    let (Some(name), Some(key)) = (
        map.get("username").and_then(Value::as_str),
        map.get("password").and_then(Value::as_str),
    ) else {
        return s.error(403, 2003, "invalid_input", "Invalid request");
    };
    let Ok(mut users) = s.users.lock() else {
        return s.error(500, 2000, "runtime_error", "poisoned");
    };
    if users.contains_key(name) {
        return s.error(402, 2002, "existing_user", "Username is already registered");
    }
    users.insert(name.to_string(), key.to_string());
    (StatusCode::CREATED, Json(json!({"username": name}))).into_response()
}

async fn auth(State(s): State<Foreign>, headers: HeaderMap) -> Response {
    match s.user(&headers) {
        Some(_) => Json(json!({"authorized": "OK"})).into_response(),
        None => s.unauthorized(),
    }
}

async fn health(State(s): State<Foreign>, headers: HeaderMap) -> Response {
    if s.quirks.healthcheck_needs_auth && s.user(&headers).is_none() {
        return s.unauthorized();
    }
    Json(json!({"state": "OK"})).into_response()
}

async fn push(State(s): State<Foreign>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(user) = s.user(&headers) else {
        return s.unauthorized();
    };
    let map = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => map,
        Ok(_) if s.quirks.unprocessable => return s.unprocessable(),
        Err(_) if s.quirks.unprocessable => return s.unprocessable(),
        Ok(_) => return s.error(400, 104, "bad_request", "Not an object"),
        Err(_) => return s.error(400, 103, "bad_request", "Invalid JSON"),
    };
    let field = |name: &str| map.get(name).filter(|v| !v.is_null());
    if s.quirks.device_id_required && !field("device_id").is_some_and(Value::is_string) {
        return s.unprocessable();
    }
    let typed = |name: &str| field(name).is_some_and(Value::is_string);
    if s.quirks.unprocessable
        && !(typed("document")
            && typed("progress")
            && typed("device")
            && field("percentage").is_some_and(Value::is_number))
    {
        return s.unprocessable();
    }
    let document = match field("document").and_then(Value::as_str) {
        Some(d) if !d.is_empty() && !d.contains(':') => d.to_string(),
        _ => return s.error(403, 2004, "invalid_input", "Field 'document' not provided."),
    };
    let percentage = field("percentage").and_then(lua_number::tonumber);
    let (Some(mut percentage), Some(progress), Some(device)) =
        (percentage, field("progress"), field("device"))
    else {
        return s.error(403, 2003, "invalid_input", "Invalid request");
    };
    if s.quirks.single_precision {
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
    if let Ok(mut records) = s.records.lock() {
        records.insert((user, document.clone()), record);
    }
    Json(json!({"document": document, "timestamp": now})).into_response()
}

async fn pull(
    State(s): State<Foreign>,
    headers: HeaderMap,
    Path(document): Path<String>,
) -> Response {
    let Some(user) = s.user(&headers) else {
        return s.unauthorized();
    };
    let record = s
        .records
        .lock()
        .ok()
        .and_then(|r| r.get(&(user, document)).cloned());
    match record {
        Some(record) => Json(record).into_response(),
        None if s.quirks.zero_filled => Json(json!({
            "document": "", "progress": "", "percentage": 0.0,
            "device": "", "device_id": "", "timestamp": 0
        }))
        .into_response(),
        None => Json(json!({})).into_response(),
    }
}

/// Start a server with these quirks and two users; its base URL.
async fn start(quirks: Quirks) -> String {
    let state = Foreign {
        quirks,
        users: Arc::new(Mutex::new(
            [("alice", "alice-pw"), ("bob", "bob-pw")]
                .into_iter()
                .map(|(u, p)| (u.to_string(), key_for_password(p)))
                .collect(),
        )),
        records: Arc::new(Mutex::new(HashMap::new())),
    };
    let app = Router::new()
        .route("/users/create", post(create))
        .route("/users/auth", get(auth))
        .route("/healthcheck", get(health))
        .route("/syncs/progress", put(push))
        .route("/syncs/progress/{document}", get(pull))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
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
