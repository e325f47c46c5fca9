//! `kosync-contract serve` as a user runs it: the real binary, its banner, its
//! flags, its errors, and the durability of `--data` across `kill -9`.

use std::path::Path;
use std::time::Duration;

use crate::server_support::{serve, serve_fails};
use kosync_contract::protocol::{self, Dialect};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

const BOOK: &str = "0123456789abcdef0123456789abcdef";

async fn request(
    method: reqwest::Method,
    url: String,
    user: (&str, &str),
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .request(method, url)
        .header(protocol::HEADER_AUTH_USER, user.0)
        .header(
            protocol::HEADER_AUTH_KEY,
            protocol::key_for_password(user.1),
        );
    if let Some(body) = body {
        r = r.json(&body);
    }
    let response = r.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn push(
    url: &str,
    dialect: Dialect,
    user: (&str, &str),
    document: &str,
    progress: &str,
) -> u16 {
    let body = json!({ "document": document, "percentage": 0.42, "progress": progress, "device": "cli-test" });
    request(
        reqwest::Method::PUT,
        format!("{url}{}", dialect.push_path()),
        user,
        Some(body),
    )
    .await
    .0
}

async fn pull(url: &str, dialect: Dialect, user: (&str, &str), document: &str) -> (u16, Value) {
    request(
        reqwest::Method::GET,
        format!("{url}{}", dialect.pull_path(document)),
        user,
        None,
    )
    .await
}

#[tokio::test]
async fn data_file_survives_kill_9_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("progress.sqlite");
    let data_arg = data.to_str().unwrap();
    let user = ("ann", "ann-pw");
    let first = serve(&["--data", data_arg, "--user", "ann:ann-pw"]).await;
    assert!(first.banner.contains("SQLite"), "{}", first.banner);
    assert_eq!(
        push(&first.url, Dialect::BookLore, user, BOOK, "/body/p[42]").await,
        200
    );
    let mut child = first.child;
    child.start_kill().unwrap(); // SIGKILL: no chance to flush anything after the 200.
    let status = child.wait().await.unwrap();
    assert!(!status.success());

    let second = serve(&["--data", data_arg, "--user", "ann:ann-pw"]).await;
    let (status, body) = pull(&second.url, Dialect::BookLore, user, BOOK).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["progress"], json!("/body/p[42]"));
    assert_eq!(body["percentage"].as_f64(), Some(0.42));
}

#[tokio::test]
async fn default_banner_names_the_demo_user_and_the_client_settings() {
    let served = serve(&[]).await;
    let b = &served.banner;
    assert!(b.contains("BookLore dialect"), "{b}");
    assert!(b.contains("demo / demo"), "{b}");
    assert!(b.contains(&format!("Server URL: {}", served.url)), "{b}");
    assert!(
        b.contains(&format!("Custom sync server: {}/api/koreader", served.url)),
        "{b}"
    );
    assert!(b.contains("any well-formed document hash"), "{b}");
    assert!(b.contains("in memory"), "{b}");
    let (status, body) = request(
        reqwest::Method::GET,
        format!("{}{}", served.url, Dialect::BookLore.auth_path()),
        ("demo", "demo"),
        None,
    )
    .await;
    assert_eq!((status, body), (200, json!({ "username": "demo" })));
}

#[tokio::test]
async fn kosync_dialect_flags_work_from_the_cli() {
    let served = serve(&[
        "--dialect",
        "kosync",
        "--no-registration",
        "--strict-accept",
        "--user",
        "kim:pw",
    ])
    .await;
    assert!(
        served.banner.contains("kosync dialect"),
        "{}",
        served.banner
    );
    assert!(served
        .banner
        .contains(&format!("Custom sync server: {}", served.url)));
    let client = reqwest::Client::new();
    let create = client
        .post(format!("{}/users/create", served.url))
        .header("accept", protocol::KOSYNC_ACCEPT)
        .json(&json!({ "username": "x", "password": "y" }))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 402);
    assert_eq!(create.json::<Value>().await.unwrap()["code"], json!(2005));
    let no_accept = client
        .get(format!("{}/users/auth", served.url))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(no_accept.status(), 412);
    let health = client
        .get(format!("{}/healthcheck", served.url))
        .header("accept", protocol::KOSYNC_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({ "state": "OK" })
    );
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test]
async fn books_dir_is_hashed_recursively_and_is_the_whole_library() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().join("a.epub");
    let nested = dir.path().join("shelf/deeper/b.pdf");
    write(&top, &vec![7u8; 5000]);
    write(&nested, b"a small book");
    let top_hash = protocol::hash::partial_md5_file(&top).unwrap();
    let nested_hash = protocol::hash::partial_md5_file(&nested).unwrap();
    let served = serve(&["--books", dir.path().to_str().unwrap(), "--user", "ann:pw"]).await;
    assert!(served.banner.contains("2 book(s)"), "{}", served.banner);
    let user = ("ann", "pw");
    assert_eq!(
        push(&served.url, Dialect::BookLore, user, &top_hash, "1").await,
        200
    );
    assert_eq!(
        push(&served.url, Dialect::BookLore, user, &nested_hash, "2").await,
        200
    );
    assert_eq!(
        push(&served.url, Dialect::BookLore, user, BOOK, "3").await,
        404,
        "not in the library"
    );
}

#[tokio::test]
async fn hidden_defect_flag_starts_a_defective_server() {
    let served = serve(&["--defect", "first-write-wins", "--user", "ann:pw"]).await;
    assert!(
        served.banner.contains("FirstWriteWins"),
        "{}",
        served.banner
    );
    let user = ("ann", "pw");
    assert_eq!(
        push(&served.url, Dialect::BookLore, user, BOOK, "first").await,
        200
    );
    assert_eq!(
        push(&served.url, Dialect::BookLore, user, BOOK, "second").await,
        200
    );
    assert_eq!(
        pull(&served.url, Dialect::BookLore, user, BOOK).await.1["progress"],
        json!("first")
    );
}

#[tokio::test]
async fn admin_token_and_journal_limit_from_the_cli() {
    let served = serve(&["--admin-token", "tok", "--journal-limit", "2"]).await;
    let client = reqwest::Client::new();
    let refused = client
        .get(format!("{}/__admin/journal", served.url))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    for _ in 0..3 {
        client
            .get(format!("{}/nothing", served.url))
            .send()
            .await
            .unwrap();
    }
    let journal = kosync_contract::server::AdminClient::new(&served.url, Some("tok".into()))
        .journal()
        .await
        .unwrap();
    assert_eq!(journal.len(), 2);
}

#[tokio::test]
async fn bad_arguments_exit_2_naming_the_problem() {
    let missing = tempfile::tempdir().unwrap().path().join("no-such-dir");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--user".into(), "no-colon".into()], "NAME:PASSWORD"),
        (
            vec!["--bind".into(), "not-an-address".into()],
            "not-an-address",
        ),
        (
            vec!["--books".into(), missing.display().to_string()],
            "no-such-dir",
        ),
        (vec!["--dialect".into(), "calibre".into()], "calibre"),
        (vec!["--journal-limit".into(), "0".into()], "journal"),
        (vec!["--defect".into(), "nonsense".into()], "nonsense"),
        (
            vec!["--books".into(), "/tmp".into(), "--any-document".into()],
            "cannot be used with",
        ),
        (
            vec![
                "--dialect".into(),
                "kosync".into(),
                "--sync-off-user".into(),
                "c:pw".into(),
            ],
            "--sync-off-user applies to the booklore dialect only",
        ),
        (
            vec![
                "--user".into(),
                "ann:a".into(),
                "--sync-off-user".into(),
                "ann:b".into(),
            ],
            "\"ann\" is given twice",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stderr) = serve_fails(&args).await;
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn port_in_use_exits_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = serve_fails(&["--bind", &addr]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&addr), "{stderr}");
}

#[tokio::test]
async fn unusable_data_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("not-sqlite.txt");
    std::fs::write(&bogus, vec![b'x'; 8192]).unwrap();
    let (code, stderr) =
        serve_fails(&["--bind", "127.0.0.1:0", "--data", bogus.to_str().unwrap()]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("not-sqlite.txt"), "{stderr}");
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let mut served = serve(&[]).await;
    let pid = served.child.id().expect("running");
    // The shell's own `kill`: a machine with only Rust may lack procps' /usr/bin/kill.
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), served.child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    let mut stderr = String::new();
    if let Some(mut e) = served.child.stderr.take() {
        let _ = e.read_to_string(&mut stderr).await;
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A sync-off user (BookLore's per-user KOReader switch) from the command
/// line: its pulls and pushes get 401 while the other users' go through, and the banner
/// says which user it is, so a CI recipe can check S-OFF-1 against `serve`.
#[tokio::test]
async fn a_sync_off_user_is_refused_and_named_in_the_banner() {
    let served = serve(&["--user", "ann:ann-pw", "--sync-off-user", "off:off-pw"]).await;
    assert!(
        served.banner.contains("off / off-pw") && served.banner.contains("sync switched off"),
        "{}",
        served.banner
    );
    let (on, _) = pull(&served.url, Dialect::BookLore, ("ann", "ann-pw"), BOOK).await;
    let (off, _) = pull(&served.url, Dialect::BookLore, ("off", "off-pw"), BOOK).await;
    assert_eq!(
        (on, off),
        (404, 401),
        "ann has no progress yet; off is refused"
    );
    assert_eq!(
        push(
            &served.url,
            Dialect::BookLore,
            ("off", "off-pw"),
            BOOK,
            "/body/p[1]"
        )
        .await,
        401
    );
}
