//! Snapshots and upload runs (C-PUSH-*, C-Q-*, C-MAN-2/3, C-SAFE-*): what is
//! queued when, and how the pending queue goes out.

use super::{Client, Queued, Snapshot, Timer, Trigger, UploadRun};
use crate::model::decision::{governs, Outcome};
use crate::model::profile::{EarlyPageUpload, FailedUpload, QueueOrder};
use crate::model::{Effect, HttpOutcome};

impl Client {
    /// C-EN-1, C-SAFE-4, C-MAN-2/3: whether an upload may send now.
    pub(super) fn upload_allowed(&self, manual: bool) -> bool {
        self.settings.enabled && self.wifi && (manual || !self.settings.manual_only)
    }

    /// C-PUSH-6: less than the debounce window since the last push went out.
    pub(super) fn debounced(&self) -> bool {
        let window = i64::try_from(self.policy.debounce_seconds).unwrap_or(i64::MAX);
        self.last_push_at
            .is_some_and(|start| self.now.saturating_sub(start) < window)
    }

    /// Close the open book, if any: queue its close snapshot (C-PUSH-2) and
    /// drop its prompt. Does not start an upload.
    pub(super) fn shelve_book(&mut self, out: &mut Vec<Effect>) {
        if self.book.is_none() {
            return;
        }
        if self.policy.close_snapshot {
            self.queue_snapshot("C-PUSH-2", None, out);
        }
        self.book = None;
        self.prompt = None;
    }

    /// C-Q-1: queue a snapshot of the open book (at `percentage` if given,
    /// else where the reader is), stamped with virtual now, for the trigger
    /// rule `rule`. C-EN-2: nothing while sync is disabled. Returns whether
    /// a snapshot was queued.
    pub(super) fn queue_snapshot(
        &mut self,
        rule: &'static str,
        percentage: Option<f64>,
        out: &mut Vec<Effect>,
    ) -> bool {
        if !self.settings.enabled {
            self.decide("C-EN-2", Outcome::Refused, governs::PENDING);
            return false;
        }
        let Some(book) = &self.book else {
            return false;
        };
        let snapshot = Snapshot {
            document: book.document.clone(),
            percentage: percentage.unwrap_or(book.position.percentage),
            progress: book.position.progress.clone(),
            timestamp: self.now,
            device: self.config.device.clone(),
            device_id: self.config.device_id.clone(),
        };
        self.next_seq += 1;
        self.pending.push(Queued {
            seq: self.next_seq,
            snapshot,
            failures: 0,
            carries_applied: false,
        });
        let on = if percentage.is_some() {
            governs::PENDING_AND_CONTENT
        } else {
            governs::PENDING
        };
        self.decide(rule, Outcome::Queued, on);
        self.decide("C-Q-1", Outcome::Queued, governs::PENDING);
        if self.settings.manual_only {
            self.decide("C-MAN-1", Outcome::Queued, governs::PENDING);
        }
        out.push(Effect::QueueChanged(self.queue()));
        true
    }

    /// C-PUSH-8: start an upload run, or fold the trigger into the one going on.
    pub(super) fn trigger_upload(&mut self, trigger: Trigger, out: &mut Vec<Effect>) {
        let manual = trigger.is_manual();
        if let Some(run) = self.run.as_mut() {
            if manual && !run.manual {
                run.manual = true;
                run.trigger = trigger;
            }
            return;
        }
        if !self.upload_allowed(manual) {
            // Offline, an automatic trigger leaves its snapshot waiting (C-PUSH-8);
            // disabled or Manual only are standing rules.
            if self.settings.enabled && !self.wifi && !manual && !self.settings.manual_only {
                self.decide("C-PUSH-8", Outcome::Kept, governs::UPLOADS);
            }
            return;
        }
        // C-PUSH-6/7: a page-triggered run inside the window is held back.
        if trigger == Trigger::Page && self.debounced() {
            self.held_back = true;
            self.decide("C-PUSH-6", Outcome::Debounced, governs::UPLOADS);
            self.decide("C-PUSH-7", Outcome::Debounced, governs::UPLOADS);
            let later = |seconds: u64| i64::try_from(seconds).unwrap_or(i64::MAX);
            let due = match self.policy.early_page_upload {
                EarlyPageUpload::Skipped => None,
                EarlyPageUpload::ToWindowEnd => Some(
                    self.last_push_at
                        .unwrap_or(self.now)
                        .saturating_add(later(self.policy.debounce_seconds)),
                ),
                EarlyPageUpload::After(seconds) => Some(self.now.saturating_add(later(seconds))),
            };
            if let Some(due) = due.filter(|due| !self.timers.contains(&(*due, Timer::PageUpload))) {
                self.timers.push((due, Timer::PageUpload));
            }
            return;
        }
        self.start_run(trigger, out);
    }

    /// Start an upload run now (the checks of [`Client::trigger_upload`] done).
    pub(super) fn start_run(&mut self, trigger: Trigger, out: &mut Vec<Effect>) {
        let manual = trigger.is_manual();
        self.run = Some(UploadRun {
            trigger,
            manual,
            started: false,
            in_flight: None,
        });
        self.continue_run(out);
    }

    /// Send the run's next PUT, wait, or end the run.
    pub(super) fn continue_run(&mut self, out: &mut Vec<Effect>) {
        let Some(run) = &self.run else {
            return;
        };
        if run.in_flight.is_some() {
            return;
        }
        // Wi-Fi dropped, sync disabled or Manual only turned on: the run ends,
        // everything left stays pending (C-SAFE-4, C-EN-1, C-MAN-2).
        if !self.upload_allowed(run.manual) {
            self.run = None;
            return;
        }
        // C-PULL-7: no upload while a pull is unanswered.
        if self.policy.pull_first && !self.pulls.is_empty() {
            self.decide("C-PULL-7", Outcome::Waited, governs::WAIT_FOR_PULL);
            return;
        }
        // C-SAFE-2: queue order (oldest first).
        let next = match self.policy.queue_order {
            QueueOrder::OldestFirst => self.pending.first(),
            QueueOrder::NewestFirst => self.pending.last(),
        };
        let Some(next) = next else {
            self.run = None;
            return;
        };
        let (seq, snapshot, applied) = (next.seq, next.snapshot.clone(), next.carries_applied);
        let (first, trigger) = (!run.started, run.trigger);
        if first {
            self.held_back = false;
            // C-SAFE-3: what was accepted before is not part of this run.
            if self.synced > 0 {
                self.decide("C-SAFE-3", Outcome::Refused, governs::UPLOADS);
            }
        }
        match trigger {
            Trigger::SyncPendingNow => {
                self.decide("C-Q-2", Outcome::Uploaded, governs::UPLOADS);
                if self.settings.manual_only {
                    self.decide("C-MAN-3", Outcome::Uploaded, governs::UPLOADS);
                }
            }
            // The user's own "push now" is no rule of the catalogue's.
            Trigger::PushNow => {}
            _ => self.decide("C-PUSH-8", Outcome::Uploaded, governs::UPLOADS),
        }
        self.decide("C-SAFE-2", Outcome::Uploaded, governs::CONTENT);
        if applied {
            self.decide("C-PULL-8", Outcome::Uploaded, governs::CONTENT);
            self.decide("C-SAFE-6", Outcome::Uploaded, governs::CONTENT);
        }
        let id = self.send_push(&snapshot, out);
        if let Some(run) = self.run.as_mut() {
            run.started = true;
            run.in_flight = Some((id, seq));
        }
    }

    /// C-Q-5: a 2xx moves the item to synced and the run goes on; C-Q-3,
    /// C-SAFE-1: anything else ends the run and keeps the item and the rest.
    pub(super) fn on_upload_answer(&mut self, outcome: HttpOutcome, out: &mut Vec<Effect>) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        let carried = run.in_flight.take().map(|(_, seq)| seq);
        let accepted =
            matches!(outcome, HttpOutcome::Response { status, .. } if (200..300).contains(&status));
        let at = carried.and_then(|seq| self.pending.iter().position(|q| q.seq == seq));
        if accepted {
            if let Some(at) = at {
                self.pending.remove(at);
                self.synced += 1;
                self.decide("C-Q-5", Outcome::Synced, governs::ACCEPTED);
                out.push(Effect::QueueChanged(self.queue()));
            }
            self.continue_run(out);
            return;
        }
        let unanswered = matches!(outcome, HttpOutcome::TransportError { .. });
        let failures = at.map_or(0, |at| {
            self.pending[at].failures += 1;
            self.pending[at].failures
        });
        let (drop, counted) = match self.policy.failed_upload {
            FailedUpload::Kept => (false, false),
            FailedUpload::Dropped => (true, false),
            FailedUpload::DroppedIfUnanswered => (unanswered, false),
            FailedUpload::CountedAsSentOnRetry => (failures >= 2, true),
        };
        match at {
            Some(at) if drop => {
                self.pending.remove(at);
                if counted {
                    self.synced += 1;
                }
                out.push(Effect::QueueChanged(self.queue()));
            }
            _ => {
                self.decide("C-Q-3", Outcome::Kept, governs::PENDING);
                self.decide("C-SAFE-1", Outcome::Kept, governs::PENDING);
            }
        }
        self.run = None;
    }
}
