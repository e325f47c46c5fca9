//! The Lua example client (`fixtures/adapters/lua`) and its deliberately broken
//! variants, for the tests that check each variant is caught.

/// Each mutant of `fixtures/adapters/lua/progress_sync.lua` (switched on with
/// `KOSYNC_MUTANT=name`) and the rule it breaks.
pub const MUTANTS: &[(&str, &str)] = &[
    ("no_debounce", "C-PUSH-6"),
    ("pull_without_wifi", "C-PULL-3"),
    ("notice_on_404", "C-PULL-5"),
    ("apply_older_when_disabled", "C-CONF-5"),
    ("drop_failed_upload", "C-Q-3"),
    ("upload_in_manual_only", "C-MAN-2"),
    ("ignore_read_on_rating", "C-RATE-1"),
    ("prompt_applies_silently", "C-CONF-4"),
    ("counter_never_restarts", "C-PUSH-3"),
    ("lifo_queue", "C-SAFE-2"),
    ("plain_password", "C-WIRE-4"),
    // Queues (and later pushes) while disabled, so it breaks C-EN-1 too; the
    // shortest differential case shows the queueing.
    ("sync_when_disabled", "C-EN-2"),
    ("no_pull_on_resume", "C-PULL-2"),
    ("no_open_snapshot", "C-PUSH-1"),
    // The lost update of KOReader's own retry, in a BookLore-style client.
    ("second_failure_counted_as_sent", "C-SAFE-1"),
];

/// The command line that starts the Lua example adapter with `mutant` switched
/// on (an unknown name leaves it correct). The script path is absolute, so it
/// runs from any directory.
pub fn mutant_command_line(mutant: &str) -> String {
    format!(
        "KOSYNC_MUTANT={mutant} luajit '{}/fixtures/adapters/lua/adapter.lua'",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// What the tests that run the Lua example client need. Their `#[ignore]`
/// says the same (libtest wants a literal there): `cargo test` on a machine
/// without them lists them as ignored with this reason, and `.ci/run`
/// installs the packages and runs them with `--include-ignored`.
pub const NEEDS: &str =
    "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson";

/// Stop a test with one clear line when the Lua example client cannot run
/// here, instead of a failure per scenario.
pub fn require_luajit() {
    let probe = std::process::Command::new("luajit")
        .args([
            "-e",
            "require('socket.http'); require('cjson'); require('bit')",
        ])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "{NEEDS} ({})",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("luajit failed")
        ),
        Err(err) => panic!("{NEEDS} (cannot start luajit: {err})"),
    }
}

/// Each mutant of the KOReader-style example client
/// (`fixtures/adapters/koreader/progress_sync.lua`) and the rule it breaks,
/// under `--profile koreader`. The first three are the defects of
/// KOReader's own plugin.
pub const KOREADER_MUTANTS: &[(&str, &str)] = &[
    ("resend_failure_dropped", "C-SAFE-1"),
    ("stale_queue_overwrites", "C-SAFE-2"),
    // Stranded: what was queued with no book open is never sent — lost.
    ("queue_needs_open_book", "C-SAFE-1"),
    ("no_debounce", "KC-DEB-1"),
    ("pull_without_wifi", "C-PULL-3"),
    ("push_without_wifi", "C-SAFE-4"),
    ("wifi_on_to_pull", "C-PULL-3"),
    ("plain_password", "C-WIRE-4"),
    ("periodic_at_once", "KC-PUSH-2"),
    ("failed_push_dropped", "KC-Q-1"),
];

/// The command line that starts the KOReader-style example adapter with
/// `mutant` switched on (empty: the correct client).
pub fn koreader_command_line(mutant: &str) -> String {
    format!(
        "KOSYNC_MUTANT={mutant} luajit '{}/fixtures/adapters/koreader/adapter.lua'",
        env!("CARGO_MANIFEST_DIR")
    )
}
