//! The subprocess driver against defective adapters: each must end in a clear
//! `DriverError::Adapter` (quoting stderr where there is some), never a hang.

use std::time::{Duration, Instant};

use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver};
use kosync_contract::adapter::{ClientDriver, ClientIdentity, DriverError};
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

async fn start_error(cmd: &str, timeout_ms: u64) -> (String, Vec<String>) {
    let mut d = driver(cmd, timeout_ms);
    match d.start(&identity(), &Settings::default()).await {
        Err(DriverError::Adapter {
            message,
            stderr_tail,
        }) => (message, stderr_tail),
        Err(other) => panic!("expected an adapter error, got {other}"),
        Ok(()) => panic!("a defective adapter was accepted"),
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
    let (message, tail) = start_error(&fixture("silent.sh"), 300).await;
    assert!(message.contains("silent for 300 ms"), "{message}");
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
    let mut d = driver(&fixture("ready_then_exit.sh"), 5_000);
    d.start(&identity(), &Settings::default())
        .await
        .expect("init is answered");
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
