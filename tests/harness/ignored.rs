//! Every ignored test says `#[ignore = "needs X: how to install"]`: it needs
//! a tool a machine with only Rust lacks (luajit, Chromium, Python). So
//! `cargo test` on a bare machine is honest (it lists the test as ignored,
//! with that reason), and `.ci/run`, which installs the tools and runs
//! `cargo test -- --include-ignored`, can never skip a check by accident.
//! Benchmarks and surveys are not ignored tests: they live in `benches/`.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each `#[ignore…]` attribute in `text`: (line, its reason, the fn it sits on).
fn ignores(text: &str) -> Vec<(usize, Option<String>, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if !t.starts_with("#[ignore") {
            continue;
        }
        let reason = t
            .split_once('"')
            .and_then(|(_, rest)| rest.rsplit_once('"'))
            .map(|(r, _)| r.to_string());
        let function = lines[i + 1..]
            .iter()
            .find_map(|l| {
                let l = l.trim();
                let rest = l
                    .strip_prefix("async fn ")
                    .or_else(|| l.strip_prefix("fn "))?;
                Some(rest.split('(').next().unwrap_or(rest).to_string())
            })
            .unwrap_or_default();
        found.push((i + 1, reason, function));
    }
    found
}

#[test]
fn every_ignored_test_needs_a_named_tool() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("tests"), &mut files);
    rust_files(&root.join("src"), &mut files);
    let mut bad = Vec::new();
    let mut needs = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source file is readable");
        for (line, reason, function) in ignores(&text) {
            match reason {
                // "needs luajit, …: apt-get install …": what is missing and how to get it.
                Some(r) if r.starts_with("needs ") && r.contains(": ") => needs += 1,
                other => bad.push(format!(
                    "{}:{line}: {function} is ignored with {other:?}: say `needs X: how to \
                     install` (and have .ci/run install X); a benchmark goes to benches/",
                    file.strip_prefix(root).unwrap_or(file).display()
                )),
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(
        needs > 0,
        "the scan found no tool-dependent test: is it reading the right files?"
    );
}

#[test]
fn ci_runs_the_ignored_tests_and_skips_none() {
    let run = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run"))
        .expect(".ci/run is readable");
    let test_lines: Vec<&str> = run
        .lines()
        .filter(|l| l.trim_start().starts_with("cargo test"))
        .collect();
    assert!(
        test_lines
            .iter()
            .any(|l| l.contains("--include-ignored") || l.contains("--ignored")),
        ".ci/run must run the ignored tests: {test_lines:?}"
    );
    for line in &test_lines {
        assert!(!line.contains("--skip"), ".ci/run leaves tests out: {line}");
    }
}

#[test]
fn the_scan_reads_reasons_and_functions() {
    let text = "#[test]\n#[ignore = \"needs luajit: apt-get install luajit\"]\nasync fn runs_lua() {}\n#[ignore]\nfn bare() {}\n";
    assert_eq!(
        ignores(text),
        vec![
            (
                2,
                Some("needs luajit: apt-get install luajit".to_string()),
                "runs_lua".to_string()
            ),
            (4, None, "bare".to_string()),
        ]
    );
}
