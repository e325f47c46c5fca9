//! The feature runner shared by the server and the client contract.
//!
//! It loads Gherkin features (embedded in the binary or from a `--features DIR`),
//! decides per scenario whether it applies to the target at hand (run, skip with
//! a reason, or leave out), runs the applicable ones through cucumber with a
//! world of the caller's choosing, and collects one [`CaseResult`] per scenario
//! into a [`Report`]. It knows nothing about HTTP or clients: a world plugs in
//! through [`ContractWorld`].
//!
//! Steps fail with [`fail`] (structured expected/actual) or any panic; they can
//! give up on a scenario that does not apply with [`skip`]. Both panics are
//! kept off stderr: the report is the one place failures are shown.

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use cucumber::event::{self, Cucumber as CucumberEvent};
use cucumber::feature::Ext as _;
use cucumber::gherkin;
use cucumber::tag::Ext as _;
use futures::future::LocalBoxFuture;
use futures::FutureExt as _;

pub use cucumber::gherkin::tagexpr::TagOperation as TagExpr;

use super::catalogue::{self, Level};
use super::report::{CaseResult, Report, Status};
use super::scenario::feature_path;
pub use super::scenario::ScenarioMeta;

/// Where the features of a run come from.
#[derive(Debug, Clone)]
pub enum FeatureSource {
    /// Features compiled into the binary (`include_dir!`), so the tool works from anywhere.
    Embedded(&'static include_dir::Dir<'static>),
    /// A directory of `.feature` files (searched recursively): a docs author's own copy.
    Dir(PathBuf),
}

impl FeatureSource {
    /// A short description for reports and error messages.
    pub fn describe(&self) -> String {
        match self {
            FeatureSource::Embedded(_) => "built-in features".to_string(),
            FeatureSource::Dir(dir) => dir.display().to_string(),
        }
    }
}

/// A runtime for a verify command: several worker threads for the fake
/// servers, the (non-`Send`) runner driven on the calling thread.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Why the harness could not do its job (exit 2), as opposed to a rule failing.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("cannot read features in {path}: {message}")]
    Features { path: String, message: String },
    /// A feature file that cannot be used as written, with file and line.
    #[error("{0}")]
    Unusable(#[from] super::parse::ParseFailure),
    #[error("{0}")]
    Target(String),
}

/// What a step panics with when a rule is broken: what the rule wanted and what
/// came back. The report shows both next to the world's reproduction.
#[derive(Debug, Clone)]
pub struct StepFailure {
    pub expected: String,
    pub actual: String,
}

/// The checks of a scenario that failed without stopping it (soft
/// assertions): raised once, after the last step, so one failed check hides
/// none of the later ones. `step` is the first failing step.
#[derive(Debug, Clone)]
pub struct DeferredFailures {
    pub step: String,
    pub expected: String,
    pub actual: String,
}

/// What a step panics with when the scenario cannot be checked on this target
/// (say, the server lacks the admin API it needs). Reported as skipped, with the reason.
#[derive(Debug, Clone)]
pub struct StepSkip(pub String);

/// What a step panics with when the scenario needs something the target
/// declared it lacks (a client capability). Reported as not applicable.
#[derive(Debug, Clone)]
pub struct StepNotApplicable(pub String);

/// What `prepare` failures turn into: the harness, not the target, broke.
#[derive(Debug, Clone)]
pub struct HarnessFault(pub String);

/// Fail the current step: the rule expected `expected` and the target did `actual`.
pub fn fail(expected: impl Into<String>, actual: impl Into<String>) -> ! {
    quiet_contract_panics();
    std::panic::panic_any(StepFailure {
        expected: expected.into(),
        actual: actual.into(),
    })
}

/// Stop the current scenario as the harness's fault (exit 2), not the target's:
/// a scratch file that cannot be written, a feature that misuses its steps.
pub fn harness_fault(message: impl Into<String>) -> ! {
    quiet_contract_panics();
    std::panic::panic_any(HarnessFault(message.into()))
}

/// Give up on the current scenario: it does not apply to this target, for `reason`.
pub fn skip(reason: impl Into<String>) -> ! {
    quiet_contract_panics();
    std::panic::panic_any(StepSkip(reason.into()))
}

/// End the current scenario as not applicable to this target: it needs what
/// the target declared it lacks (`reason` says what). Never a pass, never a failure.
pub fn not_applicable(reason: impl Into<String>) -> ! {
    quiet_contract_panics();
    std::panic::panic_any(StepNotApplicable(reason.into()))
}

/// A string panic payload starting with this is an expected contract failure
/// (for code such as proptest that only keeps string payloads): kept off stderr.
pub const QUIET_PANIC_PREFIX: &str = "kosync-contract expected failure: ";

/// Install (once) a panic hook that stays silent for [`StepFailure`], [`StepSkip`]
/// and [`HarnessFault`] payloads and defers to the previous hook for anything else.
pub fn quiet_contract_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let quiet_string = payload
                .downcast_ref::<String>()
                .is_some_and(|s| s.starts_with(QUIET_PANIC_PREFIX));
            if quiet_string
                || payload.is::<StepFailure>()
                || payload.is::<StepSkip>()
                || payload.is::<StepNotApplicable>()
                || payload.is::<HarnessFault>()
                || payload.is::<DeferredFailures>()
            {
                return;
            }
            previous(info);
        }));
    });
}

/// Whether a scenario belongs in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applicability {
    /// Run it.
    Run,
    /// Report it as skipped, with the reason (e.g. "needs a second user: pass --second-user").
    Skip(String),
    /// Report it as not applicable, with the reason: the target declared it
    /// lacks something the scenario needs (a client capability).
    NotApplicable(String),
    /// Leave it out of the report entirely (another dialect's scenario, filtered by --tags).
    Exclude,
}

/// The strictest level among these rule ids: MUST, then INTERPRETATION, then SHOULD.
/// An id the catalogue does not know counts as MUST, so a typo never hides a failure.
pub fn strictest_level(rules: &[String]) -> Level {
    let rank = |l: Level| match l {
        Level::Must => 0,
        Level::Interpretation => 1,
        Level::Should => 2,
    };
    rules
        .iter()
        .map(|id| catalogue::find(id).map(|r| r.level).unwrap_or(Level::Must))
        .min_by_key(|l| rank(*l))
        .unwrap_or(Level::Must)
}

/// What a cucumber world must offer to run under this runner. Both the server
/// world and the client world implement it.
pub trait ContractWorld: cucumber::World + Debug {
    /// What every scenario of a run shares: the target, credentials, options.
    type Context: 'static;

    /// Whether this scenario applies to the target described by `ctx`.
    fn applicability(ctx: &Self::Context, meta: &ScenarioMeta) -> Applicability;

    /// Called before the first step: set the world up for this scenario
    /// (start a fake server, pick documents). An error is a harness error.
    fn prepare<'a>(
        &'a mut self,
        ctx: &'a Self::Context,
        meta: &'a ScenarioMeta,
    ) -> LocalBoxFuture<'a, anyhow::Result<()>>;

    /// Called after the last step, pass or fail: release what `prepare` took.
    fn finish(&mut self) -> LocalBoxFuture<'_, ()> {
        async {}.boxed_local()
    }

    /// The checks that failed without stopping the scenario, if any; the
    /// scenario fails with them after its last step.
    fn deferred_failures(&mut self) -> Option<DeferredFailures> {
        None
    }

    /// After the last step: why the scenario, though no step failed, is not
    /// applicable to this target (a check it could not make for want of a
    /// declared capability), or `None`. A failed step still wins.
    fn not_applicable(&self) -> Option<String> {
        None
    }

    /// A command line that reproduces the last exchange (a `curl` line for a server).
    fn reproduce(&self) -> Option<String>;

    /// What the scenario sent and received so far, one entry per exchange.
    fn transcript(&self) -> Vec<String>;
}

/// How to run a set of features.
pub struct RunOptions {
    pub source: FeatureSource,
    /// `--tags` expression; scenarios that do not match are left out.
    pub tags: Option<TagExpr>,
    /// How many scenarios run at once (1 against a shared real target).
    pub concurrency: usize,
    /// What is being verified, for the report (a URL, "built-in fake server (booklore)").
    pub target: String,
    /// Server dialect, for server runs.
    pub dialect: Option<String>,
    /// Client profile, for client runs.
    pub profile: Option<String>,
}

/// Parse a `--tags` expression such as `@S-PULL-2 and not @needs-admin`.
pub fn parse_tags(expr: &str) -> Result<TagExpr, String> {
    expr.parse::<TagExpr>()
        .map_err(|e| format!("invalid tag expression {expr:?}: {e}"))
}

/// Load, parse and expand (Scenario Outline → one scenario per example row)
/// every feature of `source`, in path order.
pub fn load_features(source: &FeatureSource) -> Result<Vec<gherkin::Feature>, HarnessError> {
    let mut files: Vec<(String, String)> = Vec::new();
    match source {
        FeatureSource::Embedded(dir) => collect_embedded(dir, &mut files),
        FeatureSource::Dir(dir) => {
            collect_dir(dir, &mut files).map_err(|e| HarnessError::Features {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?;
        }
    }
    if files.is_empty() {
        return Err(HarnessError::Features {
            path: source.describe(),
            message: "no .feature files found".to_string(),
        });
    }
    files.sort();
    let mut features = Vec::new();
    for (path, text) in files {
        let feature = super::parse::feature(&path, &text)?;
        let feature = feature
            .expand_examples()
            .map_err(|e| HarnessError::Features {
                path: path.clone(),
                message: format!("bad Scenario Outline: {e}"),
            })?;
        features.push(feature);
    }
    Ok(features)
}

fn collect_embedded(dir: &include_dir::Dir<'static>, out: &mut Vec<(String, String)>) {
    for file in dir.files() {
        if file.path().extension().is_some_and(|e| e == "feature") {
            if let Some(text) = file.contents_utf8() {
                out.push((
                    format!("features/{}", file.path().display()),
                    text.to_string(),
                ));
            }
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

fn collect_dir(dir: &Path, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_dir(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "feature") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            out.push((path.display().to_string(), text));
        }
    }
    Ok(())
}

type ScenarioKey = (String, usize);

fn key_of(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> ScenarioKey {
    (feature_path(feature), scenario.position.line)
}

/// Run the features of `opts.source` with world `W` against `ctx`.
///
/// Every scenario that is not excluded ends up in the report exactly once:
/// passed, failed (with expected/actual/reproduce), skipped (with the reason)
/// or error (the harness broke). The future is not `Send` (cucumber's runner
/// is local); await it directly, e.g. from `#[tokio::main]` or `#[tokio::test]`.
pub async fn run<W: ContractWorld + cucumber::codegen::WorldInventory>(
    ctx: Arc<W::Context>,
    opts: RunOptions,
) -> Result<Report, HarnessError> {
    quiet_contract_panics();
    let features = load_features(&opts.source)?;
    let file_count = features.len();

    // Decide up front what runs, so the report lists scenarios in feature order
    // and skipped ones are never silently dropped.
    let mut slots: Vec<CaseResult> = Vec::new();
    let mut index: HashMap<ScenarioKey, usize> = HashMap::new();
    let mut runnable: Vec<gherkin::Feature> = Vec::new();
    for mut feature in features {
        let decide = |feature: &gherkin::Feature,
                      rule: Option<&gherkin::Rule>,
                      scenario: &gherkin::Scenario,
                      slots: &mut Vec<CaseResult>,
                      index: &mut HashMap<ScenarioKey, usize>|
         -> bool {
            let meta = ScenarioMeta::new(feature, rule, scenario);
            if let Some(tags) = &opts.tags {
                if !tags.eval(meta.tags.iter()) {
                    return false;
                }
            }
            match W::applicability(&ctx, &meta) {
                Applicability::Exclude => false,
                Applicability::Skip(reason) => {
                    slots.push(CaseResult::skipped(
                        &meta,
                        strictest_level(&meta.rules),
                        reason,
                    ));
                    false
                }
                Applicability::NotApplicable(reason) => {
                    slots.push(CaseResult::not_applicable(
                        &meta,
                        strictest_level(&meta.rules),
                        reason,
                    ));
                    false
                }
                Applicability::Run => {
                    index.insert(key_of(feature, scenario), slots.len());
                    slots.push(CaseResult::pending(&meta, strictest_level(&meta.rules)));
                    true
                }
            }
        };
        let scenarios = std::mem::take(&mut feature.scenarios);
        let kept: Vec<_> = scenarios
            .into_iter()
            .filter(|s| decide(&feature, None, s, &mut slots, &mut index))
            .collect();
        feature.scenarios = kept;
        let mut rules = std::mem::take(&mut feature.rules);
        for rule in &mut rules {
            let scenarios = std::mem::take(&mut rule.scenarios);
            rule.scenarios = scenarios
                .into_iter()
                .filter(|s| decide(&feature, Some(rule), s, &mut slots, &mut index))
                .collect();
        }
        rules.retain(|r| !r.scenarios.is_empty());
        feature.rules = rules;
        if !feature.scenarios.is_empty() || !feature.rules.is_empty() {
            runnable.push(feature);
        }
    }

    let collector = Collector::<W> {
        slots,
        index,
        failures: HashSet::new(),
        parse_errors: Vec::new(),
        _world: std::marker::PhantomData,
    };

    let before_ctx = Arc::clone(&ctx);
    let cucumber = cucumber::Cucumber::<W, _, _, _, _, cucumber::cli::Empty>::custom(
        PreParsed,
        cucumber::runner::Basic::default(),
        collector,
    )
    .steps(W::collection())
    .with_cli(cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::default())
    .max_concurrent_scenarios(opts.concurrency.max(1))
    .before(move |feature, rule, scenario, world| {
        let ctx = Arc::clone(&before_ctx);
        let meta = ScenarioMeta::new(feature, rule, scenario);
        async move {
            if let Err(err) = world.prepare(&ctx, &meta).await {
                std::panic::panic_any(HarnessFault(format!("{err:#}")));
            }
        }
        .boxed_local()
    })
    .after(|_, _, _, _, world| {
        async move {
            if let Some(world) = world {
                world.finish().await;
                // Reported through the hook's failure, which the collector
                // ignores when a step already failed. A failed check wins
                // over one the target could not make.
                if let Some(failures) = world.deferred_failures() {
                    quiet_contract_panics();
                    std::panic::panic_any(failures);
                }
                if let Some(reason) = world.not_applicable() {
                    not_applicable(reason);
                }
            }
        }
        .boxed_local()
    });

    let collector = cucumber.run(runnable).await;
    if let Some(err) = collector.parse_errors.first() {
        return Err(HarnessError::Features {
            path: opts.source.describe(),
            message: err.clone(),
        });
    }
    let mut results = collector.slots;
    for result in &mut results {
        if result.status == Status::Pending {
            // Cucumber never reported it: treat as a harness problem, never as a pass.
            result.status = Status::Error;
            result.actual = Some("the scenario did not run to completion".to_string());
        }
    }
    let unmatched = results
        .iter()
        .filter(|r| r.actual.as_deref() == Some(NO_STEP_MATCHES))
        .count();
    let mut report = Report::new(opts.target, opts.dialect, opts.profile, results);
    if unmatched > 0 && unmatched == report.results.len() {
        report.note(format!(
            "none of the {unmatched} scenarios got past a step this command knows: are these \
             another part's features? (verify-server runs server features, verify-client \
             client features; a tree laid out like features/ gives each its part)",
        ));
    }
    if let FeatureSource::Dir(dir) = &opts.source {
        // Which files ran is part of the verdict when they are not the built-in ones.
        report.note(format!(
            "features read from {} ({file_count} file{}), not the built-in ones",
            dir.display(),
            if file_count == 1 { "" } else { "s" }
        ));
    }
    Ok(report)
}

/// What a scenario shows when one of its steps matches no step definition.
const NO_STEP_MATCHES: &str = "no step definition matches this step";

/// Hands cucumber the features the runner already parsed and filtered.
struct PreParsed;

impl cucumber::Parser<Vec<gherkin::Feature>> for PreParsed {
    type Cli = cucumber::cli::Empty;
    type Output =
        futures::stream::Iter<std::vec::IntoIter<cucumber::parser::Result<gherkin::Feature>>>;

    fn parse(self, input: Vec<gherkin::Feature>, _cli: Self::Cli) -> Self::Output {
        futures::stream::iter(input.into_iter().map(Ok).collect::<Vec<_>>())
    }
}

/// The cucumber writer that turns events into [`CaseResult`]s.
struct Collector<W> {
    slots: Vec<CaseResult>,
    index: HashMap<ScenarioKey, usize>,
    /// Set when a step fails, so later "skipped" steps do not overwrite the failure.
    failures: HashSet<usize>,
    parse_errors: Vec<String>,
    _world: std::marker::PhantomData<fn() -> W>,
}

impl<W> cucumber::writer::Normalized for Collector<W> {}

impl<W: ContractWorld> cucumber::Writer<W> for Collector<W> {
    type Cli = cucumber::cli::Empty;

    async fn handle_event(
        &mut self,
        ev: cucumber::parser::Result<cucumber::Event<CucumberEvent<W>>>,
        _cli: &Self::Cli,
    ) {
        let ev = match ev {
            Ok(ev) => ev.value,
            Err(err) => {
                self.parse_errors.push(err.to_string());
                return;
            }
        };
        let CucumberEvent::Feature(feature, feature_ev) = ev else {
            return;
        };
        let (scenario, scenario_ev) = match feature_ev {
            event::Feature::Scenario(s, ev) => (s, ev.event),
            event::Feature::Rule(_, event::Rule::Scenario(s, ev)) => (s, ev.event),
            _ => return,
        };
        let Some(&slot) = self.index.get(&key_of(&feature, &scenario)) else {
            return;
        };
        self.on_scenario_event(slot, scenario_ev);
    }
}

impl<W: ContractWorld> Collector<W> {
    fn on_scenario_event(&mut self, slot: usize, ev: event::Scenario<W>) {
        match ev {
            event::Scenario::Step(step, event::Step::Failed(_, _, world, err))
            | event::Scenario::Background(step, event::Step::Failed(_, _, world, err)) => {
                let step_text = format!("{}{}", step.keyword, step.value);
                self.record_failure(slot, Some(step_text), world.as_deref(), &err);
            }
            // cucumber skips a step that matches no step definition: that is a
            // mistake in the features (or a missing step), not a pass.
            event::Scenario::Step(step, event::Step::Skipped)
            | event::Scenario::Background(step, event::Step::Skipped)
                if self.failures.insert(slot) =>
            {
                let result = &mut self.slots[slot];
                result.status = Status::Error;
                result.step = Some(format!("{}{}", step.keyword, step.value));
                result.actual = Some(NO_STEP_MATCHES.to_string());
            }
            event::Scenario::Hook(_, event::Hook::Failed(world, info))
                if info.is::<DeferredFailures>() && self.failures.insert(slot) =>
            {
                let result = &mut self.slots[slot];
                result.status = Status::Failed;
                if let Some(f) = info.downcast_ref::<DeferredFailures>() {
                    result.step = Some(f.step.clone());
                    result.expected = Some(f.expected.clone());
                    result.actual = Some(f.actual.clone());
                }
                if let Some(world) = world.as_deref() {
                    result.reproduce = world.reproduce();
                    result.transcript = world.transcript();
                }
            }
            event::Scenario::Hook(_, event::Hook::Failed(world, info))
                if self.failures.insert(slot) =>
            {
                let (status, detail) = classify_panic(&info);
                let result = &mut self.slots[slot];
                // A hook that fails is the harness's fault unless it chose to
                // skip or found the scenario not applicable.
                let gave_up = matches!(status, Status::Skipped | Status::NotApplicable);
                result.status = if gave_up { status } else { Status::Error };
                if gave_up {
                    result.reason = Some(detail.actual);
                } else {
                    result.actual = Some(detail.actual);
                }
                if let (Some(world), false) = (world.as_deref(), status == Status::NotApplicable) {
                    result.reproduce = world.reproduce();
                }
            }
            event::Scenario::Finished if !self.failures.contains(&slot) => {
                self.slots[slot].status = Status::Passed;
            }
            _ => {}
        }
    }

    fn record_failure(
        &mut self,
        slot: usize,
        step: Option<String>,
        world: Option<&W>,
        err: &event::StepError,
    ) {
        if !self.failures.insert(slot) {
            return;
        }
        let result = &mut self.slots[slot];
        result.step = step;
        match err {
            event::StepError::Panic(info) => {
                let (status, detail) = classify_panic(info);
                result.status = status;
                result.expected = detail.expected;
                result.actual = Some(detail.actual);
                if matches!(status, Status::Skipped | Status::NotApplicable) {
                    result.reason = result.actual.take();
                }
            }
            other => {
                result.status = Status::Error;
                result.actual = Some(other.to_string());
            }
        }
        if let Some(world) = world {
            if !matches!(result.status, Status::Skipped | Status::NotApplicable) {
                result.reproduce = world.reproduce();
                result.transcript = world.transcript();
            }
        }
    }
}

struct PanicDetail {
    expected: Option<String>,
    actual: String,
}

fn classify_panic(info: &event::Info) -> (Status, PanicDetail) {
    if let Some(f) = info.downcast_ref::<StepFailure>() {
        return (
            Status::Failed,
            PanicDetail {
                expected: Some(f.expected.clone()),
                actual: f.actual.clone(),
            },
        );
    }
    if let Some(n) = info.downcast_ref::<StepNotApplicable>() {
        return (
            Status::NotApplicable,
            PanicDetail {
                expected: None,
                actual: n.0.clone(),
            },
        );
    }
    if let Some(s) = info.downcast_ref::<StepSkip>() {
        return (
            Status::Skipped,
            PanicDetail {
                expected: None,
                actual: s.0.clone(),
            },
        );
    }
    if let Some(h) = info.downcast_ref::<HarnessFault>() {
        return (
            Status::Error,
            PanicDetail {
                expected: None,
                actual: h.0.clone(),
            },
        );
    }
    let message = info
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| info.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a step panicked without a message".to_string());
    (
        Status::Failed,
        PanicDetail {
            expected: None,
            actual: message,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A world with no target: steps compare numbers, so the runner's
    /// bookkeeping (pass, fail, skip, unmatched, outline expansion) is checked alone.
    #[derive(Debug, Default, cucumber::World)]
    struct Toy {
        value: i64,
        /// A check that could not be made: the scenario ends not applicable.
        unchecked: Option<String>,
    }

    impl ContractWorld for Toy {
        type Context = ();
        fn applicability(_: &(), meta: &ScenarioMeta) -> Applicability {
            if meta.has_tag("needs-thing") {
                Applicability::Skip("needs a thing this target lacks".into())
            } else if meta.has_tag("needs-capability") {
                Applicability::NotApplicable("needs a capability it lacks".into())
            } else if meta.has_tag("other-dialect") {
                Applicability::Exclude
            } else {
                Applicability::Run
            }
        }
        fn prepare<'a>(
            &'a mut self,
            _: &'a (),
            _: &'a ScenarioMeta,
        ) -> LocalBoxFuture<'a, anyhow::Result<()>> {
            async { Ok(()) }.boxed_local()
        }
        fn reproduce(&self) -> Option<String> {
            Some(format!("echo {}", self.value))
        }
        fn transcript(&self) -> Vec<String> {
            vec![format!("value {}", self.value)]
        }
        fn not_applicable(&self) -> Option<String> {
            self.unchecked.clone()
        }
    }

    #[cucumber::when("the step needs what the target lacks")]
    fn when_lacks(_: &mut Toy) {
        not_applicable("needs a menu item it lacks");
    }

    #[cucumber::then("a check cannot be made")]
    fn then_cannot_check(w: &mut Toy) {
        w.unchecked = Some("needs a count it does not keep".into());
    }

    #[cucumber::given(expr = "the value {int}")]
    fn given_value(w: &mut Toy, v: i64) {
        w.value = v;
    }

    #[cucumber::then(expr = "the value is {int}")]
    fn then_value(w: &mut Toy, v: i64) {
        if w.value != v {
            fail(format!("value {v}"), format!("value {}", w.value));
        }
    }

    #[cucumber::then("the step gives up")]
    fn then_gives_up(_: &mut Toy) {
        skip("not applicable here");
    }

    const TOY: &str = r#"@T-TOY-1
Feature: Toy
  Rule: Values
    @T-TOY-2
    Scenario: holds
      Given the value 3
      Then the value is 3

    Scenario: breaks
      Given the value 3
      Then the value is 4

    Scenario Outline: outline <n>
      Given the value <n>
      Then the value is <n>
      Examples:
        | n |
        | 1 |
        | 2 |

  @needs-thing
  Scenario: skipped statically
    Given the value 1

  @other-dialect
  Scenario: excluded
    Given the value 1

  Scenario: skipped at run time
    Given the value 1
    Then the step gives up

  Scenario: unmatched step
    Given nothing matches this

  @needs-capability
  Scenario: not applicable statically
    Given the value 1

  Scenario: not applicable at run time
    Given the value 1
    When the step needs what the target lacks
    Then the value is 2

  Scenario: not applicable after the steps
    Given the value 1
    Then a check cannot be made
    And the value is 1

  Scenario: a failure beats a check that could not be made
    Given the value 1
    Then a check cannot be made
    And the value is 2
"#;

    #[tokio::test]
    async fn runs_a_feature_and_collects_every_outcome() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("toy.feature"), TOY).expect("write");
        let report = run::<Toy>(
            Arc::new(()),
            RunOptions {
                source: FeatureSource::Dir(dir.path().to_path_buf()),
                tags: None,
                concurrency: 4,
                target: "toy".into(),
                dialect: None,
                profile: None,
            },
        )
        .await
        .expect("runs");
        let by_name = |n: &str| {
            report
                .results
                .iter()
                .find(|r| r.scenario == n)
                .unwrap_or_else(|| panic!("no result for {n}: {:#?}", report.results))
        };
        assert_eq!(report.results.len(), 11, "{:#?}", report.results);
        for (name, reason) in [
            ("not applicable statically", "needs a capability it lacks"),
            ("not applicable at run time", "needs a menu item it lacks"),
            (
                "not applicable after the steps",
                "needs a count it does not keep",
            ),
        ] {
            let r = by_name(name);
            assert_eq!(r.status, Status::NotApplicable, "{name}: {r:#?}");
            assert_eq!(r.reason.as_deref(), Some(reason), "{name}");
            assert_eq!(r.reproduce, None, "{name}");
        }
        let both = by_name("a failure beats a check that could not be made");
        assert_eq!(both.status, Status::Failed, "{both:#?}");
        assert_eq!(by_name("holds").status, Status::Passed);
        assert_eq!(by_name("holds").rules, vec!["T-TOY-1", "T-TOY-2"]);
        let broken = by_name("breaks");
        assert_eq!(broken.status, Status::Failed);
        assert_eq!(broken.expected.as_deref(), Some("value 4"));
        assert_eq!(broken.actual.as_deref(), Some("value 3"));
        assert_eq!(broken.reproduce.as_deref(), Some("echo 3"));
        assert_eq!(broken.step.as_deref(), Some("Then the value is 4"));
        assert_eq!(by_name("outline 1").status, Status::Passed);
        assert_eq!(by_name("outline 2").status, Status::Passed);
        assert_eq!(by_name("skipped statically").status, Status::Skipped);
        let late = by_name("skipped at run time");
        assert_eq!(late.status, Status::Skipped);
        assert_eq!(late.reason.as_deref(), Some("not applicable here"));
        assert_eq!(by_name("unmatched step").status, Status::Error);
        assert!(report.results.iter().all(|r| r.scenario != "excluded"));
        assert_eq!(report.exit_code(), crate::exit::HARNESS_ERROR);

        let only = run::<Toy>(
            Arc::new(()),
            RunOptions {
                source: FeatureSource::Dir(dir.path().to_path_buf()),
                tags: Some(parse_tags("@T-TOY-2").expect("tags")),
                concurrency: 1,
                target: "toy".into(),
                dialect: None,
                profile: None,
            },
        )
        .await
        .expect("runs");
        assert_eq!(only.results.len(), 1);
        assert_eq!(only.exit_code(), 0);
    }

    #[test]
    fn strictest_level_prefers_must() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(strictest_level(&ids(&["S-BAD-1", "S-PULL-2"])), Level::Must);
        assert_eq!(strictest_level(&ids(&["S-BAD-1"])), Level::Should);
        assert_eq!(strictest_level(&ids(&["X-NOPE-9"])), Level::Must);
    }

    #[test]
    fn tag_expressions_parse_and_evaluate() {
        let expr = parse_tags("@S-PULL-2 and not @needs-admin").expect("valid expression");
        assert!(expr.eval(["S-PULL-2"].iter()));
        assert!(!expr.eval(["S-PULL-2", "needs-admin"].iter()));
        assert!(parse_tags("@a and (").is_err());
    }

    #[test]
    fn missing_feature_dir_is_a_harness_error() {
        let err = load_features(&FeatureSource::Dir(PathBuf::from("/nonexistent/features")))
            .expect_err("missing dir");
        assert!(err.to_string().contains("/nonexistent/features"), "{err}");
    }

    #[test]
    fn bad_gherkin_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("bad.feature"),
            "Feature: x\n  Scenario\n  Given\n",
        )
        .expect("write");
        let err =
            load_features(&FeatureSource::Dir(dir.path().to_path_buf())).expect_err("bad gherkin");
        assert!(err.to_string().contains("bad.feature"), "{err}");
    }
}
