//! `kosync-contract verify-server` as a user runs it: exit codes, the text
//! report, the JSON and JUnit files, and one clear line when it cannot work.

use assert_cmd::Command;

fn verify_server() -> Command {
    let mut cmd = Command::cargo_bin("kosync-contract").expect("binary");
    cmd.arg("verify-server");
    cmd
}

#[test]
fn the_built_in_server_is_conformant_and_reports_are_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("report.json");
    let junit = dir.path().join("report.xml");
    let output = verify_server()
        .args(["--cases", "32", "--seed", "9", "--json"])
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("Feature: Pulling progress"), "{stdout}");
    assert!(
        stdout.contains("ok   [S-PULL-2] An unread book is not found"),
        "{stdout}"
    );
    assert!(stdout.contains("seed 9"), "{stdout}");
    assert!(stdout.contains(": conformant"), "{stdout}");

    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("valid JSON");
    assert_eq!(report["conformant"], true);
    assert_eq!(report["dialect"], "booklore");
    let results = report["results"].as_array().expect("results");
    assert!(results.len() > 40);
    assert!(results.iter().all(|r| r["status"] == "passed"));
    assert!(results
        .iter()
        .all(|r| r["rules"].as_array().is_some_and(|a| !a.is_empty())));

    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.starts_with("<?xml"));
    assert!(
        xml.contains("<testcase name=\"[S-PULL-2] An unread book is not found\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), results.len());
}

#[test]
fn the_kosync_dialect_is_conformant_too() {
    let output = verify_server()
        .args(["--dialect", "kosync", "--cases", "16"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("[K-PULL-1]"), "{stdout}");
    assert!(!stdout.contains("[S-PULL-2]"), "{stdout}");
}

#[test]
fn an_unreachable_server_is_exit_2_said_once() {
    let (_held, port) = crate::server_support::refusing_port();
    let output = verify_server()
        .args([
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--dialect",
            "kosync",
            "--user",
            "u",
            "--password",
            "p",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot reach the server"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn bad_usage_is_exit_2_with_the_reason() {
    for (args, needle) in [
        (vec!["--document", "not-a-hash"], "--document"),
        (vec!["--tags", "@a and ("], "tag expression"),
        (vec!["--dialect", "calibre"], "calibre"),
        (vec!["--base-url", "http://localhost:1"], "--user"),
        (vec!["--user", "alice", "--password", "p"], "--base-url"),
        (vec!["--timeout-ms", "0"], "--timeout-ms"),
        (vec!["--tags", "@NO-SUCH-1", "--cases", "0"], "no scenario"),
        (
            vec!["--features", "/nonexistent/features"],
            "/nonexistent/features",
        ),
    ] {
        let output = verify_server().args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

/// `kosync-contract serve` in one process, `verify-server --base-url` in another:
/// the binary catches a broken server over real sockets, and passes a correct one.
#[test]
fn verify_server_against_serve_over_the_network() {
    use std::io::BufRead as _;

    let library = tempfile::tempdir().expect("tempdir");
    let mut hashes = Vec::new();
    for name in ["book.epub", "second.epub", "third.epub"] {
        let book = library.path().join(name);
        std::fs::write(&book, format!("{name}, hashed the way KOReader does")).expect("write");
        hashes.push(kosync_contract::protocol::hash::partial_md5_file(&book).expect("hash"));
    }
    let hash = hashes[0].clone();

    // (defect, exit code, rules that must fail, whether they are the only ones).
    // Against one shared --document, a server that keeps the first write
    // breaks every later read-back too, so only its own rule is required.
    for (defect, expected_exit, expected_failures, exactly) in [
        (None, 0, vec![], true),
        (Some("trim-progress"), 1, vec!["S-PULL-1"], true),
        (Some("first-write-wins"), 1, vec!["S-LWW-1"], false),
    ] {
        let mut serve = std::process::Command::new(assert_cmd::cargo::cargo_bin("kosync-contract"));
        serve
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--user",
                "alice:pw",
                "--user",
                "bob:pw2",
                "--books",
            ])
            .arg(library.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        if let Some(d) = defect {
            serve.args(["--defect", d]);
        }
        let mut child = serve.spawn().expect("serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut url = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut url)
            .expect("url line");
        let url = url.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");

        let dir = tempfile::tempdir().expect("tempdir");
        let json = dir.path().join("r.json");
        let output = verify_server()
            .args(["--base-url", &url, "--user", "alice", "--password", "pw"])
            .args([
                "--second-user",
                "bob",
                "--second-password",
                "pw2",
                "--document",
                &hashes[0],
                "--document",
                &hashes[1],
                "--document",
                &hashes[2],
                // No user with sync disabled on a plain URL: S-OFF-1 cannot be checked.
                "--allow-skips",
            ])
            .args(["--cases", "32", "--seed", "4", "--json"])
            .arg(&json)
            .output()
            .expect("runs");
        let _ = child.kill();
        let _ = child.wait();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(expected_exit),
            "{defect:?}\n{stdout}"
        );
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("valid");
        let mut failed: Vec<String> = report["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["status"] == "failed")
            .flat_map(|r| r["rules"].as_array().cloned().unwrap_or_default())
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        failed.sort();
        failed.dedup();
        if exactly {
            assert_eq!(failed, expected_failures, "{defect:?}\n{stdout}");
        } else {
            for rule in &expected_failures {
                assert!(
                    failed.iter().any(|f| f == rule),
                    "{defect:?}: {rule} not failed\n{stdout}"
                );
            }
        }
        assert!(
            stdout.contains(&hash),
            "the run says which ids it wrote\n{stdout}"
        );
    }
}

/// Issue 9, point 7: when the run cannot be done, the `--json` and `--junit`
/// files a CI step reads exist anyway and say why.
#[test]
fn an_unreachable_server_still_writes_reports_that_say_why() {
    let (_held, port) = crate::server_support::refusing_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let (json, junit) = (dir.path().join("r.json"), dir.path().join("r.xml"));
    let output = verify_server()
        .args(["--base-url", &format!("http://127.0.0.1:{port}")])
        .args(["--dialect", "kosync", "--user", "u", "--password", "p"])
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("valid");
    assert_eq!(report["exit_code"], 2);
    assert_eq!(report["conformant"], false);
    assert_eq!(report["results"][0]["status"], "error");
    let why = report["results"][0]["actual"].as_str().unwrap_or("");
    assert!(why.contains("cannot reach the server"), "{report}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("cannot reach the server"), "{xml}");
    assert!(xml.contains("<error"), "{xml}");
}

/// Output paths are checked before the run: a report into a missing folder is
/// refused at once, not after the whole run.
#[test]
fn an_unwritable_report_path_stops_the_run_before_it_starts() {
    let started = std::time::Instant::now();
    let output = verify_server()
        .args(["--cases", "256", "--json", "/nonexistent/folder/r.json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/folder/r.json"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "no run: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// The BookLore dialect against a URL without `--document` checks almost
/// nothing: a usage error in one line, with the reports written.
#[test]
fn booklore_against_a_url_without_a_document_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("r.json");
    let output = verify_server()
        .args([
            "--base-url",
            "http://127.0.0.1:9",
            "--user",
            "u",
            "--password",
            "p",
        ])
        .arg("--json")
        .arg(&json)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("needs --document"), "{stderr}");
    let report = std::fs::read_to_string(&json).expect("json written");
    assert!(report.contains("needs --document"), "{report}");
}

/// A kosync server verified with the default (BookLore) dialect: the auth
/// route itself answers 404, and the run says which dialect the server speaks.
#[test]
fn a_dialect_mismatch_is_named_up_front() {
    use std::io::BufRead as _;
    let mut serve = std::process::Command::new(assert_cmd::cargo::cargo_bin("kosync-contract"))
        .args(["serve", "--dialect", "kosync", "--bind", "127.0.0.1:0"])
        .args(["--user", "alice:pw"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut url = String::new();
    std::io::BufReader::new(serve.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("url line");
    let output = verify_server()
        .args([
            "--base-url",
            url.trim(),
            "--user",
            "alice",
            "--password",
            "pw",
        ])
        .args(["--document", "0123456789abcdef0123456789abcdef"])
        .output()
        .expect("runs");
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("this looks like a kosync server: try --dialect kosync"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
