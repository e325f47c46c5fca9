//! Client contract steps for what must be seen on the wire (the requests'
//! part of the `Then` vocabulary of `features/client`): which requests
//! reached the server, their routes, headers and bodies; and the helpers the
//! other checks (`steps_seen.rs`: what the user saw, the queue, the server's
//! record) share.
//!
//! Requests and effects are judged from the start of the current `When`
//! block (see [`ClientWorld::enter`]), after the client was left alone until
//! quiet ([`ClientWorld::then`]); queue counts, the reader's position and
//! the server's stored progress are judged as they are then. A failed check
//! says what the rule wanted and what the client did, and the scenario goes
//! on; the rule id comes from the scenario's tags.

use cucumber::gherkin::Step;
use cucumber::then;

use super::steps::Percent;
use super::world::{
    describe_entry, ClientWorld, Exchange, BOOK_NAMES, READER_PASSWORD, READER_USER,
};

use crate::model::Event;
use crate::protocol::{self, HEADER_AUTH_KEY, HEADER_AUTH_USER};

/// Wire equality of percentages (`protocol::same_percentage`).
pub(super) fn same(a: f64, b: f64) -> bool {
    protocol::same_percentage(a, b)
}

pub(super) fn is_pull(x: &Exchange) -> bool {
    x.entry.method.eq_ignore_ascii_case("GET")
}

pub(super) fn is_push(x: &Exchange) -> bool {
    x.entry.method.eq_ignore_ascii_case("PUT")
}

/// The requests of the current block, one per line, for "actual" texts.
pub(super) fn listing(xs: &[&Exchange]) -> String {
    if xs.is_empty() {
        return "no request at all".to_string();
    }
    xs.iter()
        .map(|x| describe_entry(&x.entry))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn since_mark(w: &ClientWorld) -> Vec<&Exchange> {
    w.exchanges_since_mark().iter().collect()
}

pub(super) fn percent_text(fraction: f64) -> String {
    let percent = fraction * 100.0;
    let text = format!("{percent:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

pub(super) fn push_fraction(x: &Exchange) -> Option<f64> {
    x.entry.body.get("percentage").and_then(|p| p.as_f64())
}

pub(super) fn push_document(x: &Exchange) -> Option<&str> {
    x.entry.body.get("document").and_then(|d| d.as_str())
}

// ---- requests -------------------------------------------------------------

#[then(expr = "no request reaches the server")]
async fn no_request(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let xs = since_mark(w);
    if !xs.is_empty() {
        w.miss("no request", listing(&xs))
    }
}

#[then(expr = "at least {int} request(s) reach(es) the server")]
async fn at_least_requests(w: &mut ClientWorld, step: &Step, n: usize) {
    w.then(step).await;
    let xs = since_mark(w);
    if xs.len() < n {
        w.miss(format!("at least {n} requests"), listing(&xs))
    }
}

#[then(expr = "a pull for book {word} reaches the server")]
async fn a_pull(w: &mut ClientWorld, step: &Step, book: String) {
    w.then(step).await;
    let path = w.dialect().pull_path(&w.hash_of(&book));
    let xs = since_mark(w);
    if !xs.iter().any(|x| is_pull(x) && x.entry.path == path) {
        w.miss(format!("GET {path} (book {book})"), listing(&xs))
    }
}

#[then(expr = "no pull reaches the server")]
async fn no_pull(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let pulls: Vec<_> = since_mark(w).into_iter().filter(|x| is_pull(x)).collect();
    if !pulls.is_empty() {
        w.miss("no pull", listing(&pulls))
    }
}

#[then(expr = "the server answers it with {int}")]
async fn pull_answered(w: &mut ClientWorld, step: &Step, status: u16) {
    w.then(step).await;
    let xs = since_mark(w);
    let Some(pull) = xs.iter().rev().find(|x| is_pull(x)) else {
        return w.miss(format!("a pull answered {status}"), listing(&xs));
    };
    if pull.entry.status != status {
        w.miss(
            format!("the server's answer {status}"),
            describe_entry(&pull.entry),
        )
    }
}

#[then(
    expr = "every pull uses GET on \\/api\\/koreader\\/syncs\\/progress\\/ followed by the document hash"
)]
async fn pulls_use_route(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let dialect = w.dialect();
    let allowed: Vec<String> = BOOK_NAMES
        .iter()
        .map(|b| dialect.pull_path(&w.hash_of(b)))
        .collect();
    let xs = since_mark(w);
    let pulls: Vec<_> = xs.iter().filter(|x| is_pull(x)).collect();
    if pulls.is_empty() {
        return w.miss("at least one pull", listing(&xs));
    }
    for pull in pulls {
        if !allowed.contains(&pull.entry.path) {
            return w.miss(
                format!("GET {}{{document}}", dialect.pull_path("")),
                describe_entry(&pull.entry),
            );
        }
    }
    for x in &xs {
        if !is_pull(x) && !is_push(x) {
            return w.miss("only GET pulls and PUT pushes", describe_entry(&x.entry));
        }
    }
}

#[then(expr = "a push for book {word} at {percent} reaches the server")]
async fn a_push(w: &mut ClientWorld, step: &Step, book: String, at: Percent) {
    w.then(step).await;
    let document = w.hash_of(&book);
    let path = w.dialect().push_path();
    let xs = since_mark(w);
    let found = xs.iter().any(|x| {
        is_push(x)
            && x.entry.path == path
            && push_document(x) == Some(document.as_str())
            && push_fraction(x).is_some_and(|p| same(p, at.fraction()))
    });
    if !found {
        w.miss(
            format!(
                "PUT {path} with document {document} (book {book}) and percentage {}",
                at.fraction()
            ),
            listing(&xs),
        )
    }
}

#[then(expr = "no push reaches the server")]
async fn no_push(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let pushes: Vec<_> = since_mark(w).into_iter().filter(|x| is_push(x)).collect();
    if !pushes.is_empty() {
        w.miss("no push", listing(&pushes))
    }
}

#[then(regex = r"^(\d+) push(?:es)? reach(?:es)? the server$")]
async fn n_pushes(w: &mut ClientWorld, step: &Step, n: usize) {
    w.then(step).await;
    let pushes: Vec<_> = since_mark(w).into_iter().filter(|x| is_push(x)).collect();
    if pushes.len() != n {
        w.miss(format!("exactly {n} push(es)"), listing(&pushes))
    }
}

#[then(regex = r"^at least (\d+) push(?:es)? reach(?:es)? the server$")]
async fn at_least_pushes(w: &mut ClientWorld, step: &Step, n: usize) {
    w.then(step).await;
    let pushes: Vec<_> = since_mark(w).into_iter().filter(|x| is_push(x)).collect();
    if pushes.len() < n {
        w.miss(format!("at least {n} pushes"), listing(&pushes))
    }
}

#[then(regex = r"^the pushes for book (\w+) are at (\d+(?:\.\d+)?%(?: then \d+(?:\.\d+)?%)*)$")]
async fn pushes_in_order(w: &mut ClientWorld, step: &Step, book: String, list: String) {
    w.then(step).await;
    let mut wanted = Vec::new();
    for part in list.split(" then ") {
        match part.parse::<Percent>() {
            Ok(p) => wanted.push(p.fraction()),
            Err(e) => super::world::harness_fault(e),
        }
    }
    let document = w.hash_of(&book);
    let got: Vec<f64> = since_mark(w)
        .into_iter()
        .filter(|x| is_push(x) && push_document(x) == Some(document.as_str()))
        .filter_map(push_fraction)
        .collect();
    let matches = got.len() == wanted.len() && got.iter().zip(&wanted).all(|(a, b)| same(*a, *b));
    if !matches {
        let show = |v: &[f64]| {
            v.iter()
                .map(|p| percent_text(*p))
                .collect::<Vec<_>>()
                .join(" then ")
        };
        w.miss(
            format!("pushes for book {book} at {} in that order", show(&wanted)),
            if got.is_empty() {
                "no push for that book".to_string()
            } else {
                show(&got)
            },
        )
    }
}

#[then(expr = "the pull for book {word} reaches the server before any push")]
async fn pull_before_push(w: &mut ClientWorld, step: &Step, book: String) {
    w.then(step).await;
    let path = w.dialect().pull_path(&w.hash_of(&book));
    let xs = since_mark(w);
    let pull = xs.iter().position(|x| is_pull(x) && x.entry.path == path);
    let push = xs.iter().position(|x| is_push(x));
    match (pull, push) {
        (Some(pull), Some(push)) if pull < push => {}
        (Some(_), None) => {}
        _ => w.miss(format!("GET {path} arriving before any PUT"), listing(&xs)),
    }
}

#[then(expr = "every push uses PUT on \\/api\\/koreader\\/syncs\\/progress")]
async fn pushes_use_route(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let path = w.dialect().push_path();
    let xs = since_mark(w);
    let pushes: Vec<_> = xs.iter().filter(|x| is_push(x)).collect();
    if pushes.is_empty() {
        return w.miss("at least one push", listing(&xs));
    }
    for push in pushes {
        if push.entry.path != path {
            return w.miss(format!("PUT {path}"), describe_entry(&push.entry));
        }
    }
}

#[then(
    expr = "every push is a JSON object with document, percentage, progress, timestamp, device and device_id"
)]
async fn pushes_have_fields(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let xs = since_mark(w);
    let pushes: Vec<_> = xs.iter().filter(|x| is_push(x)).collect();
    if pushes.is_empty() {
        return w.miss("at least one push", listing(&xs));
    }
    for push in pushes {
        let Some(object) = push.entry.body.as_object() else {
            return w.miss("a JSON object body", describe_entry(&push.entry));
        };
        let missing: Vec<&str> = crate::protocol::PROGRESS_FIELDS
            .into_iter()
            .filter(|f| object.get(*f).is_none_or(|v| v.is_null()))
            .collect();
        if !missing.is_empty() {
            return w.miss(
                "document, percentage, progress, timestamp, device and device_id",
                format!("missing {} in {}", missing.join(", "), push.entry.body),
            );
        }
    }
}

#[then(
    expr = "every push has a percentage within [0, 1], a string progress marker and a timestamp in whole seconds"
)]
async fn pushes_well_typed(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    const SECONDS_RANGE: std::ops::RangeInclusive<i64> = crate::protocol::EPOCH_SECONDS;
    let xs = since_mark(w);
    let pushes: Vec<_> = xs.iter().filter(|x| is_push(x)).collect();
    if pushes.is_empty() {
        return w.miss("at least one push", listing(&xs));
    }
    for push in pushes {
        let body = &push.entry.body;
        let percentage = body.get("percentage").and_then(|p| p.as_f64());
        if !percentage.is_some_and(|p| (0.0..=1.0).contains(&p)) {
            return w.miss("percentage a number in [0, 1]", body.to_string());
        }
        if !body.get("progress").is_some_and(|p| p.is_string()) {
            return w.miss("progress a string", body.to_string());
        }
        let timestamp = body.get("timestamp").and_then(|t| t.as_i64());
        if !timestamp.is_some_and(|t| SECONDS_RANGE.contains(&t)) {
            return w.miss(
                "timestamp an integer count of seconds since the Unix epoch",
                body.to_string(),
            );
        }
    }
}

#[then(
    expr = "every request names its book by the book's partial-MD5 hash in 32 lowercase hex digits"
)]
async fn requests_use_hash(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let known: Vec<String> = BOOK_NAMES.iter().map(|b| w.hash_of(b)).collect();
    let xs = since_mark(w);
    if xs.is_empty() {
        return w.miss("requests naming books", "no request at all");
    }
    for x in &xs {
        let document = if is_push(x) {
            push_document(x).map(str::to_string)
        } else {
            x.entry.path.rsplit('/').next().map(str::to_string)
        };
        let ok = document
            .as_deref()
            .is_some_and(|d| protocol::is_document_hash(d) && known.iter().any(|k| k == d));
        if !ok {
            return w.miss(
                format!(
                    "one of the books' partial-MD5 hashes ({})",
                    known.join(", ")
                ),
                describe_entry(&x.entry),
            );
        }
    }
}

#[then(
    expr = "every request carries the user name in x-auth-user and the MD5 of the password in x-auth-key"
)]
async fn requests_authenticate(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let key = protocol::key_for_password(READER_PASSWORD);
    for x in since_mark(w) {
        let user = x.entry.headers.get(HEADER_AUTH_USER).map(String::as_str);
        let sent_key = x.entry.headers.get(HEADER_AUTH_KEY).map(String::as_str);
        if user != Some(READER_USER) || sent_key.map(str::to_ascii_lowercase) != Some(key.clone()) {
            return w.miss(
                format!("{HEADER_AUTH_USER}: {READER_USER} and {HEADER_AUTH_KEY}: {key}"),
                format!(
                    "{} with {HEADER_AUTH_USER}: {} and {HEADER_AUTH_KEY}: {}",
                    describe_entry(&x.entry),
                    user.unwrap_or("(none)"),
                    sent_key.unwrap_or("(none)")
                ),
            );
        }
    }
}

#[then(expr = "the password never appears in any request")]
async fn password_never_sent(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    for x in &w.exchanges {
        let in_headers = x
            .entry
            .headers
            .iter()
            .find(|(_, v)| v.contains(READER_PASSWORD));
        if let Some((name, _)) = in_headers {
            return w.miss(
                "the plain password nowhere in the request",
                format!(
                    "it is in header {name} of {} {}",
                    x.entry.method, x.entry.path
                ),
            );
        }
        if x.entry.path.contains(READER_PASSWORD)
            || x.entry.body.to_string().contains(READER_PASSWORD)
        {
            return w.miss(
                "the plain password nowhere in the request",
                format!("it is in {}", describe_entry(&x.entry)),
            );
        }
    }
}

/// Runs of uploads: the pushes one event caused, with that event.
fn upload_runs(w: &ClientWorld) -> Vec<(usize, u64)> {
    let mut runs: Vec<(usize, u64)> = Vec::new();
    for x in w.exchanges.iter().filter(|x| is_push(x)) {
        if runs.last().map(|(e, _)| *e) != Some(x.event) {
            runs.push((x.event, x.elapsed));
        }
    }
    runs
}

#[then(expr = "page-triggered uploads start at least {int} seconds after the previous upload")]
async fn debounced(w: &mut ClientWorld, step: &Step, seconds: u64) {
    w.then(step).await;
    let runs = upload_runs(w);
    for pair in runs.windows(2) {
        let (_, before) = pair[0];
        let (event, at) = pair[1];
        let page_triggered = matches!(w.events.get(event), Some(Event::PageTurned { .. }));
        if page_triggered && at < before + seconds {
            return w.miss(
                format!("no page-triggered upload within {seconds} s of the previous one"),
                format!(
                    "an upload at t+{before}s, then a page-triggered one at t+{at}s ({} s later)",
                    at - before
                ),
            );
        }
    }
}
