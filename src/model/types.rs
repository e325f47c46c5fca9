//! The vocabulary of the reference client model: events in, effects out.
//!
//! These types are also the adapter protocol's messages (`docs/adapter-protocol.md`):
//! their JSON form (serde, `snake_case`, internally tagged) is what a client
//! adapter reads and writes, so changing a name here changes the protocol.

use serde::{Deserialize, Serialize};

/// Where the reader is in a book: what a push carries and a pull returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Fraction of the book read, in [0, 1].
    pub percentage: f64,
    /// KOReader's progress marker: an xpointer or a page number, as a string.
    pub progress: String,
}

impl Position {
    /// The position at `page` of a book of `pages` pages: a page-number marker,
    /// as KOReader writes for paged documents.
    pub fn at_page(page: u32, pages: u32) -> Position {
        let pages = pages.max(1);
        Position {
            percentage: f64::from(page.min(pages)) / f64::from(pages),
            progress: page.min(pages).to_string(),
        }
    }
}

/// What to do when remote progress differs from local in one direction
/// (rules C-CONF-3..5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictStrategy {
    /// Apply the remote position without asking.
    Silently,
    /// Ask; apply only if the user confirms.
    Prompt,
    /// Never apply this direction, never ask.
    Disable,
}

/// Which way a remote position lies from the local one (C-CONF-1/2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Remote is ahead of local: "Sync to a newer state".
    Newer,
    /// Remote is behind local: "Sync to an older state".
    Older,
}

/// The plugin's progress-sync settings. `Default` is the source page's
/// defaults plus the catalogue's interpretations (see `rules.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// "Automatically keep documents in sync" (C-EN-1, C-EN-2: off until enabled).
    pub enabled: bool,
    /// "Pull progress on book open" (default On).
    pub pull_on_open: bool,
    /// "Pull progress on resume" (default On).
    pub pull_on_resume: bool,
    /// "Sync to a newer state" (default Prompt).
    pub newer_strategy: ConflictStrategy,
    /// "Sync to an older state" (default Disable).
    pub older_strategy: ConflictStrategy,
    /// "Periodic page-turn updates".
    pub periodic_updates: bool,
    /// "Periodically sync every # pages" (at least 1, C-PUSH-4).
    pub pages_per_sync: u32,
    /// "Set book to read on rating".
    pub set_read_on_rating: bool,
    /// "Manual only (cache everything)".
    pub manual_only: bool,
}

/// Default of "Periodically sync every # pages" (the source names no number).
pub const DEFAULT_PAGES_PER_SYNC: u32 = 10;
/// Minimum seconds between the start of one upload and a page-triggered one (C-PUSH-6).
pub const DEBOUNCE_SECONDS: u64 = 25;
/// Seconds after the Nth page turn before KOReader's periodic push (KC-PUSH-2).
pub const PERIODIC_DELAY_SECONDS: u64 = 10;

/// "Periodically sync every # pages" as a client may take it: at least 1
/// (C-PUSH-4) and within `u32`. The one check of that value: the model refuses
/// an invalid change with the reason, the harness refuses to start a client
/// with one.
pub fn valid_pages_per_sync(value: i64) -> Result<u32, String> {
    if value < 1 {
        return Err(format!("must be at least 1 page turn, got {value}"));
    }
    u32::try_from(value).map_err(|_| format!("must be at most {}, got {value}", u32::MAX))
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: false,
            pull_on_open: true,
            pull_on_resume: true,
            newer_strategy: ConflictStrategy::Prompt,
            older_strategy: ConflictStrategy::Disable,
            periodic_updates: true,
            pages_per_sync: DEFAULT_PAGES_PER_SYNC,
            set_read_on_rating: false,
            manual_only: false,
        }
    }
}

/// A partial settings change; absent fields keep their value. `pages_per_sync`
/// is signed so a client can be asked for an invalid value (C-PUSH-4).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_on_open: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_on_resume: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newer_strategy: Option<ConflictStrategy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub older_strategy: Option<ConflictStrategy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub periodic_updates: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages_per_sync: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_read_on_rating: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual_only: Option<bool>,
}

impl SettingsPatch {
    /// Copy every field this patch sets onto `settings` except `pages_per_sync`,
    /// and return that one: it is the only value that can be invalid, and each
    /// caller deals with an invalid one its own way (the model refuses it,
    /// C-PUSH-4; a feature's starting settings make it a harness fault).
    pub fn apply_all_but_pages(&self, settings: &mut Settings) -> Option<i64> {
        // Destructured, so a new setting cannot be forgotten here.
        let SettingsPatch {
            enabled,
            pull_on_open,
            pull_on_resume,
            newer_strategy,
            older_strategy,
            periodic_updates,
            pages_per_sync,
            set_read_on_rating,
            manual_only,
        } = *self;
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = $field { settings.$field = v; } )* };
        }
        set!(
            enabled,
            pull_on_open,
            pull_on_resume,
            newer_strategy,
            older_strategy,
            periodic_updates,
            set_read_on_rating,
            manual_only
        );
        pages_per_sync
    }
}

/// Identifies one HTTP request the model asked for, so its answer can be matched.
pub type RequestId = u64;

/// An HTTP request the model wants sent. The driver adds nothing but the base URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub id: RequestId,
    /// `GET` or `PUT`.
    pub method: String,
    /// Path below the server's base URL, e.g. `/api/koreader/syncs/progress`.
    pub path: String,
    /// Header name/value pairs, auth headers included (C-WIRE-4).
    pub headers: Vec<(String, String)>,
    /// JSON body for a push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

/// How an HTTP request ended, as the driver reports it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HttpOutcome {
    /// The server answered (any status).
    Response {
        status: u16,
        /// The body as text (it may not be JSON at all).
        body: String,
    },
    /// No answer: refused, dropped, timed out.
    TransportError { message: String },
}

/// Something that happens to the client: the reader's life and the network's answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A book is opened at a position (closing any other open book first).
    BookOpened {
        document: String,
        position: Position,
    },
    /// The reader turned a page and is now at `position`.
    PageTurned { position: Position },
    /// The open book is closed.
    BookClosed,
    /// The device goes to sleep.
    Suspend,
    /// The device wakes up.
    Resume,
    /// Wi-Fi comes up.
    WifiConnected,
    /// The link drops: the client learns of it only after it is gone, so it
    /// can send nothing more. Adapter protocol v1's `wifi_disconnected` means
    /// this event (v1 had one event for both ways Wi-Fi goes down, and the
    /// reference model sent nothing on it).
    #[serde(alias = "wifi_disconnected")]
    WifiLost,
    /// The user turns Wi-Fi off. A client may still act while it goes down
    /// (KOReader's plugin pushes on its way out); afterwards it is as
    /// disconnected as after [`Event::WifiLost`].
    WifiOff,
    /// A rating (1–5 stars) was submitted for the open book.
    RatingSubmitted { stars: u8 },
    /// The user ran "Sync Pending Now".
    SyncPendingNow,
    /// The user chose "push progress now" from the menu: upload where the
    /// reader is in the open book, at once.
    PushNow,
    /// The user chose "pull progress now" from the menu: fetch the open
    /// book's remote progress at once, whatever the pull toggles say.
    PullNow,
    /// The user signs in to the sync server (KOReader's "Login"): the client
    /// checks its credentials with `GET {prefix}/users/auth`.
    SignIn,
    /// The user answered the prompt shown last.
    PromptAnswered { accept: bool },
    /// Virtual time moved on.
    TimePassed { seconds: u64 },
    /// The user changed settings.
    SettingsChanged { patch: SettingsPatch },
    /// An HTTP request the model asked for has ended.
    HttpCompleted { id: RequestId, outcome: HttpOutcome },
}

/// Severity of a notice shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Error,
}

/// What the outside world (user or server) can see the client do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Effect {
    /// Send this request; answer with [`Event::HttpCompleted`].
    Http(HttpRequest),
    /// The user is asked whether to jump to `proposed`.
    PromptShown {
        document: String,
        direction: Direction,
        proposed: Position,
    },
    /// The reader's position was changed to `position`.
    PositionApplied {
        document: String,
        position: Position,
    },
    /// A message shown to the user.
    NoticeShown { level: NoticeLevel, text: String },
    /// A settings change was refused; the old value stays (C-PUSH-4).
    SettingsRejected { field: String, reason: String },
    /// The client asks for Wi-Fi to be turned on (KOReader asks, or turns it
    /// on, before a manual action with Wi-Fi off). Wi-Fi stays as it is until
    /// the harness says otherwise with [`Event::WifiConnected`].
    WifiOnRequested,
    /// The pending queue changed.
    QueueChanged(QueueCounts),
}

/// Pending and synced progress counts (C-Q-4, C-Q-5). A count missing from
/// JSON reads as 0: an adapter (protocol 2) may leave out one its client does not keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueCounts {
    pub pending: usize,
    pub synced: usize,
}

impl QueueCounts {
    /// The queue summary as the plugin shows it: `4P` for four pending progress items.
    pub fn summary(&self) -> String {
        format!("{}P", self.pending)
    }
}

/// Take from `timers` (due time, timer) the one that falls due first at or
/// before `end` — of equal due times, the one scheduled first — or `None`.
/// Both client models run their virtual-time timers through this, so "in due
/// order" means the same in each.
pub(crate) fn take_first_due<T>(timers: &mut Vec<(i64, T)>, end: i64) -> Option<(i64, T)> {
    let due = timers
        .iter()
        .enumerate()
        .filter(|(_, (at, _))| *at <= end)
        // `min_by_key` keeps the first of equal minima: scheduling order.
        .min_by_key(|(_, (at, _))| *at)
        .map(|(i, _)| i)?;
    Some(timers.remove(due))
}
