//! What both dialects share about progress: checking a push body, checking
//! credentials, deciding the record to store, and rendering a stored record.
//!
//! Each dialect maps the [`PushProblem`]s and [`AuthFailure`]s to its own
//! status codes and bodies.

use serde_json::{Map, Value};

use super::http::Request;
use super::store::StoredProgress;
use super::{Defect, Shared, UserSpec};
use crate::protocol;

/// A push body that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckedPush {
    pub document: String,
    pub percentage: f64,
    pub progress: String,
    pub device: Option<String>,
    pub device_id: Option<String>,
    /// What the client claimed; ignored unless the `EchoClientTimestamp` defect is on.
    pub client_timestamp: Option<i64>,
}

/// Why a push body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PushProblem {
    InvalidJson,
    NotAnObject,
    DocumentMissing,
    DocumentNotAString,
    /// The reference refuses a document id it cannot use in a key (one with `:`).
    DocumentNotAKey,
    PercentageMissing,
    PercentageNotANumber,
    PercentageOutOfRange,
    ProgressMissing,
    ProgressNotAString,
    ProgressRefused,
    DeviceMissing,
    DeviceNotAString,
    DeviceIdNotAString,
}

impl PushProblem {
    pub fn message(self) -> &'static str {
        match self {
            PushProblem::InvalidJson => "the body is not valid JSON",
            PushProblem::NotAnObject => "the body must be a JSON object",
            PushProblem::DocumentMissing => "field \"document\" is missing or empty",
            PushProblem::DocumentNotAString => "field \"document\" must be a string",
            PushProblem::DocumentNotAKey => "field \"document\" must not contain ':'",
            PushProblem::PercentageMissing => "field \"percentage\" is missing",
            PushProblem::PercentageNotANumber => "field \"percentage\" must be a number",
            PushProblem::PercentageOutOfRange => "field \"percentage\" must be between 0 and 1",
            PushProblem::ProgressMissing => "field \"progress\" is missing",
            PushProblem::ProgressNotAString => "field \"progress\" must be a string",
            PushProblem::ProgressRefused => {
                "field \"progress\" is not a position this server reads"
            }
            PushProblem::DeviceMissing => "field \"device\" is missing",
            PushProblem::DeviceNotAString => "field \"device\" must be a string",
            PushProblem::DeviceIdNotAString => "field \"device_id\" must be a string",
        }
    }
}

/// Parse a JSON object body, or say why not (shared by push and registration).
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, PushProblem> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(PushProblem::NotAnObject),
        Err(_) => Err(PushProblem::InvalidJson),
    }
}

/// An optional string field: absent or `null` is `None`, a non-string is an error.
fn optional_string(
    map: &Map<String, Value>,
    field: &str,
    problem: PushProblem,
) -> Result<Option<String>, PushProblem> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(problem),
    }
}

/// Check a push body. `reference` reads it as the kosync reference does:
/// `device` required, `percentage` through Lua's `tonumber` (numeric text
/// is a number, rule K-NUM-1), no `:` in the document id.
pub(crate) fn check_push(
    shared: &Shared,
    body: &[u8],
    reference: bool,
) -> Result<CheckedPush, PushProblem> {
    let device_required = reference;
    let map = json_object(body)?;
    let document = match map.get("document") {
        None | Some(Value::Null) => return Err(PushProblem::DocumentMissing),
        Some(Value::String(s)) if s.is_empty() => return Err(PushProblem::DocumentMissing),
        Some(Value::String(s)) if reference && s.contains(':') => {
            return Err(PushProblem::DocumentNotAKey)
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(PushProblem::DocumentNotAString),
    };
    let percentage = match map.get("percentage") {
        None | Some(Value::Null) => return Err(PushProblem::PercentageMissing),
        Some(Value::Number(n)) => n.as_f64().ok_or(PushProblem::PercentageNotANumber)?,
        Some(text @ Value::String(_))
            if reference && !shared.has(Defect::KosyncNumericTextRefused) =>
        {
            protocol::lua_number::tonumber(text)
                .filter(|p| !p.is_nan())
                .ok_or(PushProblem::PercentageNotANumber)?
        }
        Some(_) => return Err(PushProblem::PercentageNotANumber),
    };
    if !(0.0..=1.0).contains(&percentage) && !shared.has(Defect::PercentageOutOfRangeAccepted) {
        return Err(PushProblem::PercentageOutOfRange);
    }
    let progress = optional_string(&map, "progress", PushProblem::ProgressNotAString)?
        .ok_or(PushProblem::ProgressMissing)?;
    if progress.contains("text()") && shared.has(Defect::TextNodeProgressRefused) {
        return Err(PushProblem::ProgressRefused);
    }
    let device = optional_string(&map, "device", PushProblem::DeviceNotAString)?;
    if device_required && device.is_none() {
        return Err(PushProblem::DeviceMissing);
    }
    let device_id = optional_string(&map, "device_id", PushProblem::DeviceIdNotAString)?;
    let client_timestamp = map.get("timestamp").and_then(Value::as_i64);
    Ok(CheckedPush {
        document,
        percentage,
        progress,
        device,
        device_id,
        client_timestamp,
    })
}

/// Why a request's credentials were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    MissingHeaders,
    UnknownUser,
    WrongKey,
}

/// The user the request's `x-auth-user`/`x-auth-key` name, if the key is right.
/// BookLore compares keys ignoring case; the kosync reference byte for byte.
pub(crate) fn authenticate(
    shared: &Shared,
    request: &Request,
    ignore_key_case: bool,
) -> Result<UserSpec, AuthFailure> {
    let (Some(name), Some(key)) = (
        request.header_utf8(protocol::HEADER_AUTH_USER),
        request.header_utf8(protocol::HEADER_AUTH_KEY),
    ) else {
        return Err(AuthFailure::MissingHeaders);
    };
    let user = shared.user(name).ok_or(AuthFailure::UnknownUser)?;
    let matches = if ignore_key_case {
        user.key.eq_ignore_ascii_case(key)
    } else {
        user.key == key
    };
    if matches || shared.has(Defect::AcceptAnyKey) {
        Ok(user)
    } else {
        Err(AuthFailure::WrongKey)
    }
}

/// True when the user may sync (rule S-OFF-1).
pub(crate) fn may_sync(shared: &Shared, user: &UserSpec) -> bool {
    user.sync_enabled || shared.has(Defect::IgnoreSyncDisabled)
}

/// Whose records a user reads and writes (everyone's are one under `SharedAcrossUsers`).
pub(crate) fn owner<'a>(shared: &Shared, user: &'a UserSpec) -> &'a str {
    if shared.has(Defect::SharedAcrossUsers) {
        ""
    } else {
        &user.name
    }
}

/// Store a checked push: last write wins (S-LWW-1) and the server stamps its
/// own time, never earlier than the record it replaces (S-TS-1).
pub(crate) async fn store_push(
    shared: &Shared,
    owner: &str,
    push: CheckedPush,
) -> anyhow::Result<StoredProgress> {
    let now = shared.clock.now();
    let first_write_wins = shared.has(Defect::FirstWriteWins);
    let echo = shared.has(Defect::EchoClientTimestamp);
    let trim = shared.has(Defect::TrimProgress);
    let mix = shared.has(Defect::ConcurrentPushesMixFields);
    let keep_device_id = !shared.has(Defect::KosyncDeviceIdNotStored);
    let single_precision = shared.has(Defect::SinglePrecisionPercentage);
    let document = push.document.clone();
    shared
        .save(owner, &document, move |previous| {
            if let (true, Some(previous)) = (first_write_wins, previous) {
                return previous.clone();
            }
            let timestamp = if echo {
                push.client_timestamp.unwrap_or(now)
            } else {
                previous.map_or(now, |p| p.timestamp.max(now))
            };
            let torn = previous.filter(|p| {
                mix && now - p.timestamp <= 1 && Some(&p.device) != push.device.as_ref()
            });
            StoredProgress {
                document: push.document.clone(),
                percentage: if single_precision {
                    // As an `f32` column serialized by serde: the shortest
                    // text that reads back as the same `f32`.
                    (push.percentage as f32)
                        .to_string()
                        .parse()
                        .unwrap_or(push.percentage)
                } else {
                    push.percentage
                },
                progress: match torn {
                    Some(previous) => previous.progress.clone(),
                    None if trim => push.progress.trim().to_owned(),
                    None => push.progress.clone(),
                },
                device: push.device.clone().unwrap_or_default(),
                device_id: push.device_id.clone().filter(|_| keep_device_id),
                timestamp,
            }
        })
        .await
}

/// A timestamp as it goes on the wire.
pub(crate) fn wire_timestamp(shared: &Shared, seconds: i64) -> Value {
    if shared.has(Defect::MillisecondTimestamps) {
        Value::from(seconds.saturating_mul(1000))
    } else {
        Value::from(seconds)
    }
}

/// A stored record as a pull answers it. BookLore names itself as the device.
pub(crate) fn record_json(
    shared: &Shared,
    record: &StoredProgress,
    device_override: Option<&str>,
) -> Value {
    let mut out = Map::new();
    out.insert("document".into(), Value::from(record.document.clone()));
    let omit_zero = shared.has(Defect::ZeroPercentageOmitted) && record.percentage == 0.0;
    if !omit_zero {
        let percentage = if shared.has(Defect::PercentageAsString) {
            Value::from(record.percentage.to_string())
        } else {
            serde_json::Number::from_f64(record.percentage)
                .map(Value::Number)
                .unwrap_or(Value::Null)
        };
        out.insert("percentage".into(), percentage);
    }
    out.insert("progress".into(), Value::from(record.progress.clone()));
    out.insert("timestamp".into(), wire_timestamp(shared, record.timestamp));
    match device_override {
        Some(device) => {
            out.insert("device".into(), Value::from(device));
            out.insert("device_id".into(), Value::from(device));
        }
        None => {
            out.insert("device".into(), Value::from(record.device.clone()));
            if let Some(id) = &record.device_id {
                out.insert("device_id".into(), Value::from(id.clone()));
            }
        }
    }
    Value::Object(out)
}
