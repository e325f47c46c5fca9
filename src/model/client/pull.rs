//! Pulls and what their answers do (C-PULL-*, C-CONF-*): when the client
//! asks the server, and how a remote position is compared, applied or offered.

use super::{parse_remote, Client, OpenPrompt, PullTrigger, RemoteAnswer};
use crate::model::decision::{governs, Outcome};
use crate::model::profile::{LocalProgress, NotFoundPolicy, RemoteProgress};
use crate::model::{ConflictStrategy, Direction, Effect, HttpOutcome, NoticeLevel, Position};

impl Client {
    /// C-PULL-1/2 (on), C-PULL-4 (toggle off), C-EN-1, C-PULL-3, C-MAN-4:
    /// pull the open book's progress if every condition holds.
    pub(super) fn pull(&mut self, trigger: PullTrigger, out: &mut Vec<Effect>) {
        let (rule, toggle) = match trigger {
            PullTrigger::Open => ("C-PULL-1", self.settings.pull_on_open),
            PullTrigger::Resume => ("C-PULL-2", self.settings.pull_on_resume),
        };
        let refusals = [
            (!toggle, "C-PULL-4"),
            (!self.settings.enabled, "C-EN-1"),
            (!self.wifi, "C-PULL-3"),
            (self.settings.manual_only, "C-MAN-4"),
        ];
        let mut refused = false;
        for (applies, id) in refusals {
            if applies {
                self.decide(id, Outcome::Refused, governs::PULLS);
                refused = true;
            }
        }
        if !refused {
            self.decide(rule, Outcome::Pulled, governs::PULLS);
            self.send_pull(out);
        }
    }

    /// C-PULL-5/6, C-CONF-*: what a pull's answer does. Ignored when the book
    /// it was for is no longer open or sync was disabled meanwhile.
    pub(super) fn on_pull_answer(
        &mut self,
        document: String,
        outcome: HttpOutcome,
        out: &mut Vec<Effect>,
    ) {
        let still_open = self.book.as_ref().is_some_and(|b| b.document == document);
        if !still_open || !self.settings.enabled {
            return;
        }
        match outcome {
            HttpOutcome::Response { status: 200, body } => match parse_remote(&body) {
                RemoteAnswer::Progress(remote) => self.reconcile(document, remote, out),
                // A 200 without a numeric percentage: no remote progress.
                RemoteAnswer::NoProgress => {}
                // C-PULL-6: an ill-typed body changes nothing and asks nothing.
                RemoteAnswer::Malformed => {
                    self.decide("C-PULL-6", Outcome::Refused, governs::PROMPTS);
                }
            },
            // C-PULL-5: no remote progress yet is normal.
            HttpOutcome::Response { status: 404, .. } => match self.policy.not_found {
                NotFoundPolicy::Normal => {
                    self.decide("C-PULL-5", Outcome::Refused, governs::SILENT);
                }
                NotFoundPolicy::ShowError => out.push(Effect::NoticeShown {
                    level: NoticeLevel::Error,
                    text: "No progress found on the server".to_string(),
                }),
            },
            // C-PULL-6: any other status or no answer: nothing changes, nothing is asked.
            HttpOutcome::Response { .. } | HttpOutcome::TransportError { .. } => {
                self.decide("C-PULL-6", Outcome::Refused, governs::PROMPTS);
            }
        }
    }

    /// C-CONF-1..6: compare, then apply, ask or do nothing per the direction's strategy.
    pub(super) fn reconcile(
        &mut self,
        document: String,
        remote: RemoteProgress,
        out: &mut Vec<Effect>,
    ) {
        let Some(book) = &self.book else {
            return;
        };
        let local = LocalProgress {
            position: &book.position,
            changed_at: book.changed_at,
        };
        let Some(direction) = self.policy.direction(local, &remote) else {
            self.decide("C-CONF-6", Outcome::Skipped, governs::PROMPTS);
            return;
        };
        let (rule, strategy) = match direction {
            Direction::Newer => ("C-CONF-1", self.settings.newer_strategy),
            Direction::Older => ("C-CONF-2", self.settings.older_strategy),
        };
        let (how, outcome) = match strategy {
            ConflictStrategy::Silently => ("C-CONF-3", Outcome::Applied),
            ConflictStrategy::Prompt => ("C-CONF-4", Outcome::Prompted),
            ConflictStrategy::Disable => ("C-CONF-5", Outcome::Refused),
        };
        self.decide(rule, outcome, governs::PROMPTS);
        self.decide(how, outcome, governs::PROMPTS);
        match strategy {
            ConflictStrategy::Silently => self.apply(document, remote.position, out),
            ConflictStrategy::Prompt => self.show_prompt(document, direction, remote.position, out),
            ConflictStrategy::Disable => {}
        }
    }

    /// C-CONF-4: a later prompt replaces one still on screen.
    pub(super) fn show_prompt(
        &mut self,
        document: String,
        direction: Direction,
        proposed: Position,
        out: &mut Vec<Effect>,
    ) {
        out.push(Effect::PromptShown {
            document: document.clone(),
            direction,
            proposed: proposed.clone(),
        });
        self.prompt = Some(OpenPrompt { document, proposed });
    }

    /// Move the reader to `position`; later snapshots carry it. Queues nothing.
    /// C-PULL-8, C-SAFE-6: the snapshots of the book still waiting (not the
    /// one in flight) carry the applied position from now on.
    pub(super) fn apply(&mut self, document: String, position: Position, out: &mut Vec<Effect>) {
        let now = self.now;
        let Some(book) = self.book.as_mut().filter(|b| b.document == document) else {
            return;
        };
        book.position = position.clone();
        book.changed_at = now;
        if self.policy.applied_position_carried {
            let in_flight = self
                .run
                .as_ref()
                .and_then(|r| r.in_flight)
                .map(|(_, seq)| seq);
            for queued in &mut self.pending {
                if queued.snapshot.document == document && Some(queued.seq) != in_flight {
                    queued.snapshot.percentage = position.percentage;
                    queued.snapshot.progress.clone_from(&position.progress);
                    queued.carries_applied = true;
                }
            }
            self.decide("C-PULL-8", Outcome::Applied, governs::CONTENT);
            self.decide("C-SAFE-6", Outcome::Applied, governs::CONTENT);
        }
        out.push(Effect::PositionApplied { document, position });
    }
}
