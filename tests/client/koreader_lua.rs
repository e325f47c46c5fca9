//! The KOReader-style Lua example client (`fixtures/adapters/koreader`) over
//! the subprocess driver against the fake server: it speaks protocol 2 with
//! the capabilities it has, and each of KOReader's three real defects, switched
//! on as a mutant, does what the field saw — a lost update, a stale overwrite,
//! a stranded queue — where the correct client keeps the reader's progress.
//! (That the contract names the rule each breaks is `detect_client_lua`'s job.)

use std::time::Duration;

use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver};
use kosync_contract::adapter::{Capabilities, Capability, ClientDriver};
use kosync_contract::model::{Event, Settings};
use kosync_contract::protocol::{self, Dialect};
use kosync_contract::server::{self, BookPolicy, Fault, RunningServer, ServerConfig, UserSpec};

use crate::support::lua::{koreader_command_line, require_luajit};
use crate::support::{enabled, identity, open, turn, wait, A, CLOCK_START, PASSWORD, USER};

fn command(mutant: &str) -> AdapterCommand {
    AdapterCommand::parse(&koreader_command_line(mutant)).expect("the command line parses")
}

async fn server() -> RunningServer {
    let mut config = ServerConfig::new(Dialect::BookLore);
    config.users.push(UserSpec::with_password(USER, PASSWORD));
    config.books = BookPolicy::AnyDocument;
    let server = server::start(config).await.expect("fake server starts");
    server.admin().set_clock(CLOCK_START).await.expect("clock");
    server
}

/// What the server holds for book A: its percentage, or `None` (404).
async fn held(server: &RunningServer) -> Option<f64> {
    let url = format!("{}{}", server.base_url(), Dialect::BookLore.pull_path(A));
    let answer = reqwest::Client::new()
        .get(url)
        .header(protocol::HEADER_AUTH_USER, USER)
        .header(
            protocol::HEADER_AUTH_KEY,
            protocol::key_for_password(PASSWORD),
        )
        .send()
        .await
        .expect("the server answers");
    if answer.status() != 200 {
        return None;
    }
    let body: serde_json::Value = answer.json().await.expect("json");
    body["percentage"].as_f64()
}

async fn fail_next_pushes(server: &RunningServer, times: u32) {
    let fault = Fault {
        method: Some("PUT".to_string()),
        status: Some(500),
        times: Some(times),
        ..Fault::default()
    };
    server.admin().add_fault(&fault).await.expect("fault");
}

/// Play `events`, returning the pending count after the last one.
async fn play(driver: &mut SubprocessDriver, events: Vec<Event>) -> usize {
    let mut pending = 0;
    for event in events {
        let seen = driver
            .send(&event)
            .await
            .unwrap_or_else(|e| panic!("{event:?}: {e}"));
        pending = seen.queue.pending;
    }
    pending
}

async fn start(mutant: &str, server: &RunningServer) -> SubprocessDriver {
    let mut driver = SubprocessDriver::new(command(mutant), Duration::from_secs(20));
    driver
        .start(&identity(&server.base_url()), &enabled())
        .await
        .expect("the adapter starts");
    driver
}

#[tokio::test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
async fn it_declares_what_koreader_has_and_nothing_else() {
    require_luajit();
    let server = server().await;
    let mut driver = SubprocessDriver::new(command(""), Duration::from_secs(20));
    let declared = driver
        .start(&identity(&server.base_url()), &Settings::default())
        .await
        .expect("the adapter starts");
    assert_eq!(
        declared,
        Capabilities::of(&[
            Capability::PendingCount,
            Capability::PeriodicPushes,
            Capability::PushNow,
            Capability::PullNow,
            Capability::SignIn,
        ])
    );
    // The harness never sends it what it lacks.
    assert!(driver.send(&Event::SyncPendingNow).await.is_err());
    driver.stop().await.expect("bye");
}

/// A push fails; its resend when Wi-Fi comes back fails too.
fn resend_fails_twice() -> Vec<Event> {
    vec![
        Event::WifiConnected,
        open(A, 10),
        turn(30),
        Event::BookClosed, // this push fails: queued
        Event::WifiLost,
        Event::WifiConnected, // this resend fails too
        wait(60),
        Event::WifiLost,
        Event::WifiConnected, // the server works again
        wait(60),
    ]
}

#[tokio::test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
async fn a_resend_that_fails_stays_queued_but_the_mutant_loses_it() {
    require_luajit();
    for (mutant, expected) in [("", Some(0.30)), ("resend_failure_dropped", None)] {
        let server = server().await;
        fail_next_pushes(&server, 2).await;
        let mut driver = start(mutant, &server).await;
        play(&mut driver, resend_fails_twice()).await;
        driver.stop().await.expect("bye");
        assert_eq!(held(&server).await, expected, "mutant {mutant:?}");
    }
}

#[tokio::test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
async fn a_stale_queued_snapshot_never_overwrites_a_newer_position_but_the_mutant_does() {
    require_luajit();
    for (mutant, expected) in [("", Some(0.50)), ("stale_queue_overwrites", Some(0.20))] {
        let server = server().await;
        let mut driver = start(mutant, &server).await;
        play(
            &mut driver,
            vec![Event::WifiConnected, open(A, 10), turn(20)],
        )
        .await;
        fail_next_pushes(&server, 1).await;
        let pending = play(
            &mut driver,
            vec![
                Event::Suspend, // 20 % fails: queued
                Event::Resume,
                wait(60),
                Event::WifiLost,
                turn(50), // the reader moves on offline
                wait(5),
                Event::WifiConnected, // the queue goes out
            ],
        )
        .await;
        assert_eq!(pending, 0, "mutant {mutant:?}");
        assert_eq!(held(&server).await, expected, "mutant {mutant:?}");
        driver.stop().await.expect("bye");
    }
}

#[tokio::test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
async fn a_snapshot_queued_with_no_book_open_goes_out_but_the_mutant_strands_it() {
    require_luajit();
    for (mutant, expected, left) in [("", Some(0.30), 0), ("queue_needs_open_book", None, 1)] {
        let server = server().await;
        let mut driver = start(mutant, &server).await;
        let pending = play(
            &mut driver,
            vec![
                Event::WifiConnected,
                open(A, 10),
                wait(30),
                Event::WifiLost,
                turn(30),
                Event::BookClosed, // offline: queued, no attempt
                wait(60),
                Event::WifiConnected, // no book open now
                wait(60),
            ],
        )
        .await;
        assert_eq!(pending, left, "mutant {mutant:?}");
        assert_eq!(held(&server).await, expected, "mutant {mutant:?}");
        driver.stop().await.expect("bye");
    }
}
