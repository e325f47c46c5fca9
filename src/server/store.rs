//! Where the fake server keeps progress: per (user, document), one record.
//!
//! [`ProgressStore`] is synchronous on purpose: the server calls it through
//! `spawn_blocking`, so no lock is ever held across an `.await`. Two stores
//! exist: [`MemoryStore`] (the default) and [`SqliteStore`] (`--data FILE`),
//! which commits with `synchronous=FULL` so a push answered 200 is on disk.
//! A write is a read-modify-write under one lock or transaction, so
//! concurrent pushes never mix two records (rule S-CONC-1).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use rusqlite::OptionalExtension;

/// One stored progress record.
#[derive(Debug, Clone, PartialEq)]
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

/// Decides the record to keep, given the one already stored (if any).
pub type Merge<'a> = &'a (dyn Fn(Option<&StoredProgress>) -> StoredProgress + Sync);

/// Progress storage keyed by (owner, document).
pub trait ProgressStore: Send + Sync {
    /// The record stored for this owner and document.
    fn get(&self, owner: &str, document: &str) -> anyhow::Result<Option<StoredProgress>>;
    /// Atomically replace the record with `merge(previous)`, returning what was stored.
    fn write(
        &self,
        owner: &str,
        document: &str,
        merge: Merge<'_>,
    ) -> anyhow::Result<StoredProgress>;
    /// Forget every record (admin reset).
    fn clear(&self) -> anyhow::Result<()>;
}

/// The default store: a map behind a mutex, gone when the process ends.
#[derive(Default)]
pub struct MemoryStore {
    records: Mutex<HashMap<(String, String), StoredProgress>>,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), StoredProgress>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ProgressStore for MemoryStore {
    fn get(&self, owner: &str, document: &str) -> anyhow::Result<Option<StoredProgress>> {
        Ok(self
            .lock()
            .get(&(owner.to_owned(), document.to_owned()))
            .cloned())
    }

    fn write(
        &self,
        owner: &str,
        document: &str,
        merge: Merge<'_>,
    ) -> anyhow::Result<StoredProgress> {
        let mut records = self.lock();
        let key = (owner.to_owned(), document.to_owned());
        let next = merge(records.get(&key));
        records.insert(key, next.clone());
        Ok(next)
    }

    fn clear(&self) -> anyhow::Result<()> {
        self.lock().clear();
        Ok(())
    }
}

/// A SQLite file store: one connection, opened once, behind a mutex.
pub struct SqliteStore {
    conn: Mutex<rusqlite::Connection>,
}

impl SqliteStore {
    /// Open (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let conn = rusqlite::Connection::open(path)
            .with_context(|| format!("cannot open the SQLite store {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| conn.pragma_update(None, "synchronous", "FULL"))
            .and_then(|_| conn.busy_timeout(std::time::Duration::from_secs(5)))
            .and_then(|_| {
                conn.execute_batch(
                    "CREATE TABLE IF NOT EXISTS progress (
                        owner TEXT NOT NULL,
                        document TEXT NOT NULL,
                        percentage REAL NOT NULL,
                        progress TEXT NOT NULL,
                        device TEXT NOT NULL,
                        device_id TEXT,
                        timestamp INTEGER NOT NULL,
                        PRIMARY KEY (owner, document)
                    );",
                )
            })
            .with_context(|| {
                format!(
                    "{} is not a usable SQLite store (is it another kind of file?)",
                    path.display()
                )
            })?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn read_row(
    conn: &rusqlite::Connection,
    owner: &str,
    document: &str,
) -> rusqlite::Result<Option<StoredProgress>> {
    conn.query_row(
        "SELECT document, percentage, progress, device, device_id, timestamp
         FROM progress WHERE owner = ?1 AND document = ?2",
        (owner, document),
        |row| {
            Ok(StoredProgress {
                document: row.get(0)?,
                percentage: row.get(1)?,
                progress: row.get(2)?,
                device: row.get(3)?,
                device_id: row.get(4)?,
                timestamp: row.get(5)?,
            })
        },
    )
    .optional()
}

impl ProgressStore for SqliteStore {
    fn get(&self, owner: &str, document: &str) -> anyhow::Result<Option<StoredProgress>> {
        Ok(read_row(&self.lock(), owner, document)?)
    }

    fn write(
        &self,
        owner: &str,
        document: &str,
        merge: Merge<'_>,
    ) -> anyhow::Result<StoredProgress> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let previous = read_row(&tx, owner, document)?;
        let next = merge(previous.as_ref());
        tx.execute(
            "INSERT OR REPLACE INTO progress
             (owner, document, percentage, progress, device, device_id, timestamp)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            (
                owner,
                document,
                next.percentage,
                &next.progress,
                &next.device,
                &next.device_id,
                next.timestamp,
            ),
        )?;
        tx.commit()?;
        Ok(next)
    }

    fn clear(&self) -> anyhow::Result<()> {
        self.lock().execute("DELETE FROM progress", [])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(p: f64) -> StoredProgress {
        StoredProgress {
            document: "d".into(),
            percentage: p,
            progress: "/body/p[1]".into(),
            device: "dev".into(),
            device_id: None,
            timestamp: 7,
        }
    }

    fn exercise(store: &dyn ProgressStore) {
        assert_eq!(store.get("u", "d").unwrap(), None);
        store.write("u", "d", &|_| record(0.5)).unwrap();
        store
            .write("u", "d", &|prev| {
                assert_eq!(prev.map(|p| p.percentage), Some(0.5));
                record(0.25)
            })
            .unwrap();
        assert_eq!(store.get("u", "d").unwrap(), Some(record(0.25)));
        assert_eq!(store.get("other", "d").unwrap(), None);
        store.clear().unwrap();
        assert_eq!(store.get("u", "d").unwrap(), None);
    }

    #[test]
    fn memory_store_round_trips() {
        exercise(&MemoryStore::default());
    }

    #[test]
    fn sqlite_store_round_trips_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.sqlite");
        exercise(&SqliteStore::open(&path).unwrap());
        SqliteStore::open(&path)
            .unwrap()
            .write("u", "d", &|_| record(1.0))
            .unwrap();
        let reopened = SqliteStore::open(&path).unwrap();
        assert_eq!(reopened.get("u", "d").unwrap(), Some(record(1.0)));
    }

    #[test]
    fn sqlite_refuses_a_non_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-a-db");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let err = SqliteStore::open(&path).err().unwrap();
        assert!(format!("{err:#}").contains("not-a-db"));
    }
}
