//! Client contract steps for what must be seen besides the requests (the
//! rest of the `Then` vocabulary of `features/client`): what the user was
//! shown, where the reader is, what the queue holds, what the server ends up
//! storing. The requests' checks and the helpers both use are in `steps_then.rs`.

use cucumber::gherkin::Step;
use cucumber::{given, then};

use super::steps::Percent;
use super::steps_then::{is_pull, is_push, listing, percent_text, push_document, same, since_mark};
use super::world::{describe_entry, ClientWorld};
use crate::adapter::Capability;
use crate::model::{Direction, Effect, NoticeLevel};

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
