//! What both dialects mean by each sync route, decided once: sign-in, the
//! accept-push path, pull, registration. Each step is a small function that
//! either gives what the next one needs or a [`Refusal`]; a route is its steps
//! joined with `?`.
//!
//! The outcome of a route is a `Result<Answer, Refusal>` in the domain's words
//! (signed in, pushed, no progress, unknown book…). Each dialect module turns
//! it into its own wire form; nothing here knows a status code.

use serde_json::{Map, Value};

use super::store::StoredProgress;
use super::wire::Request;
use super::{user_name_problem, Shared, UserSpec};
use crate::protocol;

/// The facts that make one dialect's routes differ from the other's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    /// BookLore compares keys ignoring case; the kosync reference byte for byte.
    pub ignore_key_case: bool,
    /// The kosync reference refuses a push without `device`.
    pub device_required: bool,
    /// BookLore only stores progress for books in its library (S-BOOK-1).
    pub has_library: bool,
    /// kosync registers users over the API; BookLore never does (S-REG-1).
    pub registers_users: bool,
    /// kosync treats a user whose sync is off as unknown on every route;
    /// BookLore checks the switch on the progress routes only (S-OFF-1).
    pub sign_in_checks_sync: bool,
    /// The kosync reference reads a push as its Lua code does: `percentage`
    /// through `tonumber`, so numeric text is a number (K-NUM-1), and no `:`
    /// in a document id, which it uses in a key (K-BAD-2).
    pub reads_like_lua: bool,
}

/// A sync route, as the dialect's paths name it; a pull's document is the
/// request path's own text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    Auth,
    Create,
    Push,
    Pull(&'a str),
    Healthcheck,
    NotFound,
}

/// What a route did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    SignedIn(std::sync::Arc<UserSpec>),
    Registered(UserSpec),
    Pushed(StoredProgress),
    /// The stored record, or `None` when this user has none for the document.
    Progress(Option<std::sync::Arc<StoredProgress>>),
    Healthy,
}

/// Why a route refused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refusal {
    NoRoute,
    /// kosync with `--strict-accept`: no `Accept` header.
    AcceptMissing,
    /// kosync with `--strict-accept`: an `Accept` that does not name the vendor type.
    AcceptMismatch,
    Credentials(AuthFailure),
    SyncDisabled,
    RegistrationClosed,
    BadBody(BodyProblem),
    /// A name no header could carry (see [`user_name_problem`]).
    UnusableName {
        name: String,
        problem: &'static str,
    },
    NameTaken,
    UnknownBook(String),
    /// Refused before a handler ran: the body was over the limit (413).
    BodyTooLarge,
    /// Refused before a handler ran: the body did not arrive in time (408).
    BodyTimedOut,
    /// The store failed (500).
    Store(String),
}

impl From<AuthFailure> for Refusal {
    fn from(failure: AuthFailure) -> Self {
        Refusal::Credentials(failure)
    }
}

impl From<BodyProblem> for Refusal {
    fn from(problem: BodyProblem) -> Self {
        Refusal::BadBody(problem)
    }
}

/// Why a request's credentials were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    MissingHeaders,
    UnknownUser,
    WrongKey,
}

/// Why a push or registration body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyProblem {
    InvalidJson,
    NotAnObject,
    DocumentMissing,
    DocumentNotAString,
    /// A document id with `:`, which the reference cannot use in a key.
    DocumentNotAKey,
    PercentageMissing,
    PercentageNotANumber,
    PercentageOutOfRange,
    ProgressMissing,
    ProgressNotAString,
    DeviceMissing,
    DeviceNotAString,
    DeviceIdNotAString,
    CredentialsMissing,
    KeyEmpty,
}

impl BodyProblem {
    pub fn message(self) -> &'static str {
        match self {
            BodyProblem::InvalidJson => "the body is not valid JSON",
            BodyProblem::NotAnObject => "the body must be a JSON object",
            BodyProblem::DocumentMissing => "field \"document\" is missing or empty",
            BodyProblem::DocumentNotAString => "field \"document\" must be a string",
            BodyProblem::DocumentNotAKey => "field \"document\" must not contain ':'",
            BodyProblem::PercentageMissing => "field \"percentage\" is missing",
            BodyProblem::PercentageNotANumber => "field \"percentage\" must be a number",
            BodyProblem::PercentageOutOfRange => "field \"percentage\" must be between 0 and 1",
            BodyProblem::ProgressMissing => "field \"progress\" is missing",
            BodyProblem::ProgressNotAString => "field \"progress\" must be a string",
            BodyProblem::DeviceMissing => "field \"device\" is missing",
            BodyProblem::DeviceNotAString => "field \"device\" must be a string",
            BodyProblem::DeviceIdNotAString => "field \"device_id\" must be a string",
            BodyProblem::CredentialsMissing => "username and password are required",
            BodyProblem::KeyEmpty => "password must not be empty",
        }
    }

    /// True for the problems of the `document` field (kosync's code 2004).
    pub fn is_about_document(self) -> bool {
        matches!(
            self,
            BodyProblem::DocumentMissing
                | BodyProblem::DocumentNotAString
                | BodyProblem::DocumentNotAKey
        )
    }
}

/// A push body that has the right shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckedPush {
    pub document: String,
    pub percentage: f64,
    pub progress: String,
    pub device: Option<String>,
    pub device_id: Option<String>,
}

/// What a 413 says, in both dialects.
pub(crate) fn too_large_message() -> String {
    format!(
        "request body larger than {} bytes",
        protocol::MAX_BODY_BYTES
    )
}

/// What a route does: its steps, in order.
pub(crate) async fn decide(
    shared: &Shared,
    rules: Rules,
    route: &Route<'_>,
    request: &Request,
) -> Result<Answer, Refusal> {
    match route {
        Route::NotFound => Err(Refusal::NoRoute),
        Route::Healthcheck => Ok(Answer::Healthy),
        Route::Auth => {
            let user = signed_in(shared, request, rules)?;
            if rules.sign_in_checks_sync {
                may_sync(&user)?;
            }
            Ok(Answer::SignedIn(user))
        }
        Route::Create => {
            if !rules.registers_users || !shared.registration {
                return Err(Refusal::RegistrationClosed);
            }
            let user = registration(&request.body)?;
            register(shared, user).await.map(Answer::Registered)
        }
        Route::Push => accept_push(shared, rules, request)
            .await
            .map(Answer::Pushed),
        Route::Pull(document) => pull(shared, rules, request, document)
            .await
            .map(Answer::Progress),
    }
}

/// The accept-push path: a signed-in user allowed to sync (S-AUTH-2, S-OFF-1),
/// a well-formed body (S-BAD-1) with a percentage in range (S-BAD-2), a book
/// the library holds (S-BOOK-1), then the store (S-LWW-1, S-TS-1).
pub(crate) async fn accept_push(
    shared: &Shared,
    rules: Rules,
    request: &Request,
) -> Result<StoredProgress, Refusal> {
    let user = signed_in(shared, request, rules)?;
    may_sync(&user)?;
    let push = parse_push(&request.body, rules)?;
    in_range(push.percentage)?;
    if rules.has_library {
        known_book(shared, &push.document)?;
    }
    store_push(shared, &user.name, push, shared.clock.now()).await
}

/// Pull: the same gate as a push, then this user's record (S-PULL-1, S-PULL-2, S-ISO-1).
pub(crate) async fn pull(
    shared: &Shared,
    rules: Rules,
    request: &Request,
    document: &str,
) -> Result<Option<std::sync::Arc<StoredProgress>>, Refusal> {
    let user = signed_in(shared, request, rules)?;
    may_sync(&user)?;
    if rules.has_library {
        known_book(shared, document)?;
    }
    shared
        .load(&user.name, document)
        .await
        .map_err(|err| Refusal::Store(format!("{err:#}")))
}

/// The user the request's `x-auth-user`/`x-auth-key` name, if the key is right.
pub(crate) fn signed_in(
    shared: &Shared,
    request: &Request,
    rules: Rules,
) -> Result<std::sync::Arc<UserSpec>, AuthFailure> {
    let (Some(name), Some(key)) = (
        request.header_utf8(protocol::HEADER_AUTH_USER),
        request.header_utf8(protocol::HEADER_AUTH_KEY),
    ) else {
        return Err(AuthFailure::MissingHeaders);
    };
    let user = shared.user(name).ok_or(AuthFailure::UnknownUser)?;
    let matches = if rules.ignore_key_case {
        user.key.eq_ignore_ascii_case(key)
    } else {
        user.key == key
    };
    if matches {
        Ok(user)
    } else {
        Err(AuthFailure::WrongKey)
    }
}

/// BookLore's per-user "KOReader sync" switch (S-OFF-1).
pub(crate) fn may_sync(user: &UserSpec) -> Result<(), Refusal> {
    if user.sync_enabled {
        Ok(())
    } else {
        Err(Refusal::SyncDisabled)
    }
}

/// Parse a JSON object body, or say why not (shared by push and registration).
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, BodyProblem> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BodyProblem::NotAnObject),
        Err(_) => Err(BodyProblem::InvalidJson),
    }
}

/// An optional string field: absent or `null` is `None`, a non-string is an error.
fn optional_string(
    map: &Map<String, Value>,
    field: &str,
    problem: BodyProblem,
) -> Result<Option<String>, BodyProblem> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(problem),
    }
}

/// The shape of a push body: every field present with its type.
///
/// A body as clients send it (every field of its plain type, each once) is
/// read straight into its fields; anything else goes the general way, which
/// names the problem. Both readings agree wherever the first one succeeds
/// (`tests::both_readings_of_a_push_agree`).
pub(crate) fn parse_push(body: &[u8], rules: Rules) -> Result<CheckedPush, BodyProblem> {
    match serde_json::from_slice::<PlainPush<'_>>(body) {
        Ok(plain) => plain.check(rules),
        Err(_) => parse_push_in_general(body, rules),
    }
}

/// A push body whose fields all have their plain types; strings are
/// borrowed from the body unless they hold escapes. Other fields are ignored,
/// as the general reading ignores them.
#[derive(serde::Deserialize)]
struct PlainPush<'a> {
    #[serde(borrow)]
    document: std::borrow::Cow<'a, str>,
    percentage: f64,
    #[serde(borrow)]
    progress: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    device: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    device_id: Option<std::borrow::Cow<'a, str>>,
}

impl PlainPush<'_> {
    /// The checks of the general reading that a type cannot express.
    fn check(self, rules: Rules) -> Result<CheckedPush, BodyProblem> {
        if self.document.is_empty() {
            return Err(BodyProblem::DocumentMissing);
        }
        if rules.reads_like_lua && self.document.contains(':') {
            return Err(BodyProblem::DocumentNotAKey);
        }
        if rules.device_required && self.device.is_none() {
            return Err(BodyProblem::DeviceMissing);
        }
        Ok(CheckedPush {
            document: self.document.into_owned(),
            percentage: self.percentage,
            progress: self.progress.into_owned(),
            device: self.device.map(|d| d.into_owned()),
            device_id: self.device_id.map(|d| d.into_owned()),
        })
    }
}

/// Any push body, each field checked in turn so the first problem is named.
fn parse_push_in_general(body: &[u8], rules: Rules) -> Result<CheckedPush, BodyProblem> {
    let map = json_object(body)?;
    let document = match map.get("document") {
        None | Some(Value::Null) => return Err(BodyProblem::DocumentMissing),
        Some(Value::String(s)) if s.is_empty() => return Err(BodyProblem::DocumentMissing),
        Some(Value::String(s)) if rules.reads_like_lua && s.contains(':') => {
            return Err(BodyProblem::DocumentNotAKey)
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(BodyProblem::DocumentNotAString),
    };
    let percentage = match map.get("percentage") {
        None | Some(Value::Null) => return Err(BodyProblem::PercentageMissing),
        Some(Value::Number(n)) => n.as_f64().ok_or(BodyProblem::PercentageNotANumber)?,
        Some(text @ Value::String(_)) if rules.reads_like_lua => {
            protocol::lua_number::tonumber(text).ok_or(BodyProblem::PercentageNotANumber)?
        }
        Some(_) => return Err(BodyProblem::PercentageNotANumber),
    };
    let progress = optional_string(&map, "progress", BodyProblem::ProgressNotAString)?
        .ok_or(BodyProblem::ProgressMissing)?;
    let device = optional_string(&map, "device", BodyProblem::DeviceNotAString)?;
    if rules.device_required && device.is_none() {
        return Err(BodyProblem::DeviceMissing);
    }
    let device_id = optional_string(&map, "device_id", BodyProblem::DeviceIdNotAString)?;
    Ok(CheckedPush {
        document,
        percentage,
        progress,
        device,
        device_id,
    })
}

/// `percentage` is a fraction of the book (S-BAD-2).
pub(crate) fn in_range(percentage: f64) -> Result<(), BodyProblem> {
    if (0.0..=1.0).contains(&percentage) {
        Ok(())
    } else {
        Err(BodyProblem::PercentageOutOfRange)
    }
}

/// The library holds this book (S-BOOK-1).
pub(crate) fn known_book(shared: &Shared, document: &str) -> Result<(), Refusal> {
    if shared.knows_book(document) {
        Ok(())
    } else {
        Err(Refusal::UnknownBook(document.to_owned()))
    }
}

/// The record a push makes, stamped `timestamp`.
pub(crate) fn new_record(push: CheckedPush, timestamp: i64) -> StoredProgress {
    StoredProgress {
        document: push.document,
        percentage: push.percentage,
        progress: push.progress,
        device: push.device.unwrap_or_default(),
        device_id: push.device_id,
        timestamp,
    }
}

/// Store a checked push for `owner`: last write wins (S-LWW-1) and the server
/// stamps its own time, never earlier than the record it replaces (S-TS-1).
pub(crate) async fn store_push(
    shared: &Shared,
    owner: &str,
    push: CheckedPush,
    now: i64,
) -> Result<StoredProgress, Refusal> {
    let document = push.document.clone();
    shared
        .save(owner, &document, move |previous| {
            new_record(push, previous.map_or(now, |p| p.timestamp.max(now)))
        })
        .await
        .map_err(|err| Refusal::Store(format!("{err:#}")))
}

/// A registration body: `{"username", "password"}`, where `password` is what
/// KOReader sends there — already the MD5 key, the same value as `x-auth-key`.
pub(crate) fn registration(body: &[u8]) -> Result<UserSpec, Refusal> {
    let map = json_object(body)?;
    let (Some(name), Some(key)) = (
        map.get("username").and_then(Value::as_str),
        map.get("password").and_then(Value::as_str),
    ) else {
        return Err(BodyProblem::CredentialsMissing.into());
    };
    if key.is_empty() {
        return Err(BodyProblem::KeyEmpty.into());
    }
    if let Some(problem) = user_name_problem(name) {
        return Err(Refusal::UnusableName {
            name: name.to_owned(),
            problem,
        });
    }
    Ok(UserSpec {
        name: name.to_owned(),
        key: key.to_owned(),
        sync_enabled: true,
    })
}

/// Add a new user; a taken name is refused (K-REG-2).
pub(crate) async fn register(shared: &Shared, user: UserSpec) -> Result<UserSpec, Refusal> {
    if !shared.insert_new_user(&user) {
        return Err(Refusal::NameTaken);
    }
    if let Err(err) = shared.persist_user(&user).await {
        shared.remove_user(&user.name);
        return Err(Refusal::Store(format!("{err:#}")));
    }
    Ok(user)
}

/// A progress record as a pull answers it, written straight from the record.
/// Members in alphabetical order, as a JSON object built in a map has them;
/// `device_id` only when the record has one.
#[derive(serde::Serialize)]
pub(crate) struct RecordBody<'a> {
    device: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_id: Option<&'a str>,
    document: &'a str,
    /// Always finite: it came from JSON.
    percentage: f64,
    progress: &'a str,
    timestamp: i64,
}

impl<'a> RecordBody<'a> {
    /// `record`, with `device_override` in place of both device fields when
    /// given (BookLore names every record's device after itself).
    pub(crate) fn of(record: &'a StoredProgress, device_override: Option<&'a str>) -> Self {
        let (device, device_id) = match device_override {
            Some(device) => (device, Some(device)),
            None => (record.device.as_str(), record.device_id.as_deref()),
        };
        RecordBody {
            device,
            device_id,
            document: &record.document,
            percentage: record.percentage,
            progress: &record.progress,
            timestamp: record.timestamp,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// One field's JSON text, or `None` to leave it out: every type a client
    /// or an attacker might send, plain and escaped strings included.
    fn field_value() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            Just(Some("null".to_owned())),
            Just(Some("\"\"".to_owned())),
            Just(Some("\"0123456789abcdef\"".to_owned())),
            Just(Some("\"a:b\"".to_owned())),
            Just(Some("\"esc\\u00e9aped\\n\"".to_owned())),
            Just(Some("\"0.25\"".to_owned())),
            Just(Some("\" 1e-1 \"".to_owned())),
            Just(Some("\"abc\"".to_owned())),
            Just(Some("true".to_owned())),
            Just(Some("[1]".to_owned())),
            Just(Some("{}".to_owned())),
            (0.0f64..=1.0).prop_map(|p| Some(format!("{p:?}"))),
            (-5i64..5).prop_map(|n| Some(n.to_string())),
            Just(Some("1e400".to_owned())),
            Just(Some("-0.0".to_owned())),
        ]
    }

    /// A field of its plain type (what the direct reading takes), with the
    /// values the checks look at: empty, with `:`, escaped.
    fn plain_value(name: &str) -> BoxedStrategy<Option<String>> {
        let text = prop_oneof![
            Just("\"\"".to_owned()),
            Just("\"0123456789abcdef\"".to_owned()),
            Just("\"a:b\"".to_owned()),
            Just("\"esc\\u00e9aped\\n\"".to_owned()),
        ];
        match name {
            "percentage" => prop_oneof![
                (0.0f64..=1.0).prop_map(|p| Some(format!("{p:?}"))),
                (-2i64..3).prop_map(|n| Some(n.to_string())),
            ]
            .boxed(),
            "document" | "progress" => text.prop_map(Some).boxed(),
            _ => prop_oneof![
                Just(None),
                Just(Some("null".to_owned())),
                text.prop_map(Some)
            ]
            .boxed(),
        }
    }

    fn body() -> impl Strategy<Value = String> {
        let names = ["document", "percentage", "progress", "device", "device_id"];
        // Mostly plain fields, so bodies the direct reading takes are common
        // and each of its checks is met; now and then anything at all.
        let values: Vec<_> = names
            .iter()
            .map(|name| prop_oneof![4 => plain_value(name), 1 => field_value()])
            .collect();
        (
            values,
            proptest::option::weighted(0.1, field_value()),
            any::<bool>(),
        )
            .prop_map(move |(values, repeated, extra)| {
                let mut fields: Vec<String> = names
                    .iter()
                    .zip(&values)
                    .filter_map(|(name, value)| value.as_ref().map(|v| format!("\"{name}\":{v}")))
                    .collect();
                if let Some(Some(value)) = repeated {
                    // A field given twice: the general reading keeps the last.
                    fields.push(format!("\"percentage\":{value}"));
                }
                if extra {
                    fields.push("\"timestamp\":1700000000".to_owned());
                }
                format!("{{{}}}", fields.join(","))
            })
    }

    /// Every combination of the dialect facts (both dialects among them).
    fn every_rules() -> impl Iterator<Item = Rules> {
        (0..64u8).map(|bits| Rules {
            ignore_key_case: bits & 1 != 0,
            device_required: bits & 2 != 0,
            has_library: bits & 4 != 0,
            registers_users: bits & 8 != 0,
            sign_in_checks_sync: bits & 16 != 0,
            reads_like_lua: bits & 32 != 0,
        })
    }

    proptest! {
        #[test]
        fn both_readings_of_a_push_agree(body in body()) {
            for rules in every_rules() {
                prop_assert_eq!(
                    parse_push(body.as_bytes(), rules),
                    parse_push_in_general(body.as_bytes(), rules),
                    "{}", body
                );
            }
        }
    }

    #[test]
    fn a_plain_body_takes_the_direct_reading() {
        let body =
            br#"{"document":"d","percentage":0.5,"progress":"p","device":"x","device_id":"i"}"#;
        assert!(serde_json::from_slice::<PlainPush<'_>>(body).is_ok());
        assert_eq!(
            parse_push(body, every_rules().next().expect("rules")),
            Ok(CheckedPush {
                document: "d".into(),
                percentage: 0.5,
                progress: "p".into(),
                device: Some("x".into()),
                device_id: Some("i".into()),
            })
        );
    }
}
