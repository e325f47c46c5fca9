//! The fake server under abuse (issue 11): numbers exact on the way through,
//! half-closed requests answered, a locked admin API, a journal bounded in
//! bytes, slow clients timed out, and user names that can sign in.

use crate::server_support;

use std::time::Duration;

use kosync_contract::protocol::{self, Dialect};
use kosync_contract::server::{self, Fault, ServerConfig};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{json, Value};
use server_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------------------
// 1. Numbers exact on the way through.

/// The text of the `percentage` member of a JSON answer, parsed by the
/// standard library (exact), so the check does not depend on how any JSON
/// library rounds.
fn percentage_literal(text: &str) -> Option<f64> {
    let start = text.find("\"percentage\":")? + "\"percentage\":".len();
    let rest = &text[start..];
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

/// Every finite value in [0, 1] a client could send: special values, any bit
/// pattern up to 1.0 (subnormals included) and ordinary fractions.
fn any_percentage() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::sample::select(vec![
            -0.0,
            0.0,
            1.0,
            0.999_999_999_999_999_9,
            0.942_450_283_777_050_3,
            f64::MIN_POSITIVE,
            5e-324,
            0.1,
            1.0 / 3.0,
        ]),
        (0u64..=1.0f64.to_bits()).prop_map(f64::from_bits),
        0.0f64..=1.0,
    ]
}

struct Target {
    name: String,
    harness: Harness,
    _dir: Option<tempfile::TempDir>,
}

async fn float_targets() -> Vec<Target> {
    let mut targets = Vec::new();
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        for sqlite in [false, true] {
            let mut config = config(dialect);
            let dir = sqlite.then(|| tempfile::tempdir().expect("a scratch dir"));
            if let Some(dir) = &dir {
                config.data = Some(dir.path().join("progress.sqlite"));
            }
            targets.push(Target {
                name: format!("{dialect} {}", if sqlite { "sqlite" } else { "memory" }),
                harness: start(config).await,
                _dir: dir,
            });
        }
    }
    targets
}

/// Push `percentage` written the shortest exact way, then read it back from the
/// pull answer and the journal: both must give the same bits.
async fn round_trip(target: &Target, percentage: f64) -> Result<(), String> {
    let h = &target.harness;
    let body = format!(
        r#"{{"document":"{BOOK}","percentage":{percentage:?},"progress":"/body/p[1]","device":"dev","device_id":"ID"}}"#
    );
    let pushed = h.push_raw(ALICE, body.as_bytes()).await;
    if pushed.status != 200 {
        return Err(format!(
            "{}: push of {percentage:?} answered {}",
            target.name, pushed.status
        ));
    }
    let response = h
        .http
        .get(h.url(&h.dialect.pull_path(BOOK)))
        .header("accept", protocol::KOSYNC_ACCEPT)
        .header(protocol::HEADER_AUTH_USER, ALICE.0)
        .header(
            protocol::HEADER_AUTH_KEY,
            protocol::key_for_password(ALICE.1),
        )
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let text = response.text().await.map_err(|e| e.to_string())?;
    let read = percentage_literal(&text);
    if read.map(f64::to_bits) != Some(percentage.to_bits()) {
        return Err(format!(
            "{}: pushed {percentage:?}, the pull answered {text}",
            target.name
        ));
    }
    let journal = h
        .server
        .admin()
        .journal()
        .await
        .map_err(|e| e.to_string())?;
    let recorded = journal
        .iter()
        .rev()
        .find(|e| e.method == "PUT")
        .and_then(|e| e.body["percentage"].as_f64());
    if recorded.map(f64::to_bits) != Some(percentage.to_bits()) {
        return Err(format!(
            "{}: pushed {percentage:?}, the journal recorded {recorded:?}",
            target.name
        ));
    }
    Ok(())
}

#[test]
fn s_pull_1_any_finite_percentage_reads_back_bit_for_bit_in_both_dialects_and_stores() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let targets = runtime.block_on(float_targets());
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&any_percentage(), |percentage| {
        runtime.block_on(async {
            for target in &targets {
                round_trip(target, percentage)
                    .await
                    .map_err(TestCaseError::fail)?;
            }
            Ok(())
        })
    });
    if let Err(err) = result {
        panic!("{err}");
    }
}

#[tokio::test]
async fn s_pull_1_the_values_that_used_to_change_read_back_exactly() {
    for target in float_targets().await {
        for p in [
            -0.0,
            0.999_999_999_999_999_9,
            0.942_450_283_777_050_3,
            5e-324,
        ] {
            round_trip(&target, p).await.unwrap();
        }
    }
}

// ---------------------------------------------------------------------------
// 2. Half-closed requests.

/// Send `request`, shut the write side down, and read until the server closes.
async fn half_closed_exchange(base: &str, request: &[u8]) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("send");
    stream.shutdown().await.expect("shutdown(Write)");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn auth_head(dialect: Dialect) -> String {
    format!(
        "GET {} HTTP/1.1\r\nhost: x\r\naccept: {}\r\nx-auth-user: {}\r\nx-auth-key: {}\r\n\r\n",
        dialect.auth_path(),
        protocol::KOSYNC_ACCEPT,
        ALICE.0,
        protocol::key_for_password(ALICE.1)
    )
}

fn push_request(dialect: Dialect, progress: &str) -> String {
    let body = push_body(BOOK, 0.25, progress).to_string();
    format!(
        "PUT {} HTTP/1.1\r\nhost: x\r\naccept: {}\r\ncontent-type: application/json\r\nx-auth-user: {}\r\nx-auth-key: {}\r\ncontent-length: {}\r\n\r\n{body}",
        dialect.push_path(),
        protocol::KOSYNC_ACCEPT,
        ALICE.0,
        protocol::key_for_password(ALICE.1),
        body.len()
    )
}

#[tokio::test]
async fn a_complete_request_then_a_write_shutdown_is_always_answered() {
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        let h = start(config(dialect)).await;
        // A slow answer makes the server see the half-close before it answers,
        // every time rather than now and then.
        h.server
            .admin()
            .add_fault(&Fault {
                delay_ms: Some(150),
                ..Fault::default()
            })
            .await
            .unwrap();
        let auth = half_closed_exchange(&h.base, auth_head(dialect).as_bytes()).await;
        assert!(auth.starts_with("HTTP/1.1 200"), "{dialect} auth: {auth:?}");
        let push =
            half_closed_exchange(&h.base, push_request(dialect, "half-closed").as_bytes()).await;
        assert!(push.starts_with("HTTP/1.1 200"), "{dialect} push: {push:?}");
        h.server.admin().clear_faults().await.unwrap();
        assert_eq!(
            h.pull(ALICE, BOOK).await.body["progress"],
            json!("half-closed"),
            "{dialect}: the acknowledged push is stored"
        );
        // And without any delay, many times over.
        for i in 0..20 {
            let answer = half_closed_exchange(&h.base, auth_head(dialect).as_bytes()).await;
            assert!(
                answer.starts_with("HTTP/1.1 200"),
                "{dialect} try {i}: {answer:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 3. A blank admin token.

#[tokio::test]
async fn an_empty_or_blank_admin_token_is_a_usage_error() {
    for token in ["", "   ", "\t"] {
        let (code, stderr) = serve_fails(&["--admin-token", token]).await;
        assert_eq!(code, Some(2), "--admin-token {token:?}: {stderr}");
        assert!(stderr.contains("admin-token"), "{stderr}");
    }
    for token in ["", "  "] {
        let mut config = ServerConfig::new(Dialect::BookLore);
        config.admin_token = Some(token.to_owned());
        let refused = server::start(config).await;
        assert!(refused.is_err(), "start() with admin token {token:?}");
    }
}

#[tokio::test]
async fn only_the_exact_admin_token_opens_the_admin_api() {
    let mut config = config(Dialect::BookLore);
    config.admin_token = Some("s3cret".into());
    let h = start(config).await;
    for sent in ["", " ", "s3cre", "s3cret2", "S3CRET", "s3cres"] {
        let a = h
            .http
            .get(h.url("/__admin/users"))
            .header("x-admin-token", sent)
            .send()
            .await
            .unwrap();
        assert_eq!(a.status(), 401, "x-admin-token {sent:?}");
    }
    let ok = h
        .http
        .get(h.url("/__admin/users"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

// ---------------------------------------------------------------------------
// 4. The journal bounded in bytes, large entries truncated and marked.

/// The journal as the admin API serves it, without the Rust client's typing.
async fn raw_journal(h: &Harness) -> Vec<Value> {
    let answer = h
        .http
        .get(h.url("/__admin/journal"))
        .send()
        .await
        .expect("the journal is served");
    assert_eq!(answer.status(), 200);
    answer.json().await.expect("the journal is JSON")
}

async fn hostile_put(h: &Harness, i: usize) {
    let answer = h
        .http
        .put(h.url("/nowhere"))
        .header("x-big", "h".repeat(60_000))
        .body(format!(
            "{i:05}{}",
            "b".repeat(protocol::MAX_BODY_BYTES - 5)
        ))
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status(), 404);
}

#[tokio::test]
async fn large_headers_and_bodies_are_truncated_in_the_journal_and_say_so() {
    let h = booklore().await;
    hostile_put(&h, 0).await;
    h.auth(Some(ALICE)).await;
    let journal = raw_journal(&h).await;
    let big = &journal[0];
    let header = big["headers"]["x-big"].as_str().unwrap_or_default();
    assert!(
        header.len() < 60_000 && header.starts_with("hhhh"),
        "the header is kept truncated, not whole: {} bytes",
        header.len()
    );
    let body = big["body"].as_str().unwrap_or_default();
    assert!(
        body.len() < protocol::MAX_BODY_BYTES && body.starts_with("00000bbb"),
        "the body is kept truncated: {} bytes",
        body.len()
    );
    assert!(
        big["truncated"].is_object(),
        "the entry says it was truncated: {}",
        big["truncated"]
    );
    assert_eq!(big["truncated"]["body"], json!(protocol::MAX_BODY_BYTES));
    // An ordinary request is kept whole and carries no marker.
    let ordinary = &journal[1];
    assert_eq!(ordinary["path"], json!(Dialect::BookLore.auth_path()));
    assert!(
        ordinary.get("truncated").is_none_or(Value::is_null),
        "{ordinary}"
    );
}

#[tokio::test]
async fn the_journal_is_bounded_in_bytes_and_keeps_the_newest() {
    let mut config = config(Dialect::BookLore);
    config.journal_bytes = 256 * 1024;
    let h = start(config).await;
    for i in 0..40 {
        hostile_put(&h, i).await;
    }
    let journal = raw_journal(&h).await;
    assert!(
        !journal.is_empty() && journal.len() < 40,
        "{} entries kept under a 256 KiB journal",
        journal.len()
    );
    let last = journal.last().unwrap()["body"].as_str().unwrap_or_default();
    assert!(last.starts_with("00039"), "the newest entry is kept");
    let kept: usize = journal.iter().map(|e| e.to_string().len()).sum();
    assert!(kept <= 2 * 256 * 1024, "{kept} bytes of journal served");
}

// ---------------------------------------------------------------------------
// 5. Slow clients: a read timeout and a connection cap.

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408_after_the_read_timeout() {
    let mut config = config(Dialect::BookLore);
    config.read_timeout = Duration::from_secs(1);
    let h = start(config).await;
    let head = format!(
        "PUT {} HTTP/1.1\r\nhost: x\r\nx-auth-user: {}\r\nx-auth-key: {}\r\ncontent-length: 200\r\n\r\n{}",
        Dialect::BookLore.push_path(),
        ALICE.0,
        protocol::key_for_password(ALICE.1),
        "x".repeat(100)
    );
    let raw = raw_exchange(&h.base, head.as_bytes(), Duration::from_secs(10)).await;
    assert!(raw.starts_with("HTTP/1.1 408"), "{raw:?}");
    let journal = h.server.admin().journal().await.unwrap();
    assert_eq!(journal[0].status, 408);
    assert_eq!(h.pull(ALICE, BOOK).await.status, 404, "nothing stored");
}

/// With few file descriptors, clients that send headers and then stall in the
/// body must not leave the server answering no one.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn stalled_clients_past_the_descriptor_limit_do_not_lock_others_out() {
    let served = started(
        tokio::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -n 64 && exec '{BIN}' serve --bind 127.0.0.1:0 --read-timeout 2"
            ))
            // Not piped: nothing reads it, and a full pipe would stall the server.
            .stderr(std::process::Stdio::null()),
    )
    .await;
    let url = served.url.clone();
    let addr = url.trim_start_matches("http://").to_owned();
    let stalled_head = format!(
        "PUT {} HTTP/1.1\r\nhost: x\r\ncontent-length: 200\r\n\r\n{{\"doc",
        Dialect::BookLore.push_path()
    );
    let mut stalled = Vec::new();
    for _ in 0..100 {
        if let Ok(mut s) = tokio::net::TcpStream::connect(&addr).await {
            let _ = s.write_all(stalled_head.as_bytes()).await;
            stalled.push(s);
        }
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(40))
        .build()
        .unwrap();
    let answer = client
        .get(format!("{url}{}", Dialect::BookLore.auth_path()))
        .header(protocol::HEADER_AUTH_USER, "demo")
        .header(
            protocol::HEADER_AUTH_KEY,
            protocol::key_for_password("demo"),
        )
        .send()
        .await;
    assert_eq!(
        answer
            .map(|a| a.status().as_u16())
            .map_err(|e| e.to_string()),
        Ok(200),
        "a well-behaved client is answered while {} stalled ones wait",
        stalled.len()
    );
}

#[tokio::test]
async fn connections_past_the_cap_wait_and_are_then_served() {
    let mut config = config(Dialect::BookLore);
    config.max_connections = 2;
    config.read_timeout = Duration::from_secs(1);
    let h = start(config).await;
    let addr = h.base.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"PUT /x HTTP/1.1\r\nhost: x\r\ncontent-length: 9\r\n\r\n")
            .await
            .unwrap();
        idle.push(s);
    }
    // Both slots are taken: the next client is answered once a stalled one times out.
    assert_eq!(h.auth(Some(ALICE)).await.status, 200);
    let journal = h.server.admin().journal().await.unwrap();
    assert_eq!(
        journal.iter().filter(|e| e.status == 408).count(),
        2,
        "both stalled clients were timed out: {journal:?}"
    );
}

// ---------------------------------------------------------------------------
// 6. User names that can register can sign in.

/// Sign in sending the name's UTF-8 bytes as they are, as KOReader does.
async fn auth_at(base: &str, dialect: Dialect, name: &str, password: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}{}", dialect.auth_path()))
        .header("accept", protocol::KOSYNC_ACCEPT)
        .header(
            protocol::HEADER_AUTH_USER,
            reqwest::header::HeaderValue::from_bytes(name.as_bytes()).expect("sendable bytes"),
        )
        .header(
            protocol::HEADER_AUTH_KEY,
            protocol::key_for_password(password),
        )
        .send()
        .await
        .expect("an answer")
        .status()
        .as_u16()
}

async fn auth_as(h: &Harness, name: &str, password: &str) -> u16 {
    auth_at(&h.base, h.dialect, name, password).await
}

#[tokio::test]
async fn k_reg_names_beyond_ascii_register_and_sign_in() {
    let h = kosync().await;
    for name in ["josé", "ａｌｉｃｅ", "ali\u{200b}ce", "Zoë Ångström"] {
        let created = h.create(name, "pw").await;
        assert_eq!(created.status, 201, "{name:?}: {}", created.body);
        assert_eq!(auth_as(&h, name, "pw").await, 200, "{name:?} signs in");
    }
}

#[tokio::test]
async fn k_reg_names_no_client_can_send_are_refused_with_2003() {
    let h = kosync().await;
    for name in [
        "alice ",
        " alice",
        "\talice",
        "al\u{0}ice",
        "al\nice",
        "al\u{7f}ice",
    ] {
        let created = h.create(name, "pw").await;
        assert_eq!(
            (created.status, created.body["code"].clone()),
            (403, json!(protocol::kosync_codes::INVALID_REQUEST)),
            "{name:?}: {}",
            created.body
        );
    }
    // The admin API refuses them too.
    let a = h
        .send(
            reqwest::Method::POST,
            "/__admin/users",
            None,
            Some(br#"{"name":"bob ","password":"x"}"#.to_vec()),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
}

#[tokio::test]
async fn serve_user_with_an_accent_signs_in_and_a_padded_name_is_refused() {
    let served = serve(&["--user", "josé:pw"]).await;
    let url = &served.url;
    assert_eq!(auth_at(url, Dialect::BookLore, "josé", "pw").await, 200);
    let (code, stderr) = serve_fails(&["--user", " ann:pw"]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("ann"), "{stderr}");
}

// ---------------------------------------------------------------------------
// 7. What the documentation promised and the server did not do.

#[tokio::test]
async fn adding_a_book_in_any_document_mode_is_refused_saying_why() {
    let h = start(config(Dialect::BookLore)).await;
    let a = h
        .send(
            reqwest::Method::POST,
            "/__admin/books",
            None,
            Some(json!({ "document": OTHER_BOOK }).to_string().into_bytes()),
        )
        .await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(
        a.body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("--books"),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn every_fault_route_answers_the_list() {
    let h = booklore().await;
    let admin =
        |m: reqwest::Method, body: Option<Vec<u8>>| h.send(m, "/__admin/faults", None, body);
    let added = admin(
        reqwest::Method::POST,
        Some(br#"{"status":500,"times":1}"#.to_vec()),
    )
    .await;
    assert!(added.body.is_array(), "{}", added.body);
    assert!(admin(reqwest::Method::GET, None).await.body.is_array());
    let cleared = admin(reqwest::Method::DELETE, None).await;
    assert_eq!((cleared.status, cleared.body), (200, json!([])));
}

#[tokio::test]
async fn the_clock_refuses_times_before_the_epoch() {
    let h = booklore().await;
    let clock = |body: &str| {
        h.send(
            reqwest::Method::POST,
            "/__admin/clock",
            None,
            Some(body.as_bytes().to_vec()),
        )
    };
    assert_eq!(clock(r#"{"set":-1}"#).await.status, 400);
    assert_eq!(clock(r#"{"set":100}"#).await.status, 200);
    assert_eq!(clock(r#"{"advance":-101}"#).await.status, 400);
    assert_eq!(h.server.admin().clock().await.unwrap(), 100, "unchanged");
    assert_eq!(clock(r#"{"advance":-100}"#).await.status, 200);
    assert_eq!(h.server.admin().clock().await.unwrap(), 0);
}

#[tokio::test]
async fn kosync_only_flags_are_refused_in_the_booklore_dialect() {
    for flag in ["--strict-accept", "--no-registration"] {
        let (code, stderr) = serve_fails(&[flag]).await;
        assert_eq!(code, Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains("kosync"),
            "{stderr}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = serve_fails(&[
        "--dialect",
        "kosync",
        "--books",
        dir.path().to_str().unwrap(),
    ])
    .await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--books"), "{stderr}");
}

#[tokio::test]
async fn a_wrong_method_on_an_admin_route_is_405_naming_the_allowed_ones() {
    let h = booklore().await;
    for (method, path, allowed) in [
        (reqwest::Method::GET, "/__admin/reset", "POST"),
        (reqwest::Method::PUT, "/__admin/faults", "GET, POST, DELETE"),
        (reqwest::Method::DELETE, "/__admin/journal", "GET"),
    ] {
        let a = h
            .http
            .request(method.clone(), h.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(a.status(), 405, "{method} {path}");
        assert_eq!(
            a.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allowed),
            "{method} {path}"
        );
    }
    let unknown = h.http.get(h.url("/__admin/nothing")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn users_and_books_added_at_run_time_survive_a_restart_with_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("progress.sqlite");
    let with_data = |dialect| {
        let mut config = config_with_library(dialect);
        config.data = Some(data.clone());
        config
    };
    let stranger = "00000000000000000000000000000042";
    {
        let h = start(with_data(Dialect::BookLore)).await;
        let admin = h.server.admin();
        admin
            .add_user(&kosync_contract::server::UserSpec::with_password(
                "erin", "erin-pw",
            ))
            .await
            .unwrap();
        admin.add_book(stranger).await.unwrap();
        h.server.shutdown().await;
    }
    {
        let h = start(with_data(Dialect::BookLore)).await;
        assert_eq!(h.auth(Some(("erin", "erin-pw"))).await.status, 200);
        let pushed = h
            .push(("erin", "erin-pw"), &push_body(stranger, 0.5, "p"))
            .await;
        assert_eq!(pushed.status, 200, "the added book is still in the library");
        h.server.shutdown().await;
    }
    {
        let h = start(with_data(Dialect::Kosync)).await;
        assert_eq!(h.create("frank", "frank-pw").await.status, 201);
        h.server.shutdown().await;
    }
    let h = start(with_data(Dialect::Kosync)).await;
    assert_eq!(h.auth(Some(("frank", "frank-pw"))).await.status, 200);
    assert_eq!(h.create("frank", "other").await.status, 402, "still taken");
}
