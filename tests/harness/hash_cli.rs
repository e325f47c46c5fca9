//! `kosync-contract hash` against an independent implementation (rule H-1).
//!
//! The reference is `fixtures/hash/partial_md5.py`, a separate Python
//! implementation of KOReader's partial MD5, run on the same files.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kosync-contract"))
}

/// Deterministic, non-repeating content so a wrong offset changes the hash.
fn content(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// The independent implementation's hashes. The tests using it are ignored
/// by default (a machine with only Rust has no Python); `.ci/run` runs them.
fn python_hashes(files: &[PathBuf]) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hash/partial_md5.py");
    let out = Command::new("python3")
        .arg(script)
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("needs python3: apt-get install python3 ({e})"));
    assert!(out.status.success(), "reference script failed: {:?}", out);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
#[ignore = "needs python3: apt-get install python3"]
fn h_1_boundary_sizes_match_independent_implementation() {
    let dir = tempfile::tempdir().unwrap();
    let sizes: &[usize] = &[
        0,
        1,
        1023,
        1024,
        1025,
        2047,
        2048,
        4095,
        4096,
        4097,
        5119,
        5120,
        5121,
        16 * 1024 - 1,
        16 * 1024,
        16 * 1024 + 1,
        17 * 1024 + 3,
        64 * 1024 + 1,
        256 * 1024 + 1023,
        1024 * 1024 + 5,
        4 * 1024 * 1024 + 1024,
    ];
    let files: Vec<PathBuf> = sizes
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            let path = dir.path().join(format!("book-{len}.epub"));
            std::fs::write(&path, content(len, i as u32)).unwrap();
            path
        })
        .collect();

    let out = bin().arg("hash").args(&files).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let ours: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        ours,
        python_hashes(&files),
        "H-1: hash differs from the reference"
    );
    // Every size gives a distinct hash: a sample read at a wrong offset or
    // padded to 1 KiB would make neighbours collide or differ from Python.
    let mut distinct: Vec<&str> = ours.iter().map(|l| &l[..32]).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), sizes.len());
}

#[test]
#[ignore = "needs python3: apt-get install python3"]
fn h_1_sparse_file_past_one_gibibyte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.pdf");
    let len: u64 = (1 << 30) + 700; // the last sample (at 1 GiB) is 700 bytes
    let mut f = File::create(&path).unwrap();
    f.set_len(len).unwrap();
    // Data at some sample offsets (and only there), the rest is holes.
    for offset in [0u64, 4096, 1 << 20, 1 << 28, 1 << 30] {
        f.seek(SeekFrom::Start(offset)).unwrap();
        f.write_all(&content(600, offset as u32)).unwrap();
    }
    drop(f);

    let out = bin().arg("hash").arg(&path).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let ours = String::from_utf8(out.stdout).unwrap();
    let theirs = python_hashes(std::slice::from_ref(&path));
    assert_eq!(ours.trim_end(), theirs[0], "H-1 on a >1 GiB file");

    // A third-party variant with only eleven samples ignores the 1 GiB
    // sample; ours must not: changing bytes there changes the hash.
    let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.seek(SeekFrom::Start((1 << 30) + 10)).unwrap();
    f.write_all(b"changed").unwrap();
    drop(f);
    let again = bin().arg("hash").arg(&path).output().unwrap();
    assert_ne!(again.stdout, ours.as_bytes(), "the 1 GiB sample must count");
}

#[test]
fn h_1_unreadable_file_is_named_and_the_rest_still_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.epub");
    std::fs::write(&good, b"hello").unwrap();
    let missing = dir.path().join("missing.epub");

    let out = bin()
        .arg("hash")
        .arg(&missing)
        .arg(dir.path())
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "unreadable input is exit 2");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        format!("5d41402abc4b2a76b9719d911017c592  {}\n", good.display())
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("missing.epub"), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

#[test]
fn hash_without_files_is_a_usage_error() {
    let out = bin().arg("hash").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FILES"));
}
