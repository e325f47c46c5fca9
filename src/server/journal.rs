//! The request journal: what clients sent the fake server, oldest first.
//!
//! A client check reads the journal to see what the client under test did on
//! the wire. An entry is reserved when a request arrives (so order is arrival
//! order, even when a slow request finishes last) and completed when it has
//! been answered; only completed entries are listed. The journal is bounded:
//! past the limit the oldest entries are dropped.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One request as the server saw it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct JournalEntry {
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// Header names in lowercase; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON when it is JSON, else the text, `null` when empty
    /// (or not read, as for a body refused with 413).
    pub body: serde_json::Value,
    /// Status answered; 0 when the connection was dropped without an answer.
    pub status: u16,
    /// Server clock at arrival, seconds since the Unix epoch.
    pub at: i64,
}

struct Slot {
    entry: JournalEntry,
    done: bool,
}

struct Inner {
    /// Sequence number of `slots[0]`.
    first_seq: u64,
    slots: VecDeque<Slot>,
    limit: usize,
}

/// A bounded, ordered request log shared by every connection.
pub struct Journal {
    inner: Mutex<Inner>,
}

/// Handle to a reserved entry, used to complete it once answered.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl Journal {
    pub fn new(limit: usize) -> Self {
        Journal {
            inner: Mutex::new(Inner {
                first_seq: 0,
                slots: VecDeque::new(),
                limit: limit.max(1),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserve the next entry in arrival order.
    pub fn arrive(&self, entry: JournalEntry) -> Ticket {
        let mut inner = self.lock();
        let seq = inner.first_seq + inner.slots.len() as u64;
        inner.slots.push_back(Slot { entry, done: false });
        while inner.slots.len() > inner.limit {
            inner.slots.pop_front();
            inner.first_seq += 1;
        }
        Ticket(seq)
    }

    /// Fill in the body and status of a reserved entry (a no-op if it was dropped meanwhile).
    pub fn complete(&self, ticket: Ticket, body: serde_json::Value, status: u16) {
        let mut inner = self.lock();
        let Some(index) = ticket.0.checked_sub(inner.first_seq) else {
            return;
        };
        if let Some(slot) = usize::try_from(index)
            .ok()
            .and_then(|i| inner.slots.get_mut(i))
        {
            slot.entry.body = body;
            slot.entry.status = status;
            slot.done = true;
        }
    }

    /// Completed entries, oldest first.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.lock()
            .slots
            .iter()
            .filter(|s| s.done)
            .map(|s| s.entry.clone())
            .collect()
    }

    /// Forget everything (admin reset).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.first_seq += inner.slots.len() as u64;
        inner.slots.clear();
    }
}

/// How a request body is recorded: JSON when it parses, else text, `null` when empty.
pub fn body_value(bytes: &[u8]) -> serde_json::Value {
    if bytes.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> JournalEntry {
        JournalEntry {
            method: "GET".into(),
            path: path.into(),
            headers: BTreeMap::new(),
            body: serde_json::Value::Null,
            status: 0,
            at: 0,
        }
    }

    #[test]
    fn arrival_order_kept_and_only_completed_listed() {
        let j = Journal::new(10);
        let a = j.arrive(entry("/a"));
        let b = j.arrive(entry("/b"));
        j.complete(b, serde_json::Value::Null, 200);
        assert_eq!(j.entries().len(), 1);
        j.complete(a, serde_json::Value::Null, 404);
        let paths: Vec<_> = j.entries().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/a", "/b"]);
    }

    #[test]
    fn bounded_drops_oldest() {
        let j = Journal::new(3);
        for i in 0..5 {
            let t = j.arrive(entry(&format!("/{i}")));
            j.complete(t, serde_json::Value::Null, 200);
        }
        let paths: Vec<_> = j.entries().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/2", "/3", "/4"]);
    }

    #[test]
    fn body_value_kinds() {
        assert_eq!(body_value(b""), serde_json::Value::Null);
        assert_eq!(body_value(b"{\"a\":1}"), serde_json::json!({"a": 1}));
        assert_eq!(body_value(b"{oops"), serde_json::json!("{oops"));
    }
}
