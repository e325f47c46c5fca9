//! The request journal: what clients sent the fake server, oldest first.
//!
//! A client check reads the journal to see what the client under test did on
//! the wire. An entry is reserved when a request arrives (so order is arrival
//! order, even when a slow request finishes last) and completed when it has
//! been answered; only completed entries are listed.
//!
//! The journal is bounded twice: by entries and by bytes kept. Past either
//! bound the oldest entries are dropped. What one entry keeps is capped too
//! (path, each header, all headers, body); an entry that lost something says
//! so in `truncated`, with the sizes the request really had. So a flood of
//! hostile requests costs a bounded amount of memory, and serving the journal
//! (a copy of it, made off the lock) stays quick.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use hyper::header::HeaderMap;
use serde::{Deserialize, Serialize};

/// Most bytes of a path kept.
pub const PATH_KEEP: usize = 2 * 1024;
/// Most bytes of one header value kept.
pub const HEADER_VALUE_KEEP: usize = 1024;
/// Most bytes of all headers (names and values) kept.
pub const HEADERS_KEEP: usize = 8 * 1024;
/// Most bytes of a body kept.
pub const BODY_KEEP: usize = 16 * 1024;
/// What an entry costs beyond its text (allocations, map nodes), for the byte bound.
const ENTRY_OVERHEAD: usize = 256;

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
    /// Present when something was too large to keep whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncated>,
}

/// The real sizes, in bytes, of the parts of a request the journal kept only
/// in part. A truncated body is kept as text (its start), not as JSON.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Truncated {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<usize>,
    /// All headers, names and values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<usize>,
}

impl Truncated {
    fn is_empty(&self) -> bool {
        self.path.is_none() && self.headers.is_none() && self.body.is_none()
    }
}

/// What the journal keeps of a request: text capped, in as few allocations
/// as possible (it is made for every request), and the body as raw bytes,
/// parsed only when the journal is served.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// A standard method is a constant: no allocation per request.
    method: hyper::Method,
    /// The path, then the headers as `name: value` lines, names in lowercase:
    /// one allocation for the whole head.
    head: String,
    /// Where the path ends in `head`.
    path_len: usize,
    body: Bytes,
    status: u16,
    at: i64,
    truncated: Truncated,
}

impl Recorded {
    /// Keep what is worth keeping of a request head.
    pub fn arrive(method: &hyper::Method, path: &str, headers: &HeaderMap, at: i64) -> Self {
        let mut truncated = Truncated::default();
        let path = if path.len() > PATH_KEEP {
            truncated.path = Some(path.len());
            prefix(path, PATH_KEEP)
        } else {
            path
        };
        let mut kept = String::with_capacity(path.len() + headers.len() * 48);
        kept.push_str(path);
        let path_len = kept.len();
        let mut all_bytes = 0;
        for (name, value) in headers {
            // Header names are lowercase already (the http crate normalises them).
            let name = name.as_str();
            let value = String::from_utf8_lossy(value.as_bytes());
            all_bytes += name.len() + value.len();
            let short = prefix(&value, HEADER_VALUE_KEEP);
            let cost = name.len() + short.len();
            let headers_kept = kept.len() - path_len;
            if short.len() < value.len() || headers_kept + cost > HEADERS_KEEP {
                truncated.headers = Some(0);
            }
            if headers_kept + cost > HEADERS_KEEP {
                continue;
            }
            // A header value holds no line break, so lines keep entries apart.
            kept.push_str(name);
            kept.push_str(": ");
            kept.push_str(short);
            kept.push('\n');
        }
        if truncated.headers.is_some() {
            truncated.headers = Some(all_bytes);
        }
        Recorded {
            method: method.clone(),
            head: kept,
            path_len,
            body: Bytes::new(),
            status: 0,
            at,
            truncated,
        }
    }

    /// The kept headers by name, repeated ones joined with `, `.
    fn header_map(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for line in self.head[self.path_len..].lines() {
            let (name, value) = line.split_once(": ").unwrap_or((line, ""));
            out.entry(name.to_owned())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(value);
                })
                .or_insert_with(|| value.to_owned());
        }
        out
    }

    /// Bytes this entry holds, for the journal's byte bound.
    fn cost(&self) -> usize {
        ENTRY_OVERHEAD + self.method.as_str().len() + self.head.len() + self.body.len()
    }

    /// What is kept of a body, and its real size when that is not all of it.
    /// Copied, not sliced: a slice would keep the connection's whole read
    /// buffer alive for as long as the entry.
    fn keep_body(body: &[u8]) -> (Bytes, Option<usize>) {
        if body.len() > BODY_KEEP {
            (Bytes::copy_from_slice(&body[..BODY_KEEP]), Some(body.len()))
        } else {
            (Bytes::copy_from_slice(body), None)
        }
    }

    fn finish(&mut self, body: Bytes, truncated: Option<usize>, status: u16) {
        self.body = body;
        self.truncated.body = truncated;
        self.status = status;
    }

    /// The entry as the admin API shows it.
    pub fn to_entry(&self) -> JournalEntry {
        JournalEntry {
            method: self.method.to_string(),
            path: self.head[..self.path_len].to_owned(),
            headers: self.header_map(),
            body: if self.truncated.body.is_some() {
                serde_json::Value::String(String::from_utf8_lossy(&self.body).into_owned())
            } else {
                body_value(&self.body)
            },
            status: self.status,
            at: self.at,
            truncated: (!self.truncated.is_empty()).then(|| self.truncated.clone()),
        }
    }
}

/// The longest start of `text` within `max` bytes that ends on a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An entry in the journal: shared from the start (made before the lock is
/// taken, so holding the lock costs a pointer push), with its cost kept
/// beside it so evicting the oldest entries never reads their (cold) memory.
struct Slot {
    entry: Arc<Recorded>,
    /// What [`Recorded::cost`] said when the entry was last changed.
    cost: usize,
    /// Answered; only these are listed.
    done: bool,
}

struct Inner {
    /// Sequence number of `slots[0]`.
    first_seq: u64,
    slots: VecDeque<Slot>,
    /// Sum of the slots' costs.
    bytes: usize,
    limit: usize,
    byte_limit: usize,
}

impl Inner {
    /// Drop the oldest entries past either bound.
    fn evict(&mut self) {
        while self.slots.len() > self.limit
            || (self.bytes > self.byte_limit && self.slots.len() > 1)
        {
            if let Some(slot) = self.slots.pop_front() {
                self.bytes -= slot.cost;
                self.first_seq += 1;
            }
        }
    }
}

/// A bounded, ordered request log shared by every connection.
pub struct Journal {
    inner: Mutex<Inner>,
}

/// Handle to a reserved entry, used to complete it once answered.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl Journal {
    /// At most `limit` entries and about `byte_limit` bytes (always the newest entry).
    pub fn new(limit: usize, byte_limit: usize) -> Self {
        Journal {
            inner: Mutex::new(Inner {
                first_seq: 0,
                slots: VecDeque::new(),
                bytes: 0,
                limit: limit.max(1),
                byte_limit,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserve the next entry in arrival order.
    pub fn arrive(&self, entry: Recorded) -> Ticket {
        let slot = Slot {
            cost: entry.cost(),
            entry: Arc::new(entry),
            done: false,
        };
        let mut inner = self.lock();
        let seq = inner.first_seq + inner.slots.len() as u64;
        inner.bytes += slot.cost;
        inner.slots.push_back(slot);
        inner.evict();
        Ticket(seq)
    }

    /// Fill in the body and status of a reserved entry (a no-op if it was dropped meanwhile).
    pub fn complete(&self, ticket: Ticket, body: &[u8], status: u16) {
        // Copied before the lock is taken; dropped unused if the entry is gone.
        let (kept, truncated) = Recorded::keep_body(body);
        let mut inner = self.lock();
        let Some(index) = ticket
            .0
            .checked_sub(inner.first_seq)
            .and_then(|i| usize::try_from(i).ok())
        else {
            return;
        };
        let Some(slot) = inner.slots.get_mut(index) else {
            return;
        };
        if slot.done {
            return;
        }
        // Unshared: only answered entries are ever handed out.
        let recorded = Arc::make_mut(&mut slot.entry);
        recorded.finish(kept, truncated, status);
        let before = std::mem::replace(&mut slot.cost, recorded.cost());
        slot.done = true;
        let after = slot.cost;
        inner.bytes = inner.bytes - before + after;
        inner.evict();
    }

    /// The completed entries, oldest first, shared rather than copied so the
    /// lock is held only for a pass over pointers.
    pub fn snapshot(&self) -> Vec<Arc<Recorded>> {
        self.lock()
            .slots
            .iter()
            .filter(|s| s.done)
            .map(|s| Arc::clone(&s.entry))
            .collect()
    }

    /// Completed entries, oldest first.
    #[cfg(test)]
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.snapshot().iter().map(|r| r.to_entry()).collect()
    }

    /// Forget everything (admin reset).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.first_seq += inner.slots.len() as u64;
        inner.slots.clear();
        inner.bytes = 0;
    }
}

/// The journal as the admin API serves it: a JSON array, one entry at a time
/// so only one entry's parsed body exists at once.
pub fn render(entries: &[Arc<Recorded>]) -> Bytes {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.cost()).sum::<usize>() + 2);
    out.push(b'[');
    for (i, recorded) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing these plain types into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, &recorded.to_entry());
    }
    out.push(b']');
    Bytes::from(out)
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

    fn entry(path: &str) -> Recorded {
        Recorded::arrive(&hyper::Method::GET, path, &HeaderMap::new(), 0)
    }

    fn paths(j: &Journal) -> Vec<String> {
        j.entries().into_iter().map(|e| e.path).collect()
    }

    #[test]
    fn arrival_order_kept_and_only_completed_listed() {
        let j = Journal::new(10, 1 << 20);
        let a = j.arrive(entry("/a"));
        let b = j.arrive(entry("/b"));
        j.complete(b, b"", 200);
        assert_eq!(j.entries().len(), 1);
        j.complete(a, b"", 404);
        assert_eq!(paths(&j), ["/a", "/b"]);
    }

    #[test]
    fn bounded_drops_oldest() {
        let j = Journal::new(3, 1 << 20);
        for i in 0..5 {
            let t = j.arrive(entry(&format!("/{i}")));
            j.complete(t, b"", 200);
        }
        assert_eq!(paths(&j), ["/2", "/3", "/4"]);
    }

    #[test]
    fn bounded_in_bytes_keeps_the_newest_and_the_count_of_bytes() {
        let j = Journal::new(1000, 4 * BODY_KEEP);
        for i in 0..20 {
            let t = j.arrive(entry(&format!("/{i}")));
            j.complete(t, &vec![b'x'; BODY_KEEP], 200);
        }
        let kept = paths(&j);
        assert!(kept.len() < 4 && !kept.is_empty(), "{kept:?}");
        assert_eq!(kept.last().map(String::as_str), Some("/19"));
        let inner = j.lock();
        let counted: usize = inner.slots.iter().map(|s| s.entry.cost()).sum();
        assert_eq!(inner.bytes, counted);
        assert!(inner.bytes <= 4 * BODY_KEEP);
    }

    #[test]
    fn large_parts_are_cut_and_marked() {
        let mut headers = HeaderMap::new();
        headers.insert("x-big", "é".repeat(3000).parse().unwrap());
        let long_path = format!("/{}", "p".repeat(PATH_KEEP * 2));
        let j = Journal::new(10, 1 << 20);
        let t = j.arrive(Recorded::arrive(
            &hyper::Method::PUT,
            &long_path,
            &headers,
            0,
        ));
        j.complete(t, &[b'{'; BODY_KEEP + 1], 200);
        let e = &j.entries()[0];
        assert!(e.path.len() <= PATH_KEEP);
        assert!(e.headers["x-big"].len() <= HEADER_VALUE_KEEP);
        assert_eq!(
            e.truncated,
            Some(Truncated {
                path: Some(long_path.len()),
                headers: Some("x-big".len() + 6000),
                body: Some(BODY_KEEP + 1),
            })
        );
        assert_eq!(e.body.as_str().map(str::len), Some(BODY_KEEP));
    }

    #[test]
    fn rendered_journal_is_the_entries_as_json() {
        let j = Journal::new(10, 1 << 20);
        let t = j.arrive(entry("/a"));
        j.complete(t, b"{\"percentage\":0.9999999999999999}", 200);
        let served: Vec<JournalEntry> = serde_json::from_slice(&render(&j.snapshot())).unwrap();
        assert_eq!(served, j.entries());
        assert_eq!(
            served[0].body["percentage"].as_f64(),
            Some(0.9999999999999999)
        );
    }

    #[test]
    fn body_value_kinds() {
        assert_eq!(body_value(b""), serde_json::Value::Null);
        assert_eq!(body_value(b"{\"a\":1}"), serde_json::json!({"a": 1}));
        assert_eq!(body_value(b"{oops"), serde_json::json!("{oops"));
    }
}
