//! Deliberately broken variants of the reference model, for detection tests
//! (compiled with the `mutants` cargo feature only; `cargo test` turns it on).
//!
//! Each [`Mutant`] breaks one client rule. The reference [`Client`](super::Client) knows
//! nothing of them: a mutant either changes one answer of the client's
//! [`Policy`] (where clients genuinely differ: queue order, what a failed
//! upload does…), or wraps the reference client in a [`Mutated`]
//! (`wrapper.rs`) that changes what goes in (settings, events, answers) or comes out (requests,
//! prompts, counts). The features and properties must each be shown to catch
//! them: a check that passes against a broken model checks nothing.

mod valid;
mod wrapper;

pub use valid::Reading;
pub use wrapper::Mutated;

use super::profile::{
    Comparison, EarlyPageUpload, FailedUpload, NotFoundPolicy, Policy, QueueOrder,
};
use super::{ClientConfig, ClientModel, Profile, Settings};

macro_rules! mutants {
    ($( $(#[$doc:meta])* $name:ident => $rule:literal, )*) => {
        /// A single broken rule; see the module doc.
        #[doc(hidden)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum Mutant {
            $( $(#[$doc])* $name, )*
        }

        impl Mutant {
            /// Every mutant, in declaration order.
            pub const ALL: &'static [Mutant] = &[$(Mutant::$name,)*];

            /// The variant's name, as written in Rust (`NoDebounce`).
            pub fn name(self) -> &'static str {
                match self { $(Mutant::$name => stringify!($name),)* }
            }

            /// The id of the rule this mutant breaks.
            pub fn breaks(self) -> &'static str {
                match self { $(Mutant::$name => $rule,)* }
            }
        }
    };
}

mutants! {
    /// Queues and uploads snapshots while sync is disabled.
    PushesWhenDisabled => "C-EN-1",
    /// Pulls while sync is disabled.
    PullsWhenDisabled => "C-EN-1",
    /// Queues snapshots while disabled (but uploads nothing until enabled).
    QueuesWhenDisabled => "C-EN-2",
    /// Pulls from `/syncs/progress/{doc}` without the dialect prefix.
    WrongPullPath => "C-WIRE-1",
    /// Pushes to `/syncs/progress` without the dialect prefix.
    WrongPushPath => "C-WIRE-2",
    /// Leaves `timestamp` out of the push body.
    PushOmitsTimestamp => "C-WIRE-2",
    /// Sends the push `timestamp` in milliseconds instead of seconds.
    TimestampInMilliseconds => "C-WIRE-5",
    /// Sends the document hash in uppercase.
    DocumentUppercase => "C-WIRE-3",
    /// Sends the plain password as `x-auth-key`.
    PlainPasswordSent => "C-WIRE-4",
    /// Sends no `x-auth-key` header.
    MissingAuthKey => "C-WIRE-4",
    /// Never pulls on open.
    NoPullOnOpen => "C-PULL-1",
    /// Never pulls on resume.
    ResumeDoesNotPull => "C-PULL-2",
    /// Pulls with Wi-Fi disconnected.
    PullsWithWifiOff => "C-PULL-3",
    /// Pulls the open book 1 s after Wi-Fi comes back.
    PullsWhenWifiReturns => "C-PULL-3",
    /// Pulls on open even with "Pull progress on book open" off.
    PullOnOpenIgnoresToggle => "C-PULL-4",
    /// Pulls on resume even with "Pull progress on resume" off.
    PullOnResumeIgnoresToggle => "C-PULL-4",
    /// Shows an error notice for a 404 pull.
    NoticeOn404 => "C-PULL-5",
    /// Prompts to jump to 0% on a 404 pull.
    PromptOn404 => "C-PULL-5",
    /// Takes a failed or malformed pull as remote progress 0%.
    FailedPullTreatedAsZero => "C-PULL-6",
    /// Uploads the open snapshot before the open pull is answered.
    UploadBeforePull => "C-PULL-7",
    /// Opening a book over another first closes the other one, whose upload
    /// run starts with the opened book's own snapshots still queued from
    /// earlier: they reach the server before that book's pull.
    CloseUploadsBeforePull => "C-PULL-7",
    /// Uses the older-state strategy for newer remote progress and vice versa.
    DirectionSwapped => "C-CONF-1",
    /// Starts with the newer-state strategy Silently where Prompt was given.
    WrongNewerDefault => "C-CONF-1",
    /// Starts with the older-state strategy Silently where Disable was given.
    WrongOlderDefault => "C-CONF-2",
    /// Prompts where the strategy is Silently.
    SilentlyPrompts => "C-CONF-3",
    /// Applies without asking where the strategy is Prompt.
    PromptAppliesWithoutAsking => "C-CONF-4",
    /// Names the other direction in its prompt ("newer" for an older position).
    PromptDirectionReversed => "C-CONF-4",
    /// Applies the proposed position when the user declines.
    DeclineApplies => "C-CONF-4",
    /// Applies older remote progress although its strategy is Disable.
    OlderDirectionApplied => "C-CONF-5",
    /// Prompts where the strategy is Disable.
    DisableStillPrompts => "C-CONF-5",
    /// Prompts for positions that are equal under C-CONF-6.
    EqualPositionsPrompt => "C-CONF-6",
    /// Queues no snapshot on open.
    NoOpenSnapshot => "C-PUSH-1",
    /// Queues no snapshot on close.
    NoCloseSnapshot => "C-PUSH-2",
    /// The page counter does not restart after a periodic snapshot.
    CounterNeverRestarts => "C-PUSH-3",
    /// Queues a periodic snapshot every N+1 page turns.
    PeriodicOffByOne => "C-PUSH-3",
    /// Accepts "Periodically sync every # pages" below 1.
    AcceptsPagesBelowOne => "C-PUSH-4",
    /// Queues periodic snapshots with periodic updates off.
    PeriodicIgnoresToggle => "C-PUSH-5",
    /// Page-triggered uploads are not debounced.
    NoDebounce => "C-PUSH-6",
    /// A debounced page upload is delayed until the window ends instead of skipped.
    DebounceDelays => "C-PUSH-7",
    /// A debounced page upload is sent 11 s later, inside the window or not.
    LatePagePush => "C-PUSH-6",
    /// The same, 59 s later: just inside the minute the checks wait for quiet.
    LastMinutePagePush => "C-PUSH-6",
    /// Nothing is uploaded automatically even outside Manual only.
    NoAutoUpload => "C-PUSH-8",
    /// A rating queues nothing although "Set book to read on rating" is on.
    IgnoresReadOnRating => "C-RATE-1",
    /// The rating snapshot carries the current percentage instead of 1.0.
    RatingKeepsPercentage => "C-RATE-1",
    /// A rating queues a snapshot although "Set book to read on rating" is off.
    RatingQueuesWhenOff => "C-RATE-2",
    /// With Wi-Fi off a new snapshot is dropped instead of queued.
    SnapshotDroppedWhenOffline => "C-Q-1",
    /// Sync Pending Now does nothing.
    SyncPendingNowIgnored => "C-Q-2",
    /// A failed upload is removed from the queue.
    DropsFailedUpload => "C-Q-3",
    /// An upload that gets no answer at all (dropped, timed out) is removed
    /// from the queue, as if the server had taken it.
    DropsUnansweredUpload => "C-SAFE-1",
    /// The queue summary uses the wrong letter (`4S` instead of `4P`).
    QueueSummaryWrongLetter => "C-Q-4",
    /// An accepted upload leaves pending but is not counted as synced.
    SyncedNotCounted => "C-Q-5",
    /// With Manual only on, snapshots are not queued.
    ManualOnlyDropsSnapshots => "C-MAN-1",
    /// With Manual only on, uploads still run automatically.
    UploadsInManualOnly => "C-MAN-2",
    /// With Manual only on, Sync Pending Now does nothing.
    SyncPendingNowIgnoredInManualOnly => "C-MAN-3",
    /// With Manual only on, pulls still happen automatically.
    PullsInManualOnly => "C-MAN-4",
    /// Uploads the newest pending snapshot first.
    OlderSnapshotAfterNewer => "C-SAFE-2",
    /// Re-sends the last accepted snapshot at the start of every upload run.
    ResendsSynced => "C-SAFE-3",
    /// Uploads with Wi-Fi disconnected.
    SendsWithWifiOff => "C-SAFE-4",
    /// Sync Pending Now with Wi-Fi off empties the queue.
    OfflineSyncDropsQueue => "C-SAFE-5",
    /// An item whose second upload attempt fails is counted as synced and
    /// dropped (a lost update).
    SecondFailureCountedAsSent => "C-SAFE-1",
    /// After a pull is applied, the open snapshot still carries the position
    /// from before it, and its upload moves the server back.
    OpenSnapshotKeepsOldPosition => "C-PULL-8",
    // ---- KOReader profile (see `Mutant::profile`) ----
    /// KOReader's own defect: a queued snapshot whose resend fails is counted
    /// as sent and dropped (a lost update).
    KoResendFailureDropped => "C-SAFE-1",
    /// KOReader's own defect: a queued snapshot older than the reader's
    /// position is sent as it is, overwriting newer progress.
    KoStaleQueueOverwrites => "C-SAFE-2",
    /// KOReader's own defect: the retry queue is sent only with a book open,
    /// so snapshots queued with no book open never go.
    KoQueueNeedsOpenBook => "C-Q-3",
    /// Automatic pushes and pulls inside 25 s are not skipped.
    KoNoDebounce => "KC-DEB-1",
    /// The periodic push goes out at the Nth turn, not 10 s later.
    KoPeriodicAtOnce => "KC-PUSH-2",
    /// Closing a book pushes nothing.
    KoNoClosePush => "KC-PUSH-1",
    /// The network coming up does not pull the open book.
    KoNoNetworkPull => "KC-PULL-1",
    /// A failed pull shows no error.
    KoFailedPullSilent => "KC-PULL-2",
    /// Decides direction by percentage, as the BookLore plugin does.
    KoDirectionByPercentage => "KC-DIR-1",
    /// A push that fails is not kept for a retry.
    KoFailedPushNotQueued => "KC-Q-1",
    /// An applied position is shown but not kept: the next push sends the
    /// position from before it and moves the server back.
    KoAppliedPositionForgotten => "C-SAFE-6",
}

impl std::fmt::Display for Mutant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Mutant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mutant::ALL
            .iter()
            .copied()
            .find(|m| m.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown mutant {s:?}"))
    }
}

impl Mutant {
    /// `profile`'s policy with this mutant's answer, for the mutants that
    /// are a changed answer; the policy unchanged for the others.
    pub fn policy(self, profile: Profile) -> Policy {
        let mut policy = profile.policy();
        match self {
            Mutant::NoOpenSnapshot => policy.open_snapshot = false,
            Mutant::NoCloseSnapshot => policy.close_snapshot = false,
            Mutant::UploadBeforePull => policy.pull_first = false,
            Mutant::OlderSnapshotAfterNewer => policy.queue_order = QueueOrder::NewestFirst,
            Mutant::DropsFailedUpload => policy.failed_upload = FailedUpload::Dropped,
            Mutant::DropsUnansweredUpload => {
                policy.failed_upload = FailedUpload::DroppedIfUnanswered
            }
            Mutant::DebounceDelays => policy.early_page_upload = EarlyPageUpload::ToWindowEnd,
            // KOReader's client pushes 10 s after the last page turn.
            Mutant::LatePagePush => policy.early_page_upload = EarlyPageUpload::After(11),
            // 59 s, not the horizon less one: the contract promises a minute,
            // so a shorter horizon must fail the test that uses this mutant.
            Mutant::LastMinutePagePush => policy.early_page_upload = EarlyPageUpload::After(59),
            Mutant::NoDebounce => policy.debounce_seconds = 0,
            Mutant::NoticeOn404 => policy.not_found = NotFoundPolicy::ShowError,
            Mutant::PushOmitsTimestamp => policy.push_timestamp = false,
            Mutant::SecondFailureCountedAsSent => {
                policy.failed_upload = FailedUpload::CountedAsSentOnRetry
            }
            Mutant::KoResendFailureDropped => policy.resend_failure_dropped = true,
            Mutant::KoStaleQueueOverwrites => policy.stale_entries_refreshed = false,
            Mutant::KoQueueNeedsOpenBook => policy.drain_needs_open_book = true,
            Mutant::KoNoDebounce => policy.debounce_seconds = 0,
            Mutant::KoPeriodicAtOnce => policy.periodic_delay_seconds = 0,
            Mutant::KoNoClosePush => policy.close_snapshot = false,
            Mutant::KoNoNetworkPull => policy.network_pull = false,
            Mutant::KoFailedPullSilent => policy.not_found = NotFoundPolicy::Normal,
            Mutant::KoDirectionByPercentage => policy.comparison = Comparison::Percentage,
            Mutant::KoFailedPushNotQueued => policy.failed_upload = FailedUpload::Dropped,
            Mutant::OpenSnapshotKeepsOldPosition | Mutant::KoAppliedPositionForgotten => {
                policy.applied_position_carried = false
            }
            _ => {}
        }
        policy
    }

    /// The profile whose client this mutant breaks.
    pub fn profile(self) -> Profile {
        if self.name().starts_with("Ko") {
            Profile::KOReader
        } else {
            Profile::BookLorePlugin
        }
    }

    /// A client of `profile` with this rule broken. `password` is the plain
    /// password (only [`Mutant::PlainPasswordSent`] uses it: the model itself
    /// never holds it).
    pub fn client(
        self,
        config: ClientConfig,
        settings: Settings,
        profile: Profile,
        password: &str,
    ) -> Box<dyn ClientModel> {
        match self.profile() {
            // Every KOReader mutant is a changed answer of its policy.
            Profile::KOReader => {
                let _ = profile;
                let policy = self.policy(Profile::KOReader);
                Profile::KOReader.client_with(config, settings, policy)
            }
            Profile::BookLorePlugin => {
                Box::new(Mutated::new(self, config, settings, profile, password))
            }
        }
    }
}
