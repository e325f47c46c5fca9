//! `kosync-contract verify-client`: run the client features against a client.
//!
//! With no `--adapter`, the client is the reference model in process (the
//! oracle checked against itself, which is how the features are known to be
//! right). Each scenario gets a fresh fake server and a fresh driver; reports
//! and exit codes are those of every verify command (0 conformant, 1 a gating
//! rule failed, 2 the harness could not do its job).

use std::path::PathBuf;
use std::sync::Arc;

use super::differential;
use super::world::{
    profile_named, profile_names, ClientContext, ClientWorld, DriverFactory, CLOCK_START,
    DEFAULT_PROFILE, READER_PASSWORD, READER_USER,
};
use crate::adapter::model_driver::ModelDriver;
use crate::adapter::subprocess::Timeouts;
use crate::adapter::{Capabilities, ClientDriver, ClientIdentity};
use crate::contract::args::CommonVerifyArgs;
use crate::contract::report::Report;
use crate::contract::runner::{self, FeatureSource, HarnessError, RunOptions};
use crate::exit::Outcome;
use crate::model::Mutant;
use crate::model::Settings;
use crate::protocol::Dialect;
use crate::server::{ServerConfig, UserSpec};

/// The built-in client features (`features/client`).
pub fn builtin_client_features() -> FeatureSource {
    crate::contract::features::embedded("client")
}

/// `verify-client` options.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyClientArgs {
    #[command(flatten)]
    pub common: CommonVerifyArgs,
    /// Command that starts the client's adapter (JSON lines on stdin/stdout);
    /// without it the reference model is verified.
    #[arg(long, value_name = "CMD")]
    pub adapter: Option<String>,
    /// Behaviour profile the client claims.
    #[arg(long, default_value = DEFAULT_PROFILE, value_parser = parse_profile)]
    pub profile: String,
    /// How long the adapter may take to answer one message before the run
    /// ends with exit 2.
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    pub adapter_timeout_ms: u64,
    /// How long the adapter may take from being started to answering `init`
    /// (loading an interpreter and the client is slow on a busy machine).
    #[arg(long, default_value_t = 30000, value_name = "MS")]
    pub adapter_startup_timeout_ms: u64,
    /// Random cases of the differential run after the features (default 200;
    /// 0 skips it; with --tags it runs only when this is given).
    #[arg(long, value_name = "N")]
    pub cases: Option<u32>,
    /// Run these client features instead of the built-in ones: `DIR/client`
    /// when DIR is laid out like `features/` (client/, server/, hash/), else
    /// every `.feature` file under DIR. They use the steps of `features/client`.
    #[arg(long, value_name = "DIR")]
    pub features: Option<PathBuf>,
    /// Scenarios run at once (each has its own fake server and client).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub concurrency: usize,
}

/// `--profile NAME`, checked against the model's profiles.
pub fn parse_profile(s: &str) -> Result<String, String> {
    if profile_named(s).is_some() {
        Ok(s.to_string())
    } else {
        Err(format!(
            "unknown profile {s:?}: expected one of {}",
            profile_names().join(", ")
        ))
    }
}

/// Which client a run verifies.
#[derive(Clone)]
pub enum ClientTarget {
    /// The reference model, optionally with one rule broken (detection tests).
    Model(Option<Mutant>),
    /// Any driver, e.g. a subprocess adapter; `describe` names it in the report
    /// and `args` reproduces it on a command line (` --adapter '…'`).
    Driver {
        drivers: DriverFactory,
        describe: String,
        args: String,
    },
}

impl std::fmt::Debug for ClientTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientTarget::Model(m) => f.debug_tuple("Model").field(m).finish(),
            ClientTarget::Driver { describe, .. } => f
                .debug_struct("Driver")
                .field("describe", describe)
                .finish(),
        }
    }
}

/// What a client run needs besides the target.
#[derive(Debug, Clone)]
pub struct ClientRunOptions {
    pub source: FeatureSource,
    pub tags: Option<String>,
    pub profile: String,
    pub concurrency: usize,
}

impl Default for ClientRunOptions {
    fn default() -> Self {
        ClientRunOptions {
            source: builtin_client_features(),
            tags: None,
            profile: DEFAULT_PROFILE.to_string(),
            concurrency: 8,
        }
    }
}

/// Run the client features against `target` and return the report.
/// The future is not `Send` (cucumber runs locally): await it directly.
pub async fn verify_client(
    target: ClientTarget,
    options: ClientRunOptions,
) -> Result<Report, HarnessError> {
    let tags = match &options.tags {
        Some(expr) => Some(runner::parse_tags(expr).map_err(HarnessError::Target)?),
        None => None,
    };
    let mut model_capabilities = None;
    let (drivers, describe, args): (DriverFactory, String, String) = match target {
        ClientTarget::Model(mutant) => {
            let Some(profile) = profile_named(&options.profile) else {
                return Err(HarnessError::Target(format!(
                    "the reference model has no profile {:?} (it has {})",
                    options.profile,
                    profile_names().join(", ")
                )));
            };
            let drivers: DriverFactory = Arc::new(move || {
                let driver = ModelDriver::for_profile(profile, Dialect::BookLore);
                let driver = match mutant {
                    Some(m) => driver.with_mutant(m),
                    None => driver,
                };
                Ok(Box::new(driver) as Box<dyn ClientDriver>)
            });
            let describe = match mutant {
                Some(m) => format!("reference model with mutant {}", m.name()),
                None => "reference model (in process)".to_string(),
            };
            model_capabilities = Some(Capabilities::of_profile(profile));
            (drivers, describe, String::new())
        }
        ClientTarget::Driver {
            drivers,
            describe,
            args,
        } => (drivers, describe, args),
    };
    let capabilities = match &model_capabilities {
        Some(capabilities) => *capabilities,
        None => match probe_capabilities(&drivers).await {
            Ok(capabilities) => capabilities,
            Err(StartFailed(message)) => {
                return Ok(start_failure_report(describe, &options.profile, message))
            }
        },
    };
    let context = ClientContext {
        drivers,
        profile: options.profile.clone(),
        target_args: args,
        capabilities,
    };
    runner::run::<ClientWorld>(
        Arc::new(context),
        RunOptions {
            source: options.source,
            tags,
            concurrency: options.concurrency.max(1),
            target: describe,
            dialect: None,
            profile: Some(options.profile),
        },
    )
    .await
}

/// The client could not be started (and so nothing can be checked).
struct StartFailed(String);

/// A report of a run in which the client never started: one harness error (exit 2).
fn start_failure_report(describe: String, profile: &str, message: String) -> Report {
    let mut result = crate::contract::report::CaseResult::new(
        "adapter start",
        "the adapter answers init and shutdown",
        &[],
        crate::contract::catalogue::Level::Must,
        crate::contract::report::Status::Error,
    );
    result.actual = Some(message);
    let mut report = Report::new(describe, None, Some(profile.to_string()), vec![result]);
    report.note(
        "no scenario ran: the adapter must start before anything can be checked \
         (docs/adapter-protocol.md)",
    );
    report
}

/// What the client declares, asked of one session started against a fake
/// server before the scenarios: which scenarios apply depends on it.
async fn probe_capabilities(drivers: &DriverFactory) -> Result<Capabilities, StartFailed> {
    let cannot = |what: String| StartFailed(format!("the client could not be started: {what}"));
    let mut driver = drivers().map_err(|e| cannot(e.to_string()))?;
    let mut config = ServerConfig::new(Dialect::BookLore);
    config.users = vec![UserSpec::with_password(READER_USER, READER_PASSWORD)];
    let server = crate::server::start(config)
        .await
        .map_err(|e| StartFailed(format!("cannot start the fake server: {e:#}")))?;
    let identity = ClientIdentity {
        base_url: server.base_url(),
        user: READER_USER.to_string(),
        password: READER_PASSWORD.to_string(),
        device: "kosync-contract probe".to_string(),
        device_id: "0000000000000000000000000000A0A0".to_string(),
        clock_start: CLOCK_START,
    };
    let started = driver.start(&identity, &Settings::default()).await;
    let stopped = driver.stop().await;
    server.shutdown().await;
    let capabilities = started.map_err(|e| cannot(e.to_string()))?;
    stopped.map_err(|e| cannot(e.to_string()))?;
    Ok(capabilities)
}

/// The options of a client run as `verify-client` flags give them, or why the
/// flags name no client features.
pub(crate) fn run_options(args: &VerifyClientArgs) -> Result<ClientRunOptions, String> {
    Ok(ClientRunOptions {
        source: match &args.features {
            Some(dir) => crate::contract::features::part_of(dir, "client")?,
            None => builtin_client_features(),
        },
        tags: args.common.tags.clone(),
        profile: args.profile.clone(),
        concurrency: args.concurrency,
    })
}

/// `kosync-contract verify-client`.
pub fn run(args: VerifyClientArgs) -> Outcome {
    let adapter = match &args.adapter {
        Some(line) => match crate::adapter::subprocess::AdapterCommand::parse(line) {
            Ok(command) => Some(command),
            Err(err) => {
                eprintln!("kosync-contract verify-client: --adapter: {err}");
                return Outcome::HarnessError;
            }
        },
        None => None,
    };
    let timeout = Timeouts {
        message: std::time::Duration::from_millis(args.adapter_timeout_ms.max(1)),
        startup: std::time::Duration::from_millis(args.adapter_startup_timeout_ms.max(1)),
    };
    let target = match &adapter {
        Some(command) => {
            let make =
                crate::adapter::subprocess::SubprocessDriver::factory(command.clone(), timeout);
            ClientTarget::Driver {
                drivers: Arc::new(move || Ok(make())),
                describe: format!("adapter `{}`", command.line),
                args: format!(" --adapter {}", shell_quote(&command.line)),
            }
        }
        None => ClientTarget::Model(None),
    };
    let runtime = match runner::runtime() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("kosync-contract verify-client: {err}");
            return Outcome::HarnessError;
        }
    };
    let mut capabilities = match profile_named(&args.profile) {
        Some(profile) => Capabilities::of_profile(profile),
        None => Capabilities::all(),
    };
    if let Some(command) = &adapter {
        match runtime.block_on(differential::preflight(command, timeout)) {
            Ok(declared) => capabilities = declared,
            Err(err) => {
                eprintln!("kosync-contract verify-client: the adapter could not be started: {err}");
                let report = start_failure_report(
                    format!("adapter `{}`", command.line),
                    &args.profile,
                    err.to_string(),
                );
                return args
                    .common
                    .report
                    .emit(&report, "kosync-contract verify-client");
            }
        }
    }
    let options = match run_options(&args) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("kosync-contract verify-client: {err}");
            return Outcome::HarnessError;
        }
    };
    let started = std::time::Instant::now();
    let mut report = match runtime.block_on(verify_client(target, options)) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("kosync-contract verify-client: {err}");
            return Outcome::HarnessError;
        }
    };
    // The differential run brings its own runtime; this one is idle meanwhile.
    // It touches every rule, so a `--tags` selection skips it unless `--cases` asks.
    let cases = match (args.cases, &args.common.tags) {
        (Some(cases), _) => cases,
        (None, Some(_)) => 0,
        (None, None) => differential::DEFAULT_CASES,
    };
    if cases > 0 {
        let seed = args.common.seed.unwrap_or(differential::DEFAULT_SEED);
        // `--profile` was validated by clap; the default profile is a fallback only.
        let profile = profile_named(&args.profile).unwrap_or_default();
        let candidate = match &adapter {
            Some(command) => {
                let make =
                    crate::adapter::subprocess::SubprocessDriver::factory(command.clone(), timeout);
                differential::Candidate::Driver {
                    make: Box::new(make),
                }
            }
            None => differential::Candidate::Driver {
                make: Box::new(move || {
                    Box::new(ModelDriver::for_profile(profile, Dialect::BookLore))
                        as Box<dyn ClientDriver>
                }),
            },
        };
        let options = differential::Options::new(cases, seed)
            .for_profile(profile)
            .declaring(capabilities);
        let found = differential::run(&candidate, options);
        let profile_arg = if profile == crate::model::Profile::default() {
            String::new()
        } else {
            format!(" --profile {profile}")
        };
        let reproduce = format!(
            "kosync-contract verify-client{profile_arg}{} --cases {cases} --seed {seed}",
            adapter
                .as_ref()
                .map(|c| format!(" --adapter {}", shell_quote(&c.line)))
                .unwrap_or_default()
        );
        report.extend([differential::case_result(&found, &reproduce)]);
        if let Some(note) = differential::unattributed_summary(&found) {
            report.note(&note);
        }
    }
    if adapter.is_none() {
        report.note("client features run against the reference model (in process)");
    }
    let outcome = args
        .common
        .report
        .emit(&report, "kosync-contract verify-client");
    crate::contract::report::say(&format!(
        "wall time: {:.2} s\n",
        started.elapsed().as_secs_f64()
    ));
    outcome
}

/// `line` as one shell word.
fn shell_quote(line: &str) -> String {
    format!("'{}'", line.replace('\'', "'\\''"))
}
