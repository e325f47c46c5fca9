//! `kosync-contract adapter`: the reference model served over the stdio adapter
//! protocol, so the harness's subprocess path is itself tested end to end
//! (`verify-client --adapter 'kosync-contract adapter'`) and plugin authors have
//! a correct adapter to compare theirs with, line by line.
//!
//! [`serve`] works for any [`ClientDriver`]; the command serves the model's
//! driver. Stdout carries only protocol lines; diagnostics go to stderr.

use crate::exit::Outcome;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::adapter::model_driver::ModelDriver;
use crate::adapter::protocol::{
    encode_line, Reply, ReplyBody, Request, RequestBody, MAX_LINE_BYTES, PROTOCOL_VERSIONS,
};
use crate::adapter::{ClientDriver, DriverError};
use crate::model::{Mutant, Profile};
use crate::protocol::Dialect;

/// `kosync-contract adapter`: serve the reference model on stdin/stdout.
#[derive(Debug, clap::Args)]
pub struct AdapterArgs {
    /// Break one rule of the model (a `Mutant` name such as `NoDebounce`), to
    /// see the harness catch it over the subprocess path.
    #[arg(long, hide = true)]
    pub mutant: Option<Mutant>,
    /// The client profile the model plays (and whose capabilities it declares).
    #[arg(long, default_value = "booklore-plugin", value_parser = parse_profile)]
    pub profile: Profile,
}

fn parse_profile(name: &str) -> Result<Profile, String> {
    Profile::ALL
        .iter()
        .copied()
        .find(|p| p.name() == name)
        .ok_or_else(|| {
            let known: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
            format!(
                "unknown profile {name:?}: expected one of {}",
                known.join(", ")
            )
        })
}

/// Run the command; exit 0 after `shutdown` or end of input, 2 on I/O failure.
pub fn run(args: AdapterArgs) -> Outcome {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("kosync-contract adapter: cannot start the runtime: {err}");
            return Outcome::HarnessError;
        }
    };
    let mut driver = ModelDriver::for_profile(args.profile, Dialect::BookLore);
    if let Some(mutant) = args.mutant {
        driver = driver.with_mutant(mutant);
    }
    let served = runtime.block_on(async {
        let stdin = tokio::io::BufReader::new(tokio::io::stdin());
        serve(&mut driver, stdin, tokio::io::stdout()).await
    });
    match served {
        Ok(()) => Outcome::SUCCESS,
        Err(err) => {
            eprintln!("kosync-contract adapter: {err}");
            Outcome::HarnessError
        }
    }
}

/// Why serving stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("reading stdin: {0}")]
    Read(std::io::Error),
    #[error("writing stdout: {0}")]
    Write(std::io::Error),
}

/// Serve `driver` over the protocol: read requests from `input`, write replies
/// to `output`, until `shutdown` or end of input. A malformed request gets an
/// `error` reply and serving goes on; the harness decides what to do with it.
pub async fn serve<R, W>(
    driver: &mut dyn ClientDriver,
    mut input: R,
    mut output: W,
) -> Result<(), ServeError>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut started = false;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = (&mut input)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .await
            .map_err(ServeError::Read)?;
        if n == 0 {
            // The harness went away without `shutdown`: end the session quietly.
            if started {
                let _ = driver.stop().await;
            }
            return Ok(());
        }
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let request: Request = match serde_json::from_str(text) {
            Ok(request) => request,
            Err(err) => {
                let in_reply_to = serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| v.get("id").and_then(serde_json::Value::as_u64))
                    .unwrap_or(0);
                let message = format!("not a protocol request ({err}): {text}");
                write(&mut output, in_reply_to, ReplyBody::Error { message }).await?;
                continue;
            }
        };
        let id = request.id;
        let reply = match request.body {
            RequestBody::Init {
                protocol,
                versions,
                identity,
                settings,
            } => match pick_version(protocol, &versions) {
                Err(message) => ReplyBody::Error { message },
                Ok(version) => match driver.start(&identity, &settings).await {
                    Ok(capabilities) => {
                        started = true;
                        ReplyBody::Ready {
                            protocol: version,
                            client: Some(format!(
                                "kosync-contract reference model {}",
                                env!("CARGO_PKG_VERSION")
                            )),
                            // Protocol 1 has no declaration.
                            capabilities: (version >= 2).then_some(capabilities),
                        }
                    }
                    Err(err) => error_reply(err),
                },
            },
            RequestBody::Shutdown => {
                if started {
                    let _ = driver.stop().await;
                }
                write(&mut output, id, ReplyBody::Bye).await?;
                return Ok(());
            }
            body if !started => ReplyBody::Error {
                message: format!("`{}` before `init`", body.type_name()),
            },
            body => match body.to_event() {
                Some(event) => match driver.send(&event).await {
                    Ok(observation) => ReplyBody::observed(&observation),
                    Err(err) => error_reply(err),
                },
                None => ReplyBody::Error {
                    message: format!("`{}` is not an event", body.type_name()),
                },
            },
        };
        write(&mut output, id, reply).await?;
    }
}

/// The newest version both sides speak: `versions` is what the harness
/// offers (a protocol-1 harness sends none, only `protocol: 1`).
fn pick_version(protocol: u32, versions: &[u32]) -> Result<u32, String> {
    let offered: Vec<u32> = if versions.is_empty() {
        vec![protocol]
    } else {
        versions.to_vec()
    };
    PROTOCOL_VERSIONS
        .iter()
        .rev()
        .copied()
        .find(|v| offered.contains(v))
        .ok_or_else(|| {
            format!(
                "this adapter speaks protocol {PROTOCOL_VERSIONS:?}, the harness offers {offered:?}"
            )
        })
}

fn error_reply(err: DriverError) -> ReplyBody {
    ReplyBody::Error {
        message: err.to_string(),
    }
}

async fn write<W: AsyncWrite + Unpin>(
    output: &mut W,
    in_reply_to: u64,
    body: ReplyBody,
) -> Result<(), ServeError> {
    let line = encode_line(&Reply { in_reply_to, body })
        .map_err(|err| ServeError::Write(std::io::Error::other(err)))?;
    output
        .write_all(line.as_bytes())
        .await
        .map_err(ServeError::Write)?;
    output.flush().await.map_err(ServeError::Write)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::{Capabilities, Capability, ClientIdentity, DriverFuture, Observation};
    use crate::model::{Effect, Event, NoticeLevel, QueueCounts, Settings};
    use tokio::io::BufReader;

    /// Counts events; shows a notice for each so the reply carries an effect.
    #[derive(Default)]
    struct Counting {
        events: usize,
        stopped: bool,
    }

    impl ClientDriver for Counting {
        fn start<'a>(
            &'a mut self,
            _: &'a ClientIdentity,
            _: &'a Settings,
        ) -> DriverFuture<'a, Capabilities> {
            Box::pin(async { Ok(Capabilities::of(&[Capability::Rating])) })
        }
        fn send<'a>(&'a mut self, event: &'a Event) -> DriverFuture<'a, Observation> {
            self.events += 1;
            let text = format!("{event:?}");
            let pending = self.events;
            Box::pin(async move {
                Ok(Observation {
                    effects: vec![Effect::NoticeShown {
                        level: NoticeLevel::Info,
                        text,
                    }],
                    queue: QueueCounts { pending, synced: 0 },
                    summary: Some(format!("{pending}P")),
                })
            })
        }
        fn stop(&mut self) -> DriverFuture<'_, ()> {
            self.stopped = true;
            Box::pin(async { Ok(()) })
        }
    }

    async fn exchange(input: &str) -> (Vec<serde_json::Value>, Counting) {
        let mut driver = Counting::default();
        let mut out = Vec::new();
        serve(&mut driver, BufReader::new(input.as_bytes()), &mut out)
            .await
            .unwrap();
        let lines = String::from_utf8(out).unwrap();
        let replies = lines
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (replies, driver)
    }

    const INIT: &str = r#"{"id":1,"type":"init","protocol":1,"identity":{"base_url":"http://x","user":"u","password":"p","device":"d","device_id":"i","clock_start":0},"settings":{}}"#;

    #[tokio::test]
    async fn a_session_answers_every_request_with_its_id() {
        let input = format!(
            "{INIT}\n{{\"id\":2,\"type\":\"wifi_connected\"}}\n\n{{\"id\":3,\"type\":\"advance\",\"seconds\":5}}\n{{\"id\":4,\"type\":\"shutdown\"}}\n{{\"id\":5,\"type\":\"resume\"}}\n"
        );
        let (replies, driver) = exchange(&input).await;
        let kinds: Vec<_> = replies
            .iter()
            .map(|r| {
                (
                    r["in_reply_to"].as_u64().unwrap(),
                    r["type"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (1, "ready".to_string()),
                (2, "observed".to_string()),
                (3, "observed".to_string()),
                (4, "bye".to_string()),
            ],
            "nothing may be answered after shutdown"
        );
        assert_eq!(replies[2]["queue"]["pending"], 2);
        assert_eq!(replies[2]["summary"], "2P");
        assert!(replies[2]["effects"][0]["text"]
            .as_str()
            .unwrap()
            .contains("TimePassed"));
        assert!(driver.stopped);
    }

    #[tokio::test]
    async fn a_harness_offering_protocol_2_gets_it_with_the_capabilities() {
        let v2 = INIT.replace(r#""protocol":1,"#, r#""protocol":1,"versions":[1,2],"#);
        let (replies, _) = exchange(&format!("{v2}\n")).await;
        assert_eq!(replies[0]["type"], "ready");
        assert_eq!(replies[0]["protocol"], 2);
        assert_eq!(replies[0]["capabilities"], serde_json::json!(["rating"]));
        // A protocol-1 harness (no `versions`) gets protocol 1 and no declaration.
        let (replies, _) = exchange(&format!("{INIT}\n")).await;
        assert_eq!(replies[0]["protocol"], 1);
        assert!(replies[0].get("capabilities").is_none());
        // A harness offering only versions this adapter lacks is refused.
        let v9 = INIT.replace(r#""protocol":1,"#, r#""protocol":1,"versions":[9],"#);
        let (replies, _) = exchange(&format!("{v9}\n")).await;
        assert_eq!(replies[0]["type"], "error");
    }

    #[tokio::test]
    async fn malformed_requests_get_error_replies_and_serving_goes_on() {
        let input = format!(
            "{{\"id\":1,\"type\":\"resume\"}}\nnot json\n{{\"id\":9,\"type\":\"fly\"}}\n{INIT}\n{{\"id\":2,\"type\":\"init\",\"protocol\":99,\"identity\":{{}},\"settings\":{{}}}}\n"
        );
        let (replies, driver) = exchange(&input).await;
        assert_eq!(replies.len(), 5);
        assert_eq!(replies[0]["type"], "error");
        assert!(replies[0]["message"]
            .as_str()
            .unwrap()
            .contains("before `init`"));
        assert_eq!(replies[1]["type"], "error");
        assert_eq!(replies[1]["in_reply_to"], 0);
        assert_eq!(replies[2]["type"], "error");
        assert_eq!(
            replies[2]["in_reply_to"], 9,
            "the id is echoed even for an unknown type"
        );
        assert_eq!(replies[3]["type"], "ready");
        assert_eq!(replies[4]["type"], "error");
        assert!(driver.stopped, "end of input stops a started session");
    }
}
