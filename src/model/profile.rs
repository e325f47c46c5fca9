//! Behaviour profiles: the rules in which one KOReader sync client differs from
//! another, as data the [`Client`](super::Client) reads instead of code it copies.
//!
//! A [`Profile`] is a client's name (`booklore-plugin`); its [`Policy`] is the
//! answers to every question on which clients differ (is a snapshot queued
//! on open, how is "newer" decided, what does a 404 mean…). The model asks
//! the policy at each of those places, so a second profile is a second set of
//! answers, not a second model — and a deliberately broken client for the
//! detection tests is the reference policy with one answer changed.

use serde::{Deserialize, Serialize};

use super::{Direction, Position, Settings, DEBOUNCE_SECONDS, PERIODIC_DELAY_SECONDS};

/// Which client's rules the model plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// BookLore's KOReader plugin, as its "Progress Sync" page describes it
    /// (rules C-… of `rules.md`).
    #[default]
    BookLorePlugin,
    /// KOReader's built-in progress sync (the kosync plugin), as the protocol
    /// facts describe it (rules KC-…), without its known defects.
    #[serde(rename = "koreader")]
    KOReader,
}

/// The local side of a comparison: where the reader is and since when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalProgress<'a> {
    pub position: &'a Position,
    /// Virtual time of the last change of the local position (open, page turn, applied pull).
    pub changed_at: i64,
}

/// The remote side of a comparison: what a pull answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteProgress {
    pub position: Position,
    /// The record's `timestamp`, when it had an integer one.
    pub timestamp: Option<i64>,
}

/// What a 404 from the pull endpoint means to a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFoundPolicy {
    /// No remote progress yet: nothing shown, reading goes on (C-PULL-5).
    Normal,
    /// Shown to the user as an error (KOReader's built-in client).
    ShowError,
}

/// How "ahead" and "behind" are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// C-CONF-6: by percentage; equal when floored to 4 decimals or the markers match.
    Percentage,
    /// KC-DIR-1: equal as above; otherwise newer when the record's timestamp is
    /// later than the local position's last change, by percentage without one.
    Timestamp,
}

/// Which pending item an upload run sends next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOrder {
    /// C-SAFE-2: oldest first, so each document's newest snapshot lands last.
    OldestFirst,
    /// Newest first (a broken client: an older snapshot overwrites a newer one).
    NewestFirst,
}

/// What an upload that is not accepted does to its item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedUpload {
    /// C-Q-3, C-SAFE-1: the item stays pending for a later run.
    Kept,
    /// The item is thrown away (a lost update).
    Dropped,
    /// Kept when the server answered, thrown away when nothing came back.
    DroppedIfUnanswered,
    /// Kept after its first failure; its second failure counts it as sent
    /// (the lost update of KOReader's retry queue).
    CountedAsSentOnRetry,
}

/// What happens to a page-triggered upload inside the debounce window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarlyPageUpload {
    /// C-PUSH-7: skipped; its snapshot waits for the next upload.
    Skipped,
    /// Postponed to the end of the window.
    ToWindowEnd,
    /// Sent this many seconds later, window or not.
    After(u64),
}

/// A profile's answers to every question on which clients differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The profile these answers belong to (for reports).
    pub profile: Profile,
    /// How a remote position's direction is decided.
    pub comparison: Comparison,
    /// What a 404 on pull means.
    pub not_found: NotFoundPolicy,
    /// Whether a push body carries the client's `timestamp` (C-WIRE-2).
    pub push_timestamp: bool,
    /// Whether opening a book queues a snapshot (C-PUSH-1).
    pub open_snapshot: bool,
    /// Whether closing a book queues a snapshot (C-PUSH-2).
    pub close_snapshot: bool,
    /// Whether uploads wait while a pull is unanswered (C-PULL-7).
    pub pull_first: bool,
    pub queue_order: QueueOrder,
    pub failed_upload: FailedUpload,
    pub early_page_upload: EarlyPageUpload,
    /// Minimum seconds between an upload and a page-triggered one (C-PUSH-6).
    pub debounce_seconds: u64,
    /// Seconds after the Nth page turn before the periodic push (0: at once).
    pub periodic_delay_seconds: u64,
    /// KOReader's retry queue is sent only while a book is open (a defect:
    /// snapshots queued with no book open are stranded).
    pub drain_needs_open_book: bool,
    /// A queued entry of the open book older than the reader's position is
    /// sent as the current position (C-SAFE-2).
    pub stale_entries_refreshed: bool,
    /// A queued entry whose resend fails is dropped as if sent (a defect: a
    /// lost update).
    pub resend_failure_dropped: bool,
    /// A record of this very device is not offered (KC-DIR-1).
    pub own_record_ignored: bool,
    /// The network coming up (with a book open) pulls (KC-PULL-1).
    pub network_pull: bool,
    /// An applied remote position is what later uploads of that book carry
    /// (C-PULL-8, C-SAFE-6): the pending snapshots of the BookLore plugin,
    /// the next push of KOReader's.
    pub applied_position_carried: bool,
    /// Seconds after which the client, left alone, does nothing more: longer
    /// than any timer it has. The harness lets this much virtual time pass
    /// before it checks that something did *not* happen.
    pub horizon_seconds: u64,
}

impl Profile {
    /// Every profile, for listings and `--profile` parsing.
    pub const ALL: &'static [Profile] = &[Profile::BookLorePlugin, Profile::KOReader];

    /// The profile's name as the command line and reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::BookLorePlugin => "booklore-plugin",
            Profile::KOReader => "koreader",
        }
    }

    /// The settings a fresh install of this client has.
    pub fn default_settings(self) -> Settings {
        match self {
            // The source's defaults plus C-EN-2 (off until enabled).
            Profile::BookLorePlugin => Settings::default(),
            // Auto sync off, "pages before update" off, forward Prompt, backward Disable.
            Profile::KOReader => Settings {
                periodic_updates: false,
                ..Settings::default()
            },
        }
    }

    /// The profile's answers.
    pub fn policy(self) -> Policy {
        match self {
            Profile::BookLorePlugin => Policy {
                profile: self,
                comparison: Comparison::Percentage,
                not_found: NotFoundPolicy::Normal,
                push_timestamp: true,
                open_snapshot: true,
                close_snapshot: true,
                pull_first: true,
                queue_order: QueueOrder::OldestFirst,
                failed_upload: FailedUpload::Kept,
                early_page_upload: EarlyPageUpload::Skipped,
                debounce_seconds: DEBOUNCE_SECONDS,
                periodic_delay_seconds: 0,
                drain_needs_open_book: false,
                stale_entries_refreshed: true,
                resend_failure_dropped: false,
                own_record_ignored: false,
                network_pull: false,
                applied_position_carried: true,
                horizon_seconds: HORIZON_SECONDS,
            },
            Profile::KOReader => Policy {
                profile: self,
                comparison: Comparison::Timestamp,
                not_found: NotFoundPolicy::ShowError,
                push_timestamp: false,
                open_snapshot: false,
                close_snapshot: true,
                pull_first: true,
                queue_order: QueueOrder::OldestFirst,
                failed_upload: FailedUpload::Kept,
                early_page_upload: EarlyPageUpload::Skipped,
                debounce_seconds: DEBOUNCE_SECONDS,
                periodic_delay_seconds: PERIODIC_DELAY_SECONDS,
                drain_needs_open_book: false,
                stale_entries_refreshed: true,
                resend_failure_dropped: false,
                own_record_ignored: true,
                network_pull: true,
                applied_position_carried: true,
                horizon_seconds: HORIZON_SECONDS,
            },
        }
    }

    /// Which way `remote` lies from `local`, or `None` when they count as the
    /// same position and nothing is to be done.
    pub fn direction(self, local: LocalProgress<'_>, remote: &RemoteProgress) -> Option<Direction> {
        self.policy().direction(local, remote)
    }
}

impl Policy {
    /// Which way `remote` lies from `local`, or `None` when they count as the
    /// same position and nothing is to be done.
    pub fn direction(
        &self,
        local: LocalProgress<'_>,
        remote: &RemoteProgress,
    ) -> Option<Direction> {
        match self.comparison {
            // C-CONF-6: percentages floored to 4 decimals, or identical markers,
            // mean "equal"; otherwise the larger percentage is ahead (C-CONF-1/2).
            Comparison::Percentage | Comparison::Timestamp => {
                let (l, r) = (local.position, &remote.position);
                let newer = match (self.comparison, remote.timestamp) {
                    // KC-DIR-1: the record's time against the local position's.
                    (Comparison::Timestamp, Some(t)) => t > local.changed_at,
                    _ => r.percentage > l.percentage,
                };
                if same_floor4(l.percentage, r.percentage) || l.progress == r.progress {
                    None
                } else if newer {
                    Some(Direction::Newer)
                } else {
                    Some(Direction::Older)
                }
            }
        }
    }
}

/// The quiet horizon of every profile: no client timer runs longer (the 25 s
/// debounce, KOReader's 10 s periodic push and 1 s pulls), with room to spare.
pub const HORIZON_SECONDS: u64 = 60;

/// `floor(p × 10⁴)`: the comparison key of C-CONF-6 (KOReader floors a push's
/// percentage the same way).
pub fn floor4(percentage: f64) -> f64 {
    (percentage * 10_000.0).floor()
}

/// C-CONF-6's equality: the same position once both are floored to 4 decimals.
pub fn same_floor4(a: f64, b: f64) -> bool {
    floor4(a) == floor4(b)
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .iter()
            .copied()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown profile {s:?}: expected one of {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(percentage: f64, progress: &str) -> Position {
        Position {
            percentage,
            progress: progress.to_string(),
        }
    }

    fn dir(local: Position, remote: Position) -> Option<Direction> {
        Profile::BookLorePlugin.direction(
            LocalProgress {
                position: &local,
                changed_at: 0,
            },
            &RemoteProgress {
                position: remote,
                timestamp: None,
            },
        )
    }

    #[test]
    fn equal_when_floored_percentages_match_or_markers_match() {
        assert_eq!(dir(at(0.50001, "10"), at(0.50009, "11")), None);
        assert_eq!(dir(at(0.2, "7"), at(0.9, "7")), None);
        assert_eq!(dir(at(0.2, "7"), at(0.9, "30")), Some(Direction::Newer));
        assert_eq!(dir(at(0.9, "30"), at(0.2, "7")), Some(Direction::Older));
        assert_eq!(dir(at(0.5, "a"), at(0.5001, "b")), Some(Direction::Newer));
    }

    #[test]
    fn profile_names_round_trip() {
        assert_eq!(
            "booklore-plugin".parse::<Profile>(),
            Ok(Profile::BookLorePlugin)
        );
        assert_eq!("koreader".parse::<Profile>(), Ok(Profile::KOReader));
        assert!("kindle".parse::<Profile>().is_err());
    }
}
