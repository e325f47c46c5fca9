//! Shared helpers for the model's tests: a client and a stand-in server set
//! up the same way everywhere, and the reader's events in short words.
#![allow(dead_code)]

pub mod lua;
#[path = "../../common/ports.rs"]
mod ports;
pub mod report;
pub use ports::refusing_port;

use kosync_contract::adapter::ClientIdentity;
use kosync_contract::model::sim::{Exchange, SimServer};
use kosync_contract::model::{
    model_client, Client, ClientConfig, ClientModel, ConflictStrategy, Effect, Event, Mutant,
    Position, Profile, QueueCounts, Settings, SettingsPatch,
};
use kosync_contract::protocol::Dialect;

pub const A: &str = "0123456789abcdef0123456789abcdef";
pub const B: &str = "fedcba9876543210fedcba9876543210";
pub const USER: &str = "reader";
pub const PASSWORD: &str = "secret";
pub const CLOCK_START: i64 = 1_700_000_000;

pub fn config() -> ClientConfig {
    ClientConfig::new(
        Dialect::BookLore,
        USER,
        PASSWORD,
        "Kobo",
        "DEV1",
        CLOCK_START,
    )
}

/// Who the client is when a driver runs it against a server at `base_url`:
/// the same user, password, device and clock as [`config`].
pub fn identity(base_url: &str) -> ClientIdentity {
    ClientIdentity {
        base_url: base_url.to_string(),
        user: USER.to_string(),
        password: PASSWORD.to_string(),
        device: "Kobo".to_string(),
        device_id: "DEV1".to_string(),
        clock_start: CLOCK_START,
    }
}

/// Settings with sync enabled and every other value at its default.
pub fn enabled() -> Settings {
    Settings {
        enabled: true,
        ..Settings::default()
    }
}

/// The reference client, for tests that read its state.
pub fn reference(settings: Settings) -> Client {
    Client::new(config(), settings, Profile::BookLorePlugin)
}

/// The reference client, or a mutant of it.
pub fn client(settings: Settings, mutant: Option<Mutant>) -> Box<dyn ClientModel> {
    model_client(
        config(),
        settings,
        Profile::BookLorePlugin,
        mutant,
        PASSWORD,
    )
}

pub fn server() -> SimServer {
    SimServer::new(Dialect::BookLore, USER, &config().key, CLOCK_START)
}

/// Position at `percent` % of a 100-page book (marker = page number).
pub fn at(percent: u32) -> Position {
    Position::at_page(percent, 100)
}

pub fn open(document: &str, percent: u32) -> Event {
    Event::BookOpened {
        document: document.to_string(),
        position: at(percent),
    }
}

pub fn turn(percent: u32) -> Event {
    Event::PageTurned {
        position: at(percent),
    }
}

pub fn wait(seconds: u64) -> Event {
    Event::TimePassed { seconds }
}

pub fn patch(f: impl FnOnce(&mut SettingsPatch)) -> Event {
    let mut patch = SettingsPatch::default();
    f(&mut patch);
    Event::SettingsChanged { patch }
}

pub fn answer(accept: bool) -> Event {
    Event::PromptAnswered { accept }
}

/// Everything observable about one played sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub effects: Vec<Effect>,
    /// What each single `handle` call returned, in order.
    pub batches: Vec<Vec<Effect>>,
    pub journal: Vec<Exchange>,
    pub queue: QueueCounts,
    pub summary: String,
    pub position: Option<Position>,
}

impl Trace {
    pub fn requests(&self, method: &str) -> usize {
        self.journal
            .iter()
            .filter(|e| e.request.method == method)
            .count()
    }
    pub fn pulls(&self) -> usize {
        self.requests("GET")
    }
    pub fn pushes(&self) -> usize {
        self.requests("PUT")
    }
    pub fn prompts(&self) -> usize {
        self.effects
            .iter()
            .filter(|e| matches!(e, Effect::PromptShown { .. }))
            .count()
    }
    pub fn applied(&self) -> Vec<Position> {
        self.effects
            .iter()
            .filter_map(|e| match e {
                Effect::PositionApplied { position, .. } => Some(position.clone()),
                _ => None,
            })
            .collect()
    }
    /// Bodies of the pushes the server saw, in order.
    pub fn pushed(&self) -> Vec<serde_json::Value> {
        self.journal
            .iter()
            .filter_map(|e| e.request.body.clone())
            .collect()
    }
}

/// Play `events` against a fresh client and a stand-in server that `setup` prepared.
pub fn play(
    settings: Settings,
    mutant: Option<Mutant>,
    setup: impl FnOnce(&mut SimServer),
    events: impl IntoIterator<Item = Event>,
) -> Trace {
    play_profile(Profile::BookLorePlugin, settings, mutant, setup, events)
}

/// [`play`] with a client of `profile` (a mutant brings its own profile).
pub fn play_profile(
    profile: Profile,
    settings: Settings,
    mutant: Option<Mutant>,
    setup: impl FnOnce(&mut SimServer),
    events: impl IntoIterator<Item = Event>,
) -> Trace {
    let mut client = model_client(config(), settings, profile, mutant, PASSWORD);
    let mut server = server();
    setup(&mut server);
    let mut batches = Vec::new();
    for event in events {
        if let Event::TimePassed { seconds } = &event {
            server.clock += *seconds as i64;
        }
        let mut todo = std::collections::VecDeque::new();
        let mut batch = client.handle(event);
        loop {
            todo.extend(batch.iter().filter_map(|e| match e {
                Effect::Http(r) => Some(r.clone()),
                _ => None,
            }));
            batches.push(batch);
            let Some(request) = todo.pop_front() else {
                break;
            };
            assert!(batches.len() < 10_000, "runaway model");
            let outcome = server.answer(&request);
            batch = client.handle(Event::HttpCompleted {
                id: request.id,
                outcome,
            });
        }
    }
    Trace {
        effects: batches.concat(),
        batches,
        journal: server.journal,
        queue: client.queue(),
        summary: client.queue_summary(),
        position: client.position().map(|(_, p)| p.clone()),
    }
}

/// Play `events` against a correct client and a stand-in server holding nothing.
pub fn play_on_empty_server(settings: Settings, events: impl IntoIterator<Item = Event>) -> Trace {
    play(settings, None, |_| {}, events)
}

pub fn strategies(newer: ConflictStrategy, older: ConflictStrategy) -> Settings {
    Settings {
        newer_strategy: newer,
        older_strategy: older,
        ..enabled()
    }
}
