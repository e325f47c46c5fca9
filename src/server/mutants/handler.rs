//! The defective [`Handler`]: the reference's steps, with one thing wrong.
//!
//! A defect acts at one of four points: it rewrites the request before the
//! route runs, replaces a route with the reference's steps minus (or plus) one,
//! changes the outcome, or changes the reply the dialect made of it.

use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use serde_json::{json, Value};

use super::Defect;
use crate::protocol::{self, kosync_codes as code, Dialect};
use crate::server::handler::{self, Handler};
use crate::server::store::StoredProgress;
use crate::server::sync::{self, Answer, AuthFailure, BodyProblem, Refusal, Route, Rules};
use crate::server::wire::{Reply, ReplyBody, Request};
use crate::server::{booklore, kosync, Shared};

pub(crate) struct Defective {
    pub defect: Defect,
}

/// What a route came to: an outcome for the dialect to render, or a reply
/// the defect makes itself.
enum Decided {
    Outcome(Result<Answer, Refusal>),
    Reply(Reply),
}

impl Handler for Defective {
    fn answer<'a>(&'a self, shared: &'a Shared, request: &'a Request) -> BoxFuture<'a, Reply> {
        Box::pin(async move {
            let rewritten = self.rewrite(shared, request);
            let request = rewritten.as_ref().unwrap_or(request);
            let mut route = handler::route(shared.dialect, request);
            if self.defect == Defect::KosyncNoHealthcheck && route == Route::Healthcheck {
                route = Route::NotFound;
            }
            let admitted = handler::admit(shared, &route, request)
                .and_then(|()| self.reject_vendor_accept(shared, &route, request));
            let outcome = match admitted {
                Err(refusal) => Err(refusal),
                Ok(()) => match self.decide(shared, &route, request).await {
                    Decided::Outcome(outcome) => outcome,
                    Decided::Reply(reply) => return reply,
                },
            };
            let outcome = self.alter_outcome(outcome);
            let reply = handler::to_wire(shared, &outcome);
            self.alter_reply(shared, Some(&route), &outcome, reply)
        })
    }

    fn refuse(&self, shared: &Shared, refusal: Refusal) -> Reply {
        let outcome = Err(refusal);
        let reply = handler::to_wire(shared, &outcome);
        self.alter_reply(shared, None, &outcome, reply)
    }
}

impl Defective {
    /// AcceptAnyKey: a known user's name opens the door whatever key comes with it.
    fn rewrite(&self, shared: &Shared, request: &Request) -> Option<Request> {
        if self.defect != Defect::AcceptAnyKey {
            return None;
        }
        let user = shared.user(request.header_utf8(protocol::HEADER_AUTH_USER)?)?;
        let mut headers = request.headers.clone();
        headers.insert(protocol::HEADER_AUTH_KEY, user.key.parse().ok()?);
        Some(Request {
            method: request.method.clone(),
            uri: request.uri.clone(),
            headers,
            body: request.body.clone(),
        })
    }

    /// KosyncRejectsVendorAccept: a strict server that refuses every `Accept`, even the right one.
    fn reject_vendor_accept(
        &self,
        shared: &Shared,
        route: &Route<'_>,
        request: &Request,
    ) -> Result<(), Refusal> {
        let strict_and_routed = shared.strict_accept && *route != Route::NotFound;
        if self.defect == Defect::KosyncRejectsVendorAccept
            && strict_and_routed
            && request.headers.contains_key(hyper::header::ACCEPT)
        {
            Err(Refusal::AcceptMismatch)
        } else {
            Ok(())
        }
    }

    async fn decide(&self, shared: &Shared, route: &Route<'_>, request: &Request) -> Decided {
        let rules = handler::rules(shared.dialect);
        let outcome = match (self.defect, route) {
            (Defect::TextNodeProgressRefused, Route::Push) => {
                if let Some(reply) = refuse_text_node(shared, rules, request) {
                    return Decided::Reply(reply);
                }
                sync::decide(shared, rules, route, request).await
            }
            (
                Defect::IgnoreSyncDisabled
                | Defect::PercentageOutOfRangeAccepted
                | Defect::StoreUnknownBook
                | Defect::EchoClientTimestamp,
                Route::Push,
            ) => self.push(shared, rules, request).await.map(Answer::Pushed),
            (Defect::IgnoreSyncDisabled, Route::Pull(document)) => {
                pull_ignoring_sync(shared, rules, request, document)
                    .await
                    .map(Answer::Progress)
            }
            (Defect::IgnoreSyncDisabled, Route::Auth) => sync::signed_in(shared, request, rules)
                .map(Answer::SignedIn)
                .map_err(Refusal::from),
            (Defect::RegistrationAllowed | Defect::KosyncTakenNameAllowed, Route::Create) => {
                register_replacing(shared, rules, request).await
            }
            // The reference's push, refusing a percentage sent as text
            // instead of reading it with Lua's tonumber.
            (Defect::KosyncNumericTextRefused, Route::Push)
                if percentage_is_text(&request.body) =>
            {
                sync::signed_in(shared, request, rules)
                    .map_err(Refusal::from)
                    .and_then(|_| Err(BodyProblem::PercentageNotANumber.into()))
            }
            _ => sync::decide(shared, rules, route, request).await,
        };
        Decided::Outcome(outcome)
    }

    /// The accept-push path with this defect's step left out or changed.
    async fn push(
        &self,
        shared: &Shared,
        rules: Rules,
        request: &Request,
    ) -> Result<StoredProgress, Refusal> {
        let defect = self.defect;
        let user = sync::signed_in(shared, request, rules)?;
        if defect != Defect::IgnoreSyncDisabled {
            sync::may_sync(&user)?;
        }
        let push = sync::parse_push(&request.body, rules)?;
        if defect != Defect::PercentageOutOfRangeAccepted {
            sync::in_range(push.percentage)?;
        }
        if rules.has_library && defect != Defect::StoreUnknownBook {
            sync::known_book(shared, &push.document)?;
        }
        let now = shared.clock.now();
        if defect == Defect::EchoClientTimestamp {
            let stamp = serde_json::from_slice::<Value>(&request.body)
                .ok()
                .and_then(|body| body.get("timestamp").and_then(Value::as_i64))
                .unwrap_or(now);
            let document = push.document.clone();
            return shared
                .save(&user.name, &document, move |_| {
                    sync::new_record(push, stamp)
                })
                .await
                .map_err(|err| Refusal::Store(format!("{err:#}")));
        }
        sync::store_push(shared, &user.name, push, now).await
    }

    fn alter_outcome(&self, outcome: Result<Answer, Refusal>) -> Result<Answer, Refusal> {
        if self.defect != Defect::MillisecondTimestamps {
            return outcome;
        }
        let in_ms = |mut r: StoredProgress| {
            r.timestamp = r.timestamp.saturating_mul(1000);
            r
        };
        match outcome {
            Ok(Answer::Pushed(r)) => Ok(Answer::Pushed(in_ms(r))),
            Ok(Answer::Progress(Some(r))) => Ok(Answer::Progress(Some(Arc::new(in_ms(
                Arc::unwrap_or_clone(r),
            ))))),
            other => other,
        }
    }

    /// The defects that show only in the reply. `route` is `None` for a
    /// request refused before routing.
    fn alter_reply(
        &self,
        shared: &Shared,
        route: Option<&Route<'_>>,
        outcome: &Result<Answer, Refusal>,
        mut reply: Reply,
    ) -> Reply {
        let kosync = shared.dialect == Dialect::Kosync;
        let pull = matches!(route, Some(Route::Pull(_)));
        match (self.defect, outcome) {
            (Defect::UnknownProgressAnswers200Empty, Ok(Answer::Progress(None))) if pull => {
                reply = Reply::json(200, json!({}));
            }
            (Defect::KosyncUnknownDocument404, Ok(Answer::Progress(None))) if kosync && pull => {
                reply = kosync::error(404, code::DOCUMENT_MISSING, "no progress for this document");
            }
            (Defect::PercentageAsString, Ok(Answer::Progress(Some(record)))) => {
                set_field(
                    &mut reply,
                    "percentage",
                    Some(json!(record.percentage.to_string())),
                );
            }
            (Defect::ZeroPercentageOmitted, Ok(Answer::Progress(Some(record))))
                if record.percentage == 0.0 =>
            {
                set_field(&mut reply, "percentage", None);
            }
            (Defect::AuthAnswersWithoutUsername, Ok(Answer::SignedIn(_))) => {
                reply = Reply::json(200, json!({ "authorized": "OK" }));
            }
            (Defect::KosyncAuthAnswersUsername, Ok(Answer::SignedIn(user))) => {
                reply = Reply::json(200, json!({ "username": user.name }));
            }
            (Defect::KosyncAuthAnswers204, Ok(Answer::SignedIn(_))) if kosync => {
                reply = Reply::text(204, "");
            }
            (Defect::KosyncRegistrationAnswersWithoutUsername, Ok(Answer::Registered(_)))
                if kosync =>
            {
                reply = Reply::json(201, json!({}));
            }
            (Defect::KosyncRegistrationAnswers200, Ok(Answer::Registered(_))) => reply.status = 200,
            (Defect::KosyncPushAnswersWithoutTimestamp, Ok(Answer::Pushed(_))) => {
                set_field(&mut reply, "timestamp", None);
            }
            (Defect::KosyncWrongKeyCode403, Err(Refusal::Credentials(AuthFailure::WrongKey)))
                if kosync =>
            {
                reply = kosync::error(403, code::UNAUTHORIZED, "Forbidden");
            }
            (Defect::KosyncInvalidPushCode400, Err(Refusal::BadBody(problem)))
                if kosync
                    && matches!(route, Some(Route::Push))
                    && !problem.is_about_document()
                    && !matches!(problem, BodyProblem::InvalidJson | BodyProblem::NotAnObject) =>
            {
                reply = kosync::error(400, code::INVALID_REQUEST, problem.message());
            }
            (Defect::KosyncMissingDocumentCode2003, Err(Refusal::BadBody(problem)))
                if kosync && problem.is_about_document() =>
            {
                reply = kosync::error(403, code::INVALID_REQUEST, problem.message());
            }
            (Defect::KosyncInvalidJson500, Err(Refusal::BadBody(BodyProblem::InvalidJson)))
                if kosync =>
            {
                reply = kosync::error(500, code::INVALID_JSON, BodyProblem::InvalidJson.message());
            }
            (
                Defect::MissingPercentage500,
                Err(Refusal::BadBody(BodyProblem::PercentageMissing)),
            ) if !kosync => {
                reply = booklore::error(500, "Internal Server Error", shared.clock.now());
            }
            (Defect::KosyncMissingAcceptCode101, Err(Refusal::AcceptMissing)) => {
                reply = kosync::error(412, code::ACCEPT_MISMATCH, "Accept header is missing");
            }
            (Defect::KosyncErrorsWithoutCode, _) if kosync => set_field(&mut reply, "code", None),
            (Defect::TextPlainContentType, _) => relabel(&mut reply, "text/plain"),
            (Defect::CharsetInContentType, _) => {
                relabel(&mut reply, "application/json; charset=utf-8");
            }
            _ => {}
        }
        reply
    }
}

/// KosyncNumericTextRefused: the body's `percentage` is a JSON string.
fn percentage_is_text(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .is_some_and(|b| b.get("percentage").is_some_and(Value::is_string))
}

/// TextNodeProgressRefused: a push that passes the reference's gate but whose
/// progress points into a text node (`…/text().17`) is refused as a bad body.
fn refuse_text_node(shared: &Shared, rules: Rules, request: &Request) -> Option<Reply> {
    let user = sync::signed_in(shared, request, rules).ok()?;
    sync::may_sync(&user).ok()?;
    let push = sync::parse_push(&request.body, rules).ok()?;
    if !push.progress.contains("text()") {
        return None;
    }
    let message = "field \"progress\" is not a position this server reads";
    Some(match shared.dialect {
        Dialect::BookLore => booklore::error(400, message, shared.clock.now()),
        Dialect::Kosync => kosync::error(403, code::INVALID_REQUEST, message),
    })
}

/// IgnoreSyncDisabled: the reference's pull without the sync switch.
async fn pull_ignoring_sync(
    shared: &Shared,
    rules: Rules,
    request: &Request,
    document: &str,
) -> Result<Option<Arc<StoredProgress>>, Refusal> {
    let user = sync::signed_in(shared, request, rules)?;
    if rules.has_library {
        sync::known_book(shared, document)?;
    }
    shared
        .load(&user.name, document)
        .await
        .map_err(|err| Refusal::Store(format!("{err:#}")))
}

/// RegistrationAllowed (BookLore registers), KosyncTakenNameAllowed (a taken
/// name is replaced): registration without its closed door or its taken check.
async fn register_replacing(
    shared: &Shared,
    rules: Rules,
    request: &Request,
) -> Result<Answer, Refusal> {
    if rules.registers_users && !shared.registration {
        return Err(Refusal::RegistrationClosed);
    }
    let user = sync::registration(&request.body)?;
    shared
        .put_user(user.clone())
        .await
        .map_err(|err| Refusal::Store(format!("{err:#}")))?;
    Ok(Answer::Registered(user))
}

/// Set (or with `None` remove) a member of a JSON object reply.
fn set_field(reply: &mut Reply, field: &str, value: Option<Value>) {
    // A reply written already is read back to be edited.
    if let ReplyBody::JsonText(text) = &reply.body {
        if let Ok(parsed) = serde_json::from_slice::<Value>(text) {
            reply.body = ReplyBody::Json(parsed);
        }
    }
    if let ReplyBody::Json(Value::Object(body)) = &mut reply.body {
        match value {
            Some(value) => {
                body.insert(field.to_owned(), value);
            }
            None => {
                body.remove(field);
            }
        }
    }
}

/// Serve a JSON reply under another media type.
fn relabel(reply: &mut Reply, content_type: &'static str) {
    let bytes = match &reply.body {
        ReplyBody::Json(value) => Bytes::from(value.to_string()),
        ReplyBody::JsonText(text) => text.clone(),
        ReplyBody::Text(_) | ReplyBody::Raw { .. } => return,
    };
    reply.body = ReplyBody::Raw {
        content_type,
        bytes,
    };
}
