//! Where the fake server keeps progress: per (user, document), one record.
//!
//! [`ProgressStore`] hands back futures, so the memory store answers at once
//! on the connection's own task (no thread hop) and the SQLite store can make
//! many writers wait for one commit. Two stores exist: [`MemoryStore`] (the
//! default) and [`SqliteStore`] (`--data FILE`), which answers a write only
//! once its transaction is committed with `synchronous=FULL`, so a push
//! answered 200 is on disk. A write is a read-modify-write under one lock or
//! transaction, so concurrent pushes never mix two records (rule S-CONC-1).
//!
//! A percentage is given back exactly as it was pushed: the SQLite store keeps
//! its IEEE-754 bits beside the readable `REAL` column, because SQLite stores a
//! `REAL` with no fraction as an integer and so turns `-0.0` into `0.0`.
//!
//! The SQLite store also keeps the users and books added while the server runs
//! (admin API, kosync registration), so a restart with the same file knows
//! them; the memory store keeps nothing past the process.

mod sqlite;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use super::UserSpec;
pub use sqlite::SqliteStore;

/// One stored progress record.
#[derive(Debug, PartialEq)]
pub struct StoredProgress {
    pub document: String,
    pub percentage: f64,
    pub progress: String,
    pub device: String,
    /// Optional on kosync pushes.
    pub device_id: Option<String>,
    /// Server time of the accepted push (seconds).
    pub timestamp: i64,
}

impl Clone for StoredProgress {
    fn clone(&self) -> Self {
        StoredProgress {
            document: self.document.clone(),
            percentage: self.percentage,
            progress: self.progress.clone(),
            device: self.device.clone(),
            device_id: self.device_id.clone(),
            timestamp: self.timestamp,
        }
    }

    /// Field by field, so a stored record that is replaced keeps its string
    /// buffers (no allocation, no free) when the new texts fit in them.
    fn clone_from(&mut self, source: &Self) {
        let StoredProgress {
            document,
            percentage,
            progress,
            device,
            device_id,
            timestamp,
        } = source;
        self.document.clone_from(document);
        self.percentage = *percentage;
        self.progress.clone_from(progress);
        self.device.clone_from(device);
        self.device_id.clone_from(device_id);
        self.timestamp = *timestamp;
    }
}

/// Decides the record to keep, given the one already stored (if any).
pub type Merge = Box<dyn FnOnce(Option<&StoredProgress>) -> StoredProgress + Send>;

/// What a store call gives back: a result, once it is settled.
pub type StoreFuture<'a, T> = BoxFuture<'a, anyhow::Result<T>>;

/// Progress storage keyed by (owner, document).
pub trait ProgressStore: Send + Sync {
    /// The record stored for this owner and document, shared: a pull only
    /// reads it, so the memory store hands out its own copy without cloning.
    fn get(&self, owner: &str, document: &str) -> StoreFuture<'_, Option<Arc<StoredProgress>>>;
    /// Atomically replace the record with `merge(previous)`; resolves to what
    /// was stored once it is stored for good.
    fn write(&self, owner: &str, document: &str, merge: Merge) -> StoreFuture<'_, StoredProgress>;
    /// Forget every record (admin reset); users and books stay.
    fn clear(&self) -> StoreFuture<'_, ()>;
    /// The users added while a server ran on this store.
    fn users(&self) -> StoreFuture<'_, Vec<UserSpec>>;
    /// Keep a user added at run time (replacing one of that name).
    fn put_user(&self, user: &UserSpec) -> StoreFuture<'_, ()>;
    /// The books added while a server ran on this store.
    fn books(&self) -> StoreFuture<'_, Vec<String>>;
    /// Keep a book added at run time.
    fn add_book(&self, document: &str) -> StoreFuture<'_, ()>;
}

fn ready<'a, T: Send + 'a>(value: anyhow::Result<T>) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(value))
}

/// The default store: a map behind a mutex, gone when the process ends. Every
/// call is done before it returns; the lock is never held across an `.await`.
#[derive(Default)]
pub struct MemoryStore {
    /// Owner, then document: looked up by `&str`, without building a key.
    records: Mutex<Records>,
}

type Records = HashMap<String, HashMap<String, Arc<StoredProgress>>>;

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ProgressStore for MemoryStore {
    fn get(&self, owner: &str, document: &str) -> StoreFuture<'_, Option<Arc<StoredProgress>>> {
        let found = self
            .lock()
            .get(owner)
            .and_then(|documents| documents.get(document))
            .cloned();
        ready(Ok(found))
    }

    fn write(&self, owner: &str, document: &str, merge: Merge) -> StoreFuture<'_, StoredProgress> {
        let mut records = self.lock();
        // Keys are copied only the first time: most writes replace a record.
        if !records.contains_key(owner) {
            records.insert(owner.to_owned(), HashMap::new());
        }
        let Some(documents) = records.get_mut(owner) else {
            unreachable!("the owner's map was inserted above, under the same lock")
        };
        let next = match documents.get_mut(document) {
            Some(slot) => {
                let next = merge(Some(slot));
                // In place (reusing the strings' buffers) unless a pull still
                // holds the old record; then it keeps that one.
                Arc::make_mut(slot).clone_from(&next);
                next
            }
            None => {
                let next = merge(None);
                documents.insert(document.to_owned(), Arc::new(next.clone()));
                next
            }
        };
        ready(Ok(next))
    }

    fn clear(&self) -> StoreFuture<'_, ()> {
        self.lock().clear();
        ready(Ok(()))
    }

    // Users and books live in the server's own state; nothing outlives the process.
    fn users(&self) -> StoreFuture<'_, Vec<UserSpec>> {
        ready(Ok(Vec::new()))
    }

    fn put_user(&self, _user: &UserSpec) -> StoreFuture<'_, ()> {
        ready(Ok(()))
    }

    fn books(&self) -> StoreFuture<'_, Vec<String>> {
        ready(Ok(Vec::new()))
    }

    fn add_book(&self, _document: &str) -> StoreFuture<'_, ()> {
        ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn record(p: f64) -> StoredProgress {
        StoredProgress {
            document: "d".into(),
            percentage: p,
            progress: "/body/p[1]".into(),
            device: "dev".into(),
            device_id: None,
            timestamp: 7,
        }
    }

    #[test]
    fn replacing_a_record_in_place_copies_every_field() {
        let mut stored = record(0.25);
        let newer = StoredProgress {
            document: "another document".into(),
            percentage: 0.75,
            progress: "/body/DocFragment[12]/body/p[3]".into(),
            device: "a longer device name".into(),
            device_id: Some("ID".into()),
            timestamp: 9,
        };
        stored.clone_from(&newer);
        assert_eq!(stored, newer);
        // And back to shorter texts and no device id.
        stored.clone_from(&record(0.5));
        assert_eq!(stored, record(0.5));
    }

    pub(super) fn put(p: f64) -> Merge {
        Box::new(move |_| record(p))
    }

    pub(super) async fn exercise(store: &dyn ProgressStore) {
        assert_eq!(store.get("u", "d").await.unwrap(), None);
        store.write("u", "d", put(0.5)).await.unwrap();
        store
            .write(
                "u",
                "d",
                Box::new(|prev| {
                    assert_eq!(prev.map(|p| p.percentage), Some(0.5));
                    record(0.25)
                }),
            )
            .await
            .unwrap();
        assert_eq!(
            store.get("u", "d").await.unwrap(),
            Some(Arc::new(record(0.25)))
        );
        assert_eq!(store.get("other", "d").await.unwrap(), None);
        store.clear().await.unwrap();
        assert_eq!(store.get("u", "d").await.unwrap(), None);
    }

    pub(super) async fn exact_bits(store: &dyn ProgressStore) {
        for p in [-0.0, 0.0, 1.0, 0.9999999999999999, 5e-324, 0.1] {
            store.write("u", "d", put(p)).await.unwrap();
            let read = store.get("u", "d").await.unwrap().unwrap().percentage;
            assert_eq!(read.to_bits(), p.to_bits(), "{p:?} read back as {read:?}");
        }
    }

    #[tokio::test]
    async fn memory_store_round_trips() {
        exercise(&MemoryStore::default()).await;
    }

    #[tokio::test]
    async fn memory_store_gives_back_the_exact_bits_of_a_percentage() {
        exact_bits(&MemoryStore::default()).await;
    }
}
