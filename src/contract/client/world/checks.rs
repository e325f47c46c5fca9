//! How a scenario's checks fail: the first `Then` of a block lets virtual
//! time run out first; a failed `Then` check is recorded and the scenario
//! goes on, every failed check reported once at the end (soft assertions);
//! a premise (`Given`) or a step that cannot go on fails at once.

use super::{Block, ClientWorld};
use crate::contract::runner::{self, DeferredFailures};

impl ClientWorld {
    /// Start a `Then` (or `Given`) check. The first `Then` after the
    /// scenario's events lets virtual time run out first — the profile's
    /// horizon, longer than any timer a client has — so that "no push",
    /// "only", counts and positions are judged once the client is quiet, not
    /// right after the last event. A `Given` check is a premise, judged as it is.
    pub(crate) async fn then(&mut self, step: &cucumber::gherkin::Step) {
        self.enter(step);
        if step.ty == cucumber::gherkin::StepType::Then && !self.settled {
            self.settled = true;
            let horizon = self.profile.policy().horizon_seconds;
            self.note(format!(
                "harness: {horizon} s of virtual time pass before the checks, so the client is quiet"
            ));
            self.pass_time(horizon).await;
        }
    }

    /// A check of the current step failed: the rule expected `expected`, the
    /// client did `actual`. A `Then` check is recorded and the scenario goes
    /// on (every failed check is reported at the end); a `Given` premise
    /// that does not hold stops it here.
    pub(crate) fn miss(&mut self, expected: impl Into<String>, actual: impl Into<String>) {
        let (expected, actual) = (expected.into(), actual.into());
        if self.block == Block::Then {
            self.soft
                .push((self.current_step.clone(), expected, actual));
        } else {
            self.fail(expected, actual);
        }
    }

    /// Fail the scenario now, with every check that failed before.
    pub(crate) fn fail(&mut self, expected: impl Into<String>, actual: impl Into<String>) -> ! {
        self.soft
            .push((self.current_step.clone(), expected.into(), actual.into()));
        let Some(failures) = deferred(&mut self.soft) else {
            runner::harness_fault("internal: no failure to report");
        };
        runner::fail(failures.expected, failures.actual)
    }
}

/// The checks of a scenario that failed, as one failure to report (each
/// with its step, numbered, when there are several); `None` when all held.
pub(super) fn deferred(soft: &mut Vec<(String, String, String)>) -> Option<DeferredFailures> {
    let first = soft.first()?.0.clone();
    if soft.len() == 1 {
        let (step, expected, actual) = soft.remove(0);
        return Some(DeferredFailures {
            step,
            expected,
            actual,
        });
    }
    let numbered = |pick: fn(&(String, String, String)) -> &String| {
        soft.iter()
            .enumerate()
            .map(|(i, f)| format!("{}. {}: {}", i + 1, f.0, pick(f)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let failures = DeferredFailures {
        step: format!("{first} (and {} more failed checks)", soft.len() - 1),
        expected: numbered(|f| &f.1),
        actual: numbered(|f| &f.2),
    };
    soft.clear();
    Some(failures)
}
