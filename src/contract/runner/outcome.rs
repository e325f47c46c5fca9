//! How a step ends when it does not simply pass: the panic payloads a step
//! raises ([`fail`], [`skip`], [`not_applicable`], [`harness_fault`], and a
//! world's deferred soft-assertion failures), the hook that keeps them off
//! stderr, and their classification into a report [`Status`].

use std::sync::Once;

use cucumber::event;

use crate::contract::report::Status;

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

pub(super) struct PanicDetail {
    pub(super) expected: Option<String>,
    pub(super) actual: String,
}

pub(super) fn classify_panic(info: &event::Info) -> (Status, PanicDetail) {
    if let Some(f) = info.downcast_ref::<StepFailure>() {
        let detail = PanicDetail {
            expected: Some(f.expected.clone()),
            actual: f.actual.clone(),
        };
        return (Status::Failed, detail);
    }
    let (status, actual) = if let Some(n) = info.downcast_ref::<StepNotApplicable>() {
        (Status::NotApplicable, n.0.clone())
    } else if let Some(s) = info.downcast_ref::<StepSkip>() {
        (Status::Skipped, s.0.clone())
    } else if let Some(h) = info.downcast_ref::<HarnessFault>() {
        (Status::Error, h.0.clone())
    } else {
        let message = info
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a step panicked without a message".to_string());
        (Status::Failed, message)
    };
    let detail = PanicDetail {
        expected: None,
        actual,
    };
    (status, detail)
}
