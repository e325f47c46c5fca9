//! The cucumber side of a run: [`PreParsed`] hands cucumber the features the
//! runner already filtered, and [`Collector`] turns cucumber's events into
//! one [`CaseResult`] per scenario (failed step, deferred failures, hooks that
//! gave up, steps no definition matches).

use std::collections::{HashMap, HashSet};

use cucumber::event::{self, Cucumber as CucumberEvent};
use cucumber::gherkin;

use super::outcome::{classify_panic, DeferredFailures};
use super::ContractWorld;
use crate::contract::report::{CaseResult, Status};
use crate::contract::scenario::feature_path;

pub(super) type ScenarioKey = (String, usize);

pub(super) fn key_of(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> ScenarioKey {
    (feature_path(feature), scenario.position.line)
}

/// What a scenario shows when one of its steps matches no step definition.
pub(super) const NO_STEP_MATCHES: &str = "no step definition matches this step";

/// Hands cucumber the features the runner already parsed and filtered.
pub(super) struct PreParsed;

impl cucumber::Parser<Vec<gherkin::Feature>> for PreParsed {
    type Cli = cucumber::cli::Empty;
    type Output =
        futures::stream::Iter<std::vec::IntoIter<cucumber::parser::Result<gherkin::Feature>>>;

    fn parse(self, input: Vec<gherkin::Feature>, _cli: Self::Cli) -> Self::Output {
        futures::stream::iter(input.into_iter().map(Ok).collect::<Vec<_>>())
    }
}

/// The cucumber writer that turns events into [`CaseResult`]s.
pub(super) struct Collector<W> {
    pub(super) slots: Vec<CaseResult>,
    pub(super) index: HashMap<ScenarioKey, usize>,
    /// Set when a step fails, so later "skipped" steps do not overwrite the failure.
    pub(super) failures: HashSet<usize>,
    pub(super) parse_errors: Vec<String>,
    pub(super) _world: std::marker::PhantomData<fn() -> W>,
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
