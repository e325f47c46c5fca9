//! The reference client model: the BookLore plugin's progress-sync rules as a
//! deterministic, sans-IO state machine (`Client::handle(Event) -> Vec<Effect>`).
//!
//! It owns no socket and no clock; time arrives as [`Event::TimePassed`] and
//! HTTP answers as [`Event::HttpCompleted`]. It is the oracle every client
//! check compares against, so every choice it makes is written down below: a
//! client under test (the Lua adapter, a real plugin) must behave the same way
//! to be conformant. Rule ids are those of `rules.md`. Not here: sockets
//! ([`crate::adapter`] drives it over HTTP), the features, the server.
//!
//! # Behaviour (profile `booklore-plugin`)
//!
//! **State at start.** No book open, Wi-Fi *disconnected*, empty queue (0
//! pending, 0 synced), no request outstanding, no prompt, virtual now =
//! `clock_start`. Settings are what the caller gives ([`Settings::default`] are
//! the defaults: sync off, pull on open/resume on, newer Prompt, older Disable,
//! periodic on every [`DEFAULT_PAGES_PER_SYNC`] pages, rating off, Manual only
//! off).
//!
//! **Enabling.**
//! 1. Sync disabled (C-EN-1, C-EN-2): no request of any kind is sent, no snapshot
//!    is queued, page turns are not counted; Sync Pending Now sends nothing.
//!    Snapshots queued earlier stay pending, untouched. Books still open and
//!    close and positions still move. Enabling starts nothing by itself.
//! 2. A pull answer that arrives after sync was disabled is ignored.
//!
//! **Pull** (only with sync enabled, Wi-Fi connected, Manual only off — C-PULL-3,
//!    C-MAN-4; never turns Wi-Fi on).
//! 3. Book opened with `pull_on_open` → `GET {prefix}/syncs/progress/{document}`
//!    (C-PULL-1, C-PULL-4). Opening while another book is open first closes
//!    that one (its close snapshot is queued, item 11).
//! 4. Resume with a book open and `pull_on_resume` → the same GET (C-PULL-2).
//!    Resume without a book, and Suspend always, do nothing. Every qualifying
//!    open or resume sends its own pull, even if an earlier one is unanswered.
//! 5. Headers of every request: `x-auth-user`, `x-auth-key` (the MD5 key, never
//!    the password, C-WIRE-4), `Accept: application/vnd.koreader.v1+json`.
//! 6. Answers (C-PULL-5/6): only `200` with a JSON object whose `percentage` is
//!    a finite number in [0, 1] and whose `progress` is a string is remote
//!    progress. `200` with `percentage` absent or `null` = no remote progress
//!    (nothing happens). `404` = nothing happens, no notice (C-PULL-5). Any
//!    other status, a transport error, non-JSON, a non-object, or ill-typed
//!    fields = nothing happens, **no notice**, no prompt (C-PULL-6).
//! 7. An answer for a book that is no longer open (closed, or another one
//!    opened) is ignored.
//! 8. Remote progress is compared with the *current* local position (C-CONF-6):
//!    equal when `floor(p × 10⁴)` are equal or the `progress` strings are
//!    identical → nothing. Otherwise remote percentage greater → Newer
//!    (C-CONF-1), else Older (C-CONF-2). The direction's strategy decides:
//!    Silently → `PositionApplied` (C-CONF-3); Prompt → `PromptShown{proposed}`,
//!    then `PromptAnswered{accept: true}` → `PositionApplied`, `false` →
//!    nothing (C-CONF-4); Disable → nothing (C-CONF-5).
//! 9. A new prompt replaces one still on screen; closing the book (or opening
//!    another) discards its prompt silently; an answer with no prompt on
//!    screen is ignored. Accepting applies even if settings changed meanwhile
//!    (it is the user's own choice, and local).
//! 10. Applying a remote position moves the local position (later snapshots
//!    carry it) and restarts nothing: it queues no snapshot and leaves the page
//!    counter alone.
//!
//! **Snapshots** (only with sync enabled; each emits `QueueChanged`, C-Q-1).
//! A snapshot holds `document`, `percentage`, `progress` of the open book,
//! `timestamp` = virtual now (whole seconds), `device`, `device_id`.
//! 11. Queued on open (the opening position, C-PUSH-1) and on close (the
//!    position at close, C-PUSH-2) — also with periodic updates off (C-PUSH-5).
//! 12. Page turn with a book open: the position moves. With periodic updates on,
//!    the turn is counted; when the count reaches `pages_per_sync` a snapshot is
//!    queued and the count restarts at 0 (C-PUSH-3). The count also restarts on
//!    open. The comparison is "count ≥ N", so lowering N below the count makes
//!    the next counted turn queue. With periodic updates off (or sync disabled) turns are not counted
//!    and queue nothing. A page turn with no book open is ignored entirely.
//! 13. Rating with `set_read_on_rating` and a book open: a snapshot with
//!    `percentage` 1.0 and the current `progress` marker (C-RATE-1); the local
//!    position does not change. Off, or no book: nothing (C-RATE-2). Any star
//!    count counts.
//!
//! **Upload runs** (C-PUSH-8, C-Q-2/3/5, C-SAFE-1..5).
//! 14. Triggers: every queued snapshot (open, close, periodic, rating) and Sync
//!    Pending Now. A run starts only with sync enabled and Wi-Fi connected; an
//!    automatic trigger also needs Manual only off (C-MAN-2); Sync Pending Now
//!    runs in Manual only too (C-MAN-3). Otherwise the trigger does nothing and
//!    the snapshot waits. Wi-Fi coming up, enabling, or turning Manual only off
//!    trigger nothing.
//! 15. A run uploads the pending items one at a time, oldest first (C-SAFE-2):
//!    `PUT {prefix}/syncs/progress` with the six fields as a JSON object and
//!    `Content-Type: application/json` (C-WIRE-2). The next PUT goes out only
//!    after the previous one is answered. Any 2xx moves the item from pending to
//!    synced (C-Q-5) and the run goes on; any other status or a transport error
//!    ends the run and leaves that item and all later ones pending (C-Q-3,
//!    C-SAFE-1). An accepted item is never sent again (C-SAFE-3). The run ends
//!    when the queue is empty.
//! 16. One run at a time: a trigger while a run exists is folded into it (items
//!    queued meanwhile go in the same run; Sync Pending Now marks it manual).
//! 17. Before each PUT the run checks sync is enabled, Wi-Fi is connected and
//!    (unless manual) Manual only is off; if not, the run ends and everything
//!    stays pending. A request already in flight when Wi-Fi drops still gets
//!    its answer processed (C-SAFE-4: nothing new is sent).
//! 18. Pull first (C-PULL-7): while any pull is unanswered no PUT is sent; the
//!    run waits and goes on when the pull is answered. On open the GET is
//!    emitted before the open snapshot is queued, so a client never reads back
//!    its own open snapshot; the close snapshot of a book closed by opening
//!    another waits too.
//! 19. Debounce (C-PUSH-6/7): a *page-triggered* run does not start if less than
//!    `DEBOUNCE_SECONDS` (25) have passed since the last PUT was sent (the
//!    source: "25 seconds minimum between pushes"); it is skipped, not delayed
//!    (no timer), and its snapshot stays queued for the next run. Open, close,
//!    rating and Sync Pending Now runs are never debounced, and their PUTs also
//!    restart the window. A trigger that sends nothing does not. (Within one
//!    driver step no time passes, so this is also "since the previous run
//!    started".)
//! 20. Sync Pending Now with Wi-Fi down sends nothing and keeps the queue (C-SAFE-5).
//!
//! **Settings.**
//! 21. `SettingsChanged` applies every field present. `pages_per_sync` below 1
//!    (or above `u32::MAX`) is refused with `SettingsRejected{field:
//!    "pages_per_sync", reason}` and the old value stays (C-PUSH-4); the other
//!    fields of the same patch still apply. A change starts nothing by itself.
//!
//! **Menu actions and Wi-Fi** (events of adapter protocol v2).
//! 22. Push progress now (`PushNow`) with a book open and sync enabled queues a
//!    snapshot of where the reader is (C-Q-1) and starts an upload run as the
//!    user's own action: like Sync Pending Now it runs in Manual only and is
//!    never debounced; with Wi-Fi down everything waits (C-SAFE-5).
//! 23. Pull progress now (`PullNow`) with a book open, sync enabled and Wi-Fi
//!    up sends the pull of item 3, whatever the pull toggles and Manual only
//!    say (they govern automatic pulls); its answer is handled as in items 6–10.
//! 24. Sign-in (`SignIn`) with Wi-Fi up sends `GET {prefix}/users/auth` with the
//!    headers of item 5, also with sync disabled (it is not progress); a 200
//!    shows an info notice, anything else an error notice.
//! 25. `WifiLost` (the link drops) and `WifiOff` (the user turns it off) both
//!    just mark Wi-Fi disconnected; this profile sends nothing on either. The
//!    model never asks for Wi-Fi to be turned on (`WifiOnRequested`, C-PULL-3).
//! 26. After a pulled position is applied (silently, or on the reader's yes),
//!     the snapshots of that book still pending (the open snapshot among them)
//!     carry the applied position (C-PULL-8), so no upload moves the server
//!     back behind it (C-SAFE-6). The one in flight, if any, is left as sent.
//!
//! **Answers.** An `HttpCompleted` whose id the client is not waiting for is
//! ignored. Only a 2xx counts as an accepted push, whatever its body.
//!
//! **Queue.** `queue()` gives pending/synced counts, `queue_summary()` the
//! `4P` form (C-Q-4). Every change of either count emits `QueueChanged`.
//!
//! Behaviour that differs between clients (direction, 404, defaults, push
//! timestamp, what is queued when) is asked of the [`Policy`] of the
//! client's [`Profile`], so a variant is data. The second profile, KOReader's
//! built-in sync (`--profile koreader`), pushes directly and keeps only
//! failures in its retry queue, so it has its own machine over the same
//! policy, wire and decisions: [`KoreaderClient`], whose module doc lists its
//! behaviour the way this one does. [`Profile::client`] builds either.
//!
//! **Decisions.** [`Client::step`] returns with the effects the
//! [`Decision`]s behind them: for each rule that decided something at that
//! event, its id, the outcome and what it governs (`decision.rs`). The
//! differential names rules from these records only.
//!
//! **Mutants.** Deliberately broken clients for the detection tests live in
//! `mutant.rs`, compiled with the `mutants` cargo feature only (which `cargo
//! test` turns on): nothing in `client.rs` knows them.

mod client;
mod decision;
mod koreader;
#[cfg(feature = "mutants")]
mod mutant;
#[cfg(not(feature = "mutants"))]
#[path = "mutant_off.rs"]
mod mutant;
mod profile;
pub mod sim;
mod types;

pub use client::{Client, ClientConfig, Snapshot};
pub use decision::{describe as describe_decisions, Aspect, Decision, Handled, Outcome};
pub use koreader::KoreaderClient;
#[doc(hidden)]
pub use mutant::Mutant;
#[cfg(feature = "mutants")]
#[doc(hidden)]
pub use mutant::{Mutated, Reading};
pub use profile::{
    floor4, same_floor4, Comparison, EarlyPageUpload, FailedUpload, LocalProgress, NotFoundPolicy,
    Policy, Profile, QueueOrder, RemoteProgress,
};
pub use types::*;

/// Something that plays a client to the harness: the reference [`Client`],
/// or (with the `mutants` feature) a deliberately broken one.
pub trait ClientModel: std::fmt::Debug + Send {
    /// Feed one event; the effects in order and the decisions behind them.
    fn step(&mut self, event: Event) -> Handled;
    /// Feed one event; the effects in order.
    fn handle(&mut self, event: Event) -> Vec<Effect> {
        self.step(event).effects
    }
    /// Pending and synced progress counts as the client reports them (C-Q-5).
    fn queue(&self) -> QueueCounts;
    /// The queue summary as the client shows it (C-Q-4).
    fn queue_summary(&self) -> String;
    /// The open book and where the reader is in it.
    fn position(&self) -> Option<(&str, &Position)>;
    /// The pending snapshots as the client reports them, oldest first.
    fn pending_snapshots(&self) -> Vec<&Snapshot>;
}

impl ClientModel for Client {
    fn step(&mut self, event: Event) -> Handled {
        Client::step(self, event)
    }
    fn queue(&self) -> QueueCounts {
        Client::queue(self)
    }
    fn queue_summary(&self) -> String {
        Client::queue_summary(self)
    }
    fn position(&self) -> Option<(&str, &Position)> {
        Client::position(self)
    }
    fn pending_snapshots(&self) -> Vec<&Snapshot> {
        Client::pending(self).collect()
    }
}

/// A client of `profile`, the reference one or with `mutant` broken.
/// `password` is the plain password, which only a mutant that leaks it uses.
pub fn model_client(
    config: ClientConfig,
    settings: Settings,
    profile: Profile,
    mutant: Option<Mutant>,
    password: &str,
) -> Box<dyn ClientModel> {
    match mutant {
        None => profile.client(config, settings),
        Some(m) => m.client(config, settings, profile, password),
    }
}

impl Profile {
    /// The reference client of this profile.
    pub fn client(self, config: ClientConfig, settings: Settings) -> Box<dyn ClientModel> {
        self.client_with(config, settings, self.policy())
    }

    /// This profile's client following `policy` (its own, or one with an answer changed).
    pub fn client_with(
        self,
        config: ClientConfig,
        settings: Settings,
        policy: Policy,
    ) -> Box<dyn ClientModel> {
        match self {
            Profile::BookLorePlugin => Box::new(Client::with_policy(config, settings, policy)),
            Profile::KOReader => Box::new(KoreaderClient::with_policy(config, settings, policy)),
        }
    }
}
