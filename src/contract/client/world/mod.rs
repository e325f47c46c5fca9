//! The client contract's cucumber world: one reader, one client under test,
//! one fresh fake server per scenario.
//!
//! The world plays the reader's life to a [`ClientDriver`] (the reference
//! model in process, or a real client behind an adapter) and reads what the
//! client did from two places only: the [`Observation`] the driver returns
//! after each event (prompts, applied positions, notices, queue counts) and
//! the fake server's request journal (every HTTP request the client sent).
//! Time is virtual: "20 seconds pass" is an [`Event::TimePassed`] for the
//! client and an admin clock advance for the server; nothing sleeps.
//!
//! The steps that use this world live in `steps.rs` (what the reader
//! and the server do) and `steps_then.rs` (what must be seen). This
//! file holds the state and the plumbing; it knows no rule.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use futures::future::LocalBoxFuture;
use futures::FutureExt as _;

mod checks;
mod harness;
mod report;

use super::replay::{self, Scripted};
use crate::adapter::capability::not_applicable_reason;
use crate::adapter::{Capabilities, Capability, ClientDriver, ClientIdentity, DriverError};
use crate::contract::runner::{self, Applicability, ContractWorld, DeferredFailures, ScenarioMeta};
use crate::model::{
    valid_pages_per_sync, Effect, Event, Position, Profile, QueueCounts, Settings, SettingsPatch,
};
use crate::protocol::{hash, Dialect};
use crate::server::{self, AdminClient, JournalEntry, RunningServer, ServerConfig, UserSpec};

/// Makes a fresh, not yet started driver for one scenario. Called once per
/// scenario, possibly from several scenarios at once.
pub type DriverFactory =
    Arc<dyn Fn() -> Result<Box<dyn ClientDriver>, DriverError> + Send + Sync + 'static>;

/// The profile of the BookLore plugin, the one the reference model plays
/// by default (`Profile::default().name()`, checked by a test).
pub const DEFAULT_PROFILE: &str = "booklore-plugin";

/// The client profiles there are. A scenario tagged with one of these names
/// runs only against a client claiming that profile.
pub fn profile_names() -> Vec<&'static str> {
    Profile::ALL.iter().map(|p| p.name()).collect()
}

/// The profile called `name`.
pub fn profile_named(name: &str) -> Option<Profile> {
    Profile::ALL.iter().copied().find(|p| p.name() == name)
}

/// What every scenario of one client run shares.
pub struct ClientContext {
    /// How to get a driver for the client under test.
    pub drivers: DriverFactory,
    /// The behaviour profile the client claims (`booklore-plugin`).
    pub profile: String,
    /// How the client is named in reproduction lines (`--adapter '…'` or nothing).
    pub target_args: String,
    /// What the client declares it can do (adapter protocol 2; everything
    /// protocol 1 could ask for when the adapter speaks 1). A scenario that
    /// needs more is not applicable.
    pub capabilities: Capabilities,
}

impl fmt::Debug for ClientContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientContext")
            .field("profile", &self.profile)
            .field("target_args", &self.target_args)
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

/// Tag prefix of a scenario that needs a capability its steps do not show:
/// `@needs-rating`, `@needs-queue-summary` (`-` for the wire name's `_`).
pub const NEEDS_TAG: &str = "needs-";

/// The reader's account on the fake server.
pub const READER_USER: &str = "reader";
/// Distinctive on purpose: C-WIRE-4 checks it never appears on the wire.
pub const READER_PASSWORD: &str = "Plain-Text-Passphrase-7f3a";
/// The client's virtual clock at the start of every scenario (2026-01-01T00:00:00Z).
pub const CLOCK_START: i64 = 1_767_225_600;
/// Pages of every book in the features, so "20%" is page 20.
pub const BOOK_PAGES: u32 = 100;
/// Header the harness puts on its own requests (seeding, reading back), so
/// they are never mistaken for the client's in the journal.
pub const HARNESS_HEADER: &str = "x-kosync-contract-harness";
/// The device the harness pretends to be when it seeds remote progress.
const OTHER_DEVICE: &str = "other-device";
const OTHER_DEVICE_ID: &str = "0123456789ABCDEF0123456789ABCDEF";

/// The books of the features, by the name the text uses ("book A").
pub const BOOK_NAMES: &[&str] = &["A", "B", "C", "D"];

/// The KOReader partial-MD5 of book `name`: a real hash of fixed made-up file
/// contents, so it has the shape C-WIRE-3 asks for and never changes.
pub fn book_hash(name: &str) -> Option<String> {
    if !BOOK_NAMES.contains(&name) {
        return None;
    }
    let contents = format!("kosync-contract sample book {name}\n").repeat(300);
    Some(hash::partial_md5_bytes(contents.as_bytes()))
}

/// One request the client sent, with the event that caused it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Index into [`ClientWorld::events`] of the event being handled when it arrived.
    pub event: usize,
    /// The world's virtual clock (seconds since [`CLOCK_START`]) at that event.
    pub elapsed: u64,
    pub entry: JournalEntry,
}

/// Which kind of step ran last, so a `When` block can mark where its outcome starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Given,
    When,
    Then,
}

/// The world of one client scenario.
#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct ClientWorld {
    pub(crate) meta: Option<ScenarioMeta>,
    target_args: String,
    make_driver: Option<DriverFactory>,
    driver: Option<Box<dyn ClientDriver>>,
    server: Option<RunningServer>,
    admin: Option<AdminClient>,
    base_url: String,
    http: reqwest::Client,
    /// Settings the client starts with; steps before the first event edit them.
    pub(crate) settings: Settings,
    /// Settings fields a step changed, so "left at their defaults" can be checked.
    pub(crate) touched: BTreeSet<&'static str>,
    started: bool,
    /// Seconds of virtual time since [`CLOCK_START`].
    pub(crate) elapsed: u64,
    /// The open book's name and the reader's position in it.
    pub(crate) open_book: Option<String>,
    /// Where the reader is (kept after closing, for "the reader stays at").
    pub(crate) position: Option<Position>,
    /// Whether a prompt is showing and not answered yet.
    pub(crate) prompt_open: bool,
    /// Every event sent, in order.
    pub(crate) events: Vec<Event>,
    /// Observed effects, each with the index of the event that caused it.
    pub(crate) effects: Vec<(usize, Effect)>,
    /// The client's requests, in arrival order.
    pub(crate) exchanges: Vec<Exchange>,
    /// Journal entries already looked at (the client's and the harness's).
    journal_seen: usize,
    pub(crate) queue: QueueCounts,
    /// The queue summary the client last reported (C-Q-4), if any.
    pub(crate) summary: Option<String>,
    /// Where the current `When` block's outcome starts.
    pub(crate) mark_effects: usize,
    pub(crate) mark_exchanges: usize,
    block: Block,
    /// Things the harness did (seeding, faults), for the transcript.
    pub(crate) notes: Vec<(usize, String)>,
    /// What the client declared it can do.
    capabilities: Capabilities,
    /// Checks a Then step could not make: the client does not keep what they read.
    unchecked: BTreeSet<Capability>,
    /// The same, as data, for replaying the scenario on the reference.
    script: Vec<(usize, Scripted)>,
    /// Where the current `When` block's events start.
    mark_events: usize,
    /// The profile the client claims (the reference plays it in replays).
    profile: Profile,
    /// Whether the current block's virtual time has run out (see [`ClientWorld::then`]).
    settled: bool,
    /// The step being run, as written.
    current_step: String,
    /// Checks that failed without stopping the scenario: (step, expected, actual).
    soft: Vec<(String, String, String)>,
}

impl fmt::Debug for ClientWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientWorld")
            .field("base_url", &self.base_url)
            .field("settings", &self.settings)
            .field("elapsed", &self.elapsed)
            .field("open_book", &self.open_book)
            .field("position", &self.position)
            .field("queue", &self.queue)
            .field("events", &self.events.len())
            .field("exchanges", &self.exchanges.len())
            .finish_non_exhaustive()
    }
}

pub(crate) use runner::harness_fault;

impl ClientWorld {
    fn new() -> Self {
        ClientWorld {
            meta: None,
            target_args: String::new(),
            make_driver: None,
            driver: None,
            server: None,
            admin: None,
            base_url: String::new(),
            http: reqwest::Client::new(),
            settings: Settings::default(),
            touched: BTreeSet::new(),
            started: false,
            elapsed: 0,
            open_book: None,
            position: None,
            prompt_open: false,
            events: Vec::new(),
            effects: Vec::new(),
            exchanges: Vec::new(),
            journal_seen: 0,
            queue: QueueCounts::default(),
            summary: None,
            mark_effects: 0,
            mark_exchanges: 0,
            block: Block::Given,
            notes: Vec::new(),
            capabilities: Capabilities::all(),
            unchecked: BTreeSet::new(),
            script: Vec::new(),
            mark_events: 0,
            profile: Profile::default(),
            settled: false,
            current_step: String::new(),
            soft: Vec::new(),
        }
    }

    /// Stop the scenario as not applicable unless the client has `capability`:
    /// for what the scenario must do (an event, a setting), so nothing the
    /// client lacks is ever sent to it.
    pub(crate) fn require(&self, capability: Capability) {
        if !self.capabilities.has(capability) {
            runner::not_applicable(not_applicable_reason(capability));
        }
    }

    /// Whether a check reading `capability` can be made. When it cannot, the
    /// check is left out and noted, the scenario goes on (its other checks
    /// still count), and it ends not applicable unless another check failed.
    pub(crate) fn can_check(&mut self, capability: Capability) -> bool {
        if self.capabilities.has(capability) {
            return true;
        }
        self.unchecked.insert(capability);
        false
    }

    /// Note which kind of step is running; the first `When` after a `Given` or
    /// `Then` marks where the outcome the next `Then`s look at begins.
    pub(crate) fn enter(&mut self, step: &cucumber::gherkin::Step) {
        use cucumber::gherkin::StepType;
        self.current_step = format!("{}{}", step.keyword, step.value);
        let block = match step.ty {
            StepType::Given => Block::Given,
            StepType::When => Block::When,
            StepType::Then => Block::Then,
        };
        if block == Block::When && self.block != Block::When {
            self.mark_effects = self.effects.len();
            self.mark_exchanges = self.exchanges.len();
            self.mark_events = self.events.len();
            self.settled = false;
        }
        self.block = block;
    }

    /// The fake server's admin client (present once `prepare` ran).
    fn admin(&self) -> &AdminClient {
        match &self.admin {
            Some(admin) => admin,
            None => harness_fault("the scenario's fake server was not started"),
        }
    }

    /// The server's dialect: the client profiles of the features talk BookLore.
    pub(crate) fn dialect(&self) -> Dialect {
        Dialect::BookLore
    }

    /// The document hash of book `name`, or a feature-text error.
    pub(crate) fn hash_of(&self, name: &str) -> String {
        match book_hash(name) {
            Some(hash) => hash,
            None => harness_fault(format!(
                "the features know books {}, not {name:?}",
                BOOK_NAMES.join(", ")
            )),
        }
    }

    /// The identity the client is started with.
    pub(crate) fn identity(&self) -> ClientIdentity {
        ClientIdentity {
            base_url: self.base_url.clone(),
            user: READER_USER.to_string(),
            password: READER_PASSWORD.to_string(),
            device: "kosync-contract reader".to_string(),
            device_id: "A1B2C3D4E5F60718293A4B5C6D7E8F90".to_string(),
            clock_start: CLOCK_START,
        }
    }

    /// Whether the client declared `capability` (the steps that adapt to the
    /// client use it; a step that needs one uses [`ClientWorld::require`]).
    pub(crate) fn has(&self, capability: Capability) -> bool {
        self.capabilities.has(capability)
    }

    /// Change a setting: before the client started, in its start settings;
    /// afterwards, as a [`Event::SettingsChanged`]. Returns what was observed.
    pub(crate) async fn change_settings(&mut self, patch: SettingsPatch, fields: &[&'static str]) {
        if let Ok(serde_json::Value::Object(set)) = serde_json::to_value(&patch) {
            for (field, value) in &set {
                if let Some(capability) = Capabilities::for_setting(field, value) {
                    self.require(capability);
                }
            }
        }
        self.touched.extend(fields.iter().copied());
        if !self.started {
            apply_patch(&mut self.settings, &patch);
            return;
        }
        self.send(Event::SettingsChanged { patch }).await;
    }

    /// Start the client if it has not been yet.
    async fn ensure_started(&mut self) {
        if self.started {
            return;
        }
        let identity = self.identity();
        // Settings the client lacks go out at what their absence amounts to,
        // so the client is told what it runs.
        let settings = self.capabilities.settings_as_run(&self.settings);
        let Some(driver) = self.driver.as_mut() else {
            harness_fault("no client driver for this scenario");
        };
        let declared = match driver.start(&identity, &settings).await {
            Ok(declared) => declared,
            Err(err) => harness_fault(format!("the client could not be started: {err}")),
        };
        if declared != self.capabilities {
            harness_fault(format!(
                "the client declared other capabilities in this session ({}) than when it \
                 was first started ({}): a client must declare the same every time",
                declared.list(),
                self.capabilities.list()
            ));
        }
        self.started = true;
    }

    /// Deliver one event to the client, then collect what it showed and what
    /// it sent. Steps call this for every event; it is the only way in.
    pub(crate) async fn send(&mut self, event: Event) {
        if let Some(capability) = Capability::for_event(&event) {
            self.require(capability);
        }
        self.ensure_started().await;
        let index = self.events.len();
        self.events.push(event.clone());
        let Some(driver) = self.driver.as_mut() else {
            harness_fault("no client driver for this scenario");
        };
        let observation = match driver.send(&event).await {
            Ok(observation) => observation,
            Err(err) => harness_fault(format!(
                "the client failed while handling {}: {err}",
                event_name(&event)
            )),
        };
        for effect in observation.effects {
            match &effect {
                Effect::PromptShown { .. } => self.prompt_open = true,
                Effect::PositionApplied { position, .. } => {
                    self.position = Some(position.clone());
                }
                _ => {}
            }
            self.effects.push((index, effect));
        }
        self.queue = observation.queue;
        self.summary = observation.summary;
        self.collect_journal(index).await;
    }

    /// Read the journal entries that arrived since the last look and keep the
    /// client's, attributed to event `index`.
    async fn collect_journal(&mut self, index: usize) {
        let journal = match self.admin().journal().await {
            Ok(journal) => journal,
            Err(err) => harness_fault(format!("cannot read the fake server's journal: {err:#}")),
        };
        if journal.len() < self.journal_seen {
            harness_fault("the fake server's journal shrank (was it reset, or over its limit?)");
        }
        for entry in journal.into_iter().skip(self.journal_seen) {
            self.journal_seen += 1;
            if entry.headers.contains_key(HARNESS_HEADER) {
                continue;
            }
            self.exchanges.push(Exchange {
                event: index,
                elapsed: self.elapsed,
                entry,
            });
        }
    }

    fn note(&mut self, text: String) {
        self.notes.push((self.events.len(), text));
    }

    /// The client's requests since the current `When` block began.
    pub(crate) fn exchanges_since_mark(&self) -> &[Exchange] {
        &self.exchanges[self.mark_exchanges.min(self.exchanges.len())..]
    }

    /// The effects seen since the current `When` block began.
    pub(crate) fn effects_since_mark(&self) -> impl Iterator<Item = &Effect> {
        self.effects[self.mark_effects.min(self.effects.len())..]
            .iter()
            .map(|(_, e)| e)
    }
}

/// Apply a patch to settings the way a client applies a settings change,
/// for settings given before the client starts. Invalid values are refused
/// here too, so a feature cannot start a client with them.
fn apply_patch(settings: &mut Settings, patch: &SettingsPatch) {
    if let Some(v) = patch.apply_all_but_pages(settings) {
        match valid_pages_per_sync(v) {
            Ok(n) => settings.pages_per_sync = n,
            Err(reason) => harness_fault(format!(
                "a client cannot start with \"Periodically sync every # pages\" = {v} ({reason}); \
                 change it with a When step to check that it is refused"
            )),
        }
    }
}

/// A short name of an event for messages.
pub(crate) fn event_name(event: &Event) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_else(|| "an event".to_string())
}

/// `GET /api/koreader/syncs/progress/… → 404` for the transcript.
pub(crate) fn describe_entry(entry: &JournalEntry) -> String {
    let body = if entry.body.is_null() {
        String::new()
    } else {
        format!(" {}", entry.body)
    };
    let status = if entry.status == 0 {
        "dropped".to_string()
    } else {
        entry.status.to_string()
    };
    format!("{} {}{body} → {status}", entry.method, entry.path)
}

impl ContractWorld for ClientWorld {
    type Context = ClientContext;

    fn deferred_failures(&mut self) -> Option<DeferredFailures> {
        checks::deferred(&mut self.soft)
    }

    fn applicability(ctx: &ClientContext, meta: &ScenarioMeta) -> Applicability {
        let claimed: Vec<&str> = profile_names()
            .into_iter()
            .filter(|p| meta.has_tag(p))
            .collect();
        if !claimed.is_empty() && !claimed.contains(&ctx.profile.as_str()) {
            return Applicability::Exclude;
        }
        // `@needs-<capability>`: what the steps alone do not show. A tag
        // naming no capability is caught in `prepare`.
        for tag in &meta.tags {
            let Some(name) = tag.strip_prefix(NEEDS_TAG) else {
                continue;
            };
            match Capability::named(&name.replace('-', "_")) {
                Some(c) if !ctx.capabilities.has(c) => {
                    return Applicability::NotApplicable(not_applicable_reason(c))
                }
                _ => {}
            }
        }
        Applicability::Run
    }

    fn prepare<'a>(
        &'a mut self,
        ctx: &'a ClientContext,
        meta: &'a ScenarioMeta,
    ) -> LocalBoxFuture<'a, anyhow::Result<()>> {
        async move {
            for tag in &meta.tags {
                if let Some(name) = tag.strip_prefix(NEEDS_TAG) {
                    if Capability::named(&name.replace('-', "_")).is_none() {
                        anyhow::bail!(
                            "@{tag} names no capability (known: {})",
                            Capabilities::all().list().replace('_', "-")
                        );
                    }
                }
            }
            self.capabilities = ctx.capabilities;
            self.meta = Some(meta.clone());
            self.target_args = ctx.target_args.clone();
            self.profile = profile_named(&ctx.profile).unwrap_or_default();
            // A fresh install of the claimed client: its own defaults.
            self.settings = self.profile.default_settings();
            self.make_driver = Some(Arc::clone(&ctx.drivers));
            let mut config = ServerConfig::new(Dialect::BookLore);
            config.users = vec![UserSpec::with_password(READER_USER, READER_PASSWORD)];
            config.books = server::BookPolicy::AnyDocument;
            let running = server::start(config).await?;
            self.base_url = running.base_url();
            let admin = running.admin();
            admin.set_clock(CLOCK_START).await?;
            self.admin = Some(admin);
            self.server = Some(running);
            let driver = (ctx.drivers)().map_err(|e| anyhow::anyhow!("{e}"))?;
            self.driver = Some(driver);
            Ok(())
        }
        .boxed_local()
    }

    fn finish(&mut self) -> LocalBoxFuture<'_, ()> {
        async move {
            if let Some(mut driver) = self.driver.take() {
                if self.started {
                    // A client that fails to stop has already been judged by its steps.
                    let _ = driver.stop().await;
                }
            }
            if let Some(server) = self.server.take() {
                server.shutdown().await;
            }
        }
        .boxed_local()
    }

    fn not_applicable(&self) -> Option<String> {
        if self.unchecked.is_empty() {
            return None;
        }
        let reasons: Vec<String> = self
            .unchecked
            .iter()
            .map(|c| not_applicable_reason(*c))
            .collect();
        Some(reasons.join("; "))
    }

    fn reproduce(&self) -> Option<String> {
        self.reproduction()
    }

    fn transcript(&self) -> Vec<String> {
        self.transcript_lines()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol;

    #[test]
    fn books_have_distinct_well_formed_hashes() {
        let hashes: BTreeSet<String> = BOOK_NAMES.iter().filter_map(|b| book_hash(b)).collect();
        assert_eq!(hashes.len(), BOOK_NAMES.len());
        assert!(hashes.iter().all(|h| protocol::is_document_hash(h)));
        assert_eq!(book_hash("A"), book_hash("A"));
        assert_eq!(book_hash("Z"), None);
    }

    #[test]
    fn the_default_profile_is_the_models_default() {
        assert_eq!(DEFAULT_PROFILE, Profile::default().name());
        assert_eq!(profile_named(DEFAULT_PROFILE), Some(Profile::default()));
        assert_eq!(profile_named("kindle"), None);
    }

    #[test]
    fn start_settings_take_a_patch_field_by_field() {
        let mut settings = Settings::default();
        apply_patch(
            &mut settings,
            &SettingsPatch {
                enabled: Some(true),
                pages_per_sync: Some(3),
                ..SettingsPatch::default()
            },
        );
        assert!(settings.enabled);
        assert_eq!(settings.pages_per_sync, 3);
        assert_eq!(settings.newer_strategy, Settings::default().newer_strategy);
    }

    #[test]
    fn the_reader_password_is_not_its_key() {
        // C-WIRE-4 checks look for the password on the wire; the key must not contain it.
        assert!(!protocol::key_for_password(READER_PASSWORD).contains(READER_PASSWORD));
    }
}
