//! The KOReader client's requests and what their answers do: pushes and the
//! retry queue (KC-Q-1, C-Q-3, C-SAFE-1/2), pulls and the direction of a
//! remote position (KC-PULL-2, KC-DIR-1, C-CONF-3..5), sign-in.

use std::collections::VecDeque;

use serde_json::json;

use super::{Asked, Entry, KoreaderClient, OpenPrompt, QUEUE_EXPIRY_MS, QUEUE_MAX_ENTRIES};
use crate::model::client::{parse_remote, RemoteAnswer};
use crate::model::decision::{governs, Outcome};
use crate::model::profile::{FailedUpload, LocalProgress, NotFoundPolicy, RemoteProgress};
use crate::model::{
    floor4, ConflictStrategy, Direction, Effect, HttpOutcome, HttpRequest, NoticeLevel, Position,
};
use crate::protocol::{HEADER_AUTH_KEY, HEADER_AUTH_USER, JSON_CONTENT_TYPE, KOSYNC_ACCEPT};

impl KoreaderClient {
    pub(super) fn push(
        &mut self,
        document: String,
        position: Position,
        interactive: bool,
        rule: Option<&'static str>,
        out: &mut Vec<Effect>,
    ) {
        if !interactive && self.debounced(self.last_push_ms) {
            self.decide("KC-DEB-1", Outcome::Debounced, governs::UPLOADS);
            return;
        }
        if !self.wifi {
            if interactive {
                out.push(Effect::WifiOnRequested);
            } else {
                if let Some(rule) = rule {
                    self.decide(rule, Outcome::Queued, governs::KEPT);
                }
                self.decide("KC-Q-1", Outcome::Queued, governs::KEPT);
                self.enqueue(document, position);
            }
            return;
        }
        if let Some(rule) = rule {
            self.decide(rule, Outcome::Uploaded, governs::UPLOADS);
        }
        self.send_push(document, position, interactive, None, out);
    }

    pub(super) fn send_push(
        &mut self,
        document: String,
        position: Position,
        interactive: bool,
        from_queue: Option<VecDeque<Entry>>,
        out: &mut Vec<Effect>,
    ) {
        let body = json!({
            "document": document,
            "progress": position.progress,
            "percentage": floor4(position.percentage) / 10_000.0,
            "device": self.config.device,
            "device_id": self.config.device_id,
        });
        self.decide("C-WIRE-2", Outcome::Uploaded, governs::PUSH_SHAPE);
        self.decide("C-WIRE-3", Outcome::Uploaded, governs::DOCUMENT);
        self.decide("C-WIRE-4", Outcome::Uploaded, governs::AUTH);
        self.decide("C-WIRE-5", Outcome::Uploaded, governs::TYPES);
        self.last_push_ms = Some(self.now_ms);
        let request = self.request("PUT", self.config.dialect.push_path(), Some(body));
        let asked = Asked::Push {
            document,
            position,
            interactive,
            from_queue,
        };
        self.send(request, asked, out);
    }

    pub(super) fn pull(&mut self, view: u64, interactive: bool, out: &mut Vec<Effect>) {
        let Some(document) = self
            .view
            .as_ref()
            .filter(|v| v.id == view)
            .map(|v| v.document.clone())
        else {
            return;
        };
        if !interactive && self.debounced(self.last_pull_ms) {
            self.decide("KC-DEB-1", Outcome::Debounced, governs::PULLS);
            return;
        }
        if !self.wifi {
            if interactive {
                out.push(Effect::WifiOnRequested);
            } else {
                self.decide("C-PULL-3", Outcome::Refused, governs::PULLS);
            }
            return;
        }
        if !interactive {
            self.decide("KC-PULL-1", Outcome::Pulled, governs::PULLS);
        }
        self.decide("C-WIRE-1", Outcome::Pulled, governs::PATH);
        self.decide("C-WIRE-3", Outcome::Pulled, governs::DOCUMENT);
        self.decide("C-WIRE-4", Outcome::Pulled, governs::AUTH);
        self.last_pull_ms = Some(self.now_ms);
        let request = self.request("GET", self.config.dialect.pull_path(&document), None);
        self.send(request, Asked::Pull { view, interactive }, out);
    }

    /// KC-Q-2, C-Q-3: send the next queued entry, or stop when none is left.
    pub(super) fn send_next_entry(&mut self, mut entries: VecDeque<Entry>, out: &mut Vec<Effect>) {
        let Some(entry) = entries.pop_front() else {
            return;
        };
        self.decide("C-Q-3", Outcome::Uploaded, governs::UPLOADS);
        let mut position = entry.position.clone();
        // C-SAFE-2: the reader moved on since it was queued: send where they are.
        if let Some(view) = &self.view {
            let moved_on = view.last_turn_ms.is_some_and(|t| t >= entry.queued_ms);
            if view.document == entry.document && moved_on && self.policy.stale_entries_refreshed {
                position = view.position.clone();
            }
            if view.document == entry.document {
                self.decide("C-SAFE-2", Outcome::Uploaded, governs::CONTENT);
            }
        }
        entries.push_front(Entry {
            position: position.clone(),
            ..entry.clone()
        });
        self.send_push(entry.document, position, false, Some(entries), out);
    }

    pub(super) fn send(&mut self, request: HttpRequest, asked: Asked, out: &mut Vec<Effect>) {
        self.in_flight = Some((request.id, asked));
        out.push(Effect::Http(request));
    }

    pub(super) fn request(
        &mut self,
        method: &str,
        path: String,
        body: Option<serde_json::Value>,
    ) -> HttpRequest {
        let id = self.next_request;
        self.next_request += 1;
        let mut headers = vec![
            (HEADER_AUTH_USER.to_string(), self.config.user.clone()),
            (HEADER_AUTH_KEY.to_string(), self.config.key.clone()),
            ("Accept".to_string(), KOSYNC_ACCEPT.to_string()),
        ];
        if body.is_some() {
            headers.push(("Content-Type".to_string(), JSON_CONTENT_TYPE.to_string()));
        }
        HttpRequest {
            id,
            method: method.to_string(),
            path,
            headers,
            body,
        }
    }

    pub(super) fn on_answer(&mut self, asked: Asked, outcome: HttpOutcome, out: &mut Vec<Effect>) {
        let status = match &outcome {
            HttpOutcome::Response { status, .. } => Some(*status),
            HttpOutcome::TransportError { .. } => None,
        };
        match asked {
            Asked::Push {
                document,
                position,
                interactive,
                from_queue,
            } => {
                let accepted = status == Some(200);
                if accepted {
                    // An accepted push of a book drops that book's entry.
                    self.queue.retain(|e| e.document != document);
                    self.decide("KC-Q-1", Outcome::Synced, governs::PENDING);
                }
                match from_queue {
                    Some(mut rest) => {
                        if accepted || self.policy.resend_failure_dropped {
                            rest.pop_front();
                            self.send_next_entry(rest, out);
                        } else {
                            // This entry and the rest stay, in order (C-Q-3, C-SAFE-1).
                            self.decide("C-Q-3", Outcome::Kept, governs::PENDING);
                            self.decide("C-SAFE-1", Outcome::Kept, governs::PENDING);
                            let mut kept: Vec<Entry> = rest.into_iter().collect();
                            if let Some(first) = kept.first_mut() {
                                first.position = position;
                            }
                            kept.append(&mut self.queue);
                            self.queue = kept;
                        }
                    }
                    None => {
                        let keeps = self.policy.failed_upload != FailedUpload::Dropped;
                        if !accepted && status != Some(401) && keeps {
                            self.decide("KC-Q-1", Outcome::Queued, governs::PENDING);
                            self.decide("C-SAFE-1", Outcome::Kept, governs::PENDING);
                            self.enqueue(document, position);
                        }
                        if interactive {
                            out.push(notice(
                                accepted,
                                "Progress has been pushed.",
                                "Something went wrong when pushing progress.",
                            ));
                        }
                    }
                }
            }
            Asked::Pull { view, interactive } => {
                self.on_pull_answer(view, interactive, outcome, out)
            }
            Asked::SignIn => out.push(notice(
                status == Some(200),
                "Logged in to the sync server.",
                "Something went wrong when logging in.",
            )),
        }
    }

    pub(super) fn on_pull_answer(
        &mut self,
        view: u64,
        interactive: bool,
        outcome: HttpOutcome,
        out: &mut Vec<Effect>,
    ) {
        if self.view.as_ref().is_none_or(|v| v.id != view) {
            return; // the book was closed meanwhile
        }
        let error = || Effect::NoticeShown {
            level: NoticeLevel::Error,
            text: "Something went wrong when pulling progress.".to_string(),
        };
        let told = self.policy.not_found == NotFoundPolicy::ShowError;
        let error = || {
            if told {
                Some(error())
            } else {
                None
            }
        };
        let body = match outcome {
            HttpOutcome::Response { status: 200, body } => body,
            _ => {
                self.decide("KC-PULL-2", Outcome::Refused, governs::SILENT_BUT_TOLD);
                out.extend(error());
                return;
            }
        };
        let record: Option<serde_json::Value> = serde_json::from_str(&body).ok();
        let own = record
            .as_ref()
            .and_then(|r| r.get("device_id"))
            .and_then(|d| d.as_str())
            .is_some_and(|d| d == self.config.device_id);
        let remote = match parse_remote(&body) {
            RemoteAnswer::Progress(remote) => remote,
            RemoteAnswer::NoProgress => {
                if interactive {
                    out.push(info("No progress found for this document."));
                }
                return;
            }
            RemoteAnswer::Malformed if record.as_ref().is_some_and(|r| r.is_object()) => {
                // A record whose percentage is a number but whose marker is not text:
                // KOReader reads the marker as text anyway.
                match lenient_remote(record.as_ref()) {
                    Some(remote) => remote,
                    None => {
                        self.decide("KC-PULL-2", Outcome::Refused, governs::SILENT_BUT_TOLD);
                        out.extend(error());
                        return;
                    }
                }
            }
            RemoteAnswer::Malformed => {
                self.decide("KC-PULL-2", Outcome::Refused, governs::SILENT_BUT_TOLD);
                out.extend(error());
                return;
            }
        };
        if own && self.policy.own_record_ignored {
            self.decide("KC-DIR-1", Outcome::Skipped, governs::PROMPTS);
            if interactive {
                out.push(info("Latest progress is coming from this device."));
            }
            return;
        }
        let Some(here) = self.view.as_ref() else {
            return;
        };
        let local = LocalProgress {
            position: &here.position,
            changed_at: here.last_turn_ms.map_or(0, |t| t.div_euclid(1000)),
        };
        let direction = self.policy.direction(local, &remote);
        let Some(direction) = direction else {
            self.decide("KC-DIR-1", Outcome::Skipped, governs::PROMPTS);
            if interactive {
                out.push(info("Progress is already synchronized."));
            }
            return;
        };
        let strategy = match direction {
            Direction::Newer => self.settings.newer_strategy,
            Direction::Older => self.settings.older_strategy,
        };
        let (how, outcome) = match strategy {
            ConflictStrategy::Silently => ("C-CONF-3", Outcome::Applied),
            ConflictStrategy::Prompt => ("C-CONF-4", Outcome::Prompted),
            ConflictStrategy::Disable => ("C-CONF-5", Outcome::Refused),
        };
        self.decide("KC-DIR-1", outcome, governs::PROMPTS);
        self.decide(how, outcome, governs::PROMPTS);
        match strategy {
            ConflictStrategy::Silently => self.go_to(view, remote.position, out),
            ConflictStrategy::Prompt => {
                let document = self
                    .view
                    .as_ref()
                    .map(|v| v.document.clone())
                    .unwrap_or_default();
                out.push(Effect::PromptShown {
                    document,
                    direction,
                    proposed: remote.position.clone(),
                });
                self.prompt = Some(OpenPrompt {
                    view,
                    proposed: remote.position,
                });
            }
            ConflictStrategy::Disable => {}
        }
    }

    /// Move the reader; it counts as a page turn (KC-DIR-1's local time).
    pub(super) fn go_to(&mut self, view: u64, position: Position, out: &mut Vec<Effect>) {
        let now = self.now_ms;
        let carried = self.policy.applied_position_carried;
        let Some(open) = self.view.as_mut().filter(|v| v.id == view) else {
            return;
        };
        // C-SAFE-6: the next push carries where the reader now is.
        if carried {
            open.position = position.clone();
        }
        open.last_turn_ms = Some(now);
        if carried {
            self.decide("C-SAFE-6", Outcome::Applied, governs::CONTENT);
        }
        let Some(open) = self.view.as_ref() else {
            return;
        };
        out.push(Effect::PositionApplied {
            document: open.document.clone(),
            position,
        });
    }

    pub(super) fn enqueue(&mut self, document: String, position: Position) {
        self.queue.retain(|e| e.document != document);
        self.queue.push(Entry {
            document,
            position,
            queued_ms: self.now_ms,
        });
        self.expire_queue();
    }

    pub(super) fn expire_queue(&mut self) {
        let now = self.now_ms;
        self.queue
            .retain(|e| now.saturating_sub(e.queued_ms) < QUEUE_EXPIRY_MS);
        while self.queue.len() > QUEUE_MAX_ENTRIES {
            self.queue.remove(0);
        }
    }
}

/// KOReader reads a record whose marker is not text by turning it into text.
fn lenient_remote(record: Option<&serde_json::Value>) -> Option<RemoteProgress> {
    let record = record?;
    let percentage = record.get("percentage")?.as_f64()?;
    let progress = match record.get("progress")? {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(RemoteProgress {
        position: Position {
            percentage,
            progress,
        },
        timestamp: record.get("timestamp").and_then(|t| t.as_i64()),
    })
}

fn info(text: &str) -> Effect {
    Effect::NoticeShown {
        level: NoticeLevel::Info,
        text: text.to_string(),
    }
}

fn notice(ok: bool, good: &str, bad: &str) -> Effect {
    if ok {
        info(good)
    } else {
        Effect::NoticeShown {
            level: NoticeLevel::Error,
            text: bad.to_string(),
        }
    }
}
