//! What a user meets right after `cargo install`: `--version` says which
//! contract the binary checks, and `completions` prints a script the shell
//! accepts.

use std::process::Command;

use kosync_contract::contract::catalogue;

fn kosync(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kosync-contract"))
        .args(args)
        .output()
        .expect("kosync-contract runs")
}

#[test]
fn version_names_the_release_and_the_catalogue_size() {
    let out = kosync(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "kosync-contract {} (catalogue: {} rules)\n",
            env!("CARGO_PKG_VERSION"),
            catalogue::all().len()
        )
    );
}

#[test]
fn completions_are_a_script_bash_accepts() {
    let out = kosync(&["completions", "bash"]);
    assert!(out.status.success());
    let script = String::from_utf8_lossy(&out.stdout).into_owned();
    for sub in [
        "verify-server",
        "verify-client",
        "completions",
        "--github-annotations",
    ] {
        assert!(script.contains(sub), "{sub} is completed");
    }
    // bash parses and loads it: `complete -p` then knows the command.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("kosync-contract.bash");
    std::fs::write(&file, &script).expect("write");
    let loaded = Command::new("bash")
        .args(["--noprofile", "--norc", "-c"])
        .arg(format!(
            ". '{}' && complete -p kosync-contract",
            file.display()
        ))
        .output()
        .expect("bash runs");
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let unknown = kosync(&["completions", "tcsh"]);
    assert_eq!(
        unknown.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}
