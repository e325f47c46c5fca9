//! The messages of the stdio adapter protocol (`docs/adapter-protocol.md`).
//!
//! One JSON object per line. The harness writes [`Request`]s to the adapter's
//! stdin; the adapter writes one [`Reply`] per request to stdout. Both are
//! built on the model's vocabulary ([`crate::model`]): an event's JSON here is
//! the model's `Event` JSON under the same `type` names, except that
//! `time_passed` is called `advance` and `http_completed` does not exist (the
//! client does its own HTTP). This module only defines and converts messages;
//! the process handling lives in `subprocess` and `stdio`.
//!
//! # Versions
//!
//! `init` offers every version the harness speaks (`versions`, newest last)
//! and keeps `protocol: 1` for protocol-1 adapters, which check that field;
//! the adapter picks one and names it in `ready.protocol`. Protocol 2 adds
//! the declaration of [`Capabilities`] in `ready`, the events `wifi_lost`,
//! `wifi_off`, `push_now`, `pull_now` and `sign_in`, the effect
//! `wifi_on_requested`, and lets `observed` leave out counts the client does
//! not keep. Under protocol 1 both `wifi_lost` and `wifi_off` travel as
//! `wifi_disconnected`.

use serde::{Deserialize, Serialize};

use crate::adapter::capability::Capabilities;
use crate::adapter::{ClientIdentity, Observation};
use crate::model::{Effect, Event, Position, QueueCounts, Settings, SettingsPatch};

/// The newest protocol version this harness speaks.
pub const PROTOCOL_VERSION: u32 = 2;
/// Every version this harness speaks, oldest first; `init` offers them all.
pub const PROTOCOL_VERSIONS: &[u32] = &[1, 2];
/// What `init.protocol` always says: protocol-1 adapters check it is 1.
pub const INIT_PROTOCOL_FIELD: u32 = 1;

/// Longest line either side may write, in bytes. Longer lines are a protocol error
/// (a runaway adapter must not exhaust the harness's memory).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// A message from the harness to the adapter: an id the reply must echo, and a body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Increases by one per request, starting at 1 for `init`.
    pub id: u64,
    #[serde(flatten)]
    pub body: RequestBody,
}

/// What the harness asks of the adapter. Every variant but `init` and `shutdown`
/// is one event of the reader's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RequestBody {
    /// Start the client: who it is, where its server is, its settings.
    Init {
        /// Always 1, for protocol-1 adapters that check it.
        protocol: u32,
        /// Every version the harness speaks (absent from a protocol-1 harness).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        versions: Vec<u32>,
        identity: ClientIdentity,
        settings: Settings,
    },
    BookOpened {
        document: String,
        position: Position,
    },
    PageTurned {
        position: Position,
    },
    BookClosed,
    Suspend,
    Resume,
    WifiConnected,
    /// The link drops. Protocol 1 calls it `wifi_disconnected` (accepted here too).
    #[serde(alias = "wifi_disconnected")]
    WifiLost,
    /// The user turns Wi-Fi off (protocol 1 has only `wifi_disconnected`).
    WifiOff,
    RatingSubmitted {
        stars: u8,
    },
    SyncPendingNow,
    PushNow,
    PullNow,
    SignIn,
    PromptAnswered {
        accept: bool,
    },
    /// Move the virtual clock on; every timer due inside the span runs before the reply.
    Advance {
        seconds: u64,
    },
    SettingsChanged {
        patch: SettingsPatch,
    },
    /// End the session: reply `bye`, then exit 0.
    Shutdown,
}

impl RequestBody {
    /// The request carrying `event`, or `None` for [`Event::HttpCompleted`], which
    /// has no message: a client under test answers its own HTTP.
    pub fn from_event(event: &Event) -> Option<RequestBody> {
        Some(match event.clone() {
            Event::BookOpened { document, position } => {
                RequestBody::BookOpened { document, position }
            }
            Event::PageTurned { position } => RequestBody::PageTurned { position },
            Event::BookClosed => RequestBody::BookClosed,
            Event::Suspend => RequestBody::Suspend,
            Event::Resume => RequestBody::Resume,
            Event::WifiConnected => RequestBody::WifiConnected,
            Event::WifiLost => RequestBody::WifiLost,
            Event::WifiOff => RequestBody::WifiOff,
            Event::RatingSubmitted { stars } => RequestBody::RatingSubmitted { stars },
            Event::SyncPendingNow => RequestBody::SyncPendingNow,
            Event::PushNow => RequestBody::PushNow,
            Event::PullNow => RequestBody::PullNow,
            Event::SignIn => RequestBody::SignIn,
            Event::PromptAnswered { accept } => RequestBody::PromptAnswered { accept },
            Event::TimePassed { seconds } => RequestBody::Advance { seconds },
            Event::SettingsChanged { patch } => RequestBody::SettingsChanged { patch },
            Event::HttpCompleted { .. } => return None,
        })
    }

    /// The model event this request stands for; `None` for `init` and `shutdown`.
    pub fn to_event(&self) -> Option<Event> {
        Some(match self.clone() {
            RequestBody::Init { .. } | RequestBody::Shutdown => return None,
            RequestBody::BookOpened { document, position } => {
                Event::BookOpened { document, position }
            }
            RequestBody::PageTurned { position } => Event::PageTurned { position },
            RequestBody::BookClosed => Event::BookClosed,
            RequestBody::Suspend => Event::Suspend,
            RequestBody::Resume => Event::Resume,
            RequestBody::WifiConnected => Event::WifiConnected,
            RequestBody::WifiLost => Event::WifiLost,
            RequestBody::WifiOff => Event::WifiOff,
            RequestBody::RatingSubmitted { stars } => Event::RatingSubmitted { stars },
            RequestBody::SyncPendingNow => Event::SyncPendingNow,
            RequestBody::PushNow => Event::PushNow,
            RequestBody::PullNow => Event::PullNow,
            RequestBody::SignIn => Event::SignIn,
            RequestBody::PromptAnswered { accept } => Event::PromptAnswered { accept },
            RequestBody::Advance { seconds } => Event::TimePassed { seconds },
            RequestBody::SettingsChanged { patch } => Event::SettingsChanged { patch },
        })
    }

    /// The `type` name on the wire, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            RequestBody::Init { .. } => "init",
            RequestBody::BookOpened { .. } => "book_opened",
            RequestBody::PageTurned { .. } => "page_turned",
            RequestBody::BookClosed => "book_closed",
            RequestBody::Suspend => "suspend",
            RequestBody::Resume => "resume",
            RequestBody::WifiConnected => "wifi_connected",
            RequestBody::WifiLost => "wifi_lost",
            RequestBody::WifiOff => "wifi_off",
            RequestBody::RatingSubmitted { .. } => "rating_submitted",
            RequestBody::SyncPendingNow => "sync_pending_now",
            RequestBody::PushNow => "push_now",
            RequestBody::PullNow => "pull_now",
            RequestBody::SignIn => "sign_in",
            RequestBody::PromptAnswered { .. } => "prompt_answered",
            RequestBody::Advance { .. } => "advance",
            RequestBody::SettingsChanged { .. } => "settings_changed",
            RequestBody::Shutdown => "shutdown",
        }
    }
}

/// A message from the adapter to the harness: the id of the request it answers, and a body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// The `id` of the request this answers; anything else is an out-of-order reply.
    pub in_reply_to: u64,
    #[serde(flatten)]
    pub body: ReplyBody,
}

/// What the adapter answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReplyBody {
    /// Answer to `init`: the client is up and speaks `protocol`.
    Ready {
        protocol: u32,
        /// Free text naming the client and its version, for reports.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
        /// Protocol 2: what the client can do. Required there; protocol 1
        /// has no such field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        capabilities: Option<Capabilities>,
    },
    /// Answer to an event: what a user could see once the client finished
    /// everything the event caused.
    Observed {
        /// User-visible effects in order: `prompt_shown`, `position_applied`,
        /// `notice_shown`, `settings_rejected`. Never `http` or `queue_changed`.
        #[serde(default)]
        effects: Vec<Effect>,
        /// Pending and synced progress counts after the event. Required in
        /// protocol 1; in protocol 2 only when the client declares
        /// `pending_count` or `synced_count` (a count it does not keep may be left out).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue: Option<QueueCounts>,
        /// The queue summary the client would display (`4P`), if it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
    },
    /// Answer to `shutdown`; the adapter exits after writing it.
    Bye,
    /// The adapter could not handle the request (unknown type, bad field…).
    /// The scenario ends as a harness error (exit 2) showing `message`.
    Error { message: String },
}

impl ReplyBody {
    /// The reply a correct adapter sends for this observation.
    pub fn observed(observation: &Observation) -> ReplyBody {
        ReplyBody::Observed {
            effects: observation.effects.clone(),
            queue: Some(observation.queue),
            summary: observation.summary.clone(),
        }
    }

    /// The `type` name on the wire, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            ReplyBody::Ready { .. } => "ready",
            ReplyBody::Observed { .. } => "observed",
            ReplyBody::Bye => "bye",
            ReplyBody::Error { .. } => "error",
        }
    }
}

/// Why an `observed` reply cannot be turned into an [`Observation`].
pub fn check_observed_effects(effects: &[Effect]) -> Result<(), String> {
    for effect in effects {
        match effect {
            Effect::Http(_) => {
                return Err(
                    "an `observed` reply listed an `http` effect: the client sends its own \
                     requests to the server, the harness reads them from the server's journal"
                        .to_string(),
                )
            }
            Effect::QueueChanged(_) => {
                return Err(
                    "an `observed` reply listed a `queue_changed` effect: queue counts go in \
                     the reply's `queue` field"
                        .to_string(),
                )
            }
            Effect::PromptShown { .. }
            | Effect::PositionApplied { .. }
            | Effect::NoticeShown { .. }
            | Effect::SettingsRejected { .. }
            | Effect::WifiOnRequested => {}
        }
    }
    Ok(())
}

impl RequestBody {
    /// Whether protocol `version` has this message. Protocol 1 lacks the
    /// manual push, manual pull and sign-in events; its one `wifi_disconnected`
    /// carries both `wifi_lost` and `wifi_off`.
    pub fn exists_in(&self, version: u32) -> bool {
        version >= 2
            || !matches!(
                self,
                RequestBody::PushNow | RequestBody::PullNow | RequestBody::SignIn
            )
    }
}

/// One line of JSON for request `id` in protocol `version`, newline included:
/// under protocol 1, `wifi_lost` and `wifi_off` go out as `wifi_disconnected`.
/// A message the version does not have is refused (the harness must not send it).
pub fn encode_request(id: u64, body: RequestBody, version: u32) -> Result<String, String> {
    if !body.exists_in(version) {
        return Err(format!(
            "protocol {version} has no `{}` message",
            body.type_name()
        ));
    }
    let v1_wifi_down = version < 2 && matches!(body, RequestBody::WifiLost | RequestBody::WifiOff);
    let mut value = serde_json::to_value(Request { id, body }).map_err(|e| e.to_string())?;
    if v1_wifi_down {
        value["type"] = serde_json::Value::from("wifi_disconnected");
    }
    encode_line(&value).map_err(|e| e.to_string())
}

/// One line of JSON for `message`, newline included.
pub fn encode_line<T: Serialize>(message: &T) -> Result<String, serde_json::Error> {
    let mut line = serde_json::to_string(message)?;
    line.push('\n');
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConflictStrategy, Direction};
    use serde_json::json;

    #[test]
    fn event_requests_use_the_model_type_names_with_advance_for_time() {
        let request = Request {
            id: 7,
            body: RequestBody::from_event(&Event::TimePassed { seconds: 30 }).unwrap(),
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"id": 7, "type": "advance", "seconds": 30})
        );
        let open = Event::BookOpened {
            document: "d".into(),
            position: Position::at_page(3, 10),
        };
        let body = RequestBody::from_event(&open).unwrap();
        let wire = serde_json::to_value(Request { id: 2, body }).unwrap();
        let mut model = serde_json::to_value(&open).unwrap();
        model["id"] = json!(2);
        assert_eq!(
            wire, model,
            "book_opened must be the model's event JSON plus id"
        );
    }

    #[test]
    fn http_completed_has_no_message_and_round_trips_the_rest() {
        assert!(RequestBody::from_event(&Event::HttpCompleted {
            id: 1,
            outcome: crate::model::HttpOutcome::TransportError {
                message: "x".into()
            }
        })
        .is_none());
        let patch = SettingsPatch {
            newer_strategy: Some(ConflictStrategy::Silently),
            pages_per_sync: Some(0),
            ..SettingsPatch::default()
        };
        for event in [
            Event::BookClosed,
            Event::Resume,
            Event::SettingsChanged { patch },
            Event::PromptAnswered { accept: true },
        ] {
            let body = RequestBody::from_event(&event).unwrap();
            let line = encode_line(&Request { id: 1, body }).unwrap();
            let back: Request = serde_json::from_str(&line).unwrap();
            assert_eq!(back.body.to_event(), Some(event));
        }
    }

    #[test]
    fn protocol_1_gets_wifi_disconnected_and_no_new_events() {
        let line = |body, version| encode_request(3, body, version);
        for down in [RequestBody::WifiLost, RequestBody::WifiOff] {
            let v1: serde_json::Value = serde_json::from_str(&line(down, 1).unwrap()).unwrap();
            assert_eq!(v1, json!({"id": 3, "type": "wifi_disconnected"}));
        }
        let v2: serde_json::Value =
            serde_json::from_str(&line(RequestBody::WifiOff, 2).unwrap()).unwrap();
        assert_eq!(v2, json!({"id": 3, "type": "wifi_off"}));
        for new in [
            RequestBody::PushNow,
            RequestBody::PullNow,
            RequestBody::SignIn,
        ] {
            let name = new.type_name();
            let err = line(new.clone(), 1).unwrap_err();
            assert!(err.contains(name), "{err}");
            assert!(line(new, 2).is_ok());
        }
        // An adapter reading protocol 1's name gets the link-drop event.
        let old: Request = serde_json::from_str(r#"{"id":4,"type":"wifi_disconnected"}"#).unwrap();
        assert_eq!(old.body.to_event(), Some(Event::WifiLost));
    }

    #[test]
    fn observed_reply_parses_from_a_hand_written_line() {
        let line = r#"{"in_reply_to":3,"type":"observed","effects":[{"type":"prompt_shown","document":"d","direction":"newer","proposed":{"percentage":0.5,"progress":"5"}}],"queue":{"pending":1,"synced":0},"summary":"1P"}"#;
        let reply: Reply = serde_json::from_str(line).unwrap();
        assert_eq!(reply.in_reply_to, 3);
        match reply.body {
            ReplyBody::Observed {
                effects,
                queue,
                summary,
            } => {
                assert_eq!(
                    queue,
                    Some(QueueCounts {
                        pending: 1,
                        synced: 0
                    })
                );
                assert_eq!(summary.as_deref(), Some("1P"));
                assert!(matches!(
                    effects[0],
                    Effect::PromptShown {
                        direction: Direction::Newer,
                        ..
                    }
                ));
            }
            other => panic!("expected observed, got {other:?}"),
        }
    }

    #[test]
    fn http_effects_are_refused_in_replies() {
        let http = Effect::Http(crate::model::HttpRequest {
            id: 1,
            method: "GET".into(),
            path: "/".into(),
            headers: vec![],
            body: None,
        });
        assert!(check_observed_effects(&[http]).is_err());
        assert!(check_observed_effects(&[Effect::QueueChanged(QueueCounts::default())]).is_err());
    }
}
