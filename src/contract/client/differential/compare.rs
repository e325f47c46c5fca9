//! Comparing two traces, and naming the rules behind a difference.
//!
//! A step's traces are compared part by part, and each differing part is an
//! [`Aspect`]: how many pulls or pushes, the route, the auth headers, the
//! document, the push body's fields and their types, the position it
//! carries, the order of one document's requests, prompts and applied
//! positions, error notices, refused settings, the pending and synced counts.
//! What no rule constrains is not compared: the order of requests for
//! *different* documents, the words of a notice, informational notices, a
//! field the reference does not send.
//!
//! The rules a difference is attributed to are the reference's
//! [`Decision`]s at that step that govern a differing aspect — nothing else.
//! When there are none, no rule forbids the difference: it is reported as
//! not attributable and fails nothing.

use std::collections::BTreeMap;

use serde_json::Value;

use super::trace::{StepTrace, Trace, WireRequest};
use crate::model::{Aspect, Decision, Effect, NoticeLevel};
use crate::protocol::{self, same_percentage};

/// Wire equality of two JSON values: numbers by [`same_percentage`] (every
/// number the rules compare is a percentage or an integer), the rest exactly.
pub fn values_match(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => same_percentage(x, y),
            _ => x == y,
        },
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_match(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| values_match(v, w))
        }
        _ => a == b,
    }
}

/// The document a request is about (lowercased, so a wrongly cased hash is
/// still compared with the right one): a pull's last path segment, a push's
/// `document` field.
fn document_key(r: &WireRequest) -> String {
    let named = if r.method == "GET" {
        r.path.rsplit('/').next().map(str::to_string)
    } else {
        r.body
            .as_ref()
            .and_then(|b| b.get("document"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    named.unwrap_or_default().to_ascii_lowercase()
}

/// Whether a push field's value has the type C-WIRE-5 asks for.
fn well_typed(field: &str, value: &Value) -> bool {
    match field {
        "percentage" => value.as_f64().is_some_and(|p| (0.0..=1.0).contains(&p)),
        "timestamp" => value
            .as_i64()
            .is_some_and(|t| protocol::EPOCH_SECONDS.contains(&t)),
        _ => value.is_string(),
    }
}

/// The aspects in which one request differs from the reference's.
fn request_aspects(r: &WireRequest, c: &WireRequest, out: &mut Vec<Aspect>) {
    if r.auth_user != c.auth_user || r.auth_key != c.auth_key {
        out.push(Aspect::Auth);
    }
    if r.path != c.path {
        let last = |p: &str| p.rsplit('/').next().map(str::to_string);
        if r.method == "GET" && last(&r.path) != last(&c.path) {
            out.push(Aspect::Document);
        }
        if r.method != "GET"
            || r.path.rsplit_once('/').map(|x| x.0) != c.path.rsplit_once('/').map(|x| x.0)
        {
            out.push(Aspect::Path);
        }
    }
    let (Some(rb), Some(cb)) = (&r.body, &c.body) else {
        if r.body.is_some() != c.body.is_some() {
            out.push(Aspect::Fields);
        }
        return;
    };
    for field in protocol::PROGRESS_FIELDS {
        // A field the reference does not send constrains nothing.
        let Some(want) = rb.get(field) else {
            continue;
        };
        match cb.get(field) {
            None | Some(Value::Null) => out.push(Aspect::Fields),
            Some(got) if !well_typed(field, got) => out.push(Aspect::Types),
            Some(got) if values_match(want, got) => {}
            Some(_) if field == "document" => out.push(Aspect::Document),
            Some(_) => out.push(Aspect::Content),
        }
    }
}

/// The requests of `side` with `method`, in order.
fn of<'a>(side: &[&'a WireRequest], method: &str) -> Vec<&'a WireRequest> {
    side.iter()
        .copied()
        .filter(|x| x.method == method)
        .collect()
}

fn requests_aspects(r: &[WireRequest], c: &[WireRequest]) -> Vec<Aspect> {
    let mut by_document: BTreeMap<String, (Vec<&WireRequest>, Vec<&WireRequest>)> = BTreeMap::new();
    for x in r {
        by_document.entry(document_key(x)).or_default().0.push(x);
    }
    for x in c {
        by_document.entry(document_key(x)).or_default().1.push(x);
    }
    let mut out = Vec::new();
    for (left, right) in by_document.values() {
        let mut same_shape = true;
        for (method, aspect) in [("GET", Aspect::Pulls), ("PUT", Aspect::Uploads)] {
            let (a, b) = (of(left, method), of(right, method));
            if a.len() != b.len() {
                out.push(aspect);
                same_shape = false;
            }
            for (x, y) in a.iter().zip(&b) {
                request_aspects(x, y, &mut out);
            }
        }
        let other = |side: &[&WireRequest]| {
            side.iter()
                .filter(|x| x.method != "GET" && x.method != "PUT")
                .count()
        };
        if other(left) != other(right) {
            out.push(Aspect::Uploads);
            same_shape = false;
        }
        // One book's requests keep their order (C-PULL-7: its pull before
        // its uploads, a reopened book's close upload included, which would
        // otherwise be what the pull reads back).
        let methods =
            |side: &[&WireRequest]| side.iter().map(|x| x.method.clone()).collect::<Vec<_>>();
        if same_shape && methods(left) != methods(right) {
            out.push(Aspect::Order);
        }
    }
    out
}

/// Prompts and applied positions, as compared (no free text).
fn prompts(effects: &[Effect]) -> Vec<Value> {
    effects
        .iter()
        .filter(|e| {
            matches!(
                e,
                Effect::PromptShown { .. } | Effect::PositionApplied { .. }
            )
        })
        .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
        .collect()
}

fn errors(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| {
            matches!(
                e,
                Effect::NoticeShown {
                    level: NoticeLevel::Error,
                    ..
                }
            )
        })
        .count()
}

fn refused_fields(effects: &[Effect]) -> Vec<&str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::SettingsRejected { field, .. } => Some(field.as_str()),
            _ => None,
        })
        .collect()
}

/// Every aspect in which the candidate's step differs from the reference's.
pub fn step_aspects(r: &StepTrace, c: &StepTrace) -> Vec<Aspect> {
    let mut out = requests_aspects(&r.requests, &c.requests);
    // Asking for Wi-Fi is a step towards sending (C-PULL-3: not in order to pull).
    let asks = |e: &[Effect]| {
        e.iter()
            .filter(|x| matches!(x, Effect::WifiOnRequested))
            .count()
    };
    if asks(&r.effects) != asks(&c.effects) {
        out.push(Aspect::Pulls);
    }
    let (rp, cp) = (prompts(&r.effects), prompts(&c.effects));
    if rp.len() != cp.len() || !rp.iter().zip(&cp).all(|(a, b)| values_match(a, b)) {
        out.push(Aspect::Prompts);
    }
    if errors(&r.effects) != errors(&c.effects) {
        out.push(Aspect::Notices);
    }
    if refused_fields(&r.effects) != refused_fields(&c.effects) {
        out.push(Aspect::Settings);
    }
    if r.queue.pending != c.queue.pending {
        out.push(Aspect::Pending);
    }
    if r.queue.synced != c.queue.synced {
        out.push(Aspect::Synced);
    }
    let mut unique = Vec::new();
    for a in out {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    unique
}

/// The first step where the traces differ, with the aspects that differ.
pub fn first_difference(reference: &Trace, candidate: &Trace) -> Option<(usize, Vec<Aspect>)> {
    for (i, (r, c)) in reference.iter().zip(candidate).enumerate() {
        let aspects = step_aspects(r, c);
        if !aspects.is_empty() {
            return Some((i, aspects));
        }
    }
    None
}

/// The reference's decisions at a step that govern one of `aspects`, as rule
/// ids in the order decided.
fn governing(decisions: &[Decision], aspects: &[Aspect]) -> Vec<&'static str> {
    let mut rules = Vec::new();
    for d in decisions {
        if aspects.iter().any(|a| d.governs(*a)) && !rules.contains(&d.rule) {
            rules.push(d.rule);
        }
    }
    rules
}

/// Which layer of a step an aspect belongs to: what was sent or shown, then
/// what the queue holds. A difference in the queue is usually the
/// consequence of one in what was sent (a push that went wrong leaves the
/// queue different too).
fn layer(aspect: Aspect) -> usize {
    match aspect {
        // What the queue holds follows from what was sent and shown.
        Aspect::Pending | Aspect::Synced => 1,
        // Sent and shown cause each other within one event (a prompt's answer
        // is what the next upload carries): one layer.
        _ => 0,
    }
}

/// The rules a difference in `aspects` breaks: the reference's decisions
/// that govern the differing aspects of the first layer (sent or shown,
/// then queued) where any decision governs one, with those aspects. Empty rules
/// (and every aspect) when no decision governs any: no rule forbids it.
pub fn attributed_rules(
    decisions: &[Decision],
    aspects: &[Aspect],
) -> (Vec<Aspect>, Vec<&'static str>) {
    for l in 0..2 {
        let in_layer: Vec<Aspect> = aspects.iter().copied().filter(|a| layer(*a) == l).collect();
        let rules = governing(decisions, &in_layer);
        if !rules.is_empty() {
            return (in_layer, rules);
        }
    }
    (aspects.to_vec(), Vec::new())
}

/// An aspect in words, for reports.
pub fn aspect_words(aspect: Aspect) -> &'static str {
    match aspect {
        Aspect::Pulls => "which pulls were sent",
        Aspect::Uploads => "which pushes were sent",
        Aspect::Order => "the order of a book's pull and pushes",
        Aspect::Path => "a request's route",
        Aspect::Auth => "the auth headers",
        Aspect::Document => "the document hash",
        Aspect::Fields => "the push body's fields",
        Aspect::Types => "the type of a push field",
        Aspect::Content => "the position a push carries",
        Aspect::Prompts => "prompts and applied positions",
        Aspect::Notices => "error notices",
        Aspect::Settings => "refused settings",
        Aspect::Pending => "the pending count",
        Aspect::Synced => "the synced count",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put(document: &str, percentage: f64) -> WireRequest {
        WireRequest {
            method: "PUT".into(),
            path: "/api/koreader/syncs/progress".into(),
            auth_user: Some("u".into()),
            auth_key: Some("k".into()),
            body: Some(
                json!({"document": document, "percentage": percentage, "progress": "1",
                              "timestamp": 1_700_000_000, "device": "d", "device_id": "D"}),
            ),
            status: 200,
        }
    }

    fn get(document: &str) -> WireRequest {
        WireRequest {
            method: "GET".into(),
            path: format!("/api/koreader/syncs/progress/{document}"),
            auth_user: Some("u".into()),
            auth_key: Some("k".into()),
            body: None,
            status: 404,
        }
    }

    #[test]
    fn numbers_match_within_the_wire_tolerance_only() {
        assert!(values_match(
            &json!({"p": 0.333333333333333}),
            &json!({"p": 1.0 / 3.0})
        ));
        assert!(values_match(&json!(1), &json!(1.0)));
        assert!(!values_match(
            &json!({"p": 0.3333}),
            &json!({"p": 1.0 / 3.0})
        ));
        assert!(!values_match(&json!({"p": 1}), &json!({"p": 1, "q": 2})));
    }

    #[test]
    fn another_book_may_go_first_but_not_a_books_own_upload() {
        // The previous book's close upload before the new book's pull: no rule orders them.
        let reference = [get("b"), put("a", 0.2), put("b", 0.5)];
        let closed_first = [put("a", 0.2), get("b"), put("b", 0.5)];
        assert_eq!(requests_aspects(&reference, &closed_first), vec![]);
        // The new book's own upload before its pull is another order (C-PULL-7).
        let uploaded_first = [put("a", 0.2), put("b", 0.5), get("b")];
        assert_eq!(
            requests_aspects(&reference, &uploaded_first),
            vec![Aspect::Order]
        );
        // The same book reopened: its close upload before its pull would be
        // what the pull reads back (C-PULL-7).
        let reference = [get("a"), put("a", 0.2), put("a", 0.3)];
        let closed_first = [put("a", 0.2), get("a"), put("a", 0.3)];
        assert_eq!(
            requests_aspects(&reference, &closed_first),
            vec![Aspect::Order]
        );
    }

    #[test]
    fn a_field_the_reference_does_not_send_is_not_compared() {
        let mut r = put("a", 0.2);
        if let Some(body) = r.body.as_mut().and_then(Value::as_object_mut) {
            body.remove("timestamp");
        }
        assert_eq!(requests_aspects(&[r.clone()], &[put("a", 0.2)]), vec![]);
        assert_eq!(
            requests_aspects(&[put("a", 0.2)], &[r]),
            vec![Aspect::Fields]
        );
    }

    #[test]
    fn differences_fall_in_their_aspect() {
        let mut ms = put("a", 0.2);
        if let Some(b) = ms.body.as_mut() {
            b["timestamp"] = json!(1_700_000_000_000i64);
        }
        assert_eq!(
            requests_aspects(&[put("a", 0.2)], &[ms]),
            vec![Aspect::Types]
        );
        assert_eq!(
            requests_aspects(&[put("a", 0.2)], &[put("a", 0.3)]),
            vec![Aspect::Content]
        );
        assert_eq!(
            requests_aspects(&[put("a", 0.2)], &[put("A", 0.2)]),
            vec![Aspect::Document]
        );
        assert_eq!(
            requests_aspects(&[get("a")], &[get("A")]),
            vec![Aspect::Document]
        );
        let mut short = get("a");
        short.path = "/syncs/progress/a".into();
        assert_eq!(requests_aspects(&[get("a")], &[short]), vec![Aspect::Path]);
        assert_eq!(requests_aspects(&[], &[get("a")]), vec![Aspect::Pulls]);
    }

    #[test]
    fn rules_come_from_the_decisions_that_govern_the_difference() {
        use crate::model::Outcome;
        let decisions = [
            Decision::new("C-PULL-1", Outcome::Pulled, &[Aspect::Pulls]),
            Decision::new("C-PUSH-6", Outcome::Debounced, &[Aspect::Uploads]),
            Decision::new("C-Q-5", Outcome::Synced, &[Aspect::Pending, Aspect::Synced]),
        ];
        let rules = |aspects: &[Aspect]| attributed_rules(&decisions, aspects).1;
        assert_eq!(rules(&[Aspect::Uploads]), vec!["C-PUSH-6"]);
        assert_eq!(rules(&[Aspect::Synced]), vec!["C-Q-5"]);
        assert!(rules(&[Aspect::Notices]).is_empty());
        // The request that went wrong, not the queue it left behind.
        assert_eq!(rules(&[Aspect::Uploads, Aspect::Synced]), vec!["C-PUSH-6"]);
        // A difference no rule forbids does not hide one that a rule forbids.
        assert_eq!(rules(&[Aspect::Notices, Aspect::Pending]), vec!["C-Q-5"]);
    }
}
