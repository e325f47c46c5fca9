//! `kosync-contract verify-server`: run the server contract against the
//! built-in fake server or any server URL, print the report, write JSON/JUnit,
//! and exit with the verdict:
//!
//! - 0 conformant: every gating rule in scope was checked and held (or, with
//!   `--allow-skips`, every rule that could be checked held);
//! - 1 a gating (MUST) rule failed;
//! - 2 the run could not be done (bad usage, unreachable server, wrong
//!   dialect); the JSON and JUnit files are written anyway and say why;
//! - 3 nothing checked failed, but a gating rule could not be checked on this
//!   target (its scenarios were skipped; the report names each and why).
//!
//! Against a URL, scenarios run concurrently (`--jobs`), each on its own
//! documents, and the random sequences run alongside them, all over one
//! connection pool.
//!
//! The library entry point is [`verify_server`], so tests drive exactly what
//! the command does without spawning it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use super::property::{self, PropertyOptions};
use super::world::{ServerTarget, ServerWorld, TargetKind};
use crate::contract::args::CommonVerifyArgs;
use crate::contract::catalogue::{self, Level};
use crate::contract::report::{CaseResult, Report, SkipPolicy, Status};
use crate::contract::runner::{self, FeatureSource, RunOptions};
use crate::exit::Outcome;
use crate::protocol::{self, Dialect};
use crate::server::Defect;
use crate::sync_client::{Credentials, Exchange, SyncClient};

const COMMAND: &str = "kosync-contract verify-server";

/// Scenarios run at once by default: enough to hide a slow server's latency
/// (each request to a server that re-hashes keys costs tens of milliseconds),
/// few enough not to look like an attack.
pub const DEFAULT_JOBS: usize = 8;

/// The built-in server features (`features/server/*.feature`).
pub fn server_features() -> FeatureSource {
    crate::contract::features::embedded("server")
}

/// Verify a sync server against the contract, rule by rule.
///
/// Exit codes: 0 conformant, 1 a MUST rule failed, 2 the run could not be
/// done (reports still written), 3 a MUST rule could not be checked on this
/// target (accept a partial run with --allow-skips).
#[derive(Debug, Clone, Args)]
pub struct VerifyServerArgs {
    #[command(flatten)]
    pub common: CommonVerifyArgs,
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
    /// The second user's password (only its MD5 is sent).
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
    /// A user whose KOReader sync is switched off (in BookLore, a user with
    /// KOReader sync disabled), for S-OFF-1; without one that rule is not
    /// checked against a URL.
    #[arg(long, value_name = "U3", requires = "base_url")]
    pub disabled_user: Option<String>,
    /// That user's password (only its MD5 is sent).
    #[arg(
        long,
        value_name = "P3",
        requires = "disabled_user",
        conflicts_with = "disabled_key"
    )]
    pub disabled_password: Option<String>,
    /// That user's key instead of the password.
    #[arg(long, value_name = "K3", requires = "disabled_user")]
    pub disabled_key: Option<String>,
    /// Which server's rules to hold the target to.
    #[arg(long, value_name = "booklore|kosync", default_value = "booklore")]
    pub dialect: Dialect,
    /// The hash of a book in the server's library; repeat for more books.
    /// Needed for the BookLore dialect against a URL (BookLore serves progress
    /// only for library books): the first is pushed to freely, the others
    /// serve as books a user has never synced (three, with --second-user, let
    /// every scenario run on every run). A kosync server needs none.
    #[arg(long = "document", value_name = "HASH")]
    pub documents: Vec<String>,
    /// Random push/pull sequences to run against the server's model (0 = none).
    #[arg(long, value_name = "N", default_value_t = property::DEFAULT_CASES)]
    pub cases: u32,
    /// Per-request timeout.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// How many scenarios (and random sequences) run at once, each on its own documents.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_JOBS)]
    pub jobs: usize,
    /// Accept a partial run: MUST rules that could not be checked on this
    /// target are listed, and the run exits 0 instead of 3 if nothing failed.
    #[arg(long)]
    pub allow_skips: bool,
    /// Run these server features instead of the built-in ones: `DIR/server`
    /// when DIR is laid out like `features/` (client/, server/, hash/), else
    /// every `.feature` file under DIR.
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
    /// A user whose sync is switched off (`--disabled-user`).
    pub disabled: Option<Credentials>,
    /// Library books (`--document`, in order).
    pub documents: Vec<String>,
    pub tags: Option<String>,
    pub cases: u32,
    pub seed: Option<u64>,
    pub timeout: Duration,
    pub features: FeatureSource,
    pub jobs: usize,
    pub allow_skips: bool,
}

impl VerifyServer {
    /// The built-in fake server of `dialect` (with `defect`, for detection tests), no property cases.
    pub fn built_in(dialect: Dialect, defect: Option<Defect>) -> Self {
        VerifyServer {
            kind: TargetKind::BuiltIn { defect },
            dialect,
            user: None,
            second: None,
            disabled: None,
            documents: Vec::new(),
            tags: None,
            cases: 0,
            seed: None,
            timeout: Duration::from_secs(10),
            features: server_features(),
            jobs: DEFAULT_JOBS,
            allow_skips: false,
        }
    }

    /// A server at `url` signed in as `user`, no second user, no documents, no property cases.
    pub fn url(url: &str, dialect: Dialect, user: Credentials) -> Self {
        VerifyServer {
            kind: TargetKind::Url(url.trim_end_matches('/').to_string()),
            user: Some(user),
            ..VerifyServer::built_in(dialect, None)
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
    let disabled = credentials(
        &args.disabled_user,
        &args.disabled_password,
        &args.disabled_key,
        "--disabled-user",
    )?;
    for (i, doc) in args.documents.iter().enumerate() {
        if !protocol::is_document_hash(doc) {
            return Err(format!(
                "--document {doc:?}: a document hash is 32 lowercase hex digits (see `kosync-contract hash FILE`)"
            ));
        }
        if args.documents[..i].contains(doc) {
            return Err(format!("--document {doc} is given twice"));
        }
    }
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
            if args.dialect == Dialect::BookLore && args.documents.is_empty() {
                return Err("the booklore dialect against --base-url needs --document HASH: BookLore keeps progress only for books in its library, so without one almost nothing can be checked (`kosync-contract hash FILE` prints a book's hash; repeat --document for more books); a reference kosync server needs --dialect kosync instead".to_string());
            }
            TargetKind::Url(url.trim_end_matches('/').to_string())
        }
        None => TargetKind::BuiltIn { defect: None },
    };
    if let Some(tags) = &args.common.tags {
        runner::parse_tags(tags)?;
    }
    if args.timeout_ms == 0 {
        return Err("--timeout-ms must be at least 1".to_string());
    }
    if args.jobs == 0 {
        return Err("--jobs must be at least 1".to_string());
    }
    Ok(VerifyServer {
        kind,
        dialect: args.dialect,
        user,
        second,
        disabled,
        documents: args.documents.clone(),
        tags: args.common.tags.clone(),
        cases: args.cases,
        seed: args.common.seed,
        timeout: Duration::from_millis(args.timeout_ms),
        features: match &args.features {
            Some(dir) => crate::contract::features::part_of(dir, "server")?,
            None => server_features(),
        },
        jobs: args.jobs,
        allow_skips: args.allow_skips,
    })
}

/// What stopped a run before it produced a report (exit 2), in one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CannotVerify(pub String);

/// Run the contract (features and property cases) and return the report.
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

/// The target a run describes, with its client.
fn target_of(run: &VerifyServer) -> Result<ServerTarget, CannotVerify> {
    let cannot = |e: crate::sync_client::BuildError| CannotVerify(e.to_string());
    match &run.kind {
        TargetKind::BuiltIn { defect } => {
            ServerTarget::built_in(run.dialect, *defect, run.timeout).map_err(cannot)
        }
        TargetKind::Url(url) => {
            let user = run
                .user
                .clone()
                .ok_or_else(|| CannotVerify("--base-url needs --user".to_string()))?;
            let client = SyncClient::new(url, run.dialect, run.timeout).map_err(cannot)?;
            let mut target = ServerTarget::new(
                run.kind.clone(),
                client,
                user,
                run.second.clone(),
                run.documents.clone(),
            );
            target.disabled = run.disabled.clone();
            Ok(target)
        }
    }
}

/// [`verify_server`] without its last check: a `--tags` that selects nothing
/// gives an empty report instead of an error. `verify` uses it, since there
/// another part of the run may hold the scenarios the tags select.
pub async fn run_server_contract(run: &VerifyServer) -> Result<Report, CannotVerify> {
    let target = Arc::new(target_of(run)?);

    let mut refused_credentials = None;
    let mut not_found = None;
    if let TargetKind::Url(url) = &run.kind {
        match preflight(url, &target).await? {
            Some(Preflight::NoAnswer(report)) => return Ok(report),
            Some(Preflight::CredentialsRefused(status)) => refused_credentials = Some(status),
            Some(Preflight::NotFound(note)) => not_found = Some(note),
            None => {}
        }
    }

    let tags = match &run.tags {
        Some(t) => Some(runner::parse_tags(t).map_err(CannotVerify)?),
        None => None,
    };
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
    let seed = run.seed.unwrap_or_else(rand::random);
    // The sequences run alongside the scenarios: each case has its own documents.
    let property_run = (run.cases > 0 && property_selected).then(|| {
        AbortOnDrop(tokio::spawn(property::check(
            Arc::clone(&target),
            PropertyOptions {
                cases: run.cases,
                seed,
                jobs: run.jobs,
            },
        )))
    });

    let mut report = runner::run::<ServerWorld>(
        Arc::new(Arc::clone(&target)),
        RunOptions {
            source: run.features.clone(),
            tags,
            concurrency: run.jobs,
            target: target.describe(),
            dialect: Some(run.dialect.name().to_string()),
            profile: None,
        },
    )
    .await
    .map_err(|e| CannotVerify(e.to_string()))?;

    if let Some(task) = property_run {
        let result = match task.join().await {
            Ok(result) => result,
            Err(join) => {
                let mut r = CaseResult::new(
                    property::PROPERTY_FEATURE,
                    "random sequences",
                    &[],
                    Level::Must,
                    Status::Error,
                );
                r.actual = Some(format!("the property run crashed: {join}"));
                r
            }
        };
        report.note(format!(
            "property: {} random sequences, seed {seed} (replay with --cases {} --seed {seed} --jobs {})",
            run.cases, run.cases, run.jobs
        ));
        report.extend([result]);
    }
    report.set_skip_policy(if run.allow_skips {
        SkipPolicy::Allowed
    } else {
        SkipPolicy::Gate
    });
    if let Some(note) = not_found {
        report.note(note);
    }
    explain(&mut report, run, &target, refused_credentials);
    Ok(report)
}

/// A spawned task that is aborted if its handle is dropped unawaited (the
/// scenarios failing to load must not leave the property running).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Notes that explain a run's failures and what it touched on a real server.
fn explain(
    report: &mut Report,
    run: &VerifyServer,
    target: &ServerTarget,
    refused_credentials: Option<u16>,
) {
    if let Some(status) = refused_credentials {
        report.note(format!(
            "the server refused --user {}'s credentials on GET {} ({status}): check --user and --password/--key; most failures below follow from that",
            target.user.user,
            target.dialect.auth_path()
        ));
    }
    let answered = |status: &str| {
        report.failures().any(|r| {
            r.actual
                .as_deref()
                .is_some_and(|a| a.contains(&format!("status {status}")))
        })
    };
    if answered("429") {
        report.note("the server answered 429 Too Many Requests: it rate-limits this run; raise its limit while verifying, or lower --jobs");
    }
    if target.is_built_in() {
        return;
    }
    if run.dialect == Dialect::BookLore {
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
                run.documents.first().map(String::as_str).unwrap_or("(none)")
            ));
        }
    }
    let listed = |set: &std::sync::Mutex<std::collections::BTreeSet<String>>| {
        set.lock()
            .map(|s| s.iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let written = listed(&target.written);
    if !written.is_empty() {
        // Three ids a line: a run writes dozens, and a reader cleaning up
        // after it copies them from the report.
        let lines: Vec<String> = written.chunks(3).map(|c| c.join(" ")).collect();
        report.note(format!(
            "{} document{} written on the server (pushes it accepted or never answered):\n{}",
            written.len(),
            if written.len() == 1 { "" } else { "s" },
            lines.join("\n")
        ));
    }
    let registered = listed(&target.registered);
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

/// What the request before the run found, when it is worth saying.
enum Preflight {
    /// The server never answered: this report (one failure) is the whole run.
    NoAnswer(Report),
    /// The given user's credentials were refused: the run goes on, with a note.
    CredentialsRefused(u16),
    /// The auth route of neither dialect exists: the run goes on, with this note.
    NotFound(String),
}

/// One request before the run (two when the dialect looks wrong): an
/// unreachable server or a server of the other dialect is one clear line
/// (exit 2), a server that never answers is one failure, not forty timeouts.
async fn preflight(url: &str, target: &ServerTarget) -> Result<Option<Preflight>, CannotVerify> {
    let client = &target.client;
    let answer = client.auth(&target.user).await;
    match answer.status {
        Some(401) | Some(403) => Ok(Some(Preflight::CredentialsRefused(
            answer.status.unwrap_or(401),
        ))),
        Some(404) => match other_dialect(url, target).await {
            Mismatch::OtherDialect(message) => Err(CannotVerify(message)),
            // Neither dialect's route: the run goes on (each rule fails on
            // what the server does), with a note on the likely cause.
            Mismatch::NoSyncApi(note) => Ok(Some(Preflight::NotFound(note))),
        },
        Some(_) => Ok(None),
        None if answer.timed_out() => Ok(Some(Preflight::NoAnswer(no_answer(target, &answer)))),
        None => Err(CannotVerify(format!(
            "cannot reach the server at {url}: {}",
            answer.error.as_deref().unwrap_or("no answer")
        ))),
    }
}

/// The auth route answered 404: name the dialect the server seems to speak.
async fn other_dialect(url: &str, target: &ServerTarget) -> Mismatch {
    let ours = target.dialect;
    let other = match ours {
        Dialect::BookLore => Dialect::Kosync,
        Dialect::Kosync => Dialect::BookLore,
    };
    let probe = SyncClient::new(url, other, target.timeout())
        .map(|c| c.with_guard(Arc::clone(target.client.guard())));
    let other_status = match probe {
        Ok(client) => client.auth(&target.user).await.status,
        Err(_) => None,
    };
    match other_status {
        Some(status) if status != 404 => Mismatch::OtherDialect(format!(
            "GET {} answered 404, but GET {} answered {status}: this looks like a {other} server: try --dialect {other}",
            ours.auth_path(),
            other.auth_path()
        )),
        _ => Mismatch::NoSyncApi(format!(
            "GET {url}{} answered 404 (and so did {}): is --base-url the sync API's base URL? (BookLore's routes are below /api/koreader, the reference server's at the root)",
            ours.auth_path(),
            other.auth_path()
        )),
    }
}

/// What a 404 on the auth route means.
enum Mismatch {
    /// The other dialect's auth route answers: the server speaks it (exit 2, named).
    OtherDialect(String),
    /// Neither answers: not a sync API at this URL, as far as the routes show.
    NoSyncApi(String),
}

/// The one-failure report of a server that does not answer in time.
fn no_answer(target: &ServerTarget, exchange: &Exchange) -> Report {
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
        target.timeout().as_millis()
    ));
    case.actual = Some("no answer (timeout); the run stopped here".to_string());
    case.reproduce = Some(format!(
        "{} --max-time {}",
        exchange.curl(),
        target.timeout().as_secs().max(1)
    ));
    case.transcript = vec![exchange.summary()];
    let mut report = Report::new(
        target.describe(),
        Some(target.dialect.name().to_string()),
        None,
        vec![case],
    );
    report.note("the server does not answer; no scenario was run");
    report
}

/// `kosync-contract verify-server …`: runs on its own runtime.
pub fn run(args: VerifyServerArgs) -> Outcome {
    let runtime = match runner::runtime() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("{COMMAND}: {err}");
            return Outcome::HarnessError;
        }
    };
    runtime.block_on(run_async(args))
}

/// The body of [`run`], for callers that already have a runtime.
pub async fn run_async(args: VerifyServerArgs) -> Outcome {
    let files = &args.common.report;
    let target = args
        .base_url
        .clone()
        .unwrap_or_else(|| "built-in fake server".to_string());
    let dialect = Some(args.dialect.name().to_string());
    // Report paths first: a run whose report cannot be written is not started.
    if let Err(err) = files.prepare(&target, dialect.clone()) {
        eprintln!("{COMMAND}: {err}");
        return Outcome::HarnessError;
    }
    let run = match resolve(&args) {
        Ok(r) => r,
        Err(message) => return files.emit_could_not_verify(&target, dialect, &message, COMMAND),
    };
    let started = Instant::now();
    let report = match verify_server(&run).await {
        Ok(r) => r,
        Err(err) => return files.emit_could_not_verify(&target, dialect, &err.0, COMMAND),
    };
    let outcome = files.emit(&report, COMMAND);
    crate::contract::report::say(&format!(
        "wall time: {:.2} s\n",
        started.elapsed().as_secs_f64()
    ));
    outcome
}
