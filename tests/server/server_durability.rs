//! `serve --data`'s promise: a push answered 200 is on disk. Pushers hammer a
//! server concurrently, it is killed with SIGKILL at a random moment, and a
//! restarted server must give back, for every document, the last push that
//! was acknowledged or one sent after it — never an older one.
//!
//! `cargo test` runs a few trials; `scripts/bench-server` runs many
//! (`KOSYNC_KILL9_TRIALS=N`).

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kosync_contract::protocol::{self, Dialect};
use rand::Rng;
use serde_json::{json, Value};

use crate::server_support::{serve_command, started, Served};

const PUSHERS: u64 = 16;
const USER: (&str, &str) = ("ann", "ann-pw");

/// `serve` keeping ann's progress in `data`; stderr dropped, as nothing reads it.
async fn serve_with(data: &std::path::Path) -> Served {
    started(
        serve_command(&["--user", "ann:ann-pw", "--data"])
            .arg(data)
            .stderr(Stdio::null()),
    )
    .await
}

fn document(pusher: u64) -> String {
    format!("{pusher:032x}")
}

/// Push 1, 2, 3… for one document until a push fails (the server died);
/// `acked` holds the last number answered 200.
async fn pusher(http: reqwest::Client, url: String, pusher: u64, acked: Arc<AtomicU64>) {
    for n in 1u64.. {
        let body = json!({
            "document": document(pusher),
            "percentage": n as f64 / 1e6,
            "progress": n.to_string(),
            "device": "durability",
        });
        let answer = http
            .put(format!("{url}{}", Dialect::BookLore.push_path()))
            .header(protocol::HEADER_AUTH_USER, USER.0)
            .header(
                protocol::HEADER_AUTH_KEY,
                protocol::key_for_password(USER.1),
            )
            .json(&body)
            .send()
            .await;
        match answer {
            Ok(a) if a.status() == 200 => acked.store(n, Ordering::SeqCst),
            _ => return,
        }
    }
}

async fn stored(http: &reqwest::Client, url: &str, pusher: u64) -> (u16, Value) {
    let a = http
        .get(format!(
            "{url}{}",
            Dialect::BookLore.pull_path(&document(pusher))
        ))
        .header(protocol::HEADER_AUTH_USER, USER.0)
        .header(
            protocol::HEADER_AUTH_KEY,
            protocol::key_for_password(USER.1),
        )
        .send()
        .await
        .expect("the restarted server answers");
    let status = a.status().as_u16();
    (status, a.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_pushes_survive_kill_9_under_concurrent_load() {
    let trials: usize = std::env::var("KOSYNC_KILL9_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("progress.sqlite");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut acknowledged_total = 0;
    for trial in 0..trials {
        let Served { mut child, url, .. } = serve_with(&data).await;
        let acked: Vec<Arc<AtomicU64>> = (0..PUSHERS).map(|_| Arc::default()).collect();
        let tasks: Vec<_> = (0..PUSHERS)
            .map(|p| {
                tokio::spawn(pusher(
                    http.clone(),
                    url.clone(),
                    p,
                    Arc::clone(&acked[p as usize]),
                ))
            })
            .collect();
        let wait = rand::thread_rng().gen_range(50..400);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        child.start_kill().expect("SIGKILL");
        let _ = child.wait().await;
        for task in tasks {
            let _ = task.await;
        }

        let Served {
            child: _restarted,
            url,
            ..
        } = serve_with(&data).await;
        for p in 0..PUSHERS {
            let acked = acked[p as usize].load(Ordering::SeqCst);
            acknowledged_total += acked;
            let (status, body) = stored(&http, &url, p).await;
            if acked == 0 {
                continue; // nothing was promised for this document
            }
            assert_eq!(
                status, 200,
                "trial {trial}, document {p}: push {acked} was acknowledged; {body}"
            );
            let kept: u64 = body["progress"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            // A push sent after the last acknowledged one may have landed too.
            assert!(
                kept >= acked && kept <= acked + 1,
                "trial {trial}, document {p}: push {acked} was acknowledged, the file holds {kept}"
            );
        }
    }
    eprintln!(
        "kill -9 durability: {trials} trials, {acknowledged_total} acknowledged pushes, none lost"
    );
}
