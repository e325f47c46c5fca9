//! The rule catalogue: every rule the contract checks, with its stable id and
//! level. Features cite these ids as tags (`@C-PULL-5`), reports and docs read
//! levels and texts from here, and the coverage gate checks both ways.
//!
//! Ids are never renumbered or reused. Levels: MUST (stated by the source or a
//! wire fact a stock client depends on), SHOULD (derived; failures are
//! reported but do not fail a run), INTERPRETATION (the source is silent; the
//! contract picks one reading, stated in the rule's text).

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
    ),
    rule(
        "C-WIRE-1",
        Level::Must,
        Side::Client,
        PAGE_WHAT,
        "Pulling a book's progress is a GET of {base}/api/koreader/syncs/progress/{document}.",
    ),
    rule(
        "C-WIRE-2",
        Level::Must,
        Side::Client,
        PAGE_WHAT,
        "Pushing progress is a PUT of {base}/api/koreader/syncs/progress whose body is a JSON \
         object carrying document, percentage, progress, timestamp, device and device_id.",
    ),
    rule(
        "C-WIRE-3",
        Level::Must,
        Side::Client,
        PAGE_WHAT,
        "The document field is the book file's KOReader partial-MD5 (32 lowercase hex digits), \
         and that hash is the key every snapshot is stored under.",
    ),
    rule(
        "C-WIRE-4",
        Level::Must,
        Side::Client,
        KOREADER_CLIENT,
        "Each request sends x-auth-user and x-auth-key, the key being the lowercase hex MD5 of \
         the password; the password itself never goes over the wire.",
    ),
    rule(
        "C-WIRE-5",
        Level::Should,
        Side::Client,
        KOREADER_CLIENT,
        "In a push, percentage is a number between 0 and 1 inclusive, progress is a string \
         (KOReader's position marker: an xpointer or a page number), and timestamp counts \
         whole seconds since the Unix epoch.",
    ),
    rule(
        "C-PULL-1",
        Level::Must,
        Side::Client,
        PAGE_PULL,
        "With \"Pull progress on book open\" on (its default), opening a book while Wi-Fi is \
         already up pulls that book's remote progress.",
    ),
    rule(
        "C-PULL-2",
        Level::Must,
        Side::Client,
        PAGE_PULL,
        "With \"Pull progress on resume\" on (its default), waking the device with a book open \
         and Wi-Fi already up pulls that book's remote progress.",
    ),
    rule(
        "C-PULL-3",
        Level::Must,
        Side::Client,
        PAGE_PULL,
        "When Wi-Fi is down the client does not try to pull, and it does not switch Wi-Fi on \
         in order to pull.",
    ),
    rule(
        "C-PULL-4",
        Level::Must,
        Side::Client,
        PAGE_PULL,
        "When the toggle for an event (open or resume) is off, that event triggers no pull.",
    ),
    rule(
        "C-PULL-5",
        Level::Must,
        Side::Client,
        PAGE_PULL,
        "A 404 answer to a pull means \"no remote progress yet\": the client shows no error and \
         no prompt, keeps the local position and lets the reader carry on.",
    ),
    rule(
        "C-PULL-6",
        Level::Should,
        Side::Client,
        DERIVED_PULL,
        "Any other unsuccessful pull (a 5xx, a 401 or 403, a timeout, a refused connection, a \
         body that cannot be read) changes nothing locally and asks the user nothing.",
    ),
    interpretation(
        "C-PULL-7",
        Side::Client,
        "derived from page: Pull behavior and Push behavior (book open)",
        "When a book opens, its pull goes out before the upload of the snapshot that the open \
         queued, so the client never reads back the snapshot it has just sent. (The previous \
         book's close upload, when a book is opened over another, may go before or after.)",
        "Opening a book both pulls and queues a snapshot, and the page does not order the two. \
         The contract picks pull first: uploading first would make the pull return the \
         client's own position and hide any newer remote one.",
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
    ),
    rule(
        "C-CONF-1",
        Level::Must,
        Side::Client,
        PAGE_CONFLICT,
        "A remote position ahead of the local one is a sync \"to a newer state\" and follows \
         that direction's strategy, which defaults to Prompt.",
    ),
    rule(
        "C-CONF-2",
        Level::Must,
        Side::Client,
        PAGE_CONFLICT,
        "A remote position behind the local one is a sync \"to an older state\" and follows \
         that direction's strategy, which defaults to Disable.",
    ),
    rule(
        "C-CONF-3",
        Level::Must,
        Side::Client,
        PAGE_CONFLICT,
        "Under Silently, the client moves to the remote position without asking.",
    ),
    rule(
        "C-CONF-4",
        Level::Must,
        Side::Client,
        PAGE_CONFLICT,
        "Under Prompt, the client asks first and moves to the remote position only on a yes; a \
         no leaves the local position where it was.",
    ),
    rule(
        "C-CONF-5",
        Level::Must,
        Side::Client,
        PAGE_CONFLICT,
        "Under Disable, the client never moves in that direction and never asks about it.",
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
    ),
    rule(
        "C-PUSH-1",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "Opening a book puts a progress snapshot in the queue.",
    ),
    rule(
        "C-PUSH-2",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "Closing a book puts a progress snapshot in the queue.",
    ),
    rule(
        "C-PUSH-3",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "With periodic page-turn updates on, each run of N page turns (N from \"Periodically \
         sync every # pages\") queues one snapshot, and counting starts again from zero after \
         it.",
    ),
    rule(
        "C-PUSH-4",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "The page-turn threshold cannot go below 1: a smaller value is rejected with an error \
         the user can understand, and the old value is kept.",
    ),
    rule(
        "C-PUSH-5",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "With periodic updates off, turning pages queues nothing, while opening and closing a \
         book still queue their snapshots.",
    ),
    rule(
        "C-PUSH-6",
        Level::Must,
        Side::Client,
        PAGE_PUSH,
        "Uploads caused by page turns are debounced: none starts within 25 seconds of the \
         previous upload.",
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
    ),
    rule(
        "C-RATE-1",
        Level::Must,
        Side::Client,
        PAGE_RATING,
        "With \"Set book to read on rating\" on, rating a book queues a snapshot of that book at \
         percentage 1.0.",
    ),
    rule(
        "C-RATE-2",
        Level::Must,
        Side::Client,
        PAGE_RATING,
        "With that setting off, rating a book queues no progress at all.",
    ),
    rule(
        "C-Q-1",
        Level::Must,
        Side::Client,
        PAGE_QUEUE,
        "No snapshot bypasses the local pending queue: every one is stored there before it is \
         uploaded.",
    ),
    rule(
        "C-Q-2",
        Level::Must,
        Side::Client,
        PAGE_QUEUE,
        "Running Sync Pending Now uploads the progress items waiting in the queue.",
    ),
    rule(
        "C-Q-3",
        Level::Must,
        Side::Client,
        PAGE_QUEUE,
        "An upload that fails keeps its item in the queue so a later sync run tries it again; \
         failed items are never thrown away.",
    ),
    rule(
        "C-Q-4",
        Level::Must,
        Side::Client,
        PAGE_QUEUE,
        "Queue summaries show the number of progress items followed by the letter P, such as \
         4P.",
    ),
    rule(
        "C-Q-5",
        Level::Must,
        Side::Client,
        PAGE_QUEUE,
        "View Pending Sessions reports how many progress items are pending and how many are \
         synced; an upload that succeeds moves its item from the first count to the second.",
    ),
    rule(
        "C-MAN-1",
        Level::Must,
        Side::Client,
        PAGE_MANUAL,
        "Manual only does not stop snapshots from being queued locally.",
    ),
    rule(
        "C-MAN-2",
        Level::Must,
        Side::Client,
        PAGE_MANUAL,
        "Under Manual only, the client never starts an upload on its own.",
    ),
    rule(
        "C-MAN-3",
        Level::Must,
        Side::Client,
        PAGE_MANUAL,
        "Under Manual only, running Sync Pending Now does upload the queue.",
    ),
    interpretation(
        "C-MAN-4",
        Side::Client,
        PAGE_MANUAL,
        "Manual only also stops the automatic pulls on open and on resume.",
        "The page lists what Manual only does to uploads and is silent about pulls. Its label, \
         \"cache everything\", suggests no automatic network traffic at all, so the contract \
         reads it as turning automatic pulls off too.",
    ),
    rule(
        "C-SAFE-1",
        Level::Must,
        Side::Client,
        DERIVED_QUEUE,
        "Whatever sequence of failures happens, no snapshot is lost: it stays pending until a \
         2xx answer accepts it.",
    ),
    rule(
        "C-SAFE-2",
        Level::Must,
        Side::Client,
        DERIVED_QUEUE,
        "Uploads respect each document's order: once a sync run has uploaded everything, the \
         server holds each document's most recent local snapshot, and an older snapshot never \
         replaces a newer one.",
    ),
    rule(
        "C-SAFE-3",
        Level::Should,
        Side::Client,
        DERIVED_QUEUE,
        "Once the server has accepted a snapshot, the client does not send it again.",
    ),
    rule(
        "C-SAFE-4",
        Level::Should,
        Side::Client,
        DERIVED_WIFI,
        "With Wi-Fi disconnected, the client sends no request of any kind.",
    ),
    rule(
        "C-SAFE-5",
        Level::Should,
        Side::Client,
        DERIVED_QUEUE,
        "Sync Pending Now while Wi-Fi is disconnected sends nothing and leaves every item in \
         the queue.",
    ),
    rule(
        "C-SAFE-6",
        Level::Must,
        Side::Client,
        DERIVED_PULL,
        "The client never moves a book's progress on the server backwards without the \
         reader's consent: once it has applied a remote position, nothing it uploads for that \
         book is older than that position unless the reader moved back.",
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
    ),
    rule(
        "KC-PUSH-2",
        Level::Should,
        Side::Client,
        KOREADER_BUILTIN,
        "With periodic updates on (\"pages before update\" N), the push goes 10 s after the \
         Nth page turn, each further turn postponing it; never at the turn itself.",
    ),
    rule(
        "KC-PULL-1",
        Level::Must,
        Side::Client,
        KOREADER_BUILTIN,
        "With auto sync on, opening a book pulls at once, waking the device pulls 1 s later, \
         and the network coming up pulls the open book 1 s later, after the retry queue was \
         sent; turning auto sync on pulls.",
    ),
    rule(
        "KC-PULL-2",
        Level::Should,
        Side::Client,
        KOREADER_BUILTIN,
        "A pull answered with anything but 200, or with a body that is not a JSON object, \
         shows an error notice and changes nothing else.",
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
    ),
    rule(
        "KC-DEB-1",
        Level::Should,
        Side::Client,
        KOREADER_BUILTIN,
        "An automatic push within 25 s of the previous push, or an automatic pull within 25 s \
         of the previous pull, is skipped (not queued, not delayed); the reader's own push now \
         and pull now never are.",
    ),
    rule(
        "KC-Q-1",
        Level::Must,
        Side::Client,
        KOREADER_BUILTIN,
        "A push that fails (any answer but 200 or 401, or none) keeps its position in the \
         retry queue, one entry per book, a newer one replacing the older; an accepted push of \
         a book drops that book's entry.",
    ),
    // ---- Server: BookLore's /api/koreader (dialect booklore) ----
    rule(
        "S-AUTH-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "GET /api/koreader/users/auth with valid x-auth-user and x-auth-key headers answers 200 \
         and a JSON object that names the user.",
    ),
    rule(
        "S-AUTH-2",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "On every /api/koreader route, absent, unknown or wrong credentials get a 401 or 403; \
         the request stores nothing and reveals nothing.",
    ),
    rule(
        "S-PUSH-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "A well-formed PUT /api/koreader/syncs/progress for a book the library knows answers \
         200.",
    ),
    rule(
        "S-PULL-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "After a push, GET /api/koreader/syncs/progress/{document} answers 200 with document, \
         a numeric percentage, progress exactly as pushed (byte for byte), timestamp, device \
         and device_id.",
    ),
    rule(
        "S-PULL-2",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "Pulling a document for which this user has no stored progress answers 404.",
    ),
    rule(
        "S-PULL-3",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "A percentage pushed as exactly 0 or exactly 1 is read back as that number; 0 is a \
         real value, not an absent one.",
    ),
    rule(
        "S-BOOK-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "A hash that belongs to no book in the library gets 404 on pull and on push, and \
         nothing is stored for it.",
    ),
    rule(
        "S-ISO-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "Progress belongs to one user: no user can read or overwrite another user's progress.",
    ),
    rule(
        "S-LWW-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "The most recently accepted push is what a pull returns, even if its percentage is \
         lower than the one before.",
    ),
    rule(
        "S-TS-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "The timestamp read back is the server's clock in whole seconds since the Unix epoch \
         (not milliseconds), and it never goes backwards from one push to the next.",
    ),
    rule(
        "S-CT-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "Response bodies are JSON and are labelled with a JSON media type.",
    ),
    rule(
        "S-CT-2",
        Level::Should,
        Side::Server,
        "protocol: KOReader sync client (known field problem with charset)",
        "The Content-Type is exactly application/json with no charset parameter, because some \
         KOReader builds misparse application/json; charset=utf-8 and then claim no progress \
         exists.",
    ),
    rule(
        "S-REG-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "POST /api/koreader/users/create is always refused: BookLore creates its users in its \
         own interface.",
    ),
    rule(
        "S-OFF-1",
        Level::Must,
        Side::Server,
        BOOKLORE,
        "For a user whose KOReader sync is switched off, pull and push answer 401 and nothing \
         is stored.",
    ),
    rule(
        "S-BAD-1",
        Level::Should,
        Side::Server,
        BOOKLORE_DERIVED,
        "A body that is not valid JSON, is not an object, or lacks a well-typed percentage or \
         document answers 400 (never a 5xx) and stores nothing.",
    ),
    rule(
        "S-BAD-2",
        Level::Should,
        Side::Server,
        BOOKLORE_DERIVED,
        "A percentage below 0 or above 1 is rejected with 400.",
    ),
    rule(
        "S-BAD-3",
        Level::Should,
        Side::Server,
        BOOKLORE_DERIVED,
        "A body that is too large is rejected with 413, without the server reading all of it.",
    ),
    rule(
        "S-CONC-1",
        Level::Should,
        Side::Server,
        BOOKLORE_DERIVED,
        "When many devices push at once no write is lost: the stored record is exactly one of \
         the pushes, never fields mixed from two.",
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
    ),
    // ---- Server: the reference kosync server (dialect kosync) ----
    rule(
        "K-REG-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "POST /users/create with a new username registers the user and answers 201 with \
         {\"username\"}.",
    ),
    rule(
        "K-REG-2",
        Level::Must,
        Side::Server,
        KOSYNC,
        "Registering a username that already exists answers 402 with error code 2002.",
    ),
    rule(
        "K-REG-3",
        Level::Must,
        Side::Server,
        KOSYNC,
        "When the server has registration turned off, POST /users/create answers 402 with \
         error code 2005.",
    ),
    rule(
        "K-AUTH-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "GET /users/auth with valid credentials answers 200 with {\"authorized\":\"OK\"}.",
    ),
    rule(
        "K-AUTH-2",
        Level::Must,
        Side::Server,
        KOSYNC,
        "Missing or wrong credentials answer 401 with error code 2001.",
    ),
    rule(
        "K-PULL-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "Pulling a document with no stored progress answers 200 with an empty object {} \
         (unlike BookLore's 404).",
    ),
    rule(
        "K-PUSH-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "A valid PUT /syncs/progress answers 200 with {\"document\",\"timestamp\"}.",
    ),
    rule(
        "K-BAD-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "A push lacking a numeric percentage, a progress or a device answers 403 with error \
         code 2003.",
    ),
    rule(
        "K-BAD-2",
        Level::Must,
        Side::Server,
        KOSYNC,
        "A push with no document answers 403 with error code 2004.",
    ),
    rule(
        "K-BAD-3",
        Level::Should,
        Side::Server,
        KOSYNC,
        "A body that is not valid JSON answers 400 with error code 103; a JSON array body \
         answers 400 with error code 104.",
    ),
    rule(
        "K-ERR-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "Every error answer has a JSON body of the form {\"code\", \"message\"}.",
    ),
    rule(
        "K-HEALTH-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "GET /healthcheck answers 200 with {\"state\":\"OK\"}.",
    ),
    rule(
        "K-ACCEPT-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "Requests that send Accept: application/vnd.koreader.v1+json are served normally.",
    ),
    rule(
        "K-ACCEPT-2",
        Level::Should,
        Side::Server,
        KOSYNC,
        "A server that enforces the Accept header answers 412 with error code 101 when the \
         header is present but wrong, and 412 with code 100 when it is missing.",
    ),
    rule(
        "K-RT-1",
        Level::Must,
        Side::Server,
        KOSYNC,
        "The device and device_id sent in a push come back unchanged in the next pull.",
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
    fn rule_id_shape() {
        assert!(looks_like_rule_id("C-PULL-5"));
        assert!(looks_like_rule_id("H-1"));
        assert!(!looks_like_rule_id("booklore"));
        assert!(!looks_like_rule_id("C-PULL"));
    }
}
