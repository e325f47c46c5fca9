//! The subprocess driver against defective adapters: each must end in a clear
//! `DriverError::Adapter` (quoting stderr where there is some), never a hang.

use std::time::{Duration, Instant};

use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver, Timeouts};
use kosync_contract::adapter::{
    Capabilities, Capability, ClientDriver, ClientIdentity, DriverError,
};
use kosync_contract::model::{Event, Settings};

fn fixture(name: &str) -> String {
    format!(
        "sh {}/fixtures/adapters/broken/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn identity() -> ClientIdentity {
    ClientIdentity {
        base_url: "http://127.0.0.1:9".into(),
        user: "reader".into(),
        password: "secret".into(),
        device: "test".into(),
        device_id: "0123456789ABCDEF0123456789ABCDEF".into(),
        clock_start: 1_700_000_000,
    }
}

fn driver(cmd: &str, timeout_ms: u64) -> SubprocessDriver {
    SubprocessDriver::new(
        AdapterCommand::parse(cmd).expect("fixture command parses"),
        Duration::from_millis(timeout_ms),
    )
}

/// The broken adapter `name` started (its init answered), and what it declared.
async fn started(name: &str) -> (SubprocessDriver, Capabilities) {
    let mut d = driver(&fixture(name), 5_000);
    let declared = d
        .start(&identity(), &Settings::default())
        .await
        .expect("init is answered");
    (d, declared)
}

async fn start_error(cmd: &str, timeout_ms: u64) -> (String, Vec<String>) {
    let mut d = driver(cmd, timeout_ms);
    match d.start(&identity(), &Settings::default()).await {
        Err(DriverError::Adapter {
            message,
            stderr_tail,
        }) => (message, stderr_tail),
        Err(other) => panic!("expected an adapter error, got {other}"),
        Ok(_) => panic!("a defective adapter was accepted"),
    }
}

#[tokio::test]
async fn a_crashing_adapter_is_reported_with_its_stderr_and_exit_status() {
    let (message, tail) = start_error(&fixture("crash.sh"), 5_000).await;
    assert!(message.contains("closed its stdout"), "{message}");
    assert!(message.contains("exit status: 3"), "{message}");
    assert_eq!(tail.len(), 2, "{tail:?}");
    assert!(tail[1].contains("attempt to index a nil value"), "{tail:?}");
}

#[tokio::test]
async fn a_silent_adapter_times_out_instead_of_hanging() {
    let started = Instant::now();
    let mut d = SubprocessDriver::new(
        AdapterCommand::parse(&fixture("silent.sh")).expect("parses"),
        Timeouts {
            message: Duration::from_millis(300),
            startup: Duration::from_millis(300),
        },
    );
    let (message, tail) = match d.start(&identity(), &Settings::default()).await {
        Err(DriverError::Adapter {
            message,
            stderr_tail,
        }) => (message, stderr_tail),
        other => panic!("expected an adapter error, got {other:?}"),
    };
    assert!(message.contains("silent for 300 ms"), "{message}");
    assert!(
        message.contains("--adapter-startup-timeout-ms"),
        "{message}"
    );
    assert!(message.contains("init"), "{message}");
    assert!(
        tail.iter().any(|l| l.contains("thinking about it")),
        "{tail:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn stdout_logging_is_a_protocol_error_quoting_the_line() {
    let (message, _) = start_error(&fixture("garbage.sh"), 5_000).await;
    assert!(message.contains("not a protocol message"), "{message}");
    assert!(message.contains("starting up, hello!"), "{message}");
}

#[tokio::test]
async fn a_reply_to_the_wrong_message_is_out_of_order() {
    let (message, _) = start_error(&fixture("out_of_order.sh"), 5_000).await;
    assert!(message.contains("out-of-order"), "{message}");
    assert!(message.contains("in_reply_to 42"), "{message}");
}

#[tokio::test]
async fn an_adapter_dying_mid_session_fails_that_event_and_every_later_one() {
    let (mut d, _) = started("ready_then_exit.sh").await;
    let err = d
        .send(&Event::WifiConnected)
        .await
        .expect_err("the adapter exited");
    let text = err.to_string();
    assert!(text.contains("wifi_connected"), "{text}");
    assert!(text.contains("segmentation fault"), "{text}");
    assert!(matches!(
        d.send(&Event::Resume).await,
        Err(DriverError::Harness(_))
    ));
}

#[tokio::test]
async fn a_missing_program_is_an_adapter_error_naming_it() {
    let (message, _) = start_error("no-such-adapter-program --flag", 5_000).await;
    assert!(message.contains("no-such-adapter-program"), "{message}");
}

#[tokio::test]
async fn protocol_2_without_capabilities_is_refused_with_the_fix() {
    let (message, _) = start_error(&fixture("v2_without_capabilities.sh"), 5_000).await;
    assert!(message.contains("no `capabilities`"), "{message}");
}

#[tokio::test]
async fn an_unknown_capability_is_refused_naming_it() {
    let (message, _) = start_error(&fixture("v2_unknown_capability.sh"), 5_000).await;
    assert!(message.contains("ratings"), "{message}");
    assert!(
        message.contains("rating"),
        "the known names are listed: {message}"
    );
}

#[tokio::test]
async fn capabilities_under_protocol_1_are_refused() {
    let (message, _) = start_error(&fixture("v1_with_capabilities.sh"), 5_000).await;
    assert!(message.contains("protocol 2"), "{message}");
}

#[tokio::test]
async fn a_declared_count_must_come_with_a_queue() {
    let (mut d, _) = started("v2_no_queue_with_counts.sh").await;
    let err = d
        .send(&Event::WifiConnected)
        .await
        .expect_err("no queue")
        .to_string();
    assert!(err.contains("no `queue`"), "{err}");
    assert!(err.contains("pending_count"), "{err}");
}

#[tokio::test]
async fn start_up_has_its_own_allowance_longer_than_a_message() {
    // 100 ms per message, but start-up may take longer: the adapter answers
    // init after 300 ms and is then quick.
    let command = AdapterCommand::parse(&fixture("slow_start.sh")).expect("parses");
    let mut d = SubprocessDriver::new(
        command.clone(),
        Timeouts {
            message: Duration::from_millis(100),
            startup: Duration::from_secs(20),
        },
    );
    let declared = d
        .start(&identity(), &Settings::default())
        .await
        .expect("a slow start within the start-up allowance is fine");
    assert_eq!(declared, Capabilities::of(&[]));
    let seen = d.send(&Event::WifiConnected).await.expect("answered");
    assert_eq!(
        seen.queue,
        Default::default(),
        "a client keeping no counts may omit `queue`"
    );
    d.stop().await.expect("bye");
    // The same adapter with a start-up allowance shorter than its start is cut off.
    let mut short = SubprocessDriver::new(
        command,
        Timeouts {
            message: Duration::from_millis(100),
            startup: Duration::from_millis(100),
        },
    );
    let err = short
        .start(&identity(), &Settings::default())
        .await
        .expect_err("too slow")
        .to_string();
    assert!(
        err.contains("silent for 100 ms after message 1 (init)"),
        "{err}"
    );
}

#[tokio::test]
async fn an_event_the_client_does_not_declare_is_never_sent() {
    let (mut d, declared) = started("refuses_unknown.sh").await;
    assert!(!declared.has(Capability::Rating));
    for event in [
        Event::RatingSubmitted { stars: 4 },
        Event::SyncPendingNow,
        Event::PushNow,
        Event::PullNow,
        Event::SignIn,
    ] {
        match d.send(&event).await {
            Err(DriverError::Harness(message)) => {
                assert!(message.contains("does not declare"), "{message}")
            }
            other => panic!("{event:?}: expected a harness error, got {other:?}"),
        }
    }
    // The session goes on: the adapter never saw those events (it would have
    // answered `error`, which ends the session).
    d.send(&Event::WifiOff).await.expect("wifi_off is answered");
    d.stop().await.expect("bye");
}
