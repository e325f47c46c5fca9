//! `--github-annotations` as a server repository's workflow sees it: a server
//! that answers every request with an HTML 404 page fails S-AUTH-1, and the
//! failure comes out as a `::error` line at the feature file and line.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

/// A server on loopback that answers anything with a pretty-printed HTML 404,
/// as a misrouted reverse proxy would. It serves until the test process ends.
fn html_404_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                let _ = stream.read(&mut buf);
                let body = "<!DOCTYPE html>\n<html>\n  <body>\n    <h1>Not Found</h1>\n  </body>\n</html>\n";
                let _ = write!(
                    stream,
                    "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn failures_become_error_lines_at_the_feature_file() {
    let url = html_404_server();
    let out = Command::new(env!("CARGO_BIN_EXE_kosync-contract"))
        .args(["verify-server", "--base-url", &url])
        .args(["--user", "alice", "--password", "secret"])
        .args(["--document", "0123456789abcdef0123456789abcdef"])
        .args([
            "--cases",
            "0",
            "--tags",
            "@S-AUTH-1",
            "--github-annotations",
        ])
        .output()
        .expect("verify-server runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let errors: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert!(!errors.is_empty(), "{stdout}");
    for line in &errors {
        assert!(
            line.starts_with("::error file=features/server/authentication.feature,line="),
            "{line}"
        );
        assert!(line.contains(",title=S-AUTH-1 (MUST)::"), "{line}");
        assert!(line.contains("%0Agot: status 404"), "{line}");
        // One workflow command per line: the HTML page's line breaks are escaped away.
        assert!(!line.contains('\n'));
    }
    // The text report is still there for a person reading the log, each page once.
    assert!(stdout.contains("FAIL [S-AUTH-1]"), "{stdout}");
}
