//! `kosync-contract verify`: both sides of the contract against the built-in
//! targets, one summary.
//!
//! It runs `verify-server` against the built-in fake server in both dialects
//! and `verify-client` against the reference model, then merges the three
//! reports into one: the same text, `--json` and `--junit` shapes and exit
//! codes as either command alone. Each result's feature is prefixed with the
//! part it came from (`server booklore: …`, `client booklore-plugin: …`) so
//! scenarios of the same name stay apart. It checks the harness against
//! itself: if it fails, the harness, not a target, is wrong.

use std::time::Instant;

use super::client::cli::{verify_client, ClientRunOptions, ClientTarget};
use super::features;
use super::hash::world::{verify_hash, HashTarget};
use super::report::Report;
use super::runner;
use super::server::cli::{run_server_contract, VerifyServer};
use super::server::property;
use crate::contract::args::CommonVerifyArgs;
use crate::exit::Outcome;
use crate::model::Profile;
use crate::protocol::Dialect;

/// `verify` options: those both sides share.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub common: CommonVerifyArgs,
    /// Random push/pull sequences per server dialect (0 = none).
    #[arg(long, value_name = "N", default_value_t = property::DEFAULT_CASES)]
    pub cases: u32,
    /// Run the features of this tree, laid out like `features/` (its
    /// `server/`, `client/` and `hash/` folders), instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub features: Option<std::path::PathBuf>,
    /// Verify the reference model of this client profile only
    /// (`booklore-plugin`, `koreader`); every profile without it.
    #[arg(long, value_name = "PROFILE", value_parser = crate::contract::client::cli::parse_profile)]
    pub profile: Option<String>,
}

/// What [`verify_both`] was told to run.
#[derive(Debug, Clone, Default)]
pub struct BothOptions {
    pub tags: Option<String>,
    pub cases: u32,
    pub seed: Option<u64>,
    /// A tree laid out like `features/`; the built-in features without it.
    pub features: Option<std::path::PathBuf>,
    /// The client profile whose model is verified; every profile when `None`.
    pub profile: Option<String>,
}

impl BothOptions {
    /// Where `part` (`server`, `client`, `hash`) reads its features from.
    fn source(&self, part: &str) -> Result<runner::FeatureSource, PartFailed> {
        match &self.features {
            None => Ok(features::embedded(part)),
            Some(dir) => {
                // Each part must come from the tree: one folder of one side
                // would run the other parts' steps against it.
                if !dir.join(part).is_dir() {
                    return Err(PartFailed::new(
                        part,
                        format!(
                            "--features {}: verify needs a tree laid out like features/, with \
                             server/, client/ and hash/; it has no {part}/ (verify-server and \
                             verify-client take one side's folder)",
                            dir.display()
                        ),
                    ));
                }
                features::part_of(dir, part).map_err(|e| PartFailed::new(part, e))
            }
        }
    }
}

/// One part of a combined run that could not produce a report.
#[derive(Debug, thiserror::Error)]
#[error("{part}: {message}")]
pub struct PartFailed {
    pub part: String,
    pub message: String,
}

impl PartFailed {
    fn new(part: &str, error: impl std::fmt::Display) -> Self {
        PartFailed {
            part: part.to_string(),
            message: error.to_string(),
        }
    }
}

/// Run every part and merge the reports. The future is not `Send`.
pub async fn verify_both(options: &BothOptions) -> Result<Report, PartFailed> {
    let mut parts: Vec<(String, Report)> = Vec::new();
    for dialect in [Dialect::BookLore, Dialect::Kosync] {
        let mut run = VerifyServer::built_in(dialect, None);
        run.tags = options.tags.clone();
        run.cases = options.cases;
        run.seed = options.seed;
        run.features = options.source("server")?;
        let part = format!("server {dialect}");
        let report = run_server_contract(&run)
            .await
            .map_err(|e| PartFailed::new(&part, e))?;
        parts.push((part, report));
    }
    let profiles: Vec<String> = match &options.profile {
        Some(profile) => vec![profile.clone()],
        None => Profile::ALL.iter().map(|p| p.name().to_string()).collect(),
    };
    for profile in profiles {
        let client_options = ClientRunOptions {
            tags: options.tags.clone(),
            source: options.source("client")?,
            profile: profile.clone(),
            ..ClientRunOptions::default()
        };
        let part = format!("client {profile}");
        let report = verify_client(ClientTarget::Model(None), client_options)
            .await
            .map_err(|e| PartFailed::new(&part, e))?;
        parts.push((part, report));
    }
    // The document hash (H-1) is checked on the implementation the fake
    // server's library scan and `kosync-contract hash` use.
    let part = "hash".to_string();
    let report = verify_hash(
        HashTarget::reference(),
        options.source("hash")?,
        options.tags.as_deref(),
    )
    .await
    .map_err(|e| PartFailed::new(&part, e))?;
    parts.push((part, report));
    let combined = combine(parts);
    if combined.results.is_empty() {
        return Err(PartFailed {
            part: "features".to_string(),
            message: match &options.tags {
                Some(t) => format!("no scenario of the features matches --tags {t:?}"),
                None => "the features hold no scenario".to_string(),
            },
        });
    }
    Ok(combined)
}

/// Merge part reports into one, keeping every result and note.
pub fn combine(parts: Vec<(String, Report)>) -> Report {
    let mut results = Vec::new();
    let mut notes = Vec::new();
    for (part, report) in parts {
        let s = report.summary;
        notes.push(format!(
            "{part} ({}): {} passed, {} failed, {} skipped, {} error",
            report.target, s.passed, s.failed, s.skipped, s.error
        ));
        notes.extend(report.notes.iter().map(|n| format!("{part}: {n}")));
        results.extend(report.results.into_iter().map(|mut r| {
            r.feature = format!("{part}: {}", r.feature);
            r
        }));
    }
    let mut combined = Report::new(
        "the built-in fake server (booklore, kosync), the reference client model and the document hash".to_string(),
        None,
        None,
        results,
    );
    for note in notes {
        combined.note(note);
    }
    combined
}

/// `kosync-contract verify`.
pub fn run(args: VerifyArgs) -> Outcome {
    let runtime = match runner::runtime() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("kosync-contract verify: {err}");
            return Outcome::HarnessError;
        }
    };
    let options = BothOptions {
        tags: args.common.tags.clone(),
        cases: args.cases,
        seed: args.common.seed,
        features: args.features.clone(),
        profile: args.profile.clone(),
    };
    let started = Instant::now();
    match runtime.block_on(verify_both(&options)) {
        Ok(report) => {
            let outcome = args.common.report.emit(&report, "kosync-contract verify");
            super::report::say(&format!(
                "wall time: {:.2} s\n",
                started.elapsed().as_secs_f64()
            ));
            outcome
        }
        Err(err) => {
            eprintln!("kosync-contract verify: {err}");
            Outcome::HarnessError
        }
    }
}
