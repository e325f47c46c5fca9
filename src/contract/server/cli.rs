//! `kosync-contract verify-server`: run the server contract against the
//! built-in fake server or any server URL, print the report, write JSON/JUnit,
//! and exit 0 (conformant), 1 (a gating rule failed) or 2 (could not verify).
//!
//! The library entry point is [`verify_server`], so tests drive exactly what
//! the command does without spawning it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use super::property::{self, PropertyOptions};
use super::world::{Credentials, ServerTarget, ServerWorld, TargetKind};
use crate::contract::catalogue::{self, Level};
use crate::contract::report::{CaseResult, Report, ReportFiles, Status};
use crate::contract::runner::{self, FeatureSource, RunOptions};
use crate::exit;
use crate::protocol::{self, Dialect};
use crate::server::Defect;

/// The built-in server features (`features/server/*.feature`).
pub fn server_features() -> FeatureSource {
    crate::contract::features::embedded("server")
}

/// Verify a sync server against the contract, rule by rule.
#[derive(Debug, Clone, Args)]
pub struct VerifyServerArgs {
    /// The server's base URL (e.g. `http://localhost:6060`). Without it, the
    /// built-in fake server is started on an ephemeral port and verified.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The user to sign in as.
    #[arg(long, value_name = "U", requires = "base_url")]
    pub user: Option<String>,
    /// The user's password (only its MD5 is sent, as KOReader does).
    #[arg(long, value_name = "P", requires = "user", conflicts_with = "key")]
    pub password: Option<String>,
    /// The user's key (MD5 hex of the password) instead of the password.
    #[arg(long, value_name = "K", requires = "user")]
    pub key: Option<String>,
    /// A second user, for the isolation scenarios (skipped without one).
    #[arg(long, value_name = "U2", requires = "base_url")]
    pub second_user: Option<String>,
    #[arg(
        long,
        value_name = "P2",
        requires = "second_user",
        conflicts_with = "second_key"
    )]
    pub second_password: Option<String>,
    /// The second user's key instead of the password.
    #[arg(long, value_name = "K2", requires = "second_user")]
    pub second_key: Option<String>,
    /// Which server's rules to hold the target to.
    #[arg(long, value_name = "booklore|kosync", default_value = "booklore")]
    pub dialect: Dialect,
    /// A document hash the server knows as a book (BookLore serves progress
    /// only for books in its library). Other documents are derived at random.
    #[arg(long, value_name = "HASH")]
    pub document: Option<String>,
    /// Only scenarios matching this tag expression (e.g. `@S-PULL-2 or @S-TS-1`).
    #[arg(long, value_name = "EXPR")]
    pub tags: Option<String>,
    /// Random push/pull sequences to run against the server's model (0 = none).
    #[arg(long, value_name = "N", default_value_t = property::DEFAULT_CASES)]
    pub cases: u32,
    /// Seed for the random sequences, to replay a run.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Per-request timeout.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    #[command(flatten)]
    pub report: ReportFiles,
    /// Run the features in this directory instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub features: Option<PathBuf>,
}

/// A verify-server run, resolved from the flags (or built by a test).
#[derive(Debug, Clone)]
pub struct VerifyServer {
    pub kind: TargetKind,
    pub dialect: Dialect,
    pub user: Option<Credentials>,
    pub second: Option<Credentials>,
    pub document: Option<String>,
    pub tags: Option<String>,
    pub cases: u32,
    pub seed: Option<u64>,
    pub timeout: Duration,
    pub features: FeatureSource,
}

impl VerifyServer {
    /// The built-in fake server of `dialect` (with `defect`, for detection tests), no property cases.
    pub fn built_in(dialect: Dialect, defect: Option<Defect>) -> Self {
        VerifyServer {
            kind: TargetKind::BuiltIn { defect },
            dialect,
            user: None,
            second: None,
            document: None,
            tags: None,
            cases: 0,
            seed: None,
            timeout: Duration::from_secs(10),
            features: server_features(),
        }
    }
}

/// Why the flags do not describe a run (exit 2).
pub fn resolve(args: &VerifyServerArgs) -> Result<VerifyServer, String> {
    let credentials = |user: &Option<String>,
                       password: &Option<String>,
                       key: &Option<String>,
                       flags: &str|
     -> Result<Option<Credentials>, String> {
        match (user, password, key) {
            (None, _, _) => Ok(None),
            (Some(u), Some(p), None) => Ok(Some(Credentials::with_password(u, p))),
            (Some(u), None, Some(k)) => {
                let k = k.to_ascii_lowercase();
                if !protocol::is_document_hash(&k) {
                    return Err(format!(
                        "{flags}: a key is the 32-hex-digit MD5 of the password, got {k:?}"
                    ));
                }
                Ok(Some(Credentials {
                    user: u.clone(),
                    key: k,
                }))
            }
            (Some(_), _, _) => Err(format!("{flags}: give a password or a key")),
        }
    };
    let user = credentials(&args.user, &args.password, &args.key, "--user")?;
    let second = credentials(
        &args.second_user,
        &args.second_password,
        &args.second_key,
        "--second-user",
    )?;
    let kind = match &args.base_url {
        Some(url) => {
            let parsed = reqwest::Url::parse(url)
                .map_err(|e| format!("--base-url {url:?} is not a URL: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(format!(
                    "--base-url {url:?}: only http and https are supported"
                ));
            }
            if user.is_none() {
                return Err("--base-url needs --user with --password or --key".to_string());
            }
            TargetKind::Url(url.trim_end_matches('/').to_string())
        }
        None => TargetKind::BuiltIn { defect: None },
    };
    if let Some(doc) = &args.document {
        if !protocol::is_document_hash(doc) {
            return Err(format!(
                "--document {doc:?}: a document hash is 32 lowercase hex digits (see `kosync-contract hash FILE`)"
            ));
        }
    }
    if let Some(tags) = &args.tags {
        runner::parse_tags(tags)?;
    }
    if args.timeout_ms == 0 {
        return Err("--timeout-ms must be at least 1".to_string());
    }
    Ok(VerifyServer {
        kind,
        dialect: args.dialect,
        user,
        second,
        document: args.document.clone(),
        tags: args.tags.clone(),
        cases: args.cases,
        seed: args.seed,
        timeout: Duration::from_millis(args.timeout_ms),
        features: match &args.features {
            Some(dir) => FeatureSource::Dir(dir.clone()),
            None => server_features(),
        },
    })
}

/// What stopped a run before it produced a report (exit 2), in one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CannotVerify(pub String);

/// Run the contract (features, then property cases) and return the report.
pub async fn verify_server(run: &VerifyServer) -> Result<Report, CannotVerify> {
    let report = run_server_contract(run).await?;
    if report.results.is_empty() {
        return Err(CannotVerify(match &run.tags {
            Some(t) => format!(
                "no scenario of {} matches --tags {t:?}",
                run.features.describe()
            ),
            None => format!(
                "{} hold no scenario for the {} dialect",
                run.features.describe(),
                run.dialect
            ),
        }));
    }
    Ok(report)
}

/// [`verify_server`] without its last check: a `--tags` that selects nothing
/// gives an empty report instead of an error. `verify` uses it, since there
/// another part of the run may hold the scenarios the tags select.
pub async fn run_server_contract(run: &VerifyServer) -> Result<Report, CannotVerify> {
    let mut target = match &run.kind {
        TargetKind::BuiltIn { defect } => ServerTarget::built_in(run.dialect, *defect),
        TargetKind::Url(url) => {
            let user = run
                .user
                .clone()
                .ok_or_else(|| CannotVerify("--base-url needs --user".to_string()))?;
            ServerTarget {
                kind: TargetKind::Url(url.clone()),
                dialect: run.dialect,
                user,
                second: run.second.clone(),
                document: run.document.clone(),
                timeout: run.timeout,
                written: Default::default(),
                registered: Default::default(),
                timeouts: Default::default(),
            }
        }
    };
    target.timeout = run.timeout;
    let target = Arc::new(target);

    let mut refused_credentials = None;
    if let TargetKind::Url(url) = &run.kind {
        match preflight(url, &target).await? {
            Some(Preflight::NoAnswer(report)) => return Ok(report),
            Some(Preflight::CredentialsRefused(status)) => refused_credentials = Some(status),
            None => {}
        }
    }

    let tags = match &run.tags {
        Some(t) => Some(runner::parse_tags(t).map_err(CannotVerify)?),
        None => None,
    };
    let concurrency = if target.is_built_in() { 8 } else { 1 };
    let mut report = runner::run::<ServerWorld>(
        Arc::new(Arc::clone(&target)),
        RunOptions {
            source: run.features.clone(),
            tags,
            concurrency,
            target: target.describe(),
            dialect: Some(run.dialect.name().to_string()),
            profile: None,
        },
    )
    .await
    .map_err(|e| CannotVerify(e.to_string()))?;

    // `--tags` selects the property like a scenario tagged with its rule ids and `@property`.
    let property_selected = match &run.tags {
        None => true,
        Some(t) => {
            let mut tags = property::covered_rules(run.dialect, target.second.is_some());
            tags.push("property".to_string());
            runner::parse_tags(t)
                .map(|expr| {
                    use cucumber::tag::Ext as _;
                    expr.eval(tags.iter())
                })
                .unwrap_or(false)
        }
    };
    if run.cases > 0 && property_selected {
        let seed = run.seed.unwrap_or_else(rand::random);
        let result = property::check(
            Arc::clone(&target),
            PropertyOptions {
                cases: run.cases,
                seed,
            },
        )
        .await;
        report.note(format!(
            "property: {} random sequences, seed {seed} (replay with --cases {} --seed {seed})",
            run.cases, run.cases
        ));
        report.extend([result]);
    }

    if let Some(status) = refused_credentials {
        report.note(format!(
            "the server refused --user {}'s credentials on GET {} ({status}): check --user and --password/--key; most failures below follow from that",
            target.user.user,
            target.dialect.auth_path()
        ));
    }
    if !target.is_built_in() && run.dialect == Dialect::BookLore {
        let push_not_found = report.failures().any(|r| {
            r.step
                .as_deref()
                .is_some_and(|s| s.contains("pushed") || s.contains("pushes"))
                && r.actual
                    .as_deref()
                    .is_some_and(|a| a.starts_with("status 404"))
        });
        if push_not_found {
            report.note(format!(
                "pushes for --document {} answered 404: is it the hash of a book in the library? (`kosync-contract hash FILE` prints it)",
                run.document.as_deref().unwrap_or("(none)")
            ));
        }
    }
    if !target.is_built_in() {
        let written: Vec<String> = target
            .written
            .lock()
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        if !written.is_empty() {
            report.note(format!(
                "documents written on the server: {}",
                written.join(", ")
            ));
        }
        let registered: Vec<String> = target
            .registered
            .lock()
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        if !registered.is_empty() {
            report.note(format!(
                "users registered on the server: {}",
                registered.join(", ")
            ));
        }
        if target.second.is_none() {
            report.note("no --second-user: isolation scenarios skipped");
        }
    }
    Ok(report)
}

/// What the request before the run found, when it is worth saying.
enum Preflight {
    /// The server never answered: this report (one failure) is the whole run.
    NoAnswer(Report),
    /// The given user's credentials were refused: the run goes on, with a note.
    CredentialsRefused(u16),
}

/// One request before the run: an unreachable server is one clear line (exit 2),
/// a server that never answers is one failure, not forty timeouts.
async fn preflight(url: &str, target: &ServerTarget) -> Result<Option<Preflight>, CannotVerify> {
    let client = reqwest::Client::builder()
        .timeout(target.timeout)
        .build()
        .map_err(|e| CannotVerify(format!("cannot build an HTTP client: {e}")))?;
    let auth = format!("{url}{}", target.dialect.auth_path());
    let accept = match target.dialect {
        Dialect::Kosync => protocol::KOSYNC_ACCEPT,
        Dialect::BookLore => protocol::JSON_CONTENT_TYPE,
    };
    let answer = client
        .get(&auth)
        .header(protocol::HEADER_AUTH_USER, &target.user.user)
        .header(protocol::HEADER_AUTH_KEY, &target.user.key)
        .header("Accept", accept)
        .send()
        .await;
    match answer {
        Ok(response) if matches!(response.status().as_u16(), 401 | 403) => Ok(Some(
            Preflight::CredentialsRefused(response.status().as_u16()),
        )),
        Ok(_) => Ok(None),
        Err(err) if err.is_timeout() => {
            let rule = match target.dialect {
                Dialect::BookLore => "S-AUTH-1",
                Dialect::Kosync => "K-AUTH-1",
            };
            let level = catalogue::find(rule)
                .map(|r| r.level)
                .unwrap_or(Level::Must);
            let mut case = CaseResult::new(
                "Reaching the server",
                "The server answers within the timeout",
                &[rule],
                level,
                Status::Failed,
            );
            case.expected = Some(format!(
                "an answer to GET {} within {} ms",
                target.dialect.auth_path(),
                target.timeout.as_millis()
            ));
            case.actual = Some("no answer (timeout); the run stopped here".to_string());
            case.reproduce = Some(format!(
                "curl -sS -i --max-time {} -H {} -H {} {}",
                target.timeout.as_secs().max(1),
                super::world::shell_quote(&format!(
                    "{}: {}",
                    protocol::HEADER_AUTH_USER,
                    target.user.user
                )),
                super::world::shell_quote(&format!(
                    "{}: {}",
                    protocol::HEADER_AUTH_KEY,
                    target.user.key
                )),
                super::world::shell_quote(&auth)
            ));
            let mut report = Report::new(
                target.describe(),
                Some(target.dialect.name().to_string()),
                None,
                vec![case],
            );
            report.note("the server does not answer; no scenario was run");
            Ok(Some(Preflight::NoAnswer(report)))
        }
        Err(err) => {
            let mut message = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(s) = source {
                message.push_str(&format!(": {s}"));
                source = s.source();
            }
            Err(CannotVerify(format!(
                "cannot reach the server at {url}: {message}"
            )))
        }
    }
}

/// `kosync-contract verify-server …`: runs on its own runtime, returns the exit code.
pub fn run(args: VerifyServerArgs) -> std::process::ExitCode {
    let runtime = match runner::runtime() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("kosync-contract verify-server: {err}");
            return std::process::ExitCode::from(exit::HARNESS_ERROR);
        }
    };
    std::process::ExitCode::from(runtime.block_on(run_async(args)))
}

/// The body of [`run`], for callers that already have a runtime.
pub async fn run_async(args: VerifyServerArgs) -> u8 {
    let run = match resolve(&args) {
        Ok(r) => r,
        Err(message) => {
            eprintln!("kosync-contract verify-server: {message}");
            return exit::HARNESS_ERROR;
        }
    };
    let started = Instant::now();
    let report = match verify_server(&run).await {
        Ok(r) => r,
        Err(err) => {
            eprintln!("kosync-contract verify-server: {err}");
            return exit::HARNESS_ERROR;
        }
    };
    let code = args.report.emit(&report, "kosync-contract verify-server");
    println!("wall time: {:.2} s", started.elapsed().as_secs_f64());
    code
}
