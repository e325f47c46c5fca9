//! The project's quality bar, as a gate: a rule is done when a target that
//! breaks it exists and the contract catches that target by the rule's id.
//!
//! [`every_rule_has_a_defective_target`] walks the whole catalogue and names
//! each rule no defective target breaks: server rules (S-…, K-…) need a
//! fake-server [`Defect`], client rules (C-…) a model [`Mutant`], H-1 the hash
//! variants. Then each kind of target is shown to be caught, once per
//! `cargo test`:
//!
//! - every server defect runs here, in the dialects listed in
//!   [`SERVER_DETECTIONS`], concurrently (the runs are independent), and must
//!   fail exactly the listed rules, its own among them;
//! - every model mutant runs through the client features in
//!   `tests/detect_client.rs` (and the properties in `tests/model_properties.rs`),
//!   which fails unless each is caught by the rule its `breaks()` names;
//! - the hash variants run in `tests/hash_features.rs`.
//!
//! The correct server and model raising no false alarm is checked in
//! `tests/detect_server.rs` and `tests/detect_client.rs`.

use std::time::Instant;

use kosync_contract::contract::catalogue::{self, Rule, Side};
use kosync_contract::contract::report::Report;
use kosync_contract::contract::server::cli::{verify_server, VerifyServer};
use kosync_contract::model::Mutant;
use kosync_contract::protocol::Dialect;
use kosync_contract::server::Defect;

use Dialect::{BookLore, Kosync};

const SEED: u64 = 11;
const CASES: u32 = 32;

/// Every server defect, each dialect it runs in, and exactly the rules that
/// run fails (sorted). A defect can legitimately show in more than its own
/// rule's scenarios: a percentage read back as a string spoils every check
/// that reads a position back.
const SERVER_DETECTIONS: &[(Defect, Dialect, &[&str])] = &[
    (
        Defect::UnknownProgressAnswers200Empty,
        BookLore,
        &["S-BOOK-1", "S-ISO-1", "S-OFF-1", "S-PULL-2"],
    ),
    (Defect::SharedAcrossUsers, BookLore, &["S-ISO-1"]),
    (Defect::SharedAcrossUsers, Kosync, &["S-ISO-1"]),
    (Defect::MillisecondTimestamps, BookLore, &["S-TS-1"]),
    (Defect::MillisecondTimestamps, Kosync, &["S-TS-1"]),
    (Defect::EchoClientTimestamp, BookLore, &["S-TS-1"]),
    (Defect::EchoClientTimestamp, Kosync, &["S-TS-1"]),
    (
        Defect::PercentageAsString,
        BookLore,
        &[
            "S-AUTH-2", "S-BAD-1", "S-BAD-2", "S-BAD-3", "S-CONC-1", "S-ISO-1", "S-LWW-1",
            "S-PREC-1", "S-PULL-1", "S-PULL-3",
        ],
    ),
    (Defect::TrimProgress, BookLore, &["S-PULL-1"]),
    (Defect::TrimProgress, Kosync, &["S-PULL-1"]),
    (Defect::AcceptAnyKey, BookLore, &["S-AUTH-2"]),
    (
        Defect::AcceptAnyKey,
        Kosync,
        &["K-AUTH-2", "K-ERR-1", "S-AUTH-2"],
    ),
    (Defect::FirstWriteWins, BookLore, &["S-LWW-1"]),
    (Defect::FirstWriteWins, Kosync, &["S-LWW-1"]),
    (
        Defect::TextPlainContentType,
        BookLore,
        &["S-CT-1", "S-CT-2"],
    ),
    (Defect::TextPlainContentType, Kosync, &["S-CT-1", "S-CT-2"]),
    (Defect::CharsetInContentType, BookLore, &["S-CT-2"]),
    (Defect::StoreUnknownBook, BookLore, &["S-BOOK-1"]),
    (Defect::MissingPercentage500, BookLore, &["S-BAD-1"]),
    (Defect::PercentageOutOfRangeAccepted, BookLore, &["S-BAD-2"]),
    (
        Defect::ZeroPercentageOmitted,
        BookLore,
        &["S-PULL-1", "S-PULL-3"],
    ),
    (
        Defect::ZeroPercentageOmitted,
        Kosync,
        &["S-PULL-1", "S-PULL-3"],
    ),
    (Defect::RegistrationAllowed, BookLore, &["S-REG-1"]),
    (Defect::IgnoreSyncDisabled, BookLore, &["S-OFF-1"]),
    (Defect::NoBodyLimit, BookLore, &["S-BAD-3"]),
    (Defect::NoBodyLimit, Kosync, &["S-BAD-3"]),
    (
        Defect::KosyncUnknownDocument404,
        Kosync,
        &["K-PULL-1", "S-ISO-1"],
    ),
    (Defect::KosyncNoHealthcheck, Kosync, &["K-HEALTH-1"]),
    (Defect::AuthAnswersWithoutUsername, BookLore, &["S-AUTH-1"]),
    // S-PULL-1 reads such a position back, so its setup push is refused too.
    (
        Defect::TextNodeProgressRefused,
        BookLore,
        &["S-PULL-1", "S-PUSH-1"],
    ),
    (
        Defect::TextNodeProgressRefused,
        Kosync,
        &["S-PULL-1", "S-PUSH-1"],
    ),
    // The properties push from several devices in quick succession, which
    // this defect mixes too, and report it as the last write not winning.
    (
        Defect::ConcurrentPushesMixFields,
        BookLore,
        &["S-CONC-1", "S-LWW-1"],
    ),
    (
        Defect::ConcurrentPushesMixFields,
        Kosync,
        &["S-CONC-1", "S-LWW-1"],
    ),
    (Defect::KosyncRegistrationAnswers200, Kosync, &["K-REG-1"]),
    (Defect::KosyncTakenNameAllowed, Kosync, &["K-REG-2"]),
    (
        Defect::KosyncRegistrationDisabledIgnored,
        Kosync,
        &["K-REG-3"],
    ),
    (Defect::KosyncAuthAnswersUsername, Kosync, &["K-AUTH-3"]),
    (Defect::KosyncWrongKeyCode403, Kosync, &["K-AUTH-2"]),
    (
        Defect::KosyncPushAnswersWithoutTimestamp,
        Kosync,
        &["K-PUSH-1"],
    ),
    (Defect::KosyncInvalidPushCode400, Kosync, &["K-BAD-1"]),
    (Defect::KosyncMissingDocumentCode2003, Kosync, &["K-BAD-2"]),
    (Defect::KosyncInvalidJson500, Kosync, &["K-BAD-3"]),
    // Every check of an error code fails with the code gone.
    (
        Defect::KosyncErrorsWithoutCode,
        Kosync,
        &[
            "K-ACCEPT-2",
            "K-AUTH-2",
            "K-BAD-1",
            "K-BAD-2",
            "K-BAD-3",
            "K-ERR-1",
            "K-REG-2",
            "K-REG-3",
        ],
    ),
    (Defect::KosyncRejectsVendorAccept, Kosync, &["K-ACCEPT-1"]),
    (Defect::KosyncMissingAcceptCode101, Kosync, &["K-ACCEPT-2"]),
    // kosync's read-back checks compare the device id too.
    (
        Defect::KosyncDeviceIdNotStored,
        Kosync,
        &["K-RT-1", "S-CONC-1", "S-PULL-1"],
    ),
    // A new user who cannot sign in with 200 fails the registration check too.
    (
        Defect::KosyncAuthAnswers204,
        Kosync,
        &["K-ACCEPT-1", "K-AUTH-1", "K-AUTH-3", "K-REG-1"],
    ),
    (
        Defect::KosyncRegistrationAnswersWithoutUsername,
        Kosync,
        &["K-REG-4"],
    ),
    (Defect::KosyncNumericTextRefused, Kosync, &["K-NUM-1"]),
    (Defect::SinglePrecisionPercentage, BookLore, &["S-PREC-1"]),
    (Defect::SinglePrecisionPercentage, Kosync, &["S-PREC-1"]),
];

/// The hash functions that break H-1, by the test in `tests/hash_features.rs`
/// that runs `features/hash/` against each and requires it to fail.
const HASH_VARIANTS: &[(&str, &str)] = &[
    (
        "eleven samples instead of twelve",
        "h_1_catches_a_hash_with_eleven_samples",
    ),
    (
        "a zero-padded last sample",
        "h_1_catches_a_zero_padded_last_sample",
    ),
];

const DETECT_CLIENT_SOURCE: &str = include_str!("../client/detect_client.rs");
const HASH_FEATURES_SOURCE: &str = include_str!("hash_features.rs");

/// The defective targets that break `rule`, by name.
fn defective_targets(rule: &Rule) -> Vec<String> {
    match rule.side {
        Side::Server => Defect::ALL
            .iter()
            .filter(|d| d.breaks() == rule.id)
            .map(|d| format!("defect {d}"))
            .collect(),
        Side::Client => Mutant::ALL
            .iter()
            .filter(|m| m.breaks() == rule.id)
            .map(|m| format!("mutant {m}"))
            .collect(),
        Side::Hash => HASH_VARIANTS
            .iter()
            .map(|(name, _)| format!("hash with {name}"))
            .collect(),
    }
}

#[test]
fn every_rule_has_a_defective_target() {
    let rules = catalogue::all();
    let missing: Vec<String> = rules
        .iter()
        .filter(|r| defective_targets(r).is_empty())
        .map(|r| format!("{} ({}: {})", r.id, r.level.name(), r.text))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} rules have no defective target that breaks them, so nothing proves \
         the contract would catch a target that breaks them:\n  {}",
        missing.len(),
        rules.len(),
        missing.join("\n  ")
    );
    assert!(rules.len() >= 78, "the catalogue shrank to {}", rules.len());
}

#[test]
fn every_target_names_a_rule_of_the_catalogue() {
    for d in Defect::ALL {
        let rule = catalogue::find(d.breaks());
        assert!(
            rule.is_some_and(|r| r.side == Side::Server),
            "defect {d} breaks {:?}, not a server rule of the catalogue",
            d.breaks()
        );
    }
    for m in Mutant::ALL {
        let rule = catalogue::find(m.breaks());
        assert!(
            rule.is_some_and(|r| r.side == Side::Client),
            "mutant {m} breaks {:?}, not a client rule of the catalogue",
            m.breaks()
        );
    }
}

/// The client and hash targets are run by other test files; these are the
/// tests that do it, so renaming or dropping one fails here.
#[test]
fn the_tests_that_catch_client_and_hash_targets_exist() {
    for needle in [
        "async fn every_model_mutant_fails_the_rule_it_breaks()",
        "for &mutant in Mutant::ALL",
        "r.status == Status::Failed && r.rules.iter().any(|id| id == rule)",
    ] {
        assert!(
            DETECT_CLIENT_SOURCE.contains(needle),
            "tests/detect_client.rs no longer has {needle:?}"
        );
    }
    for (_, test) in HASH_VARIANTS {
        assert!(
            HASH_FEATURES_SOURCE.contains(&format!("async fn {test}()")),
            "tests/hash_features.rs has no test {test}"
        );
    }
}

/// Each client rule has at least one mutant; `detect_client.rs` requires the
/// client features to catch every mutant by its rule.
#[test]
fn every_client_rule_has_a_mutant_the_features_see() {
    for rule in catalogue::all().iter().filter(|r| r.side == Side::Client) {
        assert!(
            Mutant::ALL.iter().any(|m| m.breaks() == rule.id),
            "{}: no model mutant breaks it",
            rule.id
        );
    }
}

#[test]
fn every_defect_runs_in_a_dialect_and_fails_its_own_rule_there() {
    for &defect in Defect::ALL {
        let rows: Vec<_> = SERVER_DETECTIONS
            .iter()
            .filter(|(d, _, _)| *d == defect)
            .collect();
        assert!(
            !rows.is_empty(),
            "defect {defect} is never run: add it to SERVER_DETECTIONS"
        );
        for (_, dialect, failed) in rows {
            assert!(
                failed.contains(&defect.breaks()),
                "{defect} in {dialect}: its own rule {} is not among {failed:?}",
                defect.breaks()
            );
            let mut sorted = failed.to_vec();
            sorted.sort();
            assert_eq!(&sorted[..], *failed, "{defect} in {dialect}: keep sorted");
        }
    }
}

async fn verify(dialect: Dialect, defect: Defect) -> Result<Report, String> {
    let mut run = VerifyServer::built_in(dialect, Some(defect));
    run.cases = CASES;
    run.seed = Some(SEED);
    verify_server(&run)
        .await
        .map_err(|e| format!("{defect} in {dialect}: the run did not complete: {e}"))
}

/// What is wrong with `report` as the run of `defect`, if anything.
fn problems(defect: Defect, dialect: Dialect, want: &[&str], report: &Report) -> Vec<String> {
    let name = format!("{defect} in {dialect}");
    let mut out = Vec::new();
    let errors = report.harness_errors();
    if !errors.is_empty() {
        out.push(format!("{name}: harness errors {errors:?}"));
    }
    let failed = report.failed_rules();
    if failed != want {
        out.push(format!(
            "{name}: failed {failed:?}, expected exactly {want:?}"
        ));
    }
    let rule = defect.breaks();
    let gates = catalogue::find(rule).is_some_and(|r| r.level.gates());
    let any_gating = report.results.iter().any(|r| r.breaks_gate());
    let exit = report.exit_code();
    if exit != u8::from(any_gating) || (gates && exit != 1) {
        out.push(format!(
            "{name}: exit code {exit} (own rule gates: {gates}, any gating failure: {any_gating})"
        ));
    }
    if !gates && !report.render_text().contains(&format!("warn [{rule}]")) {
        out.push(format!("{name}: {rule} is not reported as a warning"));
    }
    // Every failure says what was expected, what came back and how to reproduce it.
    for r in report.failures() {
        if r.actual.is_none() {
            out.push(format!("{name}: {} says nothing came back", r.title()));
        }
        if !r.reproduce.as_deref().is_some_and(|c| c.contains("curl ")) {
            out.push(format!("{name}: {} has no curl line", r.title()));
        }
    }
    out
}

/// Every row of [`SERVER_DETECTIONS`], run concurrently: each defective
/// server must fail exactly its listed rules, its own among them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_defect_is_caught_by_the_rule_it_breaks() {
    let started = Instant::now();
    // The cucumber runner is not `Send`, so the runs share this task; each
    // server they talk to runs on the runtime's worker threads.
    let runs = SERVER_DETECTIONS
        .iter()
        .map(|&(defect, dialect, want)| async move {
            match verify(dialect, defect).await {
                Ok(report) => problems(defect, dialect, want, &report),
                Err(e) => vec![e],
            }
        });
    let all: Vec<String> = futures::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect();
    eprintln!(
        "{} defective server runs in {:?}",
        SERVER_DETECTIONS.len(),
        started.elapsed()
    );
    // The runs leave cucumber's panic hook installed, which swallows an
    // assertion's message; say it on stderr first.
    if !all.is_empty() {
        eprintln!(
            "defective servers not caught as listed:\n  {}",
            all.join("\n  ")
        );
    }
    assert!(all.is_empty(), "\n  {}", all.join("\n  "));
}
