//! The admin API: journal, reset, faults, clock, users, books, and who may use it.

use crate::server_support;

use std::time::{Duration, Instant};

use kosync_contract::protocol::Dialect;
use kosync_contract::server::{AdminClient, Fault, UserSpec};
use reqwest::Method;
use serde_json::json;
use server_support::*;

#[tokio::test]
async fn journal_records_requests_in_arrival_order_with_parsed_bodies() {
    let h = booklore().await;
    let body = push_body(BOOK, 0.5, "/body/p[1]");
    h.auth(Some(ALICE)).await;
    h.push(ALICE, &body).await;
    h.push_raw(ALICE, b"not json at all").await;
    h.pull(ALICE, BOOK).await;
    let journal = h.server.admin().journal().await.unwrap();
    let seen: Vec<(String, String, u16)> = journal
        .iter()
        .map(|e| (e.method.clone(), e.path.clone(), e.status))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("GET".into(), Dialect::BookLore.auth_path(), 200),
            ("PUT".into(), Dialect::BookLore.push_path(), 200),
            ("PUT".into(), Dialect::BookLore.push_path(), 400),
            ("GET".into(), Dialect::BookLore.pull_path(BOOK), 200),
        ]
    );
    assert_eq!(journal[0].body, serde_json::Value::Null);
    assert_eq!(journal[1].body, body, "parsed JSON");
    assert_eq!(journal[2].body, json!("not json at all"), "text kept");
    assert_eq!(
        journal[1].headers.get("x-auth-user").map(String::as_str),
        Some("alice")
    );
    assert!(journal[1]
        .headers
        .keys()
        .all(|k| k == &k.to_ascii_lowercase()));
}

#[tokio::test]
async fn journal_at_is_the_server_clock_and_admin_calls_are_not_journaled() {
    let h = booklore().await;
    let admin = h.server.admin();
    admin.set_clock(1_234_567).await.unwrap();
    h.pull(ALICE, BOOK).await;
    admin.advance_clock(10).await.unwrap();
    h.pull(ALICE, BOOK).await;
    let journal = admin.journal().await.unwrap();
    assert_eq!(
        journal.iter().map(|e| e.at).collect::<Vec<_>>(),
        [1_234_567, 1_234_577]
    );
}

#[tokio::test]
async fn journal_is_bounded_and_drops_the_oldest() {
    let mut config = config_with_library(Dialect::BookLore);
    config.journal_limit = 5;
    let h = start(config).await;
    for i in 0..8 {
        h.send(Method::GET, &format!("/nothing/{i}"), None, None)
            .await;
    }
    let paths: Vec<String> = h
        .server
        .admin()
        .journal()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(
        paths,
        [
            "/nothing/3",
            "/nothing/4",
            "/nothing/5",
            "/nothing/6",
            "/nothing/7"
        ]
    );
}

#[tokio::test]
async fn reset_empties_store_journal_faults_and_keeps_users_and_books() {
    let h = booklore().await;
    let admin = h.server.admin();
    let extra = "abcdefabcdefabcdefabcdefabcdef00";
    admin
        .add_user(&UserSpec::with_password("erin", "erin-pw"))
        .await
        .unwrap();
    admin.add_book(extra).await.unwrap();
    assert_eq!(
        h.push(("erin", "erin-pw"), &push_body(extra, 0.5, "1"))
            .await
            .status,
        200
    );
    admin
        .add_fault(&Fault {
            path: Some("/elsewhere".into()),
            status: Some(500),
            ..Fault::default()
        })
        .await
        .unwrap();
    admin.reset().await.unwrap();
    assert!(admin.journal().await.unwrap().is_empty());
    // The user and the book survive; the progress does not.
    let pull = h.pull(("erin", "erin-pw"), extra).await;
    assert_eq!(pull.status, 404);
    assert!(
        pull.body["message"]
            .as_str()
            .unwrap()
            .contains("No progress"),
        "{}",
        pull.body
    );
    // The fault is gone.
    assert_eq!(
        h.send(Method::GET, "/elsewhere", None, None).await.status,
        404
    );
}

#[tokio::test]
async fn fault_status_times_then_heals_and_nothing_is_stored_meanwhile() {
    let h = booklore().await;
    let admin = h.server.admin();
    admin
        .add_fault(&Fault {
            method: Some("PUT".into()),
            path: Some(Dialect::BookLore.push_path()),
            status: Some(500),
            times: Some(2),
            ..Fault::default()
        })
        .await
        .unwrap();
    // A pull is not matched by a PUT fault.
    assert_eq!(h.pull(ALICE, BOOK).await.status, 404);
    assert_eq!(h.push(ALICE, &push_body(BOOK, 0.5, "1")).await.status, 500);
    assert_eq!(
        admin.faults().await.unwrap()[0].times,
        Some(1),
        "one use left"
    );
    assert_eq!(h.push(ALICE, &push_body(BOOK, 0.5, "2")).await.status, 500);
    assert!(
        admin.faults().await.unwrap().is_empty(),
        "used up after two"
    );
    assert_eq!(
        h.pull(ALICE, BOOK).await.status,
        404,
        "faulted pushes stored nothing"
    );
    assert_eq!(
        h.push(ALICE, &push_body(BOOK, 0.5, "3")).await.status,
        200,
        "healed"
    );
    let statuses: Vec<u16> = admin
        .journal()
        .await
        .unwrap()
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(
        statuses,
        [404, 500, 500, 404, 200],
        "faulted requests are journaled"
    );
}

#[tokio::test]
async fn fault_body_is_served_raw() {
    let h = booklore().await;
    let admin = h.server.admin();
    admin
        .add_fault(&Fault {
            path: Some(Dialect::BookLore.pull_path(BOOK)),
            status: Some(200),
            body: Some("{\"percentage\": \"garbage".into()),
            times: Some(1),
            ..Fault::default()
        })
        .await
        .unwrap();
    let a = h.pull(ALICE, BOOK).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, json!("{\"percentage\": \"garbage"));
    assert_eq!(h.pull(ALICE, BOOK).await.status, 404, "used up");
}

#[tokio::test]
async fn fault_forever_until_cleared_and_any_path() {
    let h = booklore().await;
    let admin = h.server.admin();
    admin
        .add_fault(&Fault {
            status: Some(503),
            ..Fault::default()
        })
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(h.auth(Some(ALICE)).await.status, 503);
    }
    // Admin calls are never faulted.
    assert!(admin.clock().await.is_ok());
    admin.clear_faults().await.unwrap();
    assert_eq!(h.auth(Some(ALICE)).await.status, 200);
}

#[tokio::test]
async fn fault_delay_then_normal_answer() {
    let h = booklore().await;
    let admin = h.server.admin();
    admin
        .add_fault(&Fault {
            delay_ms: Some(300),
            times: Some(1),
            ..Fault::default()
        })
        .await
        .unwrap();
    let started = Instant::now();
    let a = h.push(ALICE, &push_body(BOOK, 0.5, "late")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(a.status, 200, "a delay alone still processes the request");
    assert_eq!(h.pull(ALICE, BOOK).await.body["progress"], json!("late"));
}

#[tokio::test]
async fn fault_drop_closes_the_connection_without_answering() {
    let h = booklore().await;
    let admin = h.server.admin();
    admin
        .add_fault(&Fault {
            method: Some("PUT".into()),
            drop: true,
            times: Some(1),
            ..Fault::default()
        })
        .await
        .unwrap();
    let result = h
        .http
        .put(h.url(&Dialect::BookLore.push_path()))
        .body(push_body(BOOK, 0.5, "x").to_string())
        .send()
        .await;
    assert!(result.is_err(), "expected no answer, got {result:?}");
    // Over a raw socket: the connection closes with zero bytes answered.
    admin
        .add_fault(&Fault {
            drop: true,
            times: Some(1),
            ..Fault::default()
        })
        .await
        .unwrap();
    let raw = raw_exchange(
        &h.base,
        b"GET /x HTTP/1.1\r\nhost: x\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(raw, "");
    let journal = admin.journal().await.unwrap();
    assert_eq!(
        journal.iter().map(|e| e.status).collect::<Vec<_>>(),
        [0, 0],
        "dropped = status 0"
    );
    assert_eq!(
        h.pull(ALICE, BOOK).await.status,
        404,
        "the dropped push stored nothing"
    );
}

#[tokio::test]
async fn faults_are_validated() {
    let h = booklore().await;
    for body in [
        json!({}),
        json!({ "status": 42 }),
        json!({ "status": 500, "times": 0 }),
        json!({ "status": 500, "colour": "red" }),
        json!({ "status": "500" }),
    ] {
        let a = h
            .send(
                Method::POST,
                "/__admin/faults",
                None,
                Some(body.to_string().into_bytes()),
            )
            .await;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
        assert!(a.body["error"].is_string());
    }
}

#[tokio::test]
async fn clock_set_advance_and_real() {
    let h = booklore().await;
    let admin = h.server.admin();
    admin.set_clock(1_000_000).await.unwrap();
    assert_eq!(admin.clock().await.unwrap(), 1_000_000);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(admin.clock().await.unwrap(), 1_000_000, "frozen");
    admin.advance_clock(25).await.unwrap();
    assert_eq!(admin.clock().await.unwrap(), 1_000_025);
    admin.real_clock().await.unwrap();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((admin.clock().await.unwrap() - wall).abs() <= 2);
    // The wire format of the clock endpoint.
    let a = h.send(Method::GET, "/__admin/clock", None, None).await;
    assert!(a.body["now"].is_i64());
    for bad in [
        json!({}),
        json!({ "set": 1, "advance": 2 }),
        json!({ "real": false }),
        json!({ "set": "x" }),
    ] {
        let a = h
            .send(
                Method::POST,
                "/__admin/clock",
                None,
                Some(bad.to_string().into_bytes()),
            )
            .await;
        assert_eq!(a.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn users_can_be_added_by_password_or_key_and_disabled() {
    let h = booklore().await;
    let add = |body: serde_json::Value| {
        h.send(
            Method::POST,
            "/__admin/users",
            None,
            Some(body.to_string().into_bytes()),
        )
    };
    assert_eq!(
        add(json!({ "name": "frank", "password": "pw" }))
            .await
            .status,
        200
    );
    assert_eq!(h.auth(Some(("frank", "pw"))).await.status, 200);
    let key = kosync_contract::protocol::key_for_password("gpw");
    assert_eq!(
        add(json!({ "name": "gina", "key": key, "sync_enabled": false }))
            .await
            .status,
        200
    );
    assert_eq!(
        h.push(("gina", "gpw"), &push_body(BOOK, 0.5, "1"))
            .await
            .status,
        401
    );
    // Replacing a user changes the password.
    assert_eq!(
        add(json!({ "name": "frank", "password": "new" }))
            .await
            .status,
        200
    );
    assert_eq!(h.auth(Some(("frank", "pw"))).await.status, 403);
    for bad in [
        json!({ "name": "" , "password": "x"}),
        json!({ "name": "h" }),
        json!({ "name": "h", "password": "a", "key": "b" }),
    ] {
        assert_eq!(add(bad.clone()).await.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn books_can_be_added_and_malformed_hashes_are_refused() {
    let h = booklore().await;
    let new = "99999999999999999999999999999999";
    assert_eq!(h.push(ALICE, &push_body(new, 0.5, "1")).await.status, 404);
    h.server.admin().add_book(new).await.unwrap();
    assert_eq!(h.push(ALICE, &push_body(new, 0.5, "1")).await.status, 200);
    let bad = h
        .send(
            Method::POST,
            "/__admin/books",
            None,
            Some(br#"{"document":"NOT-A-HASH"}"#.to_vec()),
        )
        .await;
    assert_eq!(bad.status, 400);
    let listed = h.send(Method::GET, "/__admin/books", None, None).await;
    assert!(listed.body["documents"]
        .as_array()
        .unwrap()
        .contains(&json!(new)));
}

#[tokio::test]
async fn admin_token_is_required_when_configured() {
    let mut config = config(Dialect::BookLore);
    config.admin_token = Some("s3cret".into());
    let h = start(config).await;
    assert!(
        h.server.admin().journal().await.is_ok(),
        "the server's own client carries the token"
    );
    let anonymous = AdminClient::new(&h.base, None);
    let err = anonymous.journal().await.unwrap_err().to_string();
    assert!(err.contains("401"), "{err}");
    let wrong = AdminClient::new(&h.base, Some("guess".into()));
    assert!(wrong.reset().await.is_err());
    let header = h
        .http
        .get(h.url("/__admin/clock"))
        .header("x-admin-token", "s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(header.status(), 200);
}

/// A non-loopback address of this machine, if it has one.
fn non_loopback_ip() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn admin_answers_loopback_only_without_a_token() {
    let mut config = config(Dialect::BookLore);
    config.bind = "0.0.0.0:0".parse().unwrap();
    let h = start(config).await;
    assert!(
        h.server.admin().clock().await.is_ok(),
        "loopback is allowed"
    );
    let Some(ip) = non_loopback_ip() else {
        eprintln!("no non-loopback address on this machine; only loopback checked");
        return;
    };
    let from_lan = format!("http://{}:{}", ip, h.server.addr().port());
    let err = AdminClient::new(&from_lan, None)
        .clock()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("403"), "{err}");
    // The sync routes themselves are reachable from the network.
    let a = h
        .http
        .get(format!("{from_lan}{}", Dialect::BookLore.auth_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        a.status(),
        403,
        "refused for missing credentials, not for the address"
    );
}

#[tokio::test]
async fn admin_unknown_route_is_404() {
    let h = booklore().await;
    assert_eq!(
        h.send(Method::GET, "/__admin/nothing", None, None)
            .await
            .status,
        404
    );
    assert_eq!(
        h.send(Method::GET, "/__admin", None, None).await.status,
        404
    );
}
