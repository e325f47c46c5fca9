//! Shared helpers for the `server_*` integration tests: start a fake server on
//! an ephemeral port and talk to it over real HTTP the way a client would.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::time::Duration;

use kosync_contract::protocol::{self, Dialect};
use kosync_contract::server::{self, BookPolicy, RunningServer, ServerConfig, UserSpec};
use serde_json::{json, Value};

/// A well-formed document hash used as "the book".
pub const BOOK: &str = "0123456789abcdef0123456789abcdef";
/// Another well-formed hash.
pub const OTHER_BOOK: &str = "fedcba9876543210fedcba9876543210";

pub const ALICE: (&str, &str) = ("alice", "alice-secret");
pub const BOB: (&str, &str) = ("bob", "bob-secret");
/// A user whose KOReader sync is switched off.
pub const CAROL: (&str, &str) = ("carol", "carol-secret");

/// A server plus an HTTP client pointed at it.
pub struct Harness {
    pub server: RunningServer,
    pub http: reqwest::Client,
    pub base: String,
    pub dialect: Dialect,
}

/// What came back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    /// JSON when the body parses as JSON, else the text, `Null` when empty.
    pub body: Value,
}

pub fn users() -> Vec<UserSpec> {
    let mut carol = UserSpec::with_password(CAROL.0, CAROL.1);
    carol.sync_enabled = false;
    vec![
        UserSpec::with_password(ALICE.0, ALICE.1),
        UserSpec::with_password(BOB.0, BOB.1),
        carol,
    ]
}

/// Alice, Bob and sync-disabled Carol; any document is a book.
pub fn config(dialect: Dialect) -> ServerConfig {
    let mut config = ServerConfig::new(dialect);
    config.users = users();
    config
}

/// As [`config`] but the library holds only [`BOOK`] and [`OTHER_BOOK`].
pub fn config_with_library(dialect: Dialect) -> ServerConfig {
    let mut config = config(dialect);
    config.books = BookPolicy::Known(BTreeSet::from([BOOK.to_owned(), OTHER_BOOK.to_owned()]));
    config
}

pub async fn start(config: ServerConfig) -> Harness {
    let dialect = config.dialect;
    let server = server::start(config).await.expect("the fake server starts");
    let base = server.base_url();
    Harness {
        server,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client"),
        base,
        dialect,
    }
}

pub async fn booklore() -> Harness {
    start(config_with_library(Dialect::BookLore)).await
}

pub async fn kosync() -> Harness {
    start(config(Dialect::Kosync)).await
}

/// A valid push body for `document`.
pub fn push_body(document: &str, percentage: f64, progress: &str) -> Value {
    json!({
        "document": document,
        "percentage": percentage,
        "progress": progress,
        "device": "Kobo Libra 2",
        "device_id": "0A1B2C3D4E5F60718293A4B5C6D7E8F9",
        "timestamp": 1_600_000_000,
    })
}

/// The registration body KOReader sends: the name and the key of the password.
pub fn create_body(name: &str, password: &str) -> Vec<u8> {
    json!({ "username": name, "password": protocol::key_for_password(password) })
        .to_string()
        .into_bytes()
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Send a request with optional credentials and a raw body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        user: Option<(&str, &str)>,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut request = self
            .http
            .request(method, self.url(path))
            .header("accept", protocol::KOSYNC_ACCEPT);
        if let Some((name, password)) = user {
            request = request.header(protocol::HEADER_AUTH_USER, name).header(
                protocol::HEADER_AUTH_KEY,
                protocol::key_for_password(password),
            );
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.expect("the server answers");
        answer(response).await
    }

    pub async fn push(&self, user: (&str, &str), body: &Value) -> Answer {
        self.send(
            reqwest::Method::PUT,
            &self.dialect.push_path(),
            Some(user),
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn push_raw(&self, user: (&str, &str), body: &[u8]) -> Answer {
        self.send(
            reqwest::Method::PUT,
            &self.dialect.push_path(),
            Some(user),
            Some(body.to_vec()),
        )
        .await
    }

    pub async fn pull(&self, user: (&str, &str), document: &str) -> Answer {
        self.send(
            reqwest::Method::GET,
            &self.dialect.pull_path(document),
            Some(user),
            None,
        )
        .await
    }

    /// Register `name` through the dialect's create route.
    pub async fn create(&self, name: &str, password: &str) -> Answer {
        self.create_raw(create_body(name, password)).await
    }

    /// Send `body` as it is to the dialect's create route.
    pub async fn create_raw(&self, body: Vec<u8>) -> Answer {
        self.send(
            reqwest::Method::POST,
            &self.dialect.create_path(),
            None,
            Some(body),
        )
        .await
    }

    /// Sign in as `user` sending no `Accept` header at all: over a raw socket,
    /// since reqwest always sends `Accept: */*`. The raw answer.
    pub async fn raw_auth_without_accept(&self, user: (&str, &str)) -> String {
        let request = format!(
            "GET {} HTTP/1.1\r\nhost: x\r\nx-auth-user: {}\r\nx-auth-key: {}\r\n\r\n",
            self.dialect.auth_path(),
            user.0,
            protocol::key_for_password(user.1)
        );
        raw_exchange(&self.base, request.as_bytes(), Duration::from_secs(5)).await
    }

    pub async fn auth(&self, user: Option<(&str, &str)>) -> Answer {
        self.send(reqwest::Method::GET, &self.dialect.auth_path(), user, None)
            .await
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = response.bytes().await.expect("a readable body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Answer {
        status,
        content_type,
        body,
    }
}

/// Send raw bytes on a fresh TCP connection and read whatever comes back
/// within `wait` (the connection closing ends the read early).
pub async fn raw_exchange(base: &str, request: &[u8], wait: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("send");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                out.extend_from_slice(&buf[..n]);
                // One response is all we need: stop once its head and declared body are in.
                if response_complete(&out) {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn response_complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .and_then(|v| v.trim().parse::<usize>().ok())
        })
        .is_some_and(|n| body.len() >= n)
}

#[path = "../common/ports.rs"]
mod ports;
pub use ports::refusing_port;

// ---------------------------------------------------------------------------
// `kosync-contract serve` as a process.

pub const BIN: &str = env!("CARGO_BIN_EXE_kosync-contract");

/// A running `serve` process, the URL of its first stdout line and the rest
/// of its banner (read until "press Ctrl-C").
pub struct Served {
    pub child: tokio::process::Child,
    pub url: String,
    pub banner: String,
}

/// `serve --bind 127.0.0.1:0 ARGS`, killed when dropped; the caller adds
/// arguments and decides where stderr goes.
pub fn serve_command(args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(BIN);
    command
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .kill_on_drop(true);
    command
}

/// `serve --bind 127.0.0.1:0 ARGS` running, its stderr piped (read it after it exits).
pub async fn serve(args: &[&str]) -> Served {
    started(serve_command(args).stderr(std::process::Stdio::piped())).await
}

/// Start `command` (a `serve`, however it is wrapped) with its stdout piped
/// and read the banner; the URL must come within 20 s.
pub async fn started(command: &mut tokio::process::Command) -> Served {
    use tokio::io::AsyncBufReadExt;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let read = async {
        let url = lines.next_line().await.ok().flatten().unwrap_or_default();
        let mut banner = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            banner.push_str(&line);
            banner.push('\n');
            if line.starts_with("press Ctrl-C") {
                break;
            }
        }
        (url, banner)
    };
    let (url, banner) = tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the banner within 20 s");
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "first line is the URL: {url:?}"
    );
    Served { child, url, banner }
}

/// Run `serve ARGS` expecting it to exit at once: (exit code, stderr). It
/// binds an ephemeral port unless ARGS name one, so a server that wrongly
/// starts takes no fixed port (and fails the 20 s limit).
pub async fn serve_fails(args: &[&str]) -> (Option<i32>, String) {
    let mut command = tokio::process::Command::new(BIN);
    command.arg("serve");
    if !args.contains(&"--bind") {
        command.args(["--bind", "127.0.0.1:0"]);
    }
    let output = tokio::time::timeout(
        Duration::from_secs(20),
        command.args(args).kill_on_drop(true).output(),
    )
    .await
    .expect("serve exits at once")
    .expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
