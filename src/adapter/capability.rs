//! What a client can do: the capabilities an adapter declares in its `ready`
//! reply (protocol 2), so the harness never asks a client for something it
//! does not have and reports the scenarios that need it as *not applicable*.
//!
//! A capability is a piece of the client's surface that not every client of
//! the sync protocol has: a menu item (Sync Pending Now, push progress now), a
//! setting (Manual only, the pull toggles), an observable (the queue summary,
//! the synced count). What every client has — opening, turning pages,
//! closing, sleep and wake, Wi-Fi, the enable switch and the conflict
//! strategies — needs none. Protocol 1 had no declaration, so a protocol-1
//! adapter is taken to have exactly what protocol 1 could ask for
//! ([`Capabilities::protocol_1`]).
//!
//! Not here: which scenario needs what (the client world asks as its steps
//! run, `contract::client::world`), what the differential generates
//! (`contract::client::differential`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{Event, Profile, Settings, SettingsPatch};

/// One thing a client may or may not have. The wire name is the snake_case
/// variant name (`queue_summary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// It shows a queue summary such as `4P` (the `summary` of `observed`).
    QueueSummary,
    /// It counts the progress items waiting to be uploaded (`queue.pending`).
    PendingCount,
    /// It counts the progress items uploaded (`queue.synced`, View Pending Sessions).
    SyncedCount,
    /// A rating hook: `rating_submitted` and "Set book to read on rating".
    Rating,
    /// The "Manual only (cache everything)" setting.
    ManualOnly,
    /// The "Pull progress on book open" and "Pull progress on resume" toggles.
    PullToggles,
    /// Periodic page-turn pushes: "Periodic page-turn updates" and
    /// "Periodically sync every # pages".
    PeriodicPushes,
    /// The "Sync Pending Now" menu item (`sync_pending_now`).
    SyncPendingNow,
    /// A "push progress now" menu item (`push_now`).
    PushNow,
    /// A "pull progress now" menu item (`pull_now`).
    PullNow,
    /// Signing in from the client (`sign_in`).
    SignIn,
}

impl Capability {
    /// Every capability, in wire-name order of the docs.
    pub const ALL: &'static [Capability] = &[
        Capability::QueueSummary,
        Capability::PendingCount,
        Capability::SyncedCount,
        Capability::Rating,
        Capability::ManualOnly,
        Capability::PullToggles,
        Capability::PeriodicPushes,
        Capability::SyncPendingNow,
        Capability::PushNow,
        Capability::PullNow,
        Capability::SignIn,
    ];

    /// The wire name (`queue_summary`).
    pub fn name(self) -> &'static str {
        match self {
            Capability::QueueSummary => "queue_summary",
            Capability::PendingCount => "pending_count",
            Capability::SyncedCount => "synced_count",
            Capability::Rating => "rating",
            Capability::ManualOnly => "manual_only",
            Capability::PullToggles => "pull_toggles",
            Capability::PeriodicPushes => "periodic_pushes",
            Capability::SyncPendingNow => "sync_pending_now",
            Capability::PushNow => "push_now",
            Capability::PullNow => "pull_now",
            Capability::SignIn => "sign_in",
        }
    }

    /// What a client with it has, in words, for reports and the docs.
    pub fn describe(self) -> &'static str {
        match self {
            Capability::QueueSummary => "a queue summary such as 4P",
            Capability::PendingCount => "a count of pending progress items",
            Capability::SyncedCount => "a count of synced progress items",
            Capability::Rating => "a rating hook (\"Set book to read on rating\")",
            Capability::ManualOnly => "the \"Manual only\" setting",
            Capability::PullToggles => "the pull-on-open and pull-on-resume toggles",
            Capability::PeriodicPushes => "periodic page-turn pushes every N pages",
            Capability::SyncPendingNow => "the \"Sync Pending Now\" menu item",
            Capability::PushNow => "a \"push progress now\" menu item",
            Capability::PullNow => "a \"pull progress now\" menu item",
            Capability::SignIn => "signing in from the client",
        }
    }

    /// The capability named `name` (wire name).
    pub fn named(name: &str) -> Option<Capability> {
        Capability::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// The capability a reader event needs, if any.
    pub fn for_event(event: &Event) -> Option<Capability> {
        match event {
            Event::RatingSubmitted { .. } => Some(Capability::Rating),
            Event::SyncPendingNow => Some(Capability::SyncPendingNow),
            Event::PushNow => Some(Capability::PushNow),
            Event::PullNow => Some(Capability::PullNow),
            Event::SignIn => Some(Capability::SignIn),
            Event::BookOpened { .. }
            | Event::PageTurned { .. }
            | Event::BookClosed
            | Event::Suspend
            | Event::Resume
            | Event::WifiConnected
            | Event::WifiLost
            | Event::WifiOff
            | Event::PromptAnswered { .. }
            | Event::TimePassed { .. }
            | Event::SettingsChanged { .. }
            | Event::HttpCompleted { .. } => None,
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The capabilities a client declared: a set (one bit per [`Capability`],
/// so it is `Copy`), serialized as a list of names.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities(u32);

impl Capability {
    fn bit(self) -> u32 {
        let index = Capability::ALL.iter().position(|c| *c == self);
        // Every variant is in ALL (a test checks it), so the index exists.
        1 << index.unwrap_or(31)
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Capabilities {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Capabilities {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let list = Vec::<Capability>::deserialize(deserializer)?;
        Ok(Capabilities::of(&list))
    }
}

impl Capabilities {
    /// A client with every capability (the reference model of the BookLore plugin).
    pub fn all() -> Capabilities {
        Capabilities::of(Capability::ALL)
    }

    /// What a protocol-1 adapter is taken to have: everything protocol 1
    /// could ask for, so a v1 adapter is checked exactly as before.
    pub fn protocol_1() -> Capabilities {
        Capabilities::all().without(&[Capability::PushNow, Capability::PullNow, Capability::SignIn])
    }

    /// What the reference model declares when it plays `profile`.
    pub fn of_profile(profile: Profile) -> Capabilities {
        match profile {
            Profile::BookLorePlugin => Capabilities::all(),
            // KOReader's plugin: a retry queue it can count, periodic pushes,
            // its menu actions; no summary, no synced count, no rating hook,
            // no Manual only, no pull toggles, no Sync Pending Now.
            Profile::KOReader => Capabilities::of(&[
                Capability::PendingCount,
                Capability::PeriodicPushes,
                Capability::PushNow,
                Capability::PullNow,
                Capability::SignIn,
            ]),
        }
    }

    /// These capabilities, and no others.
    pub fn of(list: &[Capability]) -> Capabilities {
        Capabilities(list.iter().fold(0, |bits, c| bits | c.bit()))
    }

    /// The same set less `remove`.
    pub fn without(self, remove: &[Capability]) -> Capabilities {
        Capabilities(self.0 & !Capabilities::of(remove).0)
    }

    pub fn has(&self, capability: Capability) -> bool {
        self.0 & capability.bit() != 0
    }

    /// The capabilities in the set, in [`Capability::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = Capability> + '_ {
        Capability::ALL.iter().copied().filter(|c| self.has(*c))
    }

    /// Whether a client with these capabilities can be sent `event`.
    pub fn allow_event(&self, event: &Event) -> bool {
        Capability::for_event(event).is_none_or(|c| self.has(c))
    }

    /// `settings` as a client with these capabilities runs: every setting it
    /// lacks at the value its behaviour amounts to ([`lacked_setting_values`]).
    pub fn settings_as_run(&self, settings: &Settings) -> Settings {
        let mut s = settings.clone();
        let lacked = lacked_setting_values();
        if !self.has(Capability::ManualOnly) {
            s.manual_only = lacked.manual_only;
        }
        if !self.has(Capability::PullToggles) {
            s.pull_on_open = lacked.pull_on_open;
            s.pull_on_resume = lacked.pull_on_resume;
        }
        if !self.has(Capability::Rating) {
            s.set_read_on_rating = lacked.set_read_on_rating;
        }
        if !self.has(Capability::PeriodicPushes) {
            s.periodic_updates = lacked.periodic_updates;
        }
        s
    }

    /// `patch` less the fields of settings these capabilities lack.
    pub fn patch_as_run(&self, patch: &SettingsPatch) -> SettingsPatch {
        let mut p = patch.clone();
        if !self.has(Capability::ManualOnly) {
            p.manual_only = None;
        }
        if !self.has(Capability::PullToggles) {
            p.pull_on_open = None;
            p.pull_on_resume = None;
        }
        if !self.has(Capability::Rating) {
            p.set_read_on_rating = None;
        }
        if !self.has(Capability::PeriodicPushes) {
            p.periodic_updates = None;
            p.pages_per_sync = None;
        }
        p
    }

    /// The capability that setting `field` (a [`Settings`] field name) to
    /// `value` needs: none when a client without the setting behaves as if
    /// it had that value (Manual only off, the pull toggles on, rating off),
    /// or when every client has the setting.
    pub fn for_setting(field: &str, value: &serde_json::Value) -> Option<Capability> {
        let lacked = serde_json::to_value(lacked_setting_values()).ok()?;
        let (capability, has_lacked_value) = match field {
            "manual_only" => (Capability::ManualOnly, true),
            "pull_on_open" | "pull_on_resume" => (Capability::PullToggles, true),
            "set_read_on_rating" => (Capability::Rating, true),
            "periodic_updates" => (Capability::PeriodicPushes, true),
            // A client without periodic pushes has no "every N pages" to set.
            "pages_per_sync" => (Capability::PeriodicPushes, false),
            _ => return None,
        };
        if has_lacked_value && lacked.get(field) == Some(value) {
            return None;
        }
        Some(capability)
    }

    /// The declared capabilities, comma-separated, for messages.
    pub fn list(&self) -> String {
        if self.0 == 0 {
            return "none".to_string();
        }
        self.iter()
            .map(Capability::name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a client that lacks a setting behaves as: no Manual only, pulls on
/// open and resume (every client of the protocol pulls there, KOReader's
/// included), no rating hook, no periodic pushes. The fields not named keep
/// their defaults and are not used.
pub fn lacked_setting_values() -> Settings {
    Settings {
        manual_only: false,
        pull_on_open: true,
        pull_on_resume: true,
        set_read_on_rating: false,
        periodic_updates: false,
        ..Settings::default()
    }
}

/// Why a scenario is not applicable to a client that lacks `capability`.
pub fn not_applicable_reason(capability: Capability) -> String {
    format!(
        "needs {} ({}), which the client does not declare",
        capability.name(),
        capability.describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_capability_has_its_own_bit() {
        assert!(Capability::ALL.len() < 31);
        let all = Capabilities::all();
        assert_eq!(all.iter().count(), Capability::ALL.len());
        for &c in Capability::ALL {
            assert_eq!(Capabilities::of(&[c]).iter().collect::<Vec<_>>(), [c]);
            assert!(!all.without(&[c]).has(c));
        }
    }

    #[test]
    fn names_round_trip_and_serialize_as_a_list() {
        for &c in Capability::ALL {
            assert_eq!(Capability::named(c.name()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), json!(c.name()));
        }
        let caps: Capabilities = serde_json::from_value(json!(["rating", "push_now"])).unwrap();
        assert_eq!(
            serde_json::to_value(caps).unwrap(),
            json!(["rating", "push_now"])
        );
        assert!(serde_json::from_value::<Capabilities>(json!(["ratings"])).is_err());
    }

    #[test]
    fn protocol_1_has_what_protocol_1_could_ask_for() {
        let v1 = Capabilities::protocol_1();
        assert!(v1.has(Capability::Rating) && v1.has(Capability::SyncPendingNow));
        assert!(!v1.has(Capability::PushNow) && !v1.has(Capability::SignIn));
        assert!(!v1.allow_event(&Event::PullNow));
        assert!(v1.allow_event(&Event::WifiOff));
    }

    #[test]
    fn setting_a_lacked_setting_to_what_its_absence_means_needs_nothing() {
        assert_eq!(
            Capabilities::for_setting("manual_only", &json!(false)),
            None
        );
        assert_eq!(
            Capabilities::for_setting("manual_only", &json!(true)),
            Some(Capability::ManualOnly)
        );
        assert_eq!(
            Capabilities::for_setting("pull_on_open", &json!(true)),
            None
        );
        assert_eq!(
            Capabilities::for_setting("pull_on_resume", &json!(false)),
            Some(Capability::PullToggles)
        );
        assert_eq!(
            Capabilities::for_setting("pages_per_sync", &json!(10)),
            Some(Capability::PeriodicPushes)
        );
        assert_eq!(Capabilities::for_setting("enabled", &json!(true)), None);
        assert_eq!(
            Capabilities::for_setting("newer_strategy", &json!("prompt")),
            None
        );
    }

    #[test]
    fn a_client_without_a_setting_runs_as_its_absence_means() {
        let bare = Capabilities::of(&[]);
        let mut s = Settings {
            manual_only: true,
            pull_on_open: false,
            set_read_on_rating: true,
            ..Settings::default()
        };
        s = bare.settings_as_run(&s);
        assert!(!s.manual_only && s.pull_on_open && !s.set_read_on_rating && !s.periodic_updates);
        assert_eq!(
            Capabilities::for_setting("periodic_updates", &json!(false)),
            None
        );
        let patch = SettingsPatch {
            manual_only: Some(true),
            enabled: Some(true),
            pages_per_sync: Some(3),
            ..SettingsPatch::default()
        };
        let p = bare.patch_as_run(&patch);
        assert_eq!(p.manual_only, None);
        assert_eq!(p.pages_per_sync, None);
        assert_eq!(p.enabled, Some(true));
        assert_eq!(Capabilities::all().patch_as_run(&patch), patch);
    }
}
