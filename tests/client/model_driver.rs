//! The in-process model driver against a tiny hyper server on loopback: real
//! HTTP goes out, answers come back into the model, observations come out.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderMap;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use kosync_contract::adapter::model_driver::ModelDriver;
use kosync_contract::adapter::{ClientDriver, DriverError};
use kosync_contract::model::{Direction, Effect, Event, Mutant, Position, QueueCounts, Settings};
use kosync_contract::protocol::key_for_password;

use crate::support::{enabled, identity, open, A};

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HeaderMap,
    body: String,
    arrived: Instant,
    answered: Instant,
}

#[derive(Clone)]
struct Script {
    pull: (u16, String),
    push: u16,
    pull_delay: Duration,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// Answer every GET with the scripted pull answer (after the delay) and any
/// other request with the scripted push status, logging what arrived.
async fn handler(
    script: Script,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let arrived = Instant::now();
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let (status, answer) = if parts.method == Method::GET {
        tokio::time::sleep(script.pull_delay).await;
        script.pull.clone()
    } else {
        (script.push, r#"{"status":"progress updated"}"#.to_string())
    };
    script.seen.lock().expect("log").push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        arrived,
        answered: Instant::now(),
    });
    let mut response = Response::new(Full::new(Bytes::from(answer)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
    Ok(response)
}

struct TestServer {
    base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TestServer {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }
}

async fn serve(pull: (u16, &str), push: u16, pull_delay: Duration) -> TestServer {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let script = Script {
        pull: (pull.0, pull.1.to_string()),
        push,
        pull_delay,
        seen: seen.clone(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let script = script.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |request| handler(script.clone(), request));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    TestServer {
        base_url: format!("http://{addr}"),
        seen,
    }
}

async fn started(driver: &mut ModelDriver, server: &TestServer, settings: Settings) {
    driver
        .start(&identity(&server.base_url), &settings)
        .await
        .expect("start");
    let obs = driver.send(&Event::WifiConnected).await.expect("wifi");
    assert!(obs.effects.is_empty());
}

#[tokio::test]
async fn open_pulls_then_pushes_over_real_http() {
    let server = serve((404, r#"{"message":"none"}"#), 200, Duration::ZERO).await;
    let mut driver = ModelDriver::new();
    started(&mut driver, &server, enabled()).await;
    let obs = driver.send(&open(A, 25)).await.expect("open");
    assert!(
        obs.effects.is_empty(),
        "a 404 shows nothing: {:?}",
        obs.effects
    );
    assert_eq!(
        obs.queue,
        QueueCounts {
            pending: 0,
            synced: 1
        }
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, format!("/api/koreader/syncs/progress/{A}"));
    assert_eq!(seen[1].method, "PUT");
    assert_eq!(seen[1].path, "/api/koreader/syncs/progress");
    assert!(
        seen[1].arrived >= seen[0].answered,
        "C-PULL-7: push after pull"
    );
    assert_eq!(
        seen[1].headers["x-auth-key"].to_str().ok(),
        Some(key_for_password("secret").as_str())
    );
    assert_eq!(
        seen[1].headers["content-type"].to_str().ok(),
        Some("application/json")
    );
    let body: serde_json::Value = serde_json::from_str(&seen[1].body).expect("json body");
    assert_eq!(body["percentage"], 0.25);
    assert_eq!(body["timestamp"], 1_700_000_000);
    driver.stop().await.expect("stop");
}

#[tokio::test]
async fn prompts_stay_open_until_answered() {
    let server = serve(
        (
            200,
            r#"{"document":"x","percentage":0.75,"progress":"75","timestamp":1,"device":"o","device_id":"O"}"#,
        ),
        200,
        Duration::ZERO,
    )
    .await;
    let mut driver = ModelDriver::new();
    started(&mut driver, &server, enabled()).await;
    let obs = driver.send(&open(A, 10)).await.expect("open");
    assert_eq!(
        obs.effects,
        vec![Effect::PromptShown {
            document: A.to_string(),
            direction: Direction::Newer,
            proposed: Position::at_page(75, 100),
        }]
    );
    let obs = driver
        .send(&Event::PromptAnswered { accept: true })
        .await
        .expect("answer");
    assert_eq!(
        obs.effects,
        vec![Effect::PositionApplied {
            document: A.to_string(),
            position: Position::at_page(75, 100),
        }]
    );
    let at = driver
        .client()
        .and_then(|c| c.position().map(|(_, p)| p.clone()));
    assert_eq!(at, Some(Position::at_page(75, 100)));
}

#[tokio::test]
async fn failed_push_stays_pending() {
    let server = serve((404, "{}"), 500, Duration::ZERO).await;
    let mut driver = ModelDriver::new();
    started(&mut driver, &server, enabled()).await;
    let obs = driver.send(&open(A, 10)).await.expect("open");
    assert_eq!(
        obs.queue,
        QueueCounts {
            pending: 1,
            synced: 0
        }
    );
    let obs = driver.send(&Event::BookClosed).await.expect("close");
    assert_eq!(obs.queue.pending, 2, "C-Q-3: the failed item stays");
}

#[tokio::test]
async fn unreachable_server_is_a_transport_error_not_a_driver_error() {
    let (_held, port) = crate::support::refusing_port();
    let mut driver = ModelDriver::new();
    driver
        .start(&identity(&format!("http://127.0.0.1:{port}")), &enabled())
        .await
        .expect("start");
    driver.send(&Event::WifiConnected).await.expect("wifi");
    let obs = driver.send(&open(A, 10)).await.expect("open");
    assert!(obs.effects.is_empty());
    assert_eq!(obs.queue.pending, 1);
}

#[tokio::test]
async fn bad_use_is_a_harness_error() {
    let mut driver = ModelDriver::new();
    let early = driver.send(&Event::BookClosed).await;
    assert!(matches!(early, Err(DriverError::Harness(_))));
    let server = serve((404, "{}"), 200, Duration::ZERO).await;
    started(&mut driver, &server, enabled()).await;
    let completed = driver
        .send(&Event::HttpCompleted {
            id: 1,
            outcome: kosync_contract::model::HttpOutcome::TransportError {
                message: "x".to_string(),
            },
        })
        .await;
    assert!(matches!(completed, Err(DriverError::Harness(m)) if m.contains("http_completed")));
}

#[tokio::test]
async fn mutant_plain_password_is_visible_on_the_wire() {
    let server = serve((404, "{}"), 200, Duration::ZERO).await;
    let mut driver = ModelDriver::new().with_mutant(Mutant::PlainPasswordSent);
    started(&mut driver, &server, enabled()).await;
    driver.send(&open(A, 10)).await.expect("open");
    let seen = server.seen();
    assert!(!seen.is_empty());
    assert!(seen
        .iter()
        .all(|s| s.headers["x-auth-key"].to_str().ok() == Some("secret")));
}

#[tokio::test]
async fn mutant_upload_before_pull_is_visible_on_the_wire() {
    let server = serve((404, "{}"), 200, Duration::from_millis(300)).await;
    let mut driver = ModelDriver::new().with_mutant(Mutant::UploadBeforePull);
    started(&mut driver, &server, enabled()).await;
    driver.send(&open(A, 10)).await.expect("open");
    let seen = server.seen();
    let get = seen.iter().find(|s| s.method == "GET").expect("pull");
    let put = seen.iter().find(|s| s.method == "PUT").expect("push");
    assert!(
        put.arrived < get.answered,
        "the broken model pushes while its pull is unanswered"
    );
}
