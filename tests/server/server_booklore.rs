//! The fake server in BookLore's dialect against every S-rule of the contract.

use crate::server_support;

use kosync_contract::protocol::{self, Dialect};
use reqwest::Method;
use serde_json::{json, Value};
use server_support::*;

/// The progress a user sees for a document, or the status when there is none.
async fn stored(h: &Harness, user: (&str, &str), document: &str) -> Result<Value, u16> {
    let answer = h.pull(user, document).await;
    if answer.status == 200 {
        Ok(answer.body)
    } else {
        Err(answer.status)
    }
}

#[tokio::test]
async fn s_auth_1_auth_names_the_user() {
    let h = booklore().await;
    let a = h.auth(Some(ALICE)).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, json!({ "username": "alice" }));
}

#[tokio::test]
async fn s_auth_1_key_is_compared_ignoring_case() {
    let h = booklore().await;
    let upper = protocol::key_for_password(ALICE.1).to_ascii_uppercase();
    let response = h
        .http
        .get(h.url(&Dialect::BookLore.auth_path()))
        .header(protocol::HEADER_AUTH_USER, ALICE.0)
        .header(protocol::HEADER_AUTH_KEY, upper)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn s_auth_2_bad_credentials_refused_everywhere_and_nothing_stored() {
    let h = booklore().await;
    let body = push_body(BOOK, 0.4, "/body/p[4]").to_string().into_bytes();
    let cases: [(&str, Option<(&str, &str)>); 3] = [
        ("missing headers", None),
        ("unknown user", Some(("mallory", "whatever"))),
        ("wrong password", Some((ALICE.0, "not-alice-secret"))),
    ];
    for (what, user) in cases {
        let auth = h.auth(user).await;
        let push = h
            .send(
                Method::PUT,
                &Dialect::BookLore.push_path(),
                user,
                Some(body.clone()),
            )
            .await;
        let pull = h
            .send(Method::GET, &Dialect::BookLore.pull_path(BOOK), user, None)
            .await;
        for (route, a) in [("auth", &auth), ("push", &push), ("pull", &pull)] {
            assert!(
                a.status == 401 || a.status == 403,
                "{what} on {route}: expected 401/403, got {} {}",
                a.status,
                a.body
            );
            assert!(
                !a.body.to_string().contains("/body/p"),
                "{what} on {route} revealed progress"
            );
        }
    }
    assert_eq!(stored(&h, ALICE, BOOK).await, Err(404), "nothing stored");
}

#[tokio::test]
async fn s_auth_2_only_one_header_is_not_enough() {
    let h = booklore().await;
    let response = h
        .http
        .get(h.url(&Dialect::BookLore.auth_path()))
        .header(protocol::HEADER_AUTH_USER, ALICE.0)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn s_push_1_valid_push_answers_200() {
    let h = booklore().await;
    let a = h.push(ALICE, &push_body(BOOK, 0.25, "12")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, json!({ "status": "progress updated" }));
}

#[tokio::test]
async fn s_push_1_device_fields_are_optional_in_booklore() {
    let h = booklore().await;
    let a = h
        .push(
            ALICE,
            &json!({ "document": BOOK, "percentage": 0.5, "progress": "7" }),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn s_pull_1_pull_after_push_has_every_field_and_the_exact_progress() {
    let h = booklore().await;
    let progress = "  /body/DocFragment[12]/body/div/p[3]/text().17 — «ünï» \t";
    assert_eq!(
        h.push(ALICE, &push_body(BOOK, 0.4321, progress))
            .await
            .status,
        200
    );
    let a = h.pull(ALICE, BOOK).await;
    assert_eq!(a.status, 200);
    let body = a.body.as_object().expect("an object");
    for field in protocol::PROGRESS_FIELDS {
        assert!(body.contains_key(field), "missing {field}: {}", a.body);
    }
    assert_eq!(body["document"], json!(BOOK));
    assert_eq!(body["percentage"].as_f64(), Some(0.4321));
    assert_eq!(body["progress"], json!(progress), "byte for byte");
    assert!(body["timestamp"].is_i64());
    // BookLore names itself as the device on every pull.
    assert_eq!(body["device"], json!("BookLore"));
    assert_eq!(body["device_id"], json!("BookLore"));
}

#[tokio::test]
async fn s_pull_2_no_progress_is_404() {
    let h = booklore().await;
    let a = h.pull(ALICE, BOOK).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body["status"], json!(404));
    assert!(a.body["message"].as_str().unwrap().contains("No progress"));
}

#[tokio::test]
async fn s_pull_3_zero_and_one_read_back_as_numbers() {
    let h = booklore().await;
    for (document, percentage) in [(BOOK, 0.0), (OTHER_BOOK, 1.0)] {
        assert_eq!(
            h.push(ALICE, &push_body(document, percentage, "1"))
                .await
                .status,
            200
        );
        let body = stored(&h, ALICE, document).await.unwrap();
        assert_eq!(body["percentage"].as_f64(), Some(percentage), "{body}");
    }
    // An integer 0 on the wire is a number too.
    let raw = format!(r#"{{"document":"{BOOK}","percentage":0,"progress":"1"}}"#);
    assert_eq!(h.push_raw(ALICE, raw.as_bytes()).await.status, 200);
    assert_eq!(
        stored(&h, ALICE, BOOK).await.unwrap()["percentage"].as_f64(),
        Some(0.0)
    );
}

#[tokio::test]
async fn s_book_1_unknown_book_is_404_on_pull_and_push_and_nothing_stored() {
    let h = booklore().await;
    let stranger = "00000000000000000000000000000abc";
    let push = h.push(ALICE, &push_body(stranger, 0.5, "3")).await;
    assert_eq!(push.status, 404, "{}", push.body);
    assert!(push.body["message"]
        .as_str()
        .unwrap()
        .contains("Book not found"));
    let pull = h.pull(ALICE, stranger).await;
    assert_eq!(pull.status, 404);
    assert!(pull.body["message"]
        .as_str()
        .unwrap()
        .contains("Book not found"));
    // Once the book is in the library, there is still no progress: nothing was kept.
    h.server.admin().add_book(stranger).await.unwrap();
    let after = h.pull(ALICE, stranger).await;
    assert_eq!(after.status, 404);
    assert!(after.body["message"]
        .as_str()
        .unwrap()
        .contains("No progress"));
}

#[tokio::test]
async fn s_book_1_any_document_still_refuses_malformed_hashes() {
    let h = start(config(Dialect::BookLore)).await;
    assert_eq!(
        h.push(ALICE, &push_body(OTHER_BOOK, 0.5, "3")).await.status,
        200
    );
    for bad in [
        "ABCDEF0123456789ABCDEF0123456789",
        "short",
        "0123456789abcdef0123456789abcdeg",
    ] {
        assert_eq!(
            h.push(ALICE, &push_body(bad, 0.5, "3")).await.status,
            404,
            "{bad}"
        );
        assert_eq!(h.pull(ALICE, bad).await.status, 404, "{bad}");
    }
}

#[tokio::test]
async fn s_iso_1_progress_is_per_user() {
    let h = booklore().await;
    assert_eq!(
        h.push(ALICE, &push_body(BOOK, 0.7, "alice-place"))
            .await
            .status,
        200
    );
    assert_eq!(
        stored(&h, BOB, BOOK).await,
        Err(404),
        "bob reads nothing of alice's"
    );
    assert_eq!(
        h.push(BOB, &push_body(BOOK, 0.1, "bob-place")).await.status,
        200
    );
    assert_eq!(
        stored(&h, ALICE, BOOK).await.unwrap()["progress"],
        json!("alice-place")
    );
    assert_eq!(
        stored(&h, BOB, BOOK).await.unwrap()["progress"],
        json!("bob-place")
    );
}

#[tokio::test]
async fn s_lww_1_last_push_wins_even_when_lower() {
    let h = booklore().await;
    assert_eq!(
        h.push(ALICE, &push_body(BOOK, 0.9, "far")).await.status,
        200
    );
    assert_eq!(
        h.push(ALICE, &push_body(BOOK, 0.2, "near")).await.status,
        200
    );
    let body = stored(&h, ALICE, BOOK).await.unwrap();
    assert_eq!(body["percentage"].as_f64(), Some(0.2));
    assert_eq!(body["progress"], json!("near"));
}

#[tokio::test]
async fn s_ts_1_timestamp_is_server_seconds_not_the_clients() {
    let h = booklore().await;
    let admin = h.server.admin();
    admin.set_clock(1_750_000_000).await.unwrap();
    // The body claims 1_600_000_000; the server must stamp its own time.
    assert_eq!(h.push(ALICE, &push_body(BOOK, 0.3, "1")).await.status, 200);
    let body = stored(&h, ALICE, BOOK).await.unwrap();
    assert_eq!(body["timestamp"], json!(1_750_000_000));
}

#[tokio::test]
async fn s_ts_1_timestamp_is_whole_seconds_near_wall_time() {
    let h = booklore().await;
    assert_eq!(h.push(ALICE, &push_body(BOOK, 0.3, "1")).await.status, 200);
    let ts = stored(&h, ALICE, BOOK).await.unwrap()["timestamp"]
        .as_i64()
        .unwrap();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (ts - wall).abs() <= 2,
        "timestamp {ts} is not seconds near {wall}"
    );
}

#[tokio::test]
async fn s_ts_1_timestamp_never_goes_back() {
    let h = booklore().await;
    let admin = h.server.admin();
    admin.set_clock(2_000_000_000).await.unwrap();
    assert_eq!(h.push(ALICE, &push_body(BOOK, 0.3, "1")).await.status, 200);
    admin.set_clock(1_900_000_000).await.unwrap();
    assert_eq!(h.push(ALICE, &push_body(BOOK, 0.4, "2")).await.status, 200);
    let body = stored(&h, ALICE, BOOK).await.unwrap();
    assert_eq!(body["progress"], json!("2"), "the later push is kept");
    assert_eq!(
        body["timestamp"],
        json!(2_000_000_000),
        "but its time is not earlier"
    );
    admin.advance_clock(200_000_000).await.unwrap();
    assert_eq!(h.push(ALICE, &push_body(BOOK, 0.5, "3")).await.status, 200);
    assert_eq!(
        stored(&h, ALICE, BOOK).await.unwrap()["timestamp"],
        json!(2_100_000_000)
    );
}

#[tokio::test]
async fn s_ct_1_s_ct_2_every_answer_is_exactly_application_json() {
    let h = booklore().await;
    let answers = [
        h.auth(Some(ALICE)).await,
        h.auth(None).await,
        h.push(ALICE, &push_body(BOOK, 0.5, "1")).await,
        h.pull(ALICE, BOOK).await,
        h.pull(ALICE, OTHER_BOOK).await,
        h.push_raw(ALICE, b"{nope").await,
        h.create_raw(b"{}".to_vec()).await,
        h.send(Method::GET, "/api/koreader/nothing-here", Some(ALICE), None)
            .await,
    ];
    for a in answers {
        assert_eq!(
            a.content_type.as_deref(),
            Some("application/json"),
            "status {} body {}",
            a.status,
            a.body
        );
        assert!(a.body.is_object(), "a JSON object: {}", a.body);
    }
}

#[tokio::test]
async fn s_reg_1_create_is_refused() {
    let h = booklore().await;
    let a = h.create("eve", "x").await;
    assert_eq!(a.status, 403);
    assert_eq!(
        a.body,
        json!({ "error": "User registration via Koreader is disabled" })
    );
    assert_eq!(
        h.auth(Some(("eve", "x"))).await.status,
        403,
        "eve was not created"
    );
}

#[tokio::test]
async fn s_off_1_sync_disabled_user_gets_401_and_nothing_is_stored() {
    let h = booklore().await;
    let push = h.push(CAROL, &push_body(BOOK, 0.6, "6")).await;
    assert_eq!(push.status, 401, "{}", push.body);
    assert!(push.body["message"].as_str().unwrap().contains("disabled"));
    assert_eq!(h.pull(CAROL, BOOK).await.status, 401);
    // Enable her: still no progress, because the refused push stored nothing.
    let mut carol = kosync_contract::server::UserSpec::with_password(CAROL.0, CAROL.1);
    carol.sync_enabled = true;
    h.server.admin().add_user(&carol).await.unwrap();
    assert_eq!(stored(&h, CAROL, BOOK).await, Err(404));
}

/// Bodies a correct server refuses with 400.
fn malformed_pushes() -> Vec<(&'static str, Vec<u8>)> {
    let ok = |v: Value| v.to_string().into_bytes();
    vec![
        ("empty body", Vec::new()),
        ("not JSON", b"{\"document\": ".to_vec()),
        ("not UTF-8", vec![0xff, 0xfe, 0x00]),
        ("array", ok(json!([push_body(BOOK, 0.5, "1")]))),
        ("string", ok(json!("hello"))),
        ("null", b"null".to_vec()),
        ("number", b"42".to_vec()),
        (
            "missing document",
            ok(json!({ "percentage": 0.5, "progress": "1" })),
        ),
        (
            "document a number",
            ok(json!({ "document": 5, "percentage": 0.5, "progress": "1" })),
        ),
        (
            "empty document",
            ok(json!({ "document": "", "percentage": 0.5, "progress": "1" })),
        ),
        (
            "missing percentage",
            ok(json!({ "document": BOOK, "progress": "1" })),
        ),
        (
            "null percentage",
            ok(json!({ "document": BOOK, "percentage": null, "progress": "1" })),
        ),
        (
            "percentage a string",
            ok(json!({ "document": BOOK, "percentage": "0.5", "progress": "1" })),
        ),
        (
            "percentage a bool",
            ok(json!({ "document": BOOK, "percentage": true, "progress": "1" })),
        ),
        (
            "missing progress",
            ok(json!({ "document": BOOK, "percentage": 0.5 })),
        ),
        (
            "progress a number",
            ok(json!({ "document": BOOK, "percentage": 0.5, "progress": 12 })),
        ),
        (
            "device an object",
            ok(json!({ "document": BOOK, "percentage": 0.5, "progress": "1", "device": {} })),
        ),
    ]
}

#[tokio::test]
async fn s_bad_1_malformed_pushes_are_400_never_5xx_and_store_nothing() {
    let h = booklore().await;
    for (what, body) in malformed_pushes() {
        let a = h.push_raw(ALICE, &body).await;
        assert_eq!(a.status, 400, "{what}: {}", a.body);
        assert_eq!(
            a.content_type.as_deref(),
            Some("application/json"),
            "{what}"
        );
        assert_eq!(a.body["status"], json!(400), "{what}");
    }
    assert_eq!(stored(&h, ALICE, BOOK).await, Err(404));
}

#[tokio::test]
async fn s_bad_2_percentage_outside_0_1_is_400() {
    let h = booklore().await;
    for percentage in [-0.01, 1.0001, 2.0, -1e300, 1e300] {
        let a = h.push(ALICE, &push_body(BOOK, percentage, "1")).await;
        assert_eq!(a.status, 400, "{percentage}: {}", a.body);
    }
    assert_eq!(stored(&h, ALICE, BOOK).await, Err(404));
}

#[tokio::test]
async fn s_conc_1_concurrent_pushes_lose_nothing_and_never_mix() {
    let h = booklore().await;
    let pushes: Vec<Value> = (0..40)
        .map(|i| {
            json!({
                "document": BOOK,
                "percentage": f64::from(i) / 40.0,
                "progress": format!("/body/p[{i}]"),
                "device": format!("device-{i}"),
                "device_id": format!("ID{i}"),
            })
        })
        .collect();
    let answers = futures::future::join_all(pushes.iter().map(|b| h.push(ALICE, b))).await;
    assert!(answers.iter().all(|a| a.status == 200));
    let body = stored(&h, ALICE, BOOK).await.unwrap();
    let i: usize = body["progress"]
        .as_str()
        .and_then(|p| p.strip_prefix("/body/p["))
        .and_then(|p| p.strip_suffix(']'))
        .and_then(|p| p.parse().ok())
        .expect("one of the pushed markers");
    assert_eq!(
        body["percentage"].as_f64(),
        pushes[i]["percentage"].as_f64(),
        "same push, whole"
    );
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_404() {
    let h = booklore().await;
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/api/koreader"),
        (Method::GET, "/api/koreader/syncs/progress"),
        (Method::POST, "/api/koreader/syncs/progress"),
        (Method::GET, "/api/koreader/syncs/progress/a/b"),
        (Method::GET, "/users/auth"),
        (Method::GET, "/healthcheck"),
    ] {
        let a = h.send(method.clone(), path, Some(ALICE), None).await;
        assert_eq!(a.status, 404, "{method} {path}");
    }
}

#[tokio::test]
async fn sqlite_store_keeps_every_rule_of_the_memory_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_with_library(Dialect::BookLore);
    config.data = Some(dir.path().join("store.sqlite"));
    let h = start(config).await;
    h.server.admin().set_clock(1_760_000_000).await.unwrap();
    // S-PULL-2, S-PULL-3, S-LWW-1, S-ISO-1, S-TS-1 on disk.
    assert_eq!(stored(&h, ALICE, BOOK).await, Err(404));
    assert_eq!(
        h.push(ALICE, &push_body(BOOK, 1.0, "end")).await.status,
        200
    );
    assert_eq!(
        h.push(ALICE, &push_body(BOOK, 0.0, "  start "))
            .await
            .status,
        200
    );
    let body = stored(&h, ALICE, BOOK).await.unwrap();
    assert_eq!(body["percentage"].as_f64(), Some(0.0));
    assert_eq!(body["progress"], json!("  start "));
    assert_eq!(body["timestamp"], json!(1_760_000_000));
    assert_eq!(stored(&h, BOB, BOOK).await, Err(404));
    // S-CONC-1 through SQLite transactions.
    let answers = futures::future::join_all((0..20).map(|i| {
        let body = push_body(OTHER_BOOK, f64::from(i) / 20.0, &format!("m{i}"));
        let h = &h;
        async move { h.push(BOB, &body).await.status }
    }))
    .await;
    assert!(answers.iter().all(|s| *s == 200));
    let body = stored(&h, BOB, OTHER_BOOK).await.unwrap();
    let i: u32 = body["progress"].as_str().unwrap()[1..].parse().unwrap();
    assert_eq!(body["percentage"].as_f64(), Some(f64::from(i) / 20.0));
    // Reset empties the file store too.
    h.server.admin().reset().await.unwrap();
    assert_eq!(stored(&h, ALICE, BOOK).await, Err(404));
}
