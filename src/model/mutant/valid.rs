//! Valid readings: clients that differ from the reference model where the
//! sources leave a choice open. Unlike a [`Mutant`](super::Mutant) they break
//! no rule, and the differential must not fail them (issue 10's list: the
//! previous book closed fully before the new book's pull, uploading what is
//! pending when Wi-Fi comes up, an informational notice after Sync Pending
//! Now, an error notice on a failed pull, prompts that stack).

use crate::model::client::{parse_remote, RemoteAnswer};
use crate::model::decision::Handled;
use crate::model::{
    Client, ClientConfig, ClientModel, Effect, Event, HttpOutcome, NoticeLevel, Position, Profile,
    QueueCounts, RequestId, Settings, Snapshot,
};

/// One reading the sources allow besides the model's.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Opening a book over another (a different one) first closes the
    /// previous one fully: its close upload goes before the new book's pull.
    /// (Reopening the same book that way would make the pull read back the
    /// close upload: C-PULL-7 forbids it. So does opening a book whose own
    /// snapshots are still queued: the close would upload them first and the
    /// pull would read them back. In both cases this reading opens as the
    /// model does.)
    CloseBeforePull,
    /// Wi-Fi coming up uploads what is pending (outside Manual only).
    UploadOnWifiUp,
    /// Sync Pending Now ends with an informational notice.
    InfoNoticeAfterSync,
    /// A pull that fails (other than a 404) shows an error notice.
    ErrorNoticeOnFailedPull,
    /// A new prompt does not replace the one on screen: answers go to the
    /// last shown, then to the one under it.
    StackedPrompts,
}

impl Reading {
    pub const ALL: &'static [Reading] = &[
        Reading::CloseBeforePull,
        Reading::UploadOnWifiUp,
        Reading::InfoNoticeAfterSync,
        Reading::ErrorNoticeOnFailedPull,
        Reading::StackedPrompts,
    ];

    /// The BookLore plugin's client, reading the sources this way.
    pub fn client(self, config: ClientConfig, settings: Settings) -> Box<dyn ClientModel> {
        Box::new(ReadingClient {
            inner: Client::new(config, settings, Profile::BookLorePlugin),
            reading: self,
            pulls: Vec::new(),
            stacked: Vec::new(),
        })
    }
}

#[derive(Debug, Clone)]
struct ReadingClient {
    inner: Client,
    reading: Reading,
    /// The inner client's pulls in flight.
    pulls: Vec<RequestId>,
    /// Prompts still on screen under the last one: (document, proposed).
    stacked: Vec<(String, Position)>,
}

impl ReadingClient {
    fn note_pulls(&mut self, handled: &Handled) {
        for effect in &handled.effects {
            if let Effect::Http(request) = effect {
                if request.method == "GET" {
                    self.pulls.push(request.id);
                }
            }
        }
    }

    fn forward(&mut self, event: Event) -> Handled {
        let handled = self.inner.step(event);
        self.note_pulls(&handled);
        handled
    }
}

impl ClientModel for ReadingClient {
    fn step(&mut self, event: Event) -> Handled {
        match (self.reading, event) {
            (Reading::CloseBeforePull, Event::BookOpened { document, position })
                if self
                    .inner
                    .position()
                    .is_some_and(|(open, _)| open != document)
                    && !self
                        .inner
                        .pending()
                        .any(|queued| queued.document == document) =>
            {
                let mut handled = self.forward(Event::BookClosed);
                let opened = self.forward(Event::BookOpened { document, position });
                handled.effects.extend(opened.effects);
                handled.decisions.extend(opened.decisions);
                handled
            }
            (Reading::UploadOnWifiUp, Event::WifiConnected) => {
                let mut handled = self.forward(Event::WifiConnected);
                let s = self.inner.settings();
                if s.enabled && !s.manual_only && self.inner.pending().len() > 0 {
                    let sent = self.forward(Event::SyncPendingNow);
                    handled.effects.extend(sent.effects);
                }
                handled
            }
            (Reading::InfoNoticeAfterSync, Event::SyncPendingNow) => {
                let mut handled = self.forward(Event::SyncPendingNow);
                handled.effects.push(Effect::NoticeShown {
                    level: NoticeLevel::Info,
                    text: "Sync finished".to_string(),
                });
                handled
            }
            (Reading::ErrorNoticeOnFailedPull, Event::HttpCompleted { id, outcome })
                if self.pulls.contains(&id) =>
            {
                self.pulls.retain(|p| *p != id);
                let failed = match &outcome {
                    HttpOutcome::Response { status: 200, body } => {
                        matches!(parse_remote(body), RemoteAnswer::Malformed)
                    }
                    HttpOutcome::Response { status: 404, .. } => false,
                    _ => true,
                };
                let open = self.inner.position().is_some();
                let mut handled = self.forward(Event::HttpCompleted { id, outcome });
                if failed && open && self.inner.settings().enabled {
                    handled.effects.push(Effect::NoticeShown {
                        level: NoticeLevel::Error,
                        text: "Could not pull progress".to_string(),
                    });
                }
                handled
            }
            (Reading::StackedPrompts, Event::PromptAnswered { accept }) => {
                let top = self.forward(Event::PromptAnswered { accept });
                let answered_top = top.decisions.iter().any(|d| d.rule == "C-CONF-4");
                if answered_top {
                    self.stacked.pop();
                    return top;
                }
                // Nothing on the inner screen: the answer goes to a prompt under it.
                let mut handled = top;
                if let Some((document, proposed)) = self.stacked.pop() {
                    let open = self.inner.position().is_some_and(|(d, _)| d == document);
                    if accept && open {
                        handled.effects.push(Effect::PositionApplied {
                            document,
                            position: proposed,
                        });
                    }
                }
                handled
            }
            (Reading::StackedPrompts, event) => {
                let closing = matches!(event, Event::BookClosed | Event::BookOpened { .. });
                let handled = self.forward(event);
                if closing {
                    self.stacked.clear();
                }
                for effect in &handled.effects {
                    if let Effect::PromptShown {
                        document, proposed, ..
                    } = effect
                    {
                        self.stacked.push((document.clone(), proposed.clone()));
                    }
                }
                handled
            }
            (_, event) => self.forward(event),
        }
    }

    fn queue(&self) -> QueueCounts {
        self.inner.queue()
    }

    fn queue_summary(&self) -> String {
        self.inner.queue_summary()
    }

    fn position(&self) -> Option<(&str, &Position)> {
        self.inner.position()
    }

    fn pending_snapshots(&self) -> Vec<&Snapshot> {
        self.inner.pending().collect()
    }
}
