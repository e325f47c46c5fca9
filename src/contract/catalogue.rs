//! The rule catalogue: every rule the contract checks, with its stable id and
//! level. Features cite these ids as tags (`@C-PULL-5`), reports and docs read
//! levels and texts from here, and the coverage gate checks both ways.
//!
//! Ids are never renumbered or reused. Levels follow client impact:
//!
//! - MUST: a stock client (KOReader's kosync plugin, BookLore's plugin)
//!   misbehaves or loses data when the rule is broken, or the reader loses or
//!   misplaces progress. A failure makes a verify run fail (exit 1).
//! - SHOULD: fidelity to the reference server or to BookLore (exact error
//!   codes, the status of a refused bad body, a healthcheck no client calls),
//!   or robustness against broken clients, that no known client depends on.
//!   Failures are reported, named, and do not fail a run.
//! - INTERPRETATION: the source is silent; the contract picks one reading,
//!   stated in the rule's text, and a target's profile may claim the other.
//!
//! Each rule says in one line why it matters ([`Rule::why`]): the client
//! behaviour that depends on it. That line is the argument for the level, and
//! reports print it beside every failure.
//!
//! Its length is the catalogue itself: one table of rules, read top to bottom;
//! splitting it would scatter the rules that reviewers compare side by side.

use serde::Serialize;

/// How binding a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    Must,
    Should,
    Interpretation,
}

impl Level {
    /// Whether a failure of a rule at this level makes a verify run fail (exit 1).
    /// Interpretations are part of the profile a target claims, so they gate too.
    pub fn gates(self) -> bool {
        !matches!(self, Level::Should)
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::Interpretation => "INTERPRETATION",
        }
    }
}

/// Which side of the protocol a rule constrains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Client,
    Server,
    Hash,
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub level: Level,
    pub side: Side,
    /// The rule in one or two sentences: what a conforming target does.
    pub text: &'static str,
    /// Where the rule comes from: a section of BookLore's "Progress Sync" page
    /// (`page: Pull behavior`), a wire fact (`protocol: …`), or, for a derived
    /// rule, the section it is derived from. Docs print it so a reader can
    /// check the rule against its origin.
    pub source: &'static str,
    /// For an INTERPRETATION only: what the source leaves open and which
    /// reading the contract picked (a target may declare the other one in its
    /// profile). `None` for MUST and SHOULD rules.
    pub reading: Option<&'static str>,
    /// Why it matters, in one line: which behaviour of a stock client (KOReader's
    /// kosync plugin, BookLore's plugin) or which reader experience depends on
    /// the rule. This is what decides the level (see the module docs), and every
    /// failure report prints it next to the rule's text.
    pub why: &'static str,
}

impl Rule {
    /// The same rule with its "why it matters" line (see [`Rule::why`]).
    const fn why(self, why: &'static str) -> Rule {
        Rule { why, ..self }
    }
}

const fn rule(
    id: &'static str,
    level: Level,
    side: Side,
    source: &'static str,
    text: &'static str,
) -> Rule {
    Rule {
        id,
        level,
        side,
        text,
        source,
        reading: None,
        why: "",
    }
}

/// An INTERPRETATION rule: like [`rule`], plus the reading chosen.
const fn interpretation(
    id: &'static str,
    side: Side,
    source: &'static str,
    text: &'static str,
    reading: &'static str,
) -> Rule {
    Rule {
        id,
        level: Level::Interpretation,
        side,
        text,
        source,
        reading: Some(reading),
        why: "",
    }
}

/// Every rule, in catalogue order.
pub fn all() -> &'static [Rule] {
    RULES
}

/// The rule with this id, if the catalogue has one.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// True when a tag looks like a rule id (`C-PULL-5`, `S-AUTH-1`, `K-REG-2`, `H-1`),
/// whether or not the catalogue has it.
pub fn looks_like_rule_id(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    let rest: Vec<&str> = parts.collect();
    let Some((number, middle)) = rest.split_last() else {
        return false;
    };
    let upper = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase());
    upper(first)
        && middle.len() <= 1
        && middle.iter().all(|m| upper(m))
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

const PAGE_ENABLE: &str = "page: Enable progress sync";
const PAGE_WHAT: &str = "page: What it syncs";
const PAGE_PULL: &str = "page: Pull behavior";
const PAGE_CONFLICT: &str = "page: Conflict strategy";
const PAGE_PUSH: &str = "page: Push behavior";
const PAGE_RATING: &str = "page: Set book to read on rating";
const PAGE_QUEUE: &str = "page: Queue and retries";
const PAGE_MANUAL: &str = "page: Interaction with Manual Sync Only";
const DERIVED_QUEUE: &str = "derived from page: Queue and retries";
const DERIVED_PULL: &str = "derived from page: Pull behavior";
const DERIVED_WIFI: &str = "derived from page: Pull behavior (Wi-Fi already connected)";
const KOREADER_CLIENT: &str = "protocol: KOReader sync client (headers, key, payload)";
const KOREADER_BUILTIN: &str =
    "protocol facts: KOReader's built-in client (kosync plugin), its observed timings";
const BOOKLORE: &str = "protocol: BookLore /api/koreader server";
const BOOKLORE_DERIVED: &str = "derived from protocol: BookLore /api/koreader server";
const KOSYNC: &str = "protocol: reference koreader-sync-server";
const HASH: &str = "protocol: KOReader partial MD5 (util.partialMD5, BookLore FileFingerprint)";

static RULES: &[Rule] = &[
    // ---- Client: the BookLore plugin's progress sync ----
    rule(
        "C-EN-1",
        Level::Must,
        Side::Client,
        PAGE_ENABLE,
        "While \"Automatically keep documents in sync\" is off, the client sends neither a \
         progress pull nor a progress push, no matter what the reader does.",
    )
    .why(
        "A reader who turned sync off expects no traffic and no position changes; a pull \
         or push anyway moves them or overwrites another device's position.",
    ),
    interpretation(
        "C-EN-2",
        Side::Client,
        PAGE_ENABLE,
        "Progress sync starts out off. While it is off no new snapshot enters the queue, and \
         snapshots queued before it was turned off are kept as they are.",
        "The page only says the user must enable it and that a disabled sync pulls and pushes \
         nothing. The contract reads that as: off by default, nothing queued while off, and \
         the existing queue left alone.",
    )
    .why(
        "Switching sync off must not throw away snapshots already waiting, or pages read \
         before never reach the other devices.",
    ),
    rule(
        "C-WIRE-1",
        Level::Must,
        Side::Client,
        PAGE_WHAT,
        "Pulling a book's progress is a GET of {base}/api/koreader/syncs/progress/{document}.",
    )
    .why(
        "BookLore serves progress on this route only; a pull elsewhere finds nothing and \
         the reader never gets their position.",
    ),
    rule(
        "C-WIRE-2",
        Level::Must,
        Side::Client,
        PAGE_WHAT,
        "Pushing progress is a PUT of {base}/api/koreader/syncs/progress whose body is a JSON \
         object carrying document, percentage, progress, timestamp, device and device_id.",
    )
    .why(
        "BookLore stores only what this PUT carries; a missing field is progress the \
         other devices never see.",
    ),
    rule(
        "C-WIRE-3",
        Level::Must,
        Side::Client,
        PAGE_WHAT,
        "The document field is the book file's KOReader partial-MD5 (32 lowercase hex digits), \
         and that hash is the key every snapshot is stored under.",
    )
    .why(
        "Servers find the book by this hash; any other key stores progress where no other \
         device looks for it.",
    ),
    rule(
        "C-WIRE-4",
        Level::Must,
        Side::Client,
        KOREADER_CLIENT,
        "Each request sends x-auth-user and x-auth-key, the key being the lowercase hex MD5 of \
         the password; the password itself never goes over the wire.",
    )
    .why(
        "Without these headers every request is refused, and a password on the wire leaks \
         the reader's account.",
    ),
    rule(
        "C-WIRE-5",
        Level::Should,
        Side::Client,
        KOREADER_CLIENT,
        "In a push, percentage is a number between 0 and 1 inclusive, progress is a string \
         (KOReader's position marker: an xpointer or a page number), and timestamp counts \
         whole seconds since the Unix epoch.",
    )
    .why(
        "A percentage outside 0..1 or a timestamp in milliseconds makes the other devices \
         jump to a wrong position or misjudge which side is newer.",
    ),
    rule(
        "C-PULL-1",
        Level::Must,
        Side::Client,
        PAGE_PULL,
        "With \"Pull progress on book open\" on (its default), opening a book while Wi-Fi is \
         already up pulls that book's remote progress.",
    )
    .why(
        "Without the pull the book opens at the old local page although another device \
         read further.",
    ),
    rule(
        "C-PULL-2",
        Level::Must,
        Side::Client,
        PAGE_PULL,
        "With \"Pull progress on resume\" on (its default), waking the device with a book open \
         and Wi-Fi already up pulls that book's remote progress.",
    )
    .why(
        "Waking the device is when readers switch devices most; without the pull they go \
         on from a stale page.",
    ),
    rule(
        "C-PULL-3",
        Level::Must,
        Side::Client,
        PAGE_PULL,
        "When Wi-Fi is down the client does not try to pull, and it does not switch Wi-Fi on \
         in order to pull.",
    )
    .why(
        "Switching Wi-Fi on behind the reader's back costs battery and breaks the \"only \
         if already connected\" promise.",
    ),
    rule(
        "C-PULL-4",
        Level::Must,
        Side::Client,
        PAGE_PULL,
        "When the toggle for an event (open or resume) is off, that event triggers no pull.",
    )
    .why(
        "A reader who turned a pull off expects that event to leave their position alone.",
    ),
    rule(
        "C-PULL-5",
        Level::Must,
        Side::Client,
        PAGE_PULL,
        "A 404 answer to a pull means \"no remote progress yet\": the client shows no error and \
         no prompt, keeps the local position and lets the reader carry on.",
    )
    .why(
        "Every book starts without remote progress; an error there would greet the reader \
         at each first open.",
    ),
    rule(
        "C-PULL-6",
        Level::Should,
        Side::Client,
        DERIVED_PULL,
        "Any other unsuccessful pull (a 5xx, a 401 or 403, a timeout, a refused connection, a \
         body that cannot be read) changes nothing locally and asks the user nothing.",
    )
    .why(
        "A server hiccup must neither move the reader nor interrupt them with a prompt.",
    ),
    interpretation(
        "C-PULL-7",
        Side::Client,
        "derived from page: Pull behavior and Push behavior (book open)",
        "When a book opens, its pull goes out before the upload of the snapshot that the open \
         queued, and before any upload of that book's snapshots still queued from earlier, so \
         the client never reads back a snapshot it has just sent. (When another book is open, \
         its close upload may go before or after, as long as it carries no snapshot of the \
         book being opened; when the same book is reopened, its close upload goes after the \
         pull too.)",
        "Opening a book both pulls and queues a snapshot, and the page does not order the two. \
         The contract picks pull first: uploading first would make the pull return the \
         client's own position and hide any newer remote one.",
    )
    .why(
        "Uploading first reads back the client's own snapshot and hides a newer position \
         from another device.",
    ),
    interpretation(
        "C-PULL-8",
        Side::Client,
        "derived from page: Pull behavior and Push behavior (book open)",
        "When a pulled position is applied (silently, or on the reader's yes), the snapshots \
         of that book still waiting in the queue — the open snapshot among them — carry the \
         applied position, so their upload does not move the server back behind it.",
        "The page queues a snapshot on open and pulls on open, but does not say what that \
         snapshot holds once the pull has moved the reader. The contract reads: the applied \
         position. Uploading the position from before the pull would put the server back \
         behind the progress the reader just accepted (C-SAFE-6).",
    )
    .why(
        "Uploading the position from before the pull would put the server back behind progress the reader just accepted, and every other device would follow it back.",
    ),
    rule(
        "C-CONF-1",
        Level::Must,
        Side::Client,
        PAGE_CONFLICT,
        "A remote position ahead of the local one is a sync \"to a newer state\" and follows \
         that direction's strategy, which defaults to Prompt.",
    )
    .why(
        "The reader's strategy for newer positions decides whether they jump ahead; \
         ignoring it jumps, or stays, against their choice.",
    ),
    rule(
        "C-CONF-2",
        Level::Must,
        Side::Client,
        PAGE_CONFLICT,
        "A remote position behind the local one is a sync \"to an older state\" and follows \
         that direction's strategy, which defaults to Disable.",
    )
    .why(
        "Applying an older position moves the reader backwards and loses their place.",
    ),
    rule(
        "C-CONF-3",
        Level::Must,
        Side::Client,
        PAGE_CONFLICT,
        "Under Silently, the client moves to the remote position without asking.",
    )
    .why(
        "A reader who chose Silently expects to land on the remote position without being \
         asked.",
    ),
    rule(
        "C-CONF-4",
        Level::Must,
        Side::Client,
        PAGE_CONFLICT,
        "Under Prompt, the client asks first and moves to the remote position only on a yes; a \
         no leaves the local position where it was.",
    )
    .why(
        "Moving without a yes, or ignoring a yes, puts the reader where they did not ask \
         to be.",
    ),
    rule(
        "C-CONF-5",
        Level::Must,
        Side::Client,
        PAGE_CONFLICT,
        "Under Disable, the client never moves in that direction and never asks about it.",
    )
    .why(
        "Disable exists so a direction is never applied; a jump or a prompt there \
         overrides the reader's choice.",
    ),
    interpretation(
        "C-CONF-6",
        Side::Client,
        PAGE_CONFLICT,
        "Ahead and behind are decided by percentage. Two positions count as the same, so \
         nothing is applied or asked, when their percentages agree after flooring to 4 \
         decimals or when their progress markers are identical.",
        "The page does not say how \"ahead\" is measured. The contract compares percentages; \
         KOReader's own sync plugin compares timestamps, and a profile may declare that \
         reading instead.",
    )
    .why(
        "Without a tolerance, positions that differ only by rounding prompt the reader \
         again and again.",
    ),
    rule(
        "C-PUSH-1",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "Opening a book puts a progress snapshot in the queue.",
    )
    .why(
        "The open snapshot is how the other devices learn which book the reader picked up \
         and where.",
    ),
    rule(
        "C-PUSH-2",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "Closing a book puts a progress snapshot in the queue.",
    )
    .why(
        "The close snapshot carries the last page read; without it the other devices \
         resume behind.",
    ),
    rule(
        "C-PUSH-3",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "With periodic page-turn updates on, each run of N page turns (N from \"Periodically \
         sync every # pages\") queues one snapshot, and counting starts again from zero after \
         it.",
    )
    .why(
        "In a long session the other devices learn the position only from periodic \
         snapshots.",
    ),
    rule(
        "C-PUSH-4",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "The page-turn threshold cannot go below 1: a smaller value is rejected with an error \
         the user can understand, and the old value is kept.",
    )
    .why(
        "A threshold below 1 would push on every page or never; the reader has to see the \
         mistake.",
    ),
    rule(
        "C-PUSH-5",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "With periodic updates off, turning pages queues nothing, while opening and closing a \
         book still queue their snapshots.",
    )
    .why(
        "Turning periodic updates off must not stop the open and close snapshots.",
    ),
    rule(
        "C-PUSH-6",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "Uploads caused by page turns are debounced: none starts within 25 seconds of the \
         previous upload.",
    )
    .why(
        "Without the debounce fast page turning floods the server with uploads, the \
         page's stated reason for it.",
    ),
    interpretation(
        "C-PUSH-7",
        Side::Client,
        PAGE_PUSH,
        "A page-triggered upload that falls inside the 25 s window is dropped rather than \
         postponed; its snapshot remains queued and travels with the next upload. Uploads \
         caused by open, close, a rating or Sync Pending Now ignore the debounce.",
        "The page gives a 25 s minimum between pushes but not what happens to a push that comes \
         too early, nor which triggers it covers. The contract skips the early page-triggered \
         upload (its data waits in the queue) and debounces page turns only.",
    )
    .why(
        "A postponed upload still floods the server, and a dropped snapshot loses \
         progress; skipping while keeping the snapshot queued does neither.",
    ),
    interpretation(
        "C-PUSH-8",
        Side::Client,
        PAGE_PUSH,
        "Unless Manual only is on, a freshly queued snapshot starts an immediate upload of the \
         pending progress items when Wi-Fi is up (still subject to C-PUSH-6); when Wi-Fi is \
         down it simply waits in the queue.",
        "\"Queued and uploaded\" does not say when the upload happens. The contract reads it as \
         right away when Wi-Fi allows, and otherwise on a later sync run.",
    )
    .why(
        "Uploading only on a later sync run leaves the other devices behind for a whole \
         reading session.",
    ),
    rule(
        "C-RATE-1",
        Level::Must,
        Side::Client,
        PAGE_RATING,
        "With \"Set book to read on rating\" on, rating a book queues a snapshot of that book at \
         percentage 1.0.",
    )
    .why(
        "Readers who rate a book to finish it expect BookLore to show it as read.",
    ),
    rule(
        "C-RATE-2",
        Level::Must,
        Side::Client,
        PAGE_RATING,
        "With that setting off, rating a book queues no progress at all.",
    )
    .why(
        "With the setting off, a rating must not move the book to 100 %.",
    ),
    rule(
        "C-Q-1",
        Level::Must,
        Side::Client,
        PAGE_QUEUE,
        "No snapshot bypasses the local pending queue: every one is stored there before it is \
         uploaded.",
    )
    .why(
        "The queue is what survives failures and Manual only; a snapshot that bypasses it \
         is lost when its upload fails.",
    ),
    rule(
        "C-Q-2",
        Level::Must,
        Side::Client,
        PAGE_QUEUE,
        "Running Sync Pending Now uploads the progress items waiting in the queue.",
    )
    .why(
        "Sync Pending Now is the reader's way to send everything now; if it does not, \
         progress stays on the device.",
    ),
    rule(
        "C-Q-3",
        Level::Must,
        Side::Client,
        PAGE_QUEUE,
        "An upload that fails keeps its item in the queue so a later sync run tries it again; \
         failed items are never thrown away.",
    )
    .why(
        "A failed upload that is dropped is progress lost for good.",
    ),
    rule(
        "C-Q-4",
        Level::Must,
        Side::Client,
        PAGE_QUEUE,
        "Queue summaries show the number of progress items followed by the letter P, such as \
         4P.",
    )
    .why(
        "Readers judge what is still waiting by the summary; a wrong count hides unsynced \
         progress.",
    ),
    rule(
        "C-Q-5",
        Level::Must,
        Side::Client,
        PAGE_QUEUE,
        "View Pending Sessions reports how many progress items are pending and how many are \
         synced; an upload that succeeds moves its item from the first count to the second.",
    )
    .why(
        "The pending and synced counts tell the reader whether their progress reached the \
         server.",
    ),
    rule(
        "C-MAN-1",
        Level::Must,
        Side::Client,
        PAGE_MANUAL,
        "Manual only does not stop snapshots from being queued locally.",
    )
    .why(
        "Manual only means \"later\", not \"never\": a snapshot that is not queued is \
         lost.",
    ),
    rule(
        "C-MAN-2",
        Level::Must,
        Side::Client,
        PAGE_MANUAL,
        "Under Manual only, the client never starts an upload on its own.",
    )
    .why(
        "Readers pick Manual only to control traffic (a metered connection, say); an \
         automatic upload breaks that.",
    ),
    rule(
        "C-MAN-3",
        Level::Must,
        Side::Client,
        PAGE_MANUAL,
        "Under Manual only, running Sync Pending Now does upload the queue.",
    )
    .why(
        "Otherwise progress read under Manual only can never reach the server.",
    ),
    interpretation(
        "C-MAN-4",
        Side::Client,
        PAGE_MANUAL,
        "Manual only also stops the automatic pulls on open and on resume.",
        "The page lists what Manual only does to uploads and is silent about pulls. Its label, \
         \"cache everything\", suggests no automatic network traffic at all, so the contract \
         reads it as turning automatic pulls off too.",
    )
    .why(
        "An automatic pull under Manual only moves the reader and uses the network they \
         asked to leave alone.",
    ),
    rule(
        "C-SAFE-1",
        Level::Must,
        Side::Client,
        DERIVED_QUEUE,
        "Whatever sequence of failures happens, no snapshot is lost: it stays pending until a \
         2xx answer accepts it.",
    )
    .why(
        "A lost snapshot is progress the other devices never see.",
    ),
    rule(
        "C-SAFE-2",
        Level::Must,
        Side::Client,
        DERIVED_QUEUE,
        "Uploads respect each document's order: once a sync run has uploaded everything, the \
         server holds each document's most recent local snapshot, and an older snapshot never \
         replaces a newer one.",
    )
    .why(
        "An upload out of order leaves the server on an older position, which the other \
         devices then apply.",
    ),
    rule(
        "C-SAFE-3",
        Level::Should,
        Side::Client,
        DERIVED_QUEUE,
        "Once the server has accepted a snapshot, the client does not send it again.",
    )
    .why(
        "Sending an accepted snapshot again can overwrite a newer position from another \
         device.",
    ),
    rule(
        "C-SAFE-4",
        Level::Should,
        Side::Client,
        DERIVED_WIFI,
        "With Wi-Fi disconnected, the client sends no request of any kind.",
    )
    .why(
        "A reader who is offline expects no network use at all.",
    ),
    rule(
        "C-SAFE-5",
        Level::Should,
        Side::Client,
        DERIVED_QUEUE,
        "Sync Pending Now while Wi-Fi is disconnected sends nothing and leaves every item in \
         the queue.",
    )
    .why(
        "A Sync Pending Now that fails offline must keep everything for the next run.",
    ),
    rule(
        "C-SAFE-6",
        Level::Must,
        Side::Client,
        DERIVED_PULL,
        "The client never moves a book's progress on the server backwards without the \
         reader's consent: once it has applied a remote position, nothing it uploads for that \
         book is older than that position unless the reader moved back.",
    )
    .why(
        "A server moved back makes every other device offer or apply the older position: the reader loses their place everywhere.",
    ),
    // ---- Client: KOReader's built-in progress sync (profile koreader) ----
    rule(
        "KC-PUSH-1",
        Level::Must,
        Side::Client,
        KOREADER_BUILTIN,
        "With auto sync on, closing a book, putting the device to sleep and turning Wi-Fi off \
         each push the reader's position (turning Wi-Fi off pushes before the link goes down), \
         and turning auto sync off pushes once. Offline the position goes to the retry queue \
         without a request.",
    )
    .why(
        "These are KOReader's only moments of pushing besides the periodic push: miss one and the other devices never see where the reader stopped.",
    ),
    rule(
        "KC-PUSH-2",
        Level::Should,
        Side::Client,
        KOREADER_BUILTIN,
        "With periodic updates on (\"pages before update\" N), the push goes 10 s after the \
         Nth page turn, each further turn postponing it; never at the turn itself.",
    )
    .why(
        "Pushing at the turn itself only adds traffic; the position still arrives, so this is timing fidelity to KOReader.",
    ),
    rule(
        "KC-PULL-1",
        Level::Must,
        Side::Client,
        KOREADER_BUILTIN,
        "With auto sync on, opening a book pulls at once, waking the device pulls 1 s later, \
         and the network coming up pulls the open book 1 s later, after the retry queue was \
         sent; turning auto sync on pulls.",
    )
    .why(
        "Without these pulls the reader opens or wakes on a stale position while another device is further on.",
    ),
    rule(
        "KC-PULL-2",
        Level::Should,
        Side::Client,
        KOREADER_BUILTIN,
        "A pull answered with anything but 200, or with a body that is not a JSON object, \
         shows an error notice and changes nothing else.",
    )
    .why(
        "The reader is told the sync did not happen; without it they assume they are up to date.",
    ),
    interpretation(
        "KC-DIR-1",
        Side::Client,
        KOREADER_BUILTIN,
        "Newer or older is the record's timestamp against the time of the last local page turn \
         (0 right after opening, so any record then counts as newer), by percentage when the \
         record has no timestamp. Equal positions (percentages floored to 4 decimals, or \
         identical markers) and a record of this very device are not offered.",
        "KOReader's plugin decides direction by time, not by position: this profile declares \
         that reading instead of C-CONF-6's. Right after opening, an older position counts as \
         newer, so a \"newer\" strategy of Silently can move the reader back.",
    )
    .why(
        "The direction decides which strategy acts; judged by the wrong reading a correct KOReader-style client would be failed (or a wrong one passed).",
    ),
    rule(
        "KC-DEB-1",
        Level::Should,
        Side::Client,
        KOREADER_BUILTIN,
        "An automatic push within 25 s of the previous push, or an automatic pull within 25 s \
         of the previous pull, is skipped (not queued, not delayed); the reader's own push now \
         and pull now never are.",
    )
    .why(
        "A client that does not debounce sends more requests; no position is lost, so this is fidelity to KOReader.",
    ),
    rule(
        "KC-Q-1",
        Level::Must,
        Side::Client,
        KOREADER_BUILTIN,
        "A push that fails (any answer but 200 or 401, or none) keeps its position in the \
         retry queue, one entry per book, a newer one replacing the older; an accepted push of \
         a book drops that book's entry.",
    )
    .why(
        "A failed push that is not kept is progress the other devices never see (KOReader's retry queue is the only second chance).",
    ),
    // ---- Server: BookLore's /api/koreader (dialect booklore) ----
    rule(
        "S-AUTH-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "GET /api/koreader/users/auth with valid x-auth-user and x-auth-key headers answers 200 \
         and a JSON object that names the user.",
    )
    .why(
        "KOReader and BookLore's plugin count a sign-in only on 200; otherwise the reader \
         cannot set up sync at all.",
    ),
    rule(
        "S-AUTH-2",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "On every /api/koreader route, absent, unknown or wrong credentials get a 401 or 403; \
         the request stores nothing and reveals nothing.",
    )
    .why(
        "Otherwise anyone who knows a user name can read a reader's positions or \
         overwrite them.",
    ),
    rule(
        "S-PUSH-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "A well-formed PUT /api/koreader/syncs/progress for a book the library knows answers \
         200.",
    )
    .why(
        "Clients count a push as done only on 200; anything else keeps it queued or \
         retried, and it never reaches the other devices.",
    ),
    rule(
        "S-PULL-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "After a push, GET /api/koreader/syncs/progress/{document} answers 200 with document, \
         a numeric percentage, progress exactly as pushed (byte for byte), timestamp, device \
         and device_id.",
    )
    .why(
        "KOReader reads percentage, progress, timestamp, device and device_id of a pull; \
         a missing or altered field puts the reader on a wrong page or hides the prompt.",
    ),
    rule(
        "S-PULL-2",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "Pulling a document for which this user has no stored progress answers 404.",
    )
    .why(
        "BookLore's plugin takes a 404 as \"no remote progress yet\"; any other answer \
         for a library book without progress shows an error or a position that does not \
         exist.",
    ),
    rule(
        "S-PULL-3",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "A percentage pushed as exactly 0 or exactly 1 is read back as that number; 0 is a \
         real value, not an absent one.",
    )
    .why(
        "KOReader takes a pull without a percentage as \"no progress\", so a book at 0 or \
         finished at 1 would never sync.",
    ),
    rule(
        "S-BOOK-1",
        Level::Should,
        Side::Server,
        BOOKLORE,
        "A hash that belongs to no book in the library gets 404 on pull and on push, and \
         nothing is stored for it.",
    )
    .why(
        "Fidelity to BookLore: its 404 for a hash outside the library makes a hash \
         mismatch visible. Clients handle it like missing progress (and keep the push \
         queued) either way.",
    ),
    rule(
        "S-ISO-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "Progress belongs to one user: no user can read or overwrite another user's progress.",
    )
    .why(
        "Otherwise one reader lands on another reader's page, or overwrites it.",
    ),
    rule(
        "S-LWW-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "The most recently accepted push is what a pull returns, even if its percentage is \
         lower than the one before.",
    )
    .why(
        "A reader who goes back (to re-read a chapter) must be found there by the next \
         device; keeping the higher percentage moves them forward against their will.",
    ),
    rule(
        "S-TS-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "The timestamp read back is the server's clock in whole seconds since the Unix epoch \
         (not milliseconds), and it never goes backwards from one push to the next.",
    )
    .why(
        "KOReader compares this timestamp with its last page turn to decide newer or \
         older; milliseconds or a client's clock make it move the reader the wrong way.",
    ),
    rule(
        "S-CT-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "Response bodies are JSON and are labelled with a JSON media type.",
    )
    .why(
        "Clients decode every answer as JSON; anything else is a failed sync.",
    ),
    rule(
        "S-CT-2",
        Level::Should,
        Side::Server,
        "protocol: KOReader sync client (known field problem with charset)",
        "The Content-Type is exactly application/json with no charset parameter, because some \
         KOReader builds misparse application/json; charset=utf-8 and then claim no progress \
         exists.",
    )
    .why(
        "Some older KOReader builds read application/json; charset=utf-8 as \"No progress \
         found\"; current builds accept the charset.",
    ),
    rule(
        "S-REG-1",
        Level::Should,
        Side::Server,
        BOOKLORE,
        "POST /api/koreader/users/create is always refused: BookLore creates its users in its \
         own interface.",
    )
    .why(
        "Fidelity to BookLore, which manages its users in its own interface; no client \
         depends on the refusal.",
    ),
    rule(
        "S-OFF-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "For a user whose KOReader sync is switched off, pull and push answer 401 and nothing \
         is stored.",
    )
    .why(
        "A reader who switched sync off must not have positions stored and offered back \
         later; the 401 also tells KOReader not to queue the push.",
    ),
    rule(
        "S-BAD-1",
        Level::Should,
        Side::Server,
        BOOKLORE_DERIVED,
        "A body that is not valid JSON, is not an object, or lacks a well-typed percentage or \
         document answers 400 (never a 5xx) and stores nothing.",
    )
    .why(
        "Stock clients never send such bodies; a clear 400 helps plugin authors, while a \
         5xx or a half-stored record harms only a broken client's data.",
    ),
    rule(
        "S-BAD-2",
        Level::Should,
        Side::Server,
        BOOKLORE_DERIVED,
        "A percentage below 0 or above 1 is rejected with 400.",
    )
    .why(
        "Stock clients send 0..1; storing 1.5 from a broken client gives other devices a \
         position they cannot apply.",
    ),
    rule(
        "S-BAD-3",
        Level::Should,
        Side::Server,
        BOOKLORE_DERIVED,
        "A body that is too large is rejected with 413, without the server reading all of it.",
    )
    .why(
        "Protects the server's memory; stock clients send a few hundred bytes.",
    ),
    rule(
        "S-CONC-1",
        Level::Must,
        Side::Server,
        BOOKLORE_DERIVED,
        "When many devices push at once no write is lost: the stored record is exactly one of \
         the pushes, never fields mixed from two. The pushes carry what clients send \
         (percentages with 4 decimals).",
    )
    .why(
        "Two devices syncing at once is common (one suspends while another opens the \
         book); a record mixing both puts the reader at a position neither device had.",
    ),
    rule(
        "S-PREC-1",
        Level::Should,
        Side::Server,
        "derived from protocol: reference koreader-sync-server (stores the number's text)",
        "A percentage reads back as the number pushed to at least 12 significant digits, as \
         the reference server keeps it (it stores Lua's 14-digit text of the number), not \
         rounded to single precision.",
    )
    .why(
        "Clients floor percentages to 4 decimals before comparing or sending them, so \
         single-precision storage changes nothing a reader sees; full precision is \
         fidelity to the reference.",
    ),
    // ---- Document hash ----
    rule(
        "H-1",
        Level::Must,
        Side::Hash,
        HASH,
        "The document hash is the lowercase hex MD5 of at most twelve samples of 1024 bytes, \
         taken at offset 0 and then at 1024 << 2i for i = 0..10 (1 KiB, 4 KiB, 16 KiB, …). \
         Sampling stops at the first offset at or beyond the end of the file, and the last \
         sample is cut short by the end of the file rather than padded.",
    )
    .why(
        "Client and server must compute the same hash for the same file, or progress is \
         stored under a key the other side never asks for.",
    ),
    // ---- Server: the reference kosync server (dialect kosync) ----
    rule(
        "K-REG-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "POST /users/create with a new username answers 201, and the new user can then sign \
         in.",
    )
    .why(
        "KOReader counts a registration as done only on 201; anything else leaves the \
         reader unable to register from the device.",
    ),
    rule(
        "K-REG-2",
        Level::Should,
        Side::Server,
        KOSYNC,
        "Registering a username that already exists answers 402 with error code 2002.",
    )
    .why(
        "KOReader shows the error body's message for any failed registration; the 402 and \
         code 2002 are the reference's, and no client reads them.",
    ),
    rule(
        "K-REG-3",
        Level::Should,
        Side::Server,
        KOSYNC,
        "When the server has registration turned off, POST /users/create answers 402 with \
         error code 2005.",
    )
    .why(
        "KOReader shows the error body's message for any failed registration; the 402 and \
         code 2005 are the reference's, and no client reads them.",
    ),
    rule(
        "K-AUTH-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "GET /users/auth with valid credentials answers 200.",
    )
    .why(
        "KOReader counts a sign-in only on 200; anything else leaves the reader unable to \
         log in.",
    ),
    rule(
        "K-AUTH-2",
        Level::Should,
        Side::Server,
        KOSYNC,
        "Missing or wrong credentials answer 401 with error code 2001.",
    )
    .why(
        "KOReader treats any non-200 sign-in as a failure and shows the message; 401 with \
         code 2001 is the reference's wording. (On a push, a 401 is dropped while other \
         refusals are queued and retried.)",
    ),
    rule(
        "K-PULL-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "Pulling a document with no stored progress answers 200 with a JSON object that carries no \
         percentage (the reference answers {}; BookLore answers 404 instead).",
    )
    .why(
        "KOReader shows \"Something went wrong\" for any non-200 pull and takes any \
         percentage in a 200 as real progress, so a 404 or a zero-filled record for an \
         unread book misleads the reader.",
    ),
    rule(
        "K-PUSH-1",
        Level::Should,
        Side::Server,
        KOSYNC,
        "A valid PUT /syncs/progress answers 200 with {\"document\",\"timestamp\"}.",
    )
    .why(
        "KOReader counts a push as done on the 200 alone; the {document, timestamp} body \
         is fidelity to the reference.",
    ),
    rule(
        "K-BAD-1",
        Level::Should,
        Side::Server,
        KOSYNC,
        "A push lacking a percentage that Lua's tonumber reads as a number, a progress or a \
         device answers 403 with error code 2003.",
    )
    .why(
        "Stock clients always send a numeric percentage, a progress and a device; the 403 \
         and code 2003 are the reference's answer to broken clients.",
    ),
    rule(
        "K-BAD-2",
        Level::Should,
        Side::Server,
        KOSYNC,
        "A push with no document, or with a document id containing \":\", answers 403 with error \
         code 2004.",
    )
    .why(
        "Stock clients always send a document hash; the 403 and code 2004 are the \
         reference's answer to broken clients.",
    ),
    rule(
        "K-BAD-3",
        Level::Should,
        Side::Server,
        KOSYNC,
        "A body that is not valid JSON answers 400 with error code 103; a JSON array body \
         answers 400 with error code 104.",
    )
    .why(
        "Stock clients send JSON objects; the 400 and codes 103/104 are the reference's \
         answer to broken clients.",
    ),
    rule(
        "K-ERR-1",
        Level::Should,
        Side::Server,
        KOSYNC,
        "Every error answer has a JSON body of the form {\"code\", \"message\"}.",
    )
    .why(
        "KOReader shows an error body's message when a registration or sign-in fails (a \
         generic text otherwise) and never reads code; the shape is fidelity to the \
         reference.",
    ),
    rule(
        "K-HEALTH-1",
        Level::Should,
        Side::Server,
        KOSYNC,
        "GET /healthcheck answers 200 with {\"state\":\"OK\"}.",
    )
    .why(
        "No KOReader client calls /healthcheck; monitoring and container health checks \
         do.",
    ),
    rule(
        "K-ACCEPT-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "Requests that send Accept: application/vnd.koreader.v1+json are served normally.",
    )
    .why(
        "KOReader sends this Accept header on every request; a server that refuses it \
         cannot sync with KOReader at all.",
    ),
    rule(
        "K-ACCEPT-2",
        Level::Should,
        Side::Server,
        KOSYNC,
        "A server that enforces the Accept header answers 412 with error code 101 when the \
         header is present but wrong, and 412 with code 100 when it is missing.",
    )
    .why(
        "Fidelity to the reference's content negotiation; KOReader always sends the \
         vendor type.",
    ),
    rule(
        "K-RT-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "The device and device_id sent in a push come back unchanged in the next pull.",
    )
    .why(
        "KOReader does not offer a record whose device_id is its own and names the device \
         in its prompt; a lost device_id makes a device offer the reader their own \
         progress back.",
    ),
    rule(
        "K-AUTH-3",
        Level::Should,
        Side::Server,
        KOSYNC,
        "The answer to a valid GET /users/auth is {\"authorized\":\"OK\"}.",
    )
    .why(
        "KOReader looks only at the 200; the body is fidelity to the reference.",
    ),
    rule(
        "K-REG-4",
        Level::Should,
        Side::Server,
        KOSYNC,
        "The 201 answer to a registration is {\"username\"} naming the new user.",
    )
    .why(
        "KOReader looks only at the 201; the body is fidelity to the reference.",
    ),
    rule(
        "K-NUM-1",
        Level::Should,
        Side::Server,
        KOSYNC,
        "A percentage sent as text that Lua's tonumber reads as a number (\"0.5\", \" 0.25 \", \
         \"1e-1\") is accepted as that number and reads back as a JSON number, as the \
         reference server converts it.",
    )
    .why(
        "Stock clients send JSON numbers; third-party clients that send numeric text work \
         with the reference and break on a stricter server.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for r in all() {
            assert!(looks_like_rule_id(r.id), "{} is not a rule id", r.id);
            assert!(seen.insert(r.id), "{} appears twice", r.id);
        }
    }

    #[test]
    fn every_rule_has_text_and_source_and_interpretations_a_reading() {
        for r in all() {
            assert!(!r.text.trim().is_empty(), "{} has no text", r.id);
            assert!(!r.source.trim().is_empty(), "{} has no source", r.id);
            assert_eq!(
                r.reading.is_some(),
                r.level == Level::Interpretation,
                "{}: a reading is given exactly for interpretations",
                r.id
            );
        }
        assert_eq!(
            find("C-PULL-7").map(|r| r.level),
            Some(Level::Interpretation)
        );
    }

    #[test]
    fn every_rule_says_why_it_matters_in_one_line() {
        for r in all() {
            assert!(
                !r.why.trim().is_empty(),
                "{} has no \"why it matters\"",
                r.id
            );
            assert!(!r.why.contains('\n'), "{}: one line", r.id);
        }
    }

    /// The calibration of issue 9: what a stock client never looks at (error
    /// codes, the status of a refused bad body, a healthcheck, reply bodies it
    /// ignores) is SHOULD; what it reads or what loses a reader's place is MUST.
    #[test]
    fn server_levels_follow_client_impact() {
        let level = |id: &str| find(id).map(|r| r.level);
        for id in [
            "K-AUTH-2",
            "K-AUTH-3",
            "K-BAD-1",
            "K-BAD-2",
            "K-BAD-3",
            "K-ERR-1",
            "K-HEALTH-1",
            "K-REG-2",
            "K-REG-3",
            "K-REG-4",
            "K-PUSH-1",
            "K-ACCEPT-2",
            "K-NUM-1",
            "S-PREC-1",
            "S-BAD-1",
            "S-BAD-2",
            "S-BAD-3",
            "S-CT-2",
        ] {
            assert_eq!(level(id), Some(Level::Should), "{id}");
        }
        for id in [
            "K-AUTH-1",
            "K-PULL-1",
            "K-REG-1",
            "K-RT-1",
            "K-ACCEPT-1",
            "S-AUTH-2",
            "S-PUSH-1",
            "S-PULL-1",
            "S-PULL-2",
            "S-PULL-3",
            "S-ISO-1",
            "S-LWW-1",
            "S-TS-1",
            "S-CT-1",
            "S-CONC-1",
        ] {
            assert_eq!(level(id), Some(Level::Must), "{id}");
        }
    }

    #[test]
    fn rule_id_shape() {
        assert!(looks_like_rule_id("C-PULL-5"));
        assert!(looks_like_rule_id("H-1"));
        assert!(!looks_like_rule_id("booklore"));
        assert!(!looks_like_rule_id("C-PULL"));
    }
}
