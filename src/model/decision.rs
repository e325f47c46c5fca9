//! Decisions as data: what the model decided about which rule, at each event.
//!
//! [`Client::step`](super::Client::step) returns, with its effects, the
//! [`Decision`]s it took: one per rule that determined what the client sent,
//! queued or showed (or held back), with the outcome and the part of the
//! observable trace that decision governs ([`Aspect`]). The differential
//! names the rules behind a difference from these records alone, and client
//! feature failures show them beside the failing step, so no other code has
//! to re-derive which rule applies where.
//!
//! Only rules of the catalogue are recorded, and only where the rule forbids
//! the alternative: a choice the sources leave open (the order of two
//! documents' requests, an informational notice) is not a decision, so a
//! client that chooses otherwise is never blamed for it.

use serde::Serialize;

/// What a rule made the client do (or not do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A pull was sent.
    Pulled,
    /// A snapshot was put in the pending queue.
    Queued,
    /// A push was sent.
    Uploaded,
    /// The pull's answer or a page upload waits for something (C-PULL-7).
    Waited,
    /// A page-triggered upload was held back by the debounce window.
    Debounced,
    /// An item stays pending (a failed upload, a run that cannot go on).
    Kept,
    /// An accepted upload moved its item to synced.
    Synced,
    /// A remote position was applied to the reader.
    Applied,
    /// The user was asked.
    Prompted,
    /// A setting change was refused.
    Rejected,
    /// The rule forbade the action: nothing was sent, queued, shown or applied.
    Refused,
    /// The trigger did nothing because the rule's condition did not hold.
    Skipped,
}

impl Outcome {
    /// The outcome in a word, for reports.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pulled => "pulled",
            Outcome::Queued => "queued",
            Outcome::Uploaded => "uploaded",
            Outcome::Waited => "waited",
            Outcome::Debounced => "debounced",
            Outcome::Kept => "kept",
            Outcome::Synced => "synced",
            Outcome::Applied => "applied",
            Outcome::Prompted => "prompted",
            Outcome::Rejected => "rejected",
            Outcome::Refused => "refused",
            Outcome::Skipped => "skipped",
        }
    }
}

/// A part of what an outsider sees of one event: a decision governs some of
/// them, and a difference between two clients falls in one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    /// Whether and how many pulls are sent.
    Pulls,
    /// Whether and how many pushes are sent, and which snapshots they carry.
    Uploads,
    /// The order of one document's pull and pushes.
    Order,
    /// The route of a request.
    Path,
    /// The auth headers.
    Auth,
    /// The document hash a request names.
    Document,
    /// The push body's fields are all there (C-WIRE-2).
    Fields,
    /// The push body's fields are well typed (C-WIRE-5).
    Types,
    /// The position a push carries (percentage, progress, timestamp).
    Content,
    /// Prompts and applied positions.
    Prompts,
    /// Error notices.
    Notices,
    /// Refused settings changes.
    Settings,
    /// The pending count.
    Pending,
    /// The synced count.
    Synced,
}

/// One decision: which rule, what it made happen, and what it governs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// A rule id of the catalogue (`C-PULL-1`, `KC-Q-1`).
    pub rule: &'static str,
    pub outcome: Outcome,
    /// The parts of the trace this decision determined.
    pub governs: &'static [Aspect],
}

impl Decision {
    pub fn new(rule: &'static str, outcome: Outcome, governs: &'static [Aspect]) -> Decision {
        Decision {
            rule,
            outcome,
            governs,
        }
    }

    /// Whether this decision determined `aspect`.
    pub fn governs(&self, aspect: Aspect) -> bool {
        self.governs.contains(&aspect)
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.rule, self.outcome.word())
    }
}

/// What one event made the client do: the effects in order, and the
/// decisions behind them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Handled {
    pub effects: Vec<super::Effect>,
    pub decisions: Vec<Decision>,
}

/// `C-PULL-1 pulled, C-PUSH-1 queued` — decisions in a line, for reports.
pub fn describe(decisions: &[Decision]) -> String {
    if decisions.is_empty() {
        return "no rule decided anything".to_string();
    }
    let mut seen: Vec<String> = Vec::new();
    for d in decisions {
        let text = d.to_string();
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    seen.join(", ")
}

/// Shorthands for what the model's decisions govern.
pub(crate) mod governs {
    use super::Aspect::{self, *};

    pub const PULLS: &[Aspect] = &[Pulls];
    pub const UPLOADS: &[Aspect] = &[Uploads];
    pub const SENDING: &[Aspect] = &[Pulls, Uploads];
    pub const WAIT_FOR_PULL: &[Aspect] = &[Uploads, Order];
    pub const PATH: &[Aspect] = &[Path];
    pub const PUSH_SHAPE: &[Aspect] = &[Path, Fields];
    pub const TYPES: &[Aspect] = &[Types];
    pub const AUTH: &[Aspect] = &[Auth];
    pub const DOCUMENT: &[Aspect] = &[Document];
    pub const CONTENT: &[Aspect] = &[Content];
    pub const PENDING: &[Aspect] = &[Pending];
    pub const PENDING_AND_CONTENT: &[Aspect] = &[Pending, Content];
    pub const NOT_QUEUED: &[Aspect] = &[Pending, Uploads];
    pub const KEPT: &[Aspect] = &[Pending, Uploads];
    pub const ACCEPTED: &[Aspect] = &[Pending, Synced];
    pub const PROMPTS: &[Aspect] = &[Prompts];
    pub const SILENT: &[Aspect] = &[Prompts, Notices];
    pub const SILENT_BUT_TOLD: &[Aspect] = &[Prompts, Notices];
    pub const SETTINGS: &[Aspect] = &[Settings];
}
