//! Client contract steps for what must be seen (the `Then` vocabulary of
//! `features/client`): what reached the server, what the user was shown,
//! where the reader is, what the queue holds, what the server ends up storing.
//!
//! Requests and effects are judged from the start of the current `When`
//! block (see [`ClientWorld::enter`]); queue counts, the reader's position and
//! the server's stored progress are judged as they are now. Every failure says
//! what the rule wanted and what the client did; the rule id comes from the
//! scenario's tags.

use cucumber::gherkin::Step;
use cucumber::{given, then};

use super::steps::Percent;
use super::world::{
    describe_entry, ClientWorld, Exchange, BOOK_NAMES, READER_PASSWORD, READER_USER,
};
use crate::adapter::Capability;
use crate::model::{Direction, Effect, Event, NoticeLevel};
use crate::protocol::{self, HEADER_AUTH_KEY, HEADER_AUTH_USER};

/// Wire equality of percentages (`protocol::same_percentage`).
fn same(a: f64, b: f64) -> bool {
    protocol::same_percentage(a, b)
}

fn is_pull(x: &Exchange) -> bool {
    x.entry.method.eq_ignore_ascii_case("GET")
}

fn is_push(x: &Exchange) -> bool {
    x.entry.method.eq_ignore_ascii_case("PUT")
}

/// The requests of the current block, one per line, for "actual" texts.
fn listing(xs: &[&Exchange]) -> String {
    if xs.is_empty() {
        return "no request at all".to_string();
    }
    xs.iter()
        .map(|x| describe_entry(&x.entry))
        .collect::<Vec<_>>()
        .join("; ")
}

fn since_mark(w: &ClientWorld) -> Vec<&Exchange> {
    w.exchanges_since_mark().iter().collect()
}

fn percent_text(fraction: f64) -> String {
    let percent = fraction * 100.0;
    let text = format!("{percent:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

fn push_fraction(x: &Exchange) -> Option<f64> {
    x.entry.body.get("percentage").and_then(|p| p.as_f64())
}

fn push_document(x: &Exchange) -> Option<&str> {
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

// ---- what the user sees ---------------------------------------------------

fn prompts(w: &ClientWorld) -> Vec<String> {
    w.effects_since_mark()
        .filter_map(|e| match e {
            Effect::PromptShown {
                direction,
                proposed,
                ..
            } => Some(format!(
                "a prompt to jump to {} ({direction:?})",
                percent_text(proposed.percentage)
            )),
            _ => None,
        })
        .collect()
}

/// "… to 80%" or "… to 80%, a newer state": the proposed position and,
/// when written, the direction the prompt must name (C-CONF-1/2/4).
#[then(
    regex = r"^the user is asked whether to jump to (\d+(?:\.\d+)?%)(?:, an? (newer|older) state)?$"
)]
async fn asked(w: &mut ClientWorld, step: &Step, to: String, direction: String) {
    w.then(step).await;
    let to = match to.parse::<Percent>() {
        Ok(p) => p,
        Err(e) => super::world::harness_fault(e),
    };
    let wanted = match direction.as_str() {
        "newer" => Some(Direction::Newer),
        "older" => Some(Direction::Older),
        _ => None,
    };
    let asked = w.effects_since_mark().any(|e| {
        matches!(e, Effect::PromptShown { proposed, direction, .. }
            if same(proposed.percentage, to.fraction()) && wanted.is_none_or(|d| d == *direction))
    });
    if !asked {
        let seen = prompts(w);
        let state = wanted.map_or(String::new(), |d| {
            format!(
                ", {} state",
                if d == Direction::Newer {
                    "a newer"
                } else {
                    "an older"
                }
            )
        });
        w.miss(
            format!("a prompt to jump to {}{state}", percent_text(to.fraction())),
            if seen.is_empty() {
                "no prompt".to_string()
            } else {
                seen.join("; ")
            },
        )
    }
}

#[then(expr = "the user is not asked anything")]
async fn not_asked(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let seen = prompts(w);
    if !seen.is_empty() {
        w.miss("no prompt", seen.join("; "))
    }
}

fn applied(w: &ClientWorld) -> Vec<f64> {
    w.effects_since_mark()
        .filter_map(|e| match e {
            Effect::PositionApplied { position, .. } => Some(position.percentage),
            _ => None,
        })
        .collect()
}

fn where_reader_is(w: &ClientWorld) -> String {
    match &w.position {
        Some(p) => format!(
            "the reader at {} ({:?})",
            percent_text(p.percentage),
            p.progress
        ),
        None => "no position".to_string(),
    }
}

#[then(expr = "the reader is moved to {percent}")]
async fn moved_to(w: &mut ClientWorld, step: &Step, to: Percent) {
    w.then(step).await;
    let moves = applied(w);
    if !moves.iter().any(|p| same(*p, to.fraction())) {
        w.miss(
            format!("the position {} applied", percent_text(to.fraction())),
            if moves.is_empty() {
                format!("no position applied; {}", where_reader_is(w))
            } else {
                format!(
                    "positions applied: {}",
                    moves
                        .iter()
                        .map(|p| percent_text(*p))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        )
    }
}

#[then(expr = "the reader stays at {percent}")]
async fn stays_at(w: &mut ClientWorld, step: &Step, at: Percent) {
    w.then(step).await;
    let moves = applied(w);
    if !moves.is_empty() {
        return w.miss(
            format!("the reader left at {}", percent_text(at.fraction())),
            format!(
                "the client moved the reader to {}",
                moves
                    .iter()
                    .map(|p| percent_text(*p))
                    .collect::<Vec<_>>()
                    .join(", then ")
            ),
        );
    }
    is_at_now(w, at);
}

#[then(expr = "the reader is at {percent}")]
async fn is_at(w: &mut ClientWorld, step: &Step, at: Percent) {
    w.then(step).await;
    is_at_now(w, at);
}

fn is_at_now(w: &mut ClientWorld, at: Percent) {
    let here = w.position.as_ref().map(|p| p.percentage);
    if !here.is_some_and(|p| same(p, at.fraction())) {
        w.miss(
            format!("the reader at {}", percent_text(at.fraction())),
            where_reader_is(w),
        )
    }
}

#[then(expr = "an error is shown")]
async fn an_error(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let shown = w.effects_since_mark().any(|e| {
        matches!(
            e,
            Effect::NoticeShown {
                level: NoticeLevel::Error,
                ..
            }
        )
    });
    if !shown {
        w.miss("an error notice", "no error shown");
    }
}

#[then(regex = r"^(\d+) pulls? reach(?:es)? the server$")]
async fn n_pulls(w: &mut ClientWorld, step: &Step, n: usize) {
    w.then(step).await;
    let pulls: Vec<_> = since_mark(w).into_iter().filter(|x| is_pull(x)).collect();
    if pulls.len() != n {
        let got = listing(&pulls);
        w.miss(format!("exactly {n} pull(s)"), got);
    }
}

#[then(expr = "no error is shown")]
async fn no_error(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let errors: Vec<String> = w
        .effects_since_mark()
        .filter_map(|e| match e {
            Effect::NoticeShown {
                level: NoticeLevel::Error,
                text,
            } => Some(text.clone()),
            _ => None,
        })
        .collect();
    if !errors.is_empty() {
        w.miss(
            "no error notice",
            format!("error shown: {}", errors.join("; ")),
        )
    }
}

#[then(expr = "the change is refused with an error message")]
async fn change_refused(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let refusal = w.effects_since_mark().find_map(|e| match e {
        Effect::SettingsRejected { field, reason } => Some((field.clone(), reason.clone())),
        _ => None,
    });
    match refusal {
        Some((_, reason)) if !reason.trim().is_empty() => {}
        Some((field, _)) => w.miss(
            "a refusal that says why",
            format!("{field} refused with an empty message"),
        ),
        None => w.miss("the change refused with an error", "the client accepted it"),
    }
}

#[then(expr = "no setting change is refused")]
async fn change_accepted(w: &mut ClientWorld, step: &Step) {
    w.then(step).await;
    let refusal = w.effects_since_mark().find_map(|e| match e {
        Effect::SettingsRejected { field, reason } => Some(format!("{field}: {reason}")),
        _ => None,
    });
    if let Some(refusal) = refusal {
        w.miss("the change accepted", format!("refused: {refusal}"))
    }
}

// ---- the queue ------------------------------------------------------------

#[given(regex = r"^the queue summary reads (\S+)$")]
#[then(regex = r"^the queue summary reads (\S+)$")]
async fn queue_summary(w: &mut ClientWorld, step: &Step, summary: String) {
    w.then(step).await;
    // A client that declares no summary (protocol 2) is not asked for one.
    if !w.can_check(Capability::QueueSummary) {
        return;
    }
    // C-Q-4 is about the text the user sees, so it is read from the client;
    // a client that declares a summary but reports none breaks the rule.
    let Some(actual) = w.summary.clone() else {
        return w.miss(
            format!("queue summary {summary}"),
            "the client reported no queue summary (the adapter's `observed` reply needs `summary`)",
        );
    };
    if actual != summary {
        w.miss(
            format!("queue summary {summary}"),
            format!(
                "{actual} ({} pending, {} synced)",
                w.queue.pending, w.queue.synced
            ),
        )
    }
}

#[given(expr = "View Pending Sessions shows {int} pending")]
#[then(expr = "View Pending Sessions shows {int} pending")]
async fn pending_only(w: &mut ClientWorld, step: &Step, pending: usize) {
    w.then(step).await;
    if w.can_check(Capability::PendingCount) && w.queue.pending != pending {
        let got = format!("{} pending", w.queue.pending);
        w.miss(format!("{pending} pending"), got);
    }
}

#[given(expr = "View Pending Sessions shows {int} pending and {int} synced")]
#[then(expr = "View Pending Sessions shows {int} pending and {int} synced")]
async fn pending_sessions(w: &mut ClientWorld, step: &Step, pending: usize, synced: usize) {
    w.then(step).await;
    // Each count is checked when the client keeps it (protocol 2 declares it).
    let check_pending = w.can_check(Capability::PendingCount);
    let check_synced = w.can_check(Capability::SyncedCount);
    let wrong =
        (check_pending && w.queue.pending != pending) || (check_synced && w.queue.synced != synced);
    if wrong {
        let part = |checked: bool, n: usize, what: &str| {
            if checked {
                format!("{n} {what}")
            } else {
                format!("({what} not kept)")
            }
        };
        let expected = format!(
            "{} and {}",
            part(check_pending, pending, "pending"),
            part(check_synced, synced, "synced")
        );
        let actual = format!(
            "{} and {}",
            part(check_pending, w.queue.pending, "pending"),
            part(check_synced, w.queue.synced, "synced")
        );
        w.miss(expected, actual);
    }
}

// ---- what the server ends up with ----------------------------------------

#[then(regex = r"^the server holds progress (\d+(?:\.\d+)?%) for book (\w+)$")]
async fn server_ends_with(w: &mut ClientWorld, step: &Step, at: Percent, book: String) {
    w.then(step).await;
    let (status, body) = w.read_back(&book).await;
    let stored = body.get("percentage").and_then(|p| p.as_f64());
    if status != 200 || !stored.is_some_and(|p| same(p, at.fraction())) {
        let pushes: Vec<String> = w
            .exchanges
            .iter()
            .filter(|x| is_push(x) && push_document(x) == Some(w.hash_of(&book).as_str()))
            .map(|x| describe_entry(&x.entry))
            .collect();
        w.miss(
            format!(
                "the server holding {} for book {book}",
                percent_text(at.fraction())
            ),
            format!(
                "it answers {status} {body}; the client's pushes for it: {}",
                if pushes.is_empty() {
                    "none".to_string()
                } else {
                    pushes.join("; ")
                }
            ),
        )
    }
}
