//! The server's stateful property: random sequences of pushes and pulls by up
//! to two users over a few documents, with wrong keys and bad bodies mixed in,
//! checked step by step against a reference model of the dialect
//! (proptest-state-machine). A failure shrinks to the shortest sequence that
//! still fails and is reported as the `curl` lines of that sequence.
//!
//! The model is deliberately small: per (user, document) the last accepted
//! push, whole. Everything else a server does (timestamps, device names in
//! BookLore) is checked only as far as the rules say.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use serde_json::{json, Value};

use super::world::{shell_quote, Credentials, ServerTarget, TargetKind, TIMEOUTS_BEFORE_GIVING_UP};
use crate::contract::catalogue::{self, Level};
use crate::contract::report::{CaseResult, Status};
use crate::protocol::{self, Dialect};
use crate::server::{self, BookPolicy, RunningServer};
use std::sync::atomic::Ordering;

/// Sequences run by default: enough to shake out ordering bugs, few enough
/// not to flood a real server.
pub const DEFAULT_CASES: u32 = 16;
/// Longest sequence generated.
const MAX_STEPS: usize = 24;

/// The feature name property results are reported under.
pub const PROPERTY_FEATURE: &str = "Random push and pull sequences (property)";

/// How many sequences and from which seed.
#[derive(Debug, Clone, Copy)]
pub struct PropertyOptions {
    pub cases: u32,
    pub seed: u64,
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
    http: reqwest::Client,
    base_url: String,
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
    crate::contract::runner::quiet_contract_panics();
    // proptest keeps only string payloads; the prefix keeps it off stderr.
    std::panic::panic_any(format!(
        "{}{message}",
        crate::contract::runner::QUIET_PANIC_PREFIX
    ))
}

struct Answer {
    status: Option<u16>,
    body: String,
    error: Option<String>,
}

impl Answer {
    fn describe(&self) -> String {
        match (&self.status, &self.error) {
            (_, Some(e)) => format!("no answer: {e}"),
            (Some(s), None) => format!(
                "status {s}, body {}",
                self.body.chars().take(200).collect::<String>()
            ),
            _ => "no answer".to_string(),
        }
    }
    fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

impl Sut {
    fn send(
        &mut self,
        method: reqwest::Method,
        path: &str,
        creds: &Credentials,
        key: &str,
        body: Option<String>,
    ) -> Answer {
        let url = format!("{}{path}", self.base_url);
        let accept = match self.ctx.target.dialect {
            Dialect::Kosync => protocol::KOSYNC_ACCEPT,
            Dialect::BookLore => protocol::JSON_CONTENT_TYPE,
        };
        let mut line = format!(
            "curl -sS -i -X {method} -H {} -H {} -H {}",
            shell_quote(&format!("{}: {}", protocol::HEADER_AUTH_USER, creds.user)),
            shell_quote(&format!("{}: {key}", protocol::HEADER_AUTH_KEY)),
            shell_quote(&format!("Accept: {accept}")),
        );
        let mut request = self
            .http
            .request(method, &url)
            .header(protocol::HEADER_AUTH_USER, &creds.user)
            .header(protocol::HEADER_AUTH_KEY, key)
            .header("Accept", accept);
        if let Some(body) = &body {
            line.push_str(&format!(
                " -H 'Content-Type: application/json' --data-binary {}",
                shell_quote(body)
            ));
            request = request
                .header("Content-Type", protocol::JSON_CONTENT_TYPE)
                .body(body.clone());
        }
        line.push_str(&format!(" {}", shell_quote(&url)));
        self.lines.push(line);
        let handle = self.ctx.handle.clone();
        let timeout = self.ctx.target.timeout;
        let timeouts = &self.ctx.target.timeouts;
        let seen = timeouts.load(Ordering::SeqCst);
        if seen >= TIMEOUTS_BEFORE_GIVING_UP {
            // Shrinking replays sequences many times; a hanging server must not
            // turn that into hours of timeouts.
            return Answer {
                status: None,
                body: String::new(),
                error: Some(format!(
                    "not sent: {seen} earlier requests got no answer within {} ms (timeout), so the server is taken to hang",
                    timeout.as_millis()
                )),
            };
        }
        let answer = handle.block_on(async move {
            match request.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    match r.text().await {
                        Ok(body) => Answer {
                            status: Some(status),
                            body,
                            error: None,
                        },
                        Err(e) => Answer {
                            status: Some(status),
                            body: String::new(),
                            error: Some(e.to_string()),
                        },
                    }
                }
                Err(e) if e.is_timeout() => Answer {
                    status: None,
                    body: String::new(),
                    error: Some(format!(
                        "no answer within {} ms (timeout)",
                        timeout.as_millis()
                    )),
                },
                Err(e) => Answer {
                    status: None,
                    body: String::new(),
                    error: Some(e.to_string()),
                },
            }
        });
        if answer
            .error
            .as_deref()
            .is_some_and(|e| e.contains("(timeout)"))
        {
            timeouts.fetch_add(1, Ordering::SeqCst);
        }
        answer
    }

    fn push(&mut self, user: usize, doc: usize, push: &Stored, key: Option<&str>) -> Answer {
        let creds = self.ctx.users[user].clone();
        let key = key.map(str::to_string).unwrap_or_else(|| creds.key.clone());
        let body = json!({
            "document": self.docs[doc],
            "percentage": push.percentage,
            "progress": push.progress,
            "device": push.device,
            "device_id": push.device_id,
        });
        self.ctx.target.remember_written(&self.docs[doc]);
        let path = self.ctx.target.dialect.push_path();
        self.send(
            reqwest::Method::PUT,
            &path,
            &creds,
            &key,
            Some(body.to_string()),
        )
    }

    fn pull(&mut self, user: usize, doc: usize, key: Option<&str>) -> Answer {
        let creds = self.ctx.users[user].clone();
        let key = key.map(str::to_string).unwrap_or_else(|| creds.key.clone());
        let path = self.ctx.target.dialect.pull_path(&self.docs[doc]);
        self.send(reqwest::Method::GET, &path, &creds, &key, None)
    }

    fn check_pull(&mut self, user: usize, doc: usize, expected: Option<&Stored>, answer: &Answer) {
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
                    broken(self, rule, want, &answer.describe());
                }
            }
            Some(want) => {
                let expectation = format!(
                    "200 with percentage {} and progress {:?} (the last accepted push)",
                    want.percentage, want.progress
                );
                let Some(body) = answer.json().filter(|_| answer.status == Some(200)) else {
                    broken(self, "S-PULL-1", &expectation, &answer.describe());
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
                    broken(self, rule, &expectation, &answer.describe());
                }
                if !device_ok {
                    broken(
                        self,
                        "K-RT-1",
                        "device and device_id as pushed",
                        &answer.describe(),
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
                                    &answer.describe(),
                                );
                            }
                        }
                        self.last_timestamp.insert((user, doc), ts);
                    }
                    None => broken(
                        self,
                        "S-TS-1",
                        "a whole-number timestamp",
                        &answer.describe(),
                    ),
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

/// A key no test user has.
fn wrong_key() -> String {
    protocol::key_for_password("certainly not the password")
}

impl Sut {
    /// A request with a wrong key must be refused (S-AUTH-2).
    fn check_wrong_key_refused(&self, answer: &Answer) {
        if !matches!(answer.status, Some(401) | Some(403)) {
            broken(
                self,
                "S-AUTH-2",
                "401 or 403 for a wrong key",
                &answer.describe(),
            );
        }
    }

    fn origin(&self, user: usize, doc: usize, answer: &Answer) -> Origin {
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
        let http = reqwest::Client::builder()
            .timeout(ctx.target.timeout)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let (base_url, server) = match &ctx.target.kind {
            TargetKind::Url(url) => (url.clone(), None),
            TargetKind::BuiltIn { defect } => {
                let mut config = ctx.target.fake_config(*defect, None);
                config.books = BookPolicy::Known(docs.iter().cloned().collect());
                match ctx.handle.block_on(server::start(config)) {
                    Ok(s) => (s.base_url(), Some(s)),
                    Err(e) => panic!("cannot start the built-in fake server: {e:#}"),
                }
            }
        };
        let mut sut = Sut {
            ctx: ctx.clone(),
            http,
            base_url,
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
                            &answer.describe(),
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
                    broken(&sut, "S-PUSH-1", "200 for a valid push", &answer.describe());
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
                let document = sut.docs[*doc].clone();
                let text = match body {
                    BadBody::InvalidJson => format!("{{\"document\": \"{document}\", \"percentage\": 0.5,"),
                    BadBody::NotAnObject => format!("[\"{document}\", 0.5]"),
                    BadBody::NoPercentage => json!({"document": document, "progress": "x", "device": "d"}).to_string(),
                    BadBody::PercentageAsText => {
                        json!({"document": document, "percentage": "0.5", "progress": "x", "device": "d"}).to_string()
                    }
                    BadBody::NoDocument => json!({"percentage": 0.5, "progress": "x", "device": "d"}).to_string(),
                };
                let creds = sut.ctx.users[*user].clone();
                let path = sut.ctx.target.dialect.push_path();
                let answer = sut.send(
                    reqwest::Method::PUT,
                    &path,
                    &creds,
                    &creds.key.clone(),
                    Some(text),
                );
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
                        &answer.describe(),
                    );
                }
            }
        }
        sut
    }
}

/// Run `opts.cases` random sequences against `target` and report them as one result.
pub async fn check(target: Arc<ServerTarget>, opts: PropertyOptions) -> CaseResult {
    let dialect = target.dialect;
    let mut users = vec![target.user.clone()];
    users.extend(target.second.clone());
    let (fixed_docs, docs, baseline) = match (&target.kind, dialect, &target.document) {
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
    let covered = covered_rules(dialect, users.len() > 1);
    let ctx = SutContext {
        handle: tokio::runtime::Handle::current(),
        target: Arc::clone(&target),
        users: users.clone(),
        fixed_docs,
        docs,
        baseline,
        case: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        seed: opts.seed,
    };
    let setup = Setup {
        users: users.len(),
        docs,
        baseline,
    };
    let cases = opts.cases;
    let seed = opts.seed;
    let outcome = tokio::task::spawn_blocking(move || {
        SETUP.with(|s| *s.borrow_mut() = Some(setup));
        SUT_CONTEXT.with(|c| *c.borrow_mut() = Some(ctx));
        crate::contract::runner::quiet_contract_panics();
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
        let strategy = Reference::sequential_strategy(1..MAX_STEPS);
        let result = runner.run(&strategy, |(state, steps, seen)| {
            ServerUnderTest::test_sequential(Config::default(), state, steps, seen);
            Ok(())
        });
        SUT_CONTEXT.with(|c| *c.borrow_mut() = None);
        result.map_err(|e| match e {
            TestError::Fail(reason, (_, steps, _)) => (reason.message().to_string(), steps.len()),
            TestError::Abort(reason) => (format!("ABORT\n{}", reason.message()), 0),
        })
    })
    .await;

    let scenario = format!("{cases} random sequences of up to {MAX_STEPS} steps, seed {seed}");
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
