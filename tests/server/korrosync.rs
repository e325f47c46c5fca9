//! A real third-party server in the test suite: korrosync (a KOReader sync
//! server from the Rust registry) on loopback, two users registered over its
//! API, `verify-server --dialect kosync` against it, and the calibrated
//! verdict asserted: conformant on every MUST rule (KOReader works with it),
//! with its differences from the reference server named as SHOULD failures.
//!
//! Needs the `korrosync` binary (`cargo install korrosync --locked`; `.ci/run`
//! installs it); `KORROSYNC=/path/to/korrosync` points at another one.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kosync_contract::contract::catalogue::{self, Level};
use kosync_contract::contract::server::cli::{verify_server, VerifyServer};
use kosync_contract::protocol::{key_for_password, CreateUser, Dialect};
use kosync_contract::sync_client::{Credentials, SyncClient};

/// A korrosync process, killed when dropped.
struct Korrosync {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Drop for Korrosync {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Start korrosync on loopback with a fresh database. Its rate limit is a
/// period in seconds (not a rate) and a burst: one token a second and a burst
/// large enough for a whole run.
fn start() -> Korrosync {
    let binary = std::env::var_os("KORROSYNC").unwrap_or_else(|| "korrosync".into());
    let data = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let child = Command::new(&binary)
        .arg("serve")
        .env("KORROSYNC_DB_PATH", data.path().join("db.redb"))
        .env("KORROSYNC_SERVER_ADDRESS", format!("127.0.0.1:{port}"))
        .env("KORROSYNC_RATE_LIMIT_PER_SECOND", "1")
        .env("KORROSYNC_RATE_LIMIT_BURST_SIZE", "100000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {binary:?} ({e}): needs korrosync: cargo install korrosync --locked"
            )
        });
    let server = Korrosync {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _data: data,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "korrosync did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs korrosync: cargo install korrosync --locked"]
async fn korrosync_is_conformant_on_every_must_rule_and_its_differences_are_should() {
    let server = start();
    let client =
        SyncClient::new(&server.url, Dialect::Kosync, Duration::from_secs(10)).expect("client");
    for (user, password) in [("alice", "alice-pw"), ("bob", "bob-pw")] {
        let created = client
            .register(&CreateUser {
                username: user.to_string(),
                password: key_for_password(password),
            })
            .await;
        assert_eq!(created.status, Some(201), "{}", created.answer());
    }
    let mut run = VerifyServer::url(
        &server.url,
        Dialect::Kosync,
        Credentials::with_password("alice", "alice-pw"),
    );
    run.second = Some(Credentials::with_password("bob", "bob-pw"));
    run.cases = 16;
    let report = verify_server(&run).await.expect("a report");
    let text = report.render_text();

    let failed = report.failed_rules();
    let must: Vec<&String> = failed
        .iter()
        .filter(|id| catalogue::find(id).is_none_or(|r| r.level != Level::Should))
        .collect();
    assert!(must.is_empty(), "MUST rules failed: {must:?}\n{text}");
    assert_eq!(report.exit_code(), 0, "{text}");
    assert!(report.conformant, "{text}");
    // Its known differences from the reference server, each named.
    for rule in [
        "K-AUTH-2",   // "code": "unauthorized", not 2001
        "K-BAD-1",    // 422, not 403/2003
        "K-ERR-1",    // string codes
        "K-HEALTH-1", // /healthcheck needs credentials
        "K-NUM-1",    // "0.5" refused
        "S-PREC-1",   // f32 storage
    ] {
        assert!(failed.iter().any(|f| f == rule), "{rule} not named\n{text}");
    }
}
