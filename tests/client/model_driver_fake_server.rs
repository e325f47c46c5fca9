//! The model driver against the crate's own fake server: two devices of one
//! reader hand progress to each other through BookLore's dialect, as the
//! client features will run them.

use kosync_contract::adapter::model_driver::ModelDriver;
use kosync_contract::adapter::{ClientDriver, ClientIdentity};
use kosync_contract::model::{Direction, Effect, Event, Position, QueueCounts, Settings};
use kosync_contract::protocol::Dialect;
use kosync_contract::server::{self, ServerConfig, UserSpec};

const A: &str = "0123456789abcdef0123456789abcdef";

fn identity(base_url: &str, device: &str) -> ClientIdentity {
    ClientIdentity {
        base_url: base_url.to_string(),
        user: "reader".to_string(),
        password: "secret".to_string(),
        device: device.to_string(),
        device_id: device.to_uppercase(),
        clock_start: 1_700_000_000,
    }
}

#[tokio::test]
async fn progress_read_on_one_device_is_offered_on_the_other() {
    let mut config = ServerConfig::new(Dialect::BookLore);
    config
        .users
        .push(UserSpec::with_password("reader", "secret"));
    let server = server::start(config).await.expect("fake server starts");
    let base = server.base_url();
    let settings = Settings {
        enabled: true,
        pages_per_sync: 1,
        ..Settings::default()
    };

    let mut kobo = ModelDriver::new();
    kobo.start(&identity(&base, "kobo"), &settings)
        .await
        .expect("start");
    kobo.send(&Event::WifiConnected).await.expect("wifi");
    let opened = Event::BookOpened {
        document: A.to_string(),
        position: Position::at_page(5, 100),
    };
    let obs = kobo.send(&opened).await.expect("open");
    assert!(
        obs.effects.is_empty(),
        "404 for a new book is quiet: {:?}",
        obs.effects
    );
    let obs = kobo
        .send(&Event::PageTurned {
            position: Position::at_page(6, 100),
        })
        .await
        .expect("turn");
    assert_eq!(obs.queue.pending, 1, "debounced page upload stays queued");
    let obs = kobo
        .send(&Event::TimePassed { seconds: 30 })
        .await
        .expect("time");
    assert!(obs.effects.is_empty());
    let obs = kobo
        .send(&Event::PageTurned {
            position: Position::at_page(40, 100),
        })
        .await
        .expect("turn");
    assert_eq!(
        obs.queue,
        QueueCounts {
            pending: 0,
            synced: 3
        }
    );

    let mut phone = ModelDriver::new();
    phone
        .start(&identity(&base, "phone"), &settings)
        .await
        .expect("start");
    phone.send(&Event::WifiConnected).await.expect("wifi");
    let obs = phone.send(&opened).await.expect("open");
    assert_eq!(
        obs.effects,
        vec![Effect::PromptShown {
            document: A.to_string(),
            direction: Direction::Newer,
            proposed: Position::at_page(40, 100),
        }]
    );
    let journal = server.admin().journal().await.expect("journal");
    assert!(
        journal.len() >= 5,
        "pulls and pushes reached the server: {journal:?}"
    );
    server.shutdown().await;
}
