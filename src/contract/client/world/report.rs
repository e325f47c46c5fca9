//! What a failed client scenario reports: the reproduction (command line,
//! start settings, events as an adapter receives them, what the reference
//! decided) and the transcript (each event with what the client sent and
//! showed).

use super::{describe_entry, event_name, replay, ClientWorld};
use crate::model::{ClientConfig, Event, Profile};

impl ClientWorld {
    /// The command line and the events that reproduce the scenario, with
    /// what the reference decided at the events of the failing block.
    pub(super) fn reproduction(&self) -> Option<String> {
        let meta = self.meta.as_ref()?;
        let tags = if meta.rules.is_empty() {
            String::new()
        } else {
            format!(
                " --tags '{}'",
                meta.rules
                    .iter()
                    .map(|r| format!("@{r}"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        };
        let settings = serde_json::to_string(&self.settings).unwrap_or_default();
        let profile = if self.profile == Profile::default() {
            String::new()
        } else {
            format!(" --profile {}", self.profile)
        };
        let mut out = format!(
            "kosync-contract verify-client{}{profile}{tags}   # {}\n  start settings: {settings}\n  events, as an adapter receives them:",
            self.target_args, meta.location
        );
        for line in self.event_lines() {
            out.push_str("\n    ");
            out.push_str(&line);
        }
        let decided = self.reference_decided();
        if !decided.is_empty() {
            out.push_str("\n  what the reference decided at the events of the last When block:");
            for line in decided {
                out.push_str("\n    ");
                out.push_str(&line);
            }
        }
        Some(out)
    }

    /// Every event with what the client sent and showed, for the report.
    pub(super) fn transcript_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut notes = self.notes.iter().peekable();
        let mut exchanges = self.exchanges.iter().peekable();
        let mut effects = self.effects.iter().peekable();
        for (index, event) in self.events.iter().enumerate() {
            while let Some((_, note)) = notes.next_if(|(at, _)| *at <= index) {
                lines.push(note.clone());
            }
            lines.push(format!(
                "t+{}s event {}",
                self.elapsed_at(index),
                serde_json::to_string(event).unwrap_or_default()
            ));
            while let Some(x) = exchanges.next_if(|x| x.event == index) {
                lines.push(format!("  client sent {}", describe_entry(&x.entry)));
            }
            while let Some((_, effect)) = effects.next_if(|(at, _)| *at == index) {
                lines.push(format!(
                    "  client showed {}",
                    serde_json::to_string(effect).unwrap_or_default()
                ));
            }
        }
        for (_, note) in notes {
            lines.push(note.clone());
        }
        lines.push(format!(
            "queue now {} ({} pending, {} synced)",
            self.queue.summary(),
            self.queue.pending,
            self.queue.synced
        ));
        // Last, because reports show the last line as what was sent: the
        // client's requests in the block the failing check looked at.
        let block: Vec<String> = self
            .exchanges_since_mark()
            .iter()
            .map(|x| describe_entry(&x.entry))
            .collect();
        lines.push(if block.is_empty() {
            "the client sent nothing since the last When".to_string()
        } else {
            format!("the client sent, since the last When: {}", block.join("; "))
        });
        lines
    }

    /// The event list as JSON lines, the way an adapter would receive them.
    fn event_lines(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_else(|_| format!("{e:?}")))
            .collect()
    }

    /// What the reference decided at each event of the current `When`
    /// block, one line each, replayed with the same server state (`replay.rs`).
    fn reference_decided(&self) -> Vec<String> {
        let identity = self.identity();
        let config = ClientConfig::new(
            self.dialect(),
            &identity.user,
            &identity.password,
            &identity.device,
            &identity.device_id,
            identity.clock_start,
        );
        // The settings the client was started with (see `ensure_started`).
        let started_with = self.capabilities.settings_as_run(&self.settings);
        let decided = replay::decisions(
            config,
            &started_with,
            self.profile,
            &self.events,
            &self.script,
        );
        let start = self.mark_events.min(self.events.len());
        self.events[start..]
            .iter()
            .zip(&decided[start..])
            .map(|(event, d)| format!("{} → {}", event_name(event), replay::describe(d)))
            .collect()
    }

    /// Virtual seconds elapsed when event `index` was sent.
    fn elapsed_at(&self, index: usize) -> u64 {
        self.events
            .iter()
            .take(index)
            .map(|e| match e {
                Event::TimePassed { seconds } => *seconds,
                _ => 0,
            })
            .sum()
    }
}
