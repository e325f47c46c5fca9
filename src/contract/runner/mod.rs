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
//!
//! Parts: `load` (where features come from), `outcome` (how a step ends when it
//! does not pass), `collect` (cucumber events to one result per scenario);
//! this file decides what runs and drives cucumber.

mod collect;
mod load;
mod outcome;

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::sync::Arc;

use cucumber::gherkin;
use cucumber::tag::Ext as _;
use futures::future::LocalBoxFuture;
use futures::FutureExt as _;

pub use cucumber::gherkin::tagexpr::TagOperation as TagExpr;

use super::catalogue::{self, Level};
use super::report::{CaseResult, Report, Status};
pub use super::scenario::ScenarioMeta;
use collect::{key_of, Collector, PreParsed, ScenarioKey, NO_STEP_MATCHES};
pub use load::{load_features, FeatureSource};
pub use outcome::{
    fail, harness_fault, not_applicable, quiet_contract_panics, skip, DeferredFailures,
    HarnessFault, StepFailure, StepNotApplicable, StepSkip, QUIET_PANIC_PREFIX,
};

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

#[cfg(test)]
mod tests;
