//! The HTML spec as a real browser sees it: headless Chromium loads the page
//! rendered from the fixture features and two reports, and must build the
//! whole catalogue and every scenario out of it, and paint a non-blank screenshot.
//!
//! Ignored by default, since a machine with only Rust has no browser:
//! `cargo test -- --include-ignored` runs it (as `.ci/run` does, after
//! installing Debian's `chromium`), and then a missing browser is a failure.
//! `KOSYNC_CHROMIUM=/path/to/chromium` picks a browser that is not on PATH.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kosync_contract::contract::catalogue;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KOSYNC_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Run headless Chromium with `extra` on `url`, killing it if it takes over a minute.
/// Its output goes to files, not pipes: a DOM dump larger than a pipe's buffer
/// would block Chromium until it is read, and it is read only once Chromium exits.
fn headless(browser: &Path, profile: &Path, extra: &[String], url: &str) -> Output {
    let stdout_path = profile.with_extension("stdout");
    let stderr_path = profile.with_extension("stderr");
    let file = |p: &Path| std::fs::File::create(p).expect("a file for chromium's output");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::from(file(&stdout_path)))
        .stderr(Stdio::from(file(&stderr_path)))
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        match child.try_wait().expect("waiting for chromium") {
            Some(_) => break,
            None if started.elapsed() > Duration::from_secs(60) => {
                let _ = child.kill();
                panic!("chromium did not finish within 60 s");
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let status = child.wait().expect("chromium exit status");
    Output {
        status,
        stdout: std::fs::read(&stdout_path).unwrap_or_default(),
        stderr: std::fs::read(&stderr_path).unwrap_or_default(),
    }
}

fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

#[test]
#[ignore = "needs chromium: apt-get install chromium (or set KOSYNC_CHROMIUM=/path/to/chromium)"]
fn chromium_renders_the_spec_page() {
    let Some(browser) = chromium() else {
        panic!(
            "needs chromium: apt-get install chromium (or set KOSYNC_CHROMIUM=/path/to/chromium); \
             none found on PATH"
        );
    };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("site");
    assert_cmd::Command::cargo_bin("kosync-contract")
        .expect("binary")
        .args(["docs", "--out"])
        .arg(&out)
        .arg("--features")
        .arg(fixtures.join("features/good"))
        .arg("--results")
        .arg(fixtures.join("results/builtin-booklore.json"))
        .arg("--results")
        .arg(fixtures.join("results/broken-server.json"))
        .assert()
        .success();
    let url = format!("file://{}", out.join("index.html").display());

    // What the browser built from the page.
    let dom = headless(
        &browser,
        &work.path().join("profile-dom"),
        &["--dump-dom".to_string()],
        &url,
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let rows = dom.matches("<tr id=\"rule-").count();
    assert_eq!(
        rows,
        catalogue::all().len(),
        "every rule has its row in the browser's DOM"
    );
    assert_eq!(
        dom.matches("<article class=\"scenario").count(),
        5,
        "every scenario is shown"
    );
    assert!(
        dom.contains("st st-failed"),
        "the failing target shows as failed"
    );

    // What it painted.
    let png = work.path().join("spec.png");
    headless(
        &browser,
        &work.path().join("profile-shot"),
        &[format!("--screenshot={}", png.display())],
        &url,
    );
    let bytes = std::fs::read(&png).expect("chromium wrote a screenshot");
    assert_eq!(
        png_size(&bytes),
        Some((1280, 2000)),
        "a PNG of the window size"
    );
    // A blank page compresses to a few KB; text, tables and badges do not.
    assert!(
        bytes.len() > 40_000,
        "screenshot looks blank ({} bytes)",
        bytes.len()
    );
    if let Some(keep) = std::env::var_os("KOSYNC_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).expect("copy screenshot");
    }
}
