//! The fake server in the reference kosync server's dialect: each difference
//! from BookLore the contract checks (K-… rules), plus the shared S-rules that
//! hold in both dialects.
//!
//! Test names start with the ids of the rules they check, as the catalogue
//! words them: K-REG-1 registration answers 201, K-REG-2 a taken name is
//! 402/2002, K-REG-3 registration turned off is 402/2005, K-AUTH-1 auth
//! answers `{"authorized":"OK"}`, K-AUTH-2 bad credentials are 401/2001,
//! K-PULL-1 no progress is 200 `{}`, K-PUSH-1 a push answers
//! `{"document","timestamp"}`, K-BAD-1 no numeric percentage, progress or
//! device is 403/2003, K-BAD-2 no document is 403/2004, K-BAD-3 invalid JSON is
//! 400/103 and a non-object 400/104, K-ERR-1 errors are `{"code","message"}`,
//! K-HEALTH-1 `/healthcheck`, K-ACCEPT-1 the vendor `Accept` is served by a
//! strict server, K-ACCEPT-2 a strict server answers 412/100 (missing) or
//! 412/101 (wrong), K-RT-1 device and device_id come back as pushed. Tests of
//! behaviour no rule names (invalid registrations, routing, the lenient
//! default) carry no id.

use crate::server_support;

use kosync_contract::protocol::{self, kosync_codes, Dialect};
use kosync_contract::server::ServerConfig;
use reqwest::Method;
use serde_json::{json, Value};
use server_support::*;

fn assert_error(a: &Answer, status: u16, code: u16) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.body["code"], json!(code), "{}", a.body);
    assert!(a.body["message"].is_string(), "K-ERR-1 message: {}", a.body);
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn k_reg_1_create_registers_the_user_with_201() {
    let h = kosync().await;
    let a = h.create("dave", "dave-pw").await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body, json!({ "username": "dave" }));
    assert_eq!(h.auth(Some(("dave", "dave-pw"))).await.status, 200);
}

#[tokio::test]
async fn k_reg_2_taken_name_is_402_code_2002() {
    let h = kosync().await;
    assert_eq!(h.create("dave", "one").await.status, 201);
    assert_error(
        &h.create("dave", "two").await,
        402,
        kosync_codes::USER_EXISTS,
    );
    assert_error(
        &h.create(ALICE.0, "x").await,
        402,
        kosync_codes::USER_EXISTS,
    );
    assert_eq!(
        h.auth(Some(("dave", "one"))).await.status,
        200,
        "first key kept"
    );
}

#[tokio::test]
async fn k_reg_3_no_registration_is_402_code_2005() {
    let mut config = config(Dialect::Kosync);
    config.registration = false;
    let h = start(config).await;
    assert_error(
        &h.create("dave", "x").await,
        402,
        kosync_codes::REGISTRATION_DISABLED,
    );
    assert_eq!(h.auth(Some(("dave", "x"))).await.status, 401);
}

#[tokio::test]
async fn invalid_registrations_are_refused() {
    let h = kosync().await;
    let bodies: [(&str, Vec<u8>); 4] = [
        ("colon in name", create_body("a:b", "x")),
        ("empty name", create_body("", "x")),
        (
            "no password",
            json!({ "username": "zed" }).to_string().into_bytes(),
        ),
        (
            "name a number",
            json!({ "username": 3, "password": "k" })
                .to_string()
                .into_bytes(),
        ),
    ];
    for (what, body) in bodies {
        let a = h.create_raw(body).await;
        assert_error(&a, 403, kosync_codes::INVALID_REQUEST);
        let _ = what;
    }
    let bad_json = h.create_raw(b"{".to_vec()).await;
    assert_error(&bad_json, 400, kosync_codes::INVALID_JSON);
}

#[tokio::test]
async fn k_auth_1_auth_answers_authorized_ok() {
    let h = kosync().await;
    let a = h.auth(Some(ALICE)).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, json!({ "authorized": "OK" }));
}

#[tokio::test]
async fn k_auth_2_bad_credentials_are_401_code_2001_on_every_route() {
    let h = kosync().await;
    let upper_key = protocol::key_for_password(ALICE.1).to_ascii_uppercase();
    for user in [None, Some(("mallory", "x")), Some((ALICE.0, "wrong"))] {
        assert_error(&h.auth(user).await, 401, kosync_codes::UNAUTHORIZED);
        let push = h
            .send(
                Method::PUT,
                &Dialect::Kosync.push_path(),
                user,
                Some(push_body(BOOK, 0.5, "1").to_string().into_bytes()),
            )
            .await;
        assert_error(&push, 401, kosync_codes::UNAUTHORIZED);
        let pull = h
            .send(Method::GET, &Dialect::Kosync.pull_path(BOOK), user, None)
            .await;
        assert_error(&pull, 401, kosync_codes::UNAUTHORIZED);
    }
    // The reference compares keys byte for byte: an uppercased key is wrong.
    let response = h
        .http
        .get(h.url(&Dialect::Kosync.auth_path()))
        .header(protocol::HEADER_AUTH_USER, ALICE.0)
        .header(protocol::HEADER_AUTH_KEY, upper_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(h.pull(ALICE, BOOK).await.body, json!({}), "nothing stored");
}

#[tokio::test]
async fn k_pull_1_unknown_document_is_200_empty_object() {
    let h = kosync().await;
    let a = h.pull(ALICE, BOOK).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, json!({}));
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn k_push_1_push_answers_document_and_timestamp() {
    let h = kosync().await;
    h.server.admin().set_clock(1_800_000_000).await.unwrap();
    let a = h.push(ALICE, &push_body(BOOK, 0.5, "/body/p[1]")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body,
        json!({ "document": BOOK, "timestamp": 1_800_000_000 })
    );
}

#[tokio::test]
async fn k_rt_1_pull_returns_the_pushing_device_and_optional_device_id() {
    let h = kosync().await;
    let body = json!({ "document": "any_id_9", "percentage": 0.0, "progress": "", "device": "PB" });
    assert_eq!(h.push(ALICE, &body).await.status, 200);
    let a = h.pull(ALICE, "any_id_9").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["device"], json!("PB"));
    assert_eq!(
        a.body["percentage"].as_f64(),
        Some(0.0),
        "S-PULL-3 in kosync"
    );
    assert_eq!(a.body["progress"], json!(""));
    assert!(a.body.get("device_id").is_none(), "{}", a.body);
    let with_id = push_body(BOOK, 0.5, "p");
    assert_eq!(h.push(ALICE, &with_id).await.status, 200);
    assert_eq!(
        h.pull(ALICE, BOOK).await.body["device_id"],
        with_id["device_id"]
    );
}

#[tokio::test]
async fn k_bad_3_invalid_json_is_400_code_103() {
    let h = kosync().await;
    for body in [&b"{oops"[..], b"", b"\xff\xfe"] {
        assert_error(
            &h.push_raw(ALICE, body).await,
            400,
            kosync_codes::INVALID_JSON,
        );
    }
}

#[tokio::test]
async fn k_bad_3_non_object_json_is_400_code_104() {
    let h = kosync().await;
    for body in ["[]", "[1,2]", "\"s\"", "7", "null"] {
        assert_error(
            &h.push_raw(ALICE, body.as_bytes()).await,
            400,
            kosync_codes::NOT_AN_OBJECT,
        );
    }
}

#[tokio::test]
async fn k_bad_1_k_bad_2_missing_fields_are_403_with_the_reference_codes_and_store_nothing() {
    let h = kosync().await;
    let document_missing: [Value; 3] = [
        json!({ "percentage": 0.5, "progress": "1", "device": "d" }),
        json!({ "document": "", "percentage": 0.5, "progress": "1", "device": "d" }),
        json!({ "document": 12, "percentage": 0.5, "progress": "1", "device": "d" }),
    ];
    for body in document_missing {
        assert_error(
            &h.push(ALICE, &body).await,
            403,
            kosync_codes::DOCUMENT_MISSING,
        );
    }
    let invalid: [Value; 6] = [
        json!({ "document": BOOK, "progress": "1", "device": "d" }),
        // Text Lua's tonumber does not read as a number ("0.5" it does: K-NUM-1).
        json!({ "document": BOOK, "percentage": "half", "progress": "1", "device": "d" }),
        json!({ "document": BOOK, "percentage": 0.5, "device": "d" }),
        json!({ "document": BOOK, "percentage": 0.5, "progress": "1" }),
        json!({ "document": BOOK, "percentage": 1.5, "progress": "1", "device": "d" }),
        json!({ "document": BOOK, "percentage": 0.5, "progress": "1", "device": "d", "device_id": 4 }),
    ];
    for body in invalid {
        assert_error(
            &h.push(ALICE, &body).await,
            403,
            kosync_codes::INVALID_REQUEST,
        );
    }
    assert_eq!(h.pull(ALICE, BOOK).await.body, json!({}));
}

#[tokio::test]
async fn k_health_1_healthcheck_answers_state_ok() {
    let h = kosync().await;
    let a = h.send(Method::GET, routes_healthcheck(), None, None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, json!({ "state": "OK" }));
}

fn routes_healthcheck() -> &'static str {
    protocol::routes::HEALTHCHECK
}

async fn without_accept(h: &Harness, accept: Option<&str>, path: &str) -> Answer {
    let mut request = h
        .http
        .get(h.url(path))
        .header(protocol::HEADER_AUTH_USER, ALICE.0)
        .header(
            protocol::HEADER_AUTH_KEY,
            protocol::key_for_password(ALICE.1),
        );
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    answer(request.send().await.unwrap()).await
}

#[tokio::test]
async fn k_accept_1_k_accept_2_a_strict_server_serves_the_vendor_type_and_refuses_others_with_412()
{
    let mut config = config(Dialect::Kosync);
    config.strict_accept = true;
    let h = start(config).await;
    let auth = Dialect::Kosync.auth_path();
    let raw = h.raw_auth_without_accept(ALICE).await;
    assert!(raw.starts_with("HTTP/1.1 412"), "{raw}");
    assert!(raw.contains(r#""code":100"#), "{raw}");
    assert_error(
        &without_accept(&h, Some("*/*"), &auth).await,
        412,
        kosync_codes::ACCEPT_MISMATCH,
    );
    assert_error(
        &without_accept(&h, Some("application/json"), &auth).await,
        412,
        kosync_codes::ACCEPT_MISMATCH,
    );
    assert_eq!(
        without_accept(&h, Some(protocol::KOSYNC_ACCEPT), &auth)
            .await
            .status,
        200
    );
    assert_eq!(
        without_accept(
            &h,
            Some("text/html, application/vnd.koreader.v1+json;q=0.9"),
            &auth
        )
        .await
        .status,
        200
    );
    // A refused push stores nothing.
    let push = h
        .http
        .put(h.url(&Dialect::Kosync.push_path()))
        .header(protocol::HEADER_AUTH_USER, ALICE.0)
        .header(
            protocol::HEADER_AUTH_KEY,
            protocol::key_for_password(ALICE.1),
        )
        .body(push_body(BOOK, 0.5, "1").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(push.status(), 412);
    assert_eq!(h.pull(ALICE, BOOK).await.body, json!({}));
}

#[tokio::test]
async fn accept_is_lenient_by_default() {
    let h = kosync().await;
    let a = without_accept(&h, None, &Dialect::Kosync.auth_path()).await;
    assert_eq!(a.status, 200);
    let b = without_accept(&h, Some("*/*"), &Dialect::Kosync.pull_path(BOOK)).await;
    assert_eq!(b.status, 200);
}

#[tokio::test]
async fn routes_at_the_root_and_unroutable_ids_are_plain_404() {
    let h = kosync().await;
    assert_eq!(
        h.send(Method::GET, "/api/koreader/users/auth", Some(ALICE), None)
            .await
            .status,
        404
    );
    // Pushable but never readable back: the reference's GET pattern is [A-Za-z0-9_]+.
    let dashed = "book-with.dots";
    let body = json!({ "document": dashed, "percentage": 0.5, "progress": "1", "device": "d" });
    assert_eq!(h.push(ALICE, &body).await.status, 200);
    let a = h.pull(ALICE, dashed).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.content_type.as_deref(), Some("text/plain"));
    let unknown = h.send(Method::GET, "/nothing", Some(ALICE), None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.content_type.as_deref(), Some("text/plain"));
}

#[tokio::test]
async fn s_rules_hold_in_kosync_too() {
    let h = kosync().await;
    let admin = h.server.admin();
    admin.set_clock(1_700_000_000).await.unwrap();
    // S-LWW-1 and S-TS-1
    assert_eq!(
        h.push(ALICE, &push_body(BOOK, 0.9, "far")).await.status,
        200
    );
    admin.advance_clock(5).await.unwrap();
    assert_eq!(
        h.push(ALICE, &push_body(BOOK, 0.1, "near")).await.status,
        200
    );
    let a = h.pull(ALICE, BOOK).await;
    assert_eq!(a.body["progress"], json!("near"));
    assert_eq!(a.body["timestamp"], json!(1_700_000_005));
    // S-ISO-1
    assert_eq!(h.pull(BOB, BOOK).await.body, json!({}));
    // S-OFF-1: a sync-disabled user is unauthorized in this dialect too.
    assert_error(
        &h.push(CAROL, &push_body(BOOK, 0.5, "c")).await,
        401,
        kosync_codes::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn kosync_ignores_the_book_policy() {
    // The reference has no library: even with a Known library every id is accepted.
    let mut config: ServerConfig = config_with_library(Dialect::Kosync);
    config.registration = true;
    let h = start(config).await;
    let stranger = "00000000000000000000000000000abc";
    assert_eq!(
        h.push(ALICE, &push_body(stranger, 0.5, "3")).await.status,
        200
    );
    assert_eq!(h.pull(ALICE, stranger).await.body["progress"], json!("3"));
}
