//! Misbehaving clients: oversized bodies (S-BAD-3), slow and half-sent
//! requests, garbage on the socket. The server must answer fast, never 5xx on
//! bad input, store nothing, and keep serving everyone else.

use crate::server_support;

use std::time::{Duration, Instant};

use kosync_contract::protocol::{self, Dialect, MAX_BODY_BYTES};
use serde_json::json;
use server_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn auth_headers() -> String {
    format!(
        "x-auth-user: {}\r\nx-auth-key: {}\r\n",
        ALICE.0,
        protocol::key_for_password(ALICE.1)
    )
}

#[tokio::test]
async fn s_bad_3_declared_huge_body_is_413_at_once_without_reading_it() {
    let h = booklore().await;
    let head = format!(
        "PUT {} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n{}content-length: 1000000000\r\n\r\n{{\"document\":",
        Dialect::BookLore.push_path(),
        auth_headers()
    );
    let started = Instant::now();
    let raw = raw_exchange(&h.base, head.as_bytes(), Duration::from_secs(5)).await;
    assert!(raw.starts_with("HTTP/1.1 413"), "got {raw:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(raw
        .to_ascii_lowercase()
        .contains("content-type: application/json"));
}

#[tokio::test]
async fn s_bad_3_ordinary_client_sending_100_kib_sees_413_and_nothing_is_stored() {
    let h = booklore().await;
    let padding = "x".repeat(100 * 1024);
    let a = h.push(ALICE, &push_body(BOOK, 0.5, &padding)).await;
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(h.pull(ALICE, BOOK).await.status, 404);
    let journal = h.server.admin().journal().await.unwrap();
    assert_eq!(journal[0].status, 413);
    assert_eq!(
        journal[0].body,
        serde_json::Value::Null,
        "the body was not kept"
    );
}

#[tokio::test]
async fn s_bad_3_chunked_body_past_the_limit_is_413() {
    let h = booklore().await;
    let addr = h.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nhost: x\r\n{}transfer-encoding: chunked\r\n\r\n",
        Dialect::BookLore.push_path(),
        auth_headers()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 16 * 1024];
    let mut sent = 0;
    // Send a little more than the limit, then stop (never finish the body).
    while sent <= MAX_BODY_BYTES {
        let frame = format!("{:x}\r\n", chunk.len());
        if stream.write_all(frame.as_bytes()).await.is_err()
            || stream.write_all(&chunk).await.is_err()
            || stream.write_all(b"\r\n").await.is_err()
        {
            break;
        }
        sent += chunk.len();
    }
    let mut out = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut out))
        .await
        .expect("an answer before the body ends")
        .unwrap();
    let text = String::from_utf8_lossy(&out[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
}

#[tokio::test]
async fn s_bad_3_body_just_under_the_limit_is_read() {
    let h = booklore().await;
    let mut body = push_body(BOOK, 0.5, "");
    let overhead = body.to_string().len();
    body["progress"] = json!("p".repeat(MAX_BODY_BYTES - overhead));
    assert_eq!(body.to_string().len(), MAX_BODY_BYTES);
    assert_eq!(h.push(ALICE, &body).await.status, 200);
}

#[tokio::test]
async fn kosync_oversized_body_is_413_too() {
    let h = kosync().await;
    let a = h
        .push(ALICE, &push_body(BOOK, 0.5, &"y".repeat(70_000)))
        .await;
    assert_eq!(a.status, 413);
}

#[tokio::test]
async fn a_client_stuck_mid_body_does_not_block_others() {
    let h = booklore().await;
    let addr = h.base.trim_start_matches("http://").to_owned();
    // Declare 500 bytes, send 10, then hold the connection open.
    let mut stuck = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nhost: x\r\n{}content-length: 500\r\n\r\n{{\"documen",
        Dialect::BookLore.push_path(),
        auth_headers()
    );
    stuck.write_all(head.as_bytes()).await.unwrap();
    // And one that sent half its headers.
    let mut half = tokio::net::TcpStream::connect(&addr).await.unwrap();
    half.write_all(b"GET /api/koreader/users/auth HTTP/1.1\r\nhost:")
        .await
        .unwrap();

    let started = Instant::now();
    let others = futures::future::join_all((0..10).map(|i| {
        let body = push_body(BOOK, f64::from(i) / 10.0, &i.to_string());
        let h = &h;
        async move { h.push(BOB, &body).await.status }
    }))
    .await;
    assert!(others.iter().all(|s| *s == 200), "{others:?}");
    assert_eq!(h.auth(Some(ALICE)).await.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );

    // The stuck push is in the journal's order only once answered; finishing it now works.
    let rest = format!("t\":\"{BOOK}\",\"percentage\":0.5,\"progress\":\"late\"}}");
    let mut tail = rest.into_bytes();
    tail.resize(500 - "{\"documen".len(), b' ');
    stuck.write_all(&tail).await.unwrap();
    let mut out = vec![0u8; 2048];
    let n = tokio::time::timeout(Duration::from_secs(5), stuck.read(&mut out))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&out[..n]).starts_with("HTTP/1.1 200"));
    assert_eq!(h.pull(ALICE, BOOK).await.body["progress"], json!("late"));
    // Arrival order: the stuck push arrived first, so it is listed first.
    let journal = h.server.admin().journal().await.unwrap();
    assert_eq!(journal[0].body["progress"], json!("late"));
    drop(half);
}

#[tokio::test]
async fn garbage_on_the_socket_gets_400_and_the_server_keeps_serving() {
    let h = booklore().await;
    let raw = raw_exchange(
        &h.base,
        b"\x16\x03\x01 this is not http\r\n\r\n",
        Duration::from_secs(3),
    )
    .await;
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw:?}");
    assert_eq!(h.auth(Some(ALICE)).await.status, 200);
}

#[tokio::test]
async fn bad_input_is_never_5xx_across_routes() {
    let h = booklore().await;
    let k = kosync().await;
    let weird: [&[u8]; 6] = [
        b"",
        b"{",
        b"[]",
        b"\"\\ud800\"",
        b"{\"document\":null}",
        &[0u8; 64],
    ];
    for server in [&h, &k] {
        for body in weird {
            for path in [server.dialect.push_path(), server.dialect.create_path()] {
                for method in [reqwest::Method::PUT, reqwest::Method::POST] {
                    let a = server
                        .send(method.clone(), &path, Some(ALICE), Some(body.to_vec()))
                        .await;
                    assert!(
                        a.status < 500,
                        "{} {method} {path} {body:?} -> {}",
                        server.dialect,
                        a.status
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn shutdown_stops_listening_and_closes_connections() {
    let h = booklore().await;
    let base = h.base.clone();
    let addr = base.trim_start_matches("http://").to_owned();
    let mut open = tokio::net::TcpStream::connect(&addr).await.unwrap();
    open.write_all(b"GET /api/koreader/users/auth HTTP/1.1\r\nhost:")
        .await
        .unwrap();
    h.server.shutdown().await;
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(2), open.read(&mut buf)).await;
    assert!(
        matches!(n, Ok(Ok(0)) | Ok(Err(_))),
        "the open connection was closed: {n:?}"
    );
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "no longer listening"
    );
}
