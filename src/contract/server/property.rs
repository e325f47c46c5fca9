//! The server's stateful property: random sequences of pushes and pulls by up
//! to two users over a few documents, with wrong keys and bad bodies mixed in,
//! checked step by step against a reference model of the dialect
//! (proptest-state-machine). A failure shrinks to the shortest sequence that
//! still fails and is reported as the `curl` lines of that sequence.
//!
//! The model is deliberately small: per (user, document) the last accepted
//! push, whole. Everything else a server does (timestamps, device names in
//! BookLore) is checked only as far as the rules say.
//!
//! Against a URL the cases are shorter and split over `--jobs` workers that
//! run alongside the scenarios.
//!
//! One file because it is one state machine: the reference model, the
//! generator of transitions and the checks of each answer change together.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use serde_json::{json, Value};

use super::world::{ServerTarget, TargetKind};
use crate::contract::catalogue::{self, Level};
use crate::contract::report::{CaseResult, Status};
use crate::contract::runner;
use crate::protocol::{self, Dialect, ProgressPush};
use crate::server::{self, BookPolicy, RunningServer};
use crate::sync_client::{Credentials, Exchange, Request, SyncClient};

/// Sequences run by default: enough to shake out ordering bugs, few enough
/// not to flood a real server.
pub const DEFAULT_CASES: u32 = 16;
/// Longest sequence generated against the built-in server.
const MAX_STEPS: usize = 24;
/// Longest sequence against a server at a URL: every request there may cost
/// tens of milliseconds (servers that re-hash the key with Argon2), and the
/// scenarios already cover each rule; the sequences add interleavings.
const MAX_STEPS_AGAINST_A_URL: usize = 6;

/// The feature name property results are reported under.
pub const PROPERTY_FEATURE: &str = "Random push and pull sequences (property)";

/// How many sequences, from which seed, over how many workers.
#[derive(Debug, Clone, Copy)]
pub struct PropertyOptions {
    pub cases: u32,
    pub seed: u64,
    /// Cases run on this many workers at once (1 keeps them in one sequence).
    pub jobs: usize,
}

/// What the model remembers for one (user, document).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub percentage: f64,
    pub progress: String,
    pub device: String,
    pub device_id: String,
}

/// A body a broken client might send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadBody {
    InvalidJson,
    NotAnObject,
    NoPercentage,
    PercentageAsText,
    NoDocument,
}

/// One step of a sequence. Users and documents are indices into the run's lists.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Push {
        user: usize,
        doc: usize,
        push: Stored,
    },
    Pull {
        user: usize,
        doc: usize,
    },
    PushWithWrongKey {
        user: usize,
        doc: usize,
        push: Stored,
    },
    PullWithWrongKey {
        user: usize,
        doc: usize,
    },
    PushBadBody {
        user: usize,
        doc: usize,
        body: BadBody,
    },
}

/// The reference model: the dialect's semantics, nothing more.
#[derive(Debug, Clone)]
pub struct Model {
    pub users: usize,
    pub docs: usize,
    pub store: BTreeMap<(usize, usize), Stored>,
}

/// The shape of a run, set before proptest calls the static constructors.
#[derive(Debug, Clone)]
struct Setup {
    users: usize,
    docs: usize,
    /// Real BookLore servers: every (user, document) starts from a known push.
    baseline: bool,
}

thread_local! {
    static SETUP: RefCell<Option<Setup>> = const { RefCell::new(None) };
    static SUT_CONTEXT: RefCell<Option<SutContext>> = const { RefCell::new(None) };
}

fn setup() -> Setup {
    SETUP.with(|s| s.borrow().clone()).unwrap_or(Setup {
        users: 1,
        docs: 1,
        baseline: false,
    })
}

fn baseline_push() -> Stored {
    Stored {
        percentage: 0.5,
        progress: "kosync-contract baseline".to_string(),
        device: "kosync-contract".to_string(),
        device_id: "6B6F73796E632D636F6E747261637430".to_string(),
    }
}

fn push_strategy() -> impl Strategy<Value = Stored> {
    (
        prop_oneof![
            Just(0.0),
            Just(1.0),
            (0u32..=10_000).prop_map(|n| f64::from(n) / 10_000.0)
        ],
        "[ -~]{1,24}",
        0u8..4,
    )
        .prop_map(|(percentage, progress, device)| Stored {
            percentage,
            progress,
            device: format!("device {device}"),
            device_id: format!("{:032X}", u32::from(device) + 1),
        })
}

struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        let s = setup();
        let mut store = BTreeMap::new();
        if s.baseline {
            for u in 0..s.users {
                for d in 0..s.docs {
                    store.insert((u, d), baseline_push());
                }
            }
        }
        Just(Model {
            users: s.users,
            docs: s.docs,
            store,
        })
        .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let user = 0..state.users;
        let doc = 0..state.docs;
        let bad = prop_oneof![
            Just(BadBody::InvalidJson),
            Just(BadBody::NotAnObject),
            Just(BadBody::NoPercentage),
            Just(BadBody::PercentageAsText),
            Just(BadBody::NoDocument),
        ];
        prop_oneof![
            4 => (user.clone(), doc.clone(), push_strategy())
                .prop_map(|(user, doc, push)| Step::Push { user, doc, push }),
            4 => (user.clone(), doc.clone()).prop_map(|(user, doc)| Step::Pull { user, doc }),
            1 => (user.clone(), doc.clone(), push_strategy())
                .prop_map(|(user, doc, push)| Step::PushWithWrongKey { user, doc, push }),
            1 => (user.clone(), doc.clone()).prop_map(|(user, doc)| Step::PullWithWrongKey { user, doc }),
            1 => (user, doc, bad).prop_map(|(user, doc, body)| Step::PushBadBody { user, doc, body }),
        ]
        .boxed()
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        if let Step::Push { user, doc, push } = step {
            state.store.insert((*user, *doc), push.clone());
        }
        state
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        let (user, doc) = match step {
            Step::Push { user, doc, .. }
            | Step::Pull { user, doc }
            | Step::PushWithWrongKey { user, doc, .. }
            | Step::PullWithWrongKey { user, doc }
            | Step::PushBadBody { user, doc, .. } => (*user, *doc),
        };
        user < state.users && doc < state.docs
    }
}

/// What the system under test needs from outside proptest's static world.
#[derive(Clone)]
struct SutContext {
    handle: tokio::runtime::Handle,
    target: Arc<ServerTarget>,
    users: Vec<Credentials>,
    /// Documents per case for targets we cannot reset; `None` = fresh per case.
    fixed_docs: Option<Vec<String>>,
    docs: usize,
    baseline: bool,
    case: Arc<std::sync::atomic::AtomicU64>,
    seed: u64,
}

struct Sut {
    ctx: SutContext,
    client: SyncClient,
    docs: Vec<String>,
    _server: Option<RunningServer>,
    lines: Vec<String>,
    last_timestamp: HashMap<(usize, usize), i64>,
    /// Every accepted push, in order, so a wrong answer can be traced to the rule it breaks.
    history: Vec<(usize, usize, Stored)>,
}

/// A broken rule: the panic payload proptest catches and shrinks on.
fn broken(sut: &Sut, rule: &str, expected: &str, actual: &str) -> ! {
    let mut message = format!("{rule}\nexpected: {expected}\ngot: {actual}\n");
    for line in &sut.lines {
        message.push_str(line);
        message.push('\n');
    }
    runner::quiet_contract_panics();
    // proptest keeps only string payloads; the prefix keeps it off stderr.
    std::panic::panic_any(format!("{}{message}", runner::QUIET_PANIC_PREFIX))
}

impl Sut {
    /// Send one request (blocking this proptest thread) and keep its `curl` line.
    fn send(&mut self, request: Request) -> Exchange {
        let client = self.client.clone();
        let exchange = self.ctx.handle.block_on(client.send(request));
        self.lines.push(exchange.curl());
        exchange
    }

    fn push(&mut self, user: usize, doc: usize, push: &Stored, key: Option<&str>) -> Exchange {
        let mut creds = self.ctx.users[user].clone();
        if let Some(key) = key {
            creds.key = key.to_string();
        }
        let body = ProgressPush {
            document: self.docs[doc].clone(),
            percentage: push.percentage,
            progress: push.progress.clone(),
            timestamp: None,
            device: push.device.clone(),
            device_id: Some(push.device_id.clone()),
        };
        let request = self.client.push_request(Some(&creds), &body);
        let exchange = self.send(request);
        self.ctx
            .target
            .remember_if_written(&self.docs[doc], &exchange);
        exchange
    }

    fn pull(&mut self, user: usize, doc: usize, key: Option<&str>) -> Exchange {
        let mut creds = self.ctx.users[user].clone();
        if let Some(key) = key {
            creds.key = key.to_string();
        }
        let request = self.client.pull_request(Some(&creds), &self.docs[doc]);
        self.send(request)
    }

    fn check_pull(
        &mut self,
        user: usize,
        doc: usize,
        expected: Option<&Stored>,
        answer: &Exchange,
    ) {
        let dialect = self.ctx.target.dialect;
        match expected {
            None => {
                let ok = match dialect {
                    Dialect::BookLore => answer.status == Some(404),
                    Dialect::Kosync => {
                        answer.status == Some(200)
                            && answer
                                .json()
                                .is_some_and(|b| b.get("percentage").is_none_or(Value::is_null))
                    }
                };
                if !ok {
                    let (rule, want) = match dialect {
                        Dialect::BookLore => {
                            ("S-PULL-2", "404: this user never pushed this document")
                        }
                        Dialect::Kosync => {
                            ("K-PULL-1", "200 {}: this user never pushed this document")
                        }
                    };
                    let rule = match self.origin(user, doc, answer) {
                        Origin::OtherUser => "S-ISO-1",
                        _ => rule,
                    };
                    broken(self, rule, want, &answer.answer());
                }
            }
            Some(want) => {
                let expectation = format!(
                    "200 with percentage {} and progress {:?} (the last accepted push)",
                    want.percentage, want.progress
                );
                let Some(body) = answer.json().filter(|_| answer.status == Some(200)) else {
                    broken(self, "S-PULL-1", &expectation, &answer.answer());
                };
                let pct_ok = body
                    .get("percentage")
                    .and_then(Value::as_f64)
                    .is_some_and(|p| crate::protocol::same_percentage(p, want.percentage));
                let progress_ok =
                    body.get("progress").and_then(Value::as_str) == Some(want.progress.as_str());
                let device_ok = dialect == Dialect::BookLore
                    || (body.get("device").and_then(Value::as_str) == Some(want.device.as_str())
                        && body.get("device_id").and_then(Value::as_str)
                            == Some(want.device_id.as_str()));
                if !(pct_ok && progress_ok) {
                    let rule = match self.origin(user, doc, answer) {
                        Origin::OtherUser => "S-ISO-1",
                        Origin::EarlierPush => "S-LWW-1",
                        Origin::Unknown => "S-PULL-1",
                    };
                    broken(self, rule, &expectation, &answer.answer());
                }
                if !device_ok {
                    broken(
                        self,
                        "K-RT-1",
                        "device and device_id as pushed",
                        &answer.answer(),
                    );
                }
                match body.get("timestamp").and_then(Value::as_i64) {
                    Some(ts) => {
                        if let Some(&before) = self.last_timestamp.get(&(user, doc)) {
                            if ts < before {
                                broken(
                                    self,
                                    "S-TS-1",
                                    &format!("a timestamp no earlier than {before}"),
                                    &answer.answer(),
                                );
                            }
                        }
                        self.last_timestamp.insert((user, doc), ts);
                    }
                    None => broken(self, "S-TS-1", "a whole-number timestamp", &answer.answer()),
                }
            }
        }
    }
}

/// Where a wrong answer came from.
enum Origin {
    /// Another user's push to the same document: isolation is broken.
    OtherUser,
    /// An earlier push of this user: the last write did not win.
    EarlierPush,
    Unknown,
}

/// A push body that is complete and valid except for the one thing `bad`
/// names (each case varies one thing: a server that requires `device_id`
/// must refuse it for the field under test, not for a missing `device_id`).
pub fn bad_body(document: &str, bad: BadBody) -> String {
    let mut valid = json!({
        "document": document,
        "percentage": 0.5,
        "progress": "x",
        "device": "kosync-contract",
        "device_id": "6B6F73796E632D636F6E747261637431",
    });
    let text = valid.to_string();
    match bad {
        // The valid body with its closing brace cut off.
        BadBody::InvalidJson => text[..text.len() - 1].to_string(),
        BadBody::NotAnObject => format!("[{text}]"),
        BadBody::NoPercentage => {
            valid.as_object_mut().map(|o| o.remove("percentage"));
            valid.to_string()
        }
        // Text Lua's tonumber does not read as a number (the reference
        // server accepts numeric text such as "0.5": rule K-NUM-1).
        BadBody::PercentageAsText => {
            valid["percentage"] = json!("half");
            valid.to_string()
        }
        BadBody::NoDocument => {
            valid.as_object_mut().map(|o| o.remove("document"));
            valid.to_string()
        }
    }
}

/// A key no test user has.
fn wrong_key() -> String {
    protocol::key_for_password("certainly not the password")
}

impl Sut {
    /// A request with a wrong key must be refused (S-AUTH-2).
    fn check_wrong_key_refused(&self, answer: &Exchange) {
        if !matches!(answer.status, Some(401) | Some(403)) {
            broken(
                self,
                "S-AUTH-2",
                "401 or 403 for a wrong key",
                &answer.answer(),
            );
        }
    }

    fn origin(&self, user: usize, doc: usize, answer: &Exchange) -> Origin {
        let Some(body) = answer.json() else {
            return Origin::Unknown;
        };
        let matches = |p: &Stored| {
            body.get("progress").and_then(Value::as_str) == Some(p.progress.as_str())
                && body
                    .get("percentage")
                    .and_then(Value::as_f64)
                    .is_some_and(|x| crate::protocol::same_percentage(x, p.percentage))
        };
        let mine: Vec<&Stored> = self
            .history
            .iter()
            .filter(|(u, d, _)| *u == user && *d == doc)
            .map(|(_, _, p)| p)
            .collect();
        if self
            .history
            .iter()
            .any(|(u, d, p)| *u != user && *d == doc && matches(p))
            && !mine.iter().any(|p| matches(p))
        {
            return Origin::OtherUser;
        }
        if mine.len() > 1 && mine[..mine.len() - 1].iter().any(|p| matches(p)) {
            return Origin::EarlierPush;
        }
        Origin::Unknown
    }
}

struct ServerUnderTest;

impl StateMachineTest for ServerUnderTest {
    type SystemUnderTest = Sut;
    type Reference = Reference;

    fn init_test(_: &Model) -> Sut {
        let ctx = SUT_CONTEXT
            .with(|c| c.borrow().clone())
            .unwrap_or_else(|| panic!("the property's context was not set"));
        let case = ctx.case.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let docs: Vec<String> = match &ctx.fixed_docs {
            Some(d) => d.clone(),
            None => (0..ctx.docs)
                .map(|i| {
                    protocol::key_for_password(&format!(
                        "{}:{case}:{i}:{}",
                        ctx.seed,
                        rand::random::<u64>()
                    ))
                })
                .collect(),
        };
        let (client, server) = match &ctx.target.kind {
            TargetKind::Url(_) => (ctx.target.client.clone(), None),
            TargetKind::BuiltIn { defect } => {
                let mut config = ctx.target.fake_config(*defect, None);
                config.books = BookPolicy::Known(docs.iter().cloned().collect());
                match ctx.handle.block_on(server::start(config)) {
                    Ok(s) => (ctx.target.client.at(&s.base_url()), Some(s)),
                    Err(e) => panic!("cannot start the built-in fake server: {e:#}"),
                }
            }
        };
        let mut sut = Sut {
            ctx: ctx.clone(),
            client,
            docs,
            _server: server,
            lines: Vec::new(),
            last_timestamp: HashMap::new(),
            history: Vec::new(),
        };
        if ctx.baseline {
            let base = baseline_push();
            for u in 0..ctx.users.len() {
                for d in 0..sut.docs.len() {
                    let answer = sut.push(u, d, &base, None);
                    if answer.status != Some(200) {
                        broken(
                            &sut,
                            "S-PUSH-1",
                            "the baseline push to be accepted with 200",
                            &answer.answer(),
                        );
                    }
                }
            }
        }
        sut
    }

    fn apply(mut sut: Sut, model: &Model, step: Step) -> Sut {
        match &step {
            Step::Push { user, doc, push } => {
                let answer = sut.push(*user, *doc, push, None);
                if answer.status != Some(200) {
                    broken(&sut, "S-PUSH-1", "200 for a valid push", &answer.answer());
                }
                sut.history.push((*user, *doc, push.clone()));
            }
            Step::Pull { user, doc } => {
                let answer = sut.pull(*user, *doc, None);
                let expected = model.store.get(&(*user, *doc)).cloned();
                sut.check_pull(*user, *doc, expected.as_ref(), &answer);
            }
            Step::PushWithWrongKey { user, doc, push } => {
                let answer = sut.push(*user, *doc, push, Some(&wrong_key()));
                sut.check_wrong_key_refused(&answer);
            }
            Step::PullWithWrongKey { user, doc } => {
                let answer = sut.pull(*user, *doc, Some(&wrong_key()));
                sut.check_wrong_key_refused(&answer);
            }
            Step::PushBadBody { user, doc, body } => {
                let text = bad_body(&sut.docs[*doc], *body);
                let creds = sut.ctx.users[*user].clone();
                let request = sut.client.push_raw_request(Some(&creds), text);
                let answer = sut.send(request);
                if !matches!(answer.status, Some(400..=499)) {
                    let rule = match sut.ctx.target.dialect {
                        Dialect::BookLore => "S-BAD-1",
                        Dialect::Kosync => match body {
                            BadBody::InvalidJson | BadBody::NotAnObject => "K-BAD-3",
                            BadBody::NoDocument => "K-BAD-2",
                            _ => "K-BAD-1",
                        },
                    };
                    broken(
                        &sut,
                        rule,
                        "a 4xx refusal that stores nothing",
                        &answer.answer(),
                    );
                }
            }
        }
        sut
    }
}

/// Run `opts.cases` random sequences against `target` and report them as one
/// result. The cases are split over `opts.jobs` workers, each with its own
/// seed derived from `opts.seed` (worker 0 uses it as is), so a run replays
/// with the same `--cases`, `--seed` and `--jobs`; the first worker's failure,
/// shrunk, is the one reported.
pub async fn check(target: Arc<ServerTarget>, opts: PropertyOptions) -> CaseResult {
    let dialect = target.dialect;
    let mut users = vec![target.user.clone()];
    users.extend(target.second.clone());
    let (fixed_docs, docs, baseline) = match (&target.kind, dialect, target.documents.first()) {
        (TargetKind::BuiltIn { .. }, _, _) => (None, 3, false),
        (TargetKind::Url(_), Dialect::Kosync, _) => (None, 3, false),
        (TargetKind::Url(_), Dialect::BookLore, Some(doc)) => (Some(vec![doc.clone()]), 1, true),
        (TargetKind::Url(_), Dialect::BookLore, None) => {
            let mut r = skipped_result(
                dialect,
                "needs --document: a hash this BookLore server knows as a book",
            );
            r.scenario = format!("{} sequences", opts.cases);
            return r;
        }
    };
    let mut covered = covered_rules(dialect, users.len() > 1);
    if baseline {
        // Every (user, document) starts from a push: "no progress" is never
        // seen, so S-PULL-2 is left to its scenario.
        covered.retain(|r| r != "S-PULL-2");
    }
    let max_steps = if target.is_built_in() {
        MAX_STEPS
    } else {
        MAX_STEPS_AGAINST_A_URL
    };
    // Workers on fixed documents would overwrite each other's pushes; the
    // built-in server answers in microseconds, so its cases gain nothing from
    // workers (each starts servers of its own) and keep one sequence.
    let workers = if fixed_docs.is_some() || target.is_built_in() {
        1
    } else {
        opts.jobs.clamp(1, opts.cases.max(1) as usize)
    };
    // A BookLore library's books are shared with the scenarios.
    let library = fixed_docs.as_ref().map(|_| target.library_lock());
    let case_counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let share =
            opts.cases / workers as u32 + u32::from((worker as u32) < opts.cases % workers as u32);
        let seed = opts.seed ^ (worker as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
        let ctx = SutContext {
            handle: tokio::runtime::Handle::current(),
            target: Arc::clone(&target),
            users: users.clone(),
            fixed_docs: fixed_docs.clone(),
            docs,
            baseline,
            case: Arc::clone(&case_counter),
            seed,
        };
        let setup = Setup {
            users: users.len(),
            docs,
            baseline,
        };
        let library = library.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            let _lease = library.map(|lock| lock.blocking_lock_owned());
            run_cases(ctx, setup, share, max_steps)
        }));
    }
    let mut outcome = Ok(Ok(()));
    for task in tasks {
        let result = task.await;
        if matches!(outcome, Ok(Ok(()))) {
            outcome = result;
        }
    }

    let cases = opts.cases;
    let seed = opts.seed;
    let scenario = format!("{cases} random sequences of up to {max_steps} steps, seed {seed}");
    let rule_refs: Vec<&str> = covered.iter().map(String::as_str).collect();
    match outcome {
        Ok(Ok(())) => CaseResult::new(
            PROPERTY_FEATURE,
            &scenario,
            &rule_refs,
            Level::Must,
            Status::Passed,
        ),
        Ok(Err((message, steps))) => failure_result(&scenario, &message, steps, seed, cases),
        Err(join) => {
            let mut r = CaseResult::new(
                PROPERTY_FEATURE,
                &scenario,
                &rule_refs,
                Level::Must,
                Status::Error,
            );
            r.actual = Some(format!("the property run crashed: {join}"));
            r
        }
    }
}

/// One worker's cases, on this (blocking) thread: the failure message and the
/// length of the shrunk sequence, if a case failed.
fn run_cases(
    ctx: SutContext,
    setup: Setup,
    cases: u32,
    max_steps: usize,
) -> Result<(), (String, usize)> {
    let seed = ctx.seed;
    SETUP.with(|s| *s.borrow_mut() = Some(setup));
    SUT_CONTEXT.with(|c| *c.borrow_mut() = Some(ctx));
    runner::quiet_contract_panics();
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 512,
        ..Config::default()
    };
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(
            &(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes(),
        );
    }
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let strategy = Reference::sequential_strategy(1..max_steps);
    let result = if cases == 0 {
        Ok(())
    } else {
        runner.run(&strategy, |(state, steps, seen)| {
            ServerUnderTest::test_sequential(Config::default(), state, steps, seen);
            Ok(())
        })
    };
    SUT_CONTEXT.with(|c| *c.borrow_mut() = None);
    result.map_err(|e| match e {
        TestError::Fail(reason, (_, steps, _)) => (reason.message().to_string(), steps.len()),
        TestError::Abort(reason) => (format!("ABORT\n{}", reason.message()), 0),
    })
}

/// The rule ids the property checks; with `property`, what `--tags` selects it by.
pub fn covered_rules(dialect: Dialect, two_users: bool) -> Vec<String> {
    let mut rules = vec!["S-PUSH-1", "S-PULL-1", "S-LWW-1", "S-AUTH-2", "S-TS-1"];
    match dialect {
        Dialect::BookLore => rules.extend(["S-PULL-2", "S-BAD-1"]),
        Dialect::Kosync => rules.extend(["K-PULL-1", "K-RT-1", "K-BAD-1"]),
    }
    if two_users {
        rules.push("S-ISO-1");
    }
    rules.into_iter().map(String::from).collect()
}

fn skipped_result(dialect: Dialect, reason: &str) -> CaseResult {
    let rules = covered_rules(dialect, false);
    let refs: Vec<&str> = rules.iter().map(String::as_str).collect();
    let mut r = CaseResult::new(PROPERTY_FEATURE, "", &refs, Level::Must, Status::Skipped);
    r.reason = Some(reason.to_string());
    r
}

/// Turn the shrunk failure's message (rule line, expected, got, curl lines) into a result.
fn failure_result(
    scenario: &str,
    message: &str,
    steps: usize,
    seed: u64,
    cases: u32,
) -> CaseResult {
    let message = message
        .strip_prefix(crate::contract::runner::QUIET_PANIC_PREFIX)
        .unwrap_or(message);
    let mut lines = message.lines();
    let first = lines.next().unwrap_or("");
    if first == "ABORT" {
        let mut r = CaseResult::new(PROPERTY_FEATURE, scenario, &[], Level::Must, Status::Error);
        r.actual = Some(lines.collect::<Vec<_>>().join(" "));
        return r;
    }
    let rules: Vec<&str> = first
        .split_whitespace()
        .filter(|t| catalogue::looks_like_rule_id(t))
        .collect();
    let (rules, expected, actual, curls) = if rules.is_empty() {
        // A panic that is not ours (a bug in the harness or an unexpected shape).
        (
            vec!["S-PULL-1"],
            None,
            Some(message.to_string()),
            Vec::new(),
        )
    } else {
        let mut expected = None;
        let mut actual = None;
        let mut curls = Vec::new();
        for line in lines {
            if let Some(e) = line.strip_prefix("expected: ") {
                expected = Some(e.to_string());
            } else if let Some(a) = line.strip_prefix("got: ") {
                actual = Some(a.to_string());
            } else if line.starts_with("curl ") {
                curls.push(line.to_string());
            }
        }
        (rules, expected, actual, curls)
    };
    let level = crate::contract::runner::strictest_level(
        &rules.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    );
    let mut r = CaseResult::new(PROPERTY_FEATURE, scenario, &rules, level, Status::Failed);
    r.step = Some(format!(
        "shrunk to {steps} steps (replay: --cases {cases} --seed {seed})"
    ));
    r.expected = expected;
    r.actual = actual;
    if !curls.is_empty() {
        r.reproduce = Some(curls.join("\n"));
    }
    r.transcript = curls;
    r
}
