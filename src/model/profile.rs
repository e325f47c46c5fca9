//! Behaviour profiles: the rules in which one KOReader sync client differs from
//! another, as policy the [`Client`](super::Client) asks instead of code it copies.
//!
//! Only the BookLore plugin (`booklore-plugin`) is implemented. KOReader's
//! built-in sync differs in exactly the questions asked here (how a direction
//! is decided, what a 404 on pull means, its defaults, whether a push carries
//! a timestamp), so adding it is a new variant and new match arms, not a second
//! model.

use serde::{Deserialize, Serialize};

use super::{Direction, Position, Settings};

/// Which client's rules the model plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// BookLore's KOReader plugin, as its "Progress Sync" page describes it
    /// (rules C-… of `rules.md`).
    #[default]
    BookLorePlugin,
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

impl Profile {
    /// Every profile, for listings and `--profile` parsing.
    pub const ALL: &'static [Profile] = &[Profile::BookLorePlugin];

    /// The profile's name as the command line and reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::BookLorePlugin => "booklore-plugin",
        }
    }

    /// The settings a fresh install of this client has.
    pub fn default_settings(self) -> Settings {
        match self {
            // The source's defaults plus C-EN-2 (off until enabled).
            Profile::BookLorePlugin => Settings::default(),
        }
    }

    /// Which way `remote` lies from `local`, or `None` when they count as the
    /// same position and nothing is to be done.
    pub fn direction(self, local: LocalProgress<'_>, remote: &RemoteProgress) -> Option<Direction> {
        match self {
            // C-CONF-6: percentages floored to 4 decimals, or identical markers,
            // mean "equal"; otherwise the larger percentage is ahead (C-CONF-1/2).
            Profile::BookLorePlugin => {
                let (l, r) = (local.position, &remote.position);
                if floor4(l.percentage) == floor4(r.percentage) || l.progress == r.progress {
                    None
                } else if r.percentage > l.percentage {
                    Some(Direction::Newer)
                } else {
                    Some(Direction::Older)
                }
            }
        }
    }

    /// What a 404 from the pull endpoint means.
    pub fn not_found(self) -> NotFoundPolicy {
        match self {
            Profile::BookLorePlugin => NotFoundPolicy::Normal,
        }
    }

    /// Whether a push body carries the client's `timestamp` (C-WIRE-2).
    pub fn push_carries_timestamp(self) -> bool {
        match self {
            Profile::BookLorePlugin => true,
        }
    }
}

/// `floor(p * 10^4)`: the comparison key of C-CONF-6.
pub fn floor4(percentage: f64) -> f64 {
    (percentage * 10_000.0).floor()
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
        assert!("koreader".parse::<Profile>().is_err());
    }
}
