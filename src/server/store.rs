//! Where the fake server keeps progress: per (user, document), one record.
//!
//! [`ProgressStore`] is synchronous on purpose: the server calls it through
//! `spawn_blocking`, so no lock is ever held across an `.await`. Two stores
//! exist: [`MemoryStore`] (the default) and [`SqliteStore`] (`--data FILE`),
//! which commits with `synchronous=FULL` so a push answered 200 is on disk.
//! A write is a read-modify-write under one lock or transaction, so
//! concurrent pushes never mix two records (rule S-CONC-1).
//!
//! A percentage is given back exactly as it was pushed: the SQLite store keeps
//! its IEEE-754 bits beside the readable `REAL` column, because SQLite stores a
//! `REAL` with no fraction as an integer and so turns `-0.0` into `0.0`.
//!
//! The SQLite store also keeps the users and books added while the server runs
//! (admin API, kosync registration), so a restart with the same file knows
//! them; the memory store keeps nothing past the process.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use rusqlite::OptionalExtension;

use super::UserSpec;

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
    /// Forget every record (admin reset); users and books stay.
    fn clear(&self) -> anyhow::Result<()>;
    /// The users added while a server ran on this store.
    fn users(&self) -> anyhow::Result<Vec<UserSpec>>;
    /// Keep a user added at run time (replacing one of that name).
    fn put_user(&self, user: &UserSpec) -> anyhow::Result<()>;
    /// The books added while a server ran on this store.
    fn books(&self) -> anyhow::Result<Vec<String>>;
    /// Keep a book added at run time.
    fn add_book(&self, document: &str) -> anyhow::Result<()>;
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

    // Users and books live in the server's own state; nothing outlives the process.
    fn users(&self) -> anyhow::Result<Vec<UserSpec>> {
        Ok(Vec::new())
    }

    fn put_user(&self, _user: &UserSpec) -> anyhow::Result<()> {
        Ok(())
    }

    fn books(&self) -> anyhow::Result<Vec<String>> {
        Ok(Vec::new())
    }

    fn add_book(&self, _document: &str) -> anyhow::Result<()> {
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
                    );
                    CREATE TABLE IF NOT EXISTS users (
                        name TEXT PRIMARY KEY,
                        key TEXT NOT NULL,
                        sync_enabled INTEGER NOT NULL
                    );
                    CREATE TABLE IF NOT EXISTS books (document TEXT PRIMARY KEY);",
                )
            })
            .and_then(|_| add_percentage_bits(&conn))
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

/// Files written before the bits column existed get it; their rows read the
/// `REAL` column until they are next written.
fn add_percentage_bits(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let has_bits = conn
        .prepare("SELECT 1 FROM pragma_table_info('progress') WHERE name = 'percentage_bits'")?
        .exists([])?;
    if !has_bits {
        conn.execute_batch("ALTER TABLE progress ADD COLUMN percentage_bits INTEGER")?;
    }
    Ok(())
}

fn read_row(
    conn: &rusqlite::Connection,
    owner: &str,
    document: &str,
) -> rusqlite::Result<Option<StoredProgress>> {
    conn.query_row(
        "SELECT document, percentage, progress, device, device_id, timestamp, percentage_bits
         FROM progress WHERE owner = ?1 AND document = ?2",
        (owner, document),
        |row| {
            let bits: Option<i64> = row.get(6)?;
            Ok(StoredProgress {
                document: row.get(0)?,
                // The bits are the f64's, stored in SQLite's signed integer.
                percentage: match bits {
                    Some(bits) => f64::from_bits(bits as u64),
                    None => row.get(1)?,
                },
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
             (owner, document, percentage, progress, device, device_id, timestamp, percentage_bits)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            (
                owner,
                document,
                next.percentage,
                &next.progress,
                &next.device,
                &next.device_id,
                next.timestamp,
                next.percentage.to_bits() as i64,
            ),
        )?;
        tx.commit()?;
        Ok(next)
    }

    fn clear(&self) -> anyhow::Result<()> {
        self.lock().execute("DELETE FROM progress", [])?;
        Ok(())
    }

    fn users(&self) -> anyhow::Result<Vec<UserSpec>> {
        let conn = self.lock();
        let mut statement = conn.prepare("SELECT name, key, sync_enabled FROM users")?;
        let users = statement
            .query_map([], |row| {
                Ok(UserSpec {
                    name: row.get(0)?,
                    key: row.get(1)?,
                    sync_enabled: row.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(users)
    }

    fn put_user(&self, user: &UserSpec) -> anyhow::Result<()> {
        self.lock().execute(
            "INSERT OR REPLACE INTO users (name, key, sync_enabled) VALUES (?1, ?2, ?3)",
            (&user.name, &user.key, user.sync_enabled),
        )?;
        Ok(())
    }

    fn books(&self) -> anyhow::Result<Vec<String>> {
        let conn = self.lock();
        let mut statement = conn.prepare("SELECT document FROM books")?;
        let books = statement
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(books)
    }

    fn add_book(&self, document: &str) -> anyhow::Result<()> {
        self.lock().execute(
            "INSERT OR IGNORE INTO books (document) VALUES (?1)",
            [document],
        )?;
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
    fn both_stores_give_back_the_exact_bits_of_a_percentage() {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = SqliteStore::open(&dir.path().join("p.sqlite")).unwrap();
        let memory = MemoryStore::default();
        let stores: [&dyn ProgressStore; 2] = [&memory, &sqlite];
        for store in stores {
            for p in [-0.0, 0.0, 1.0, 0.9999999999999999, 5e-324, 0.1] {
                store.write("u", "d", &|_| record(p)).unwrap();
                let read = store.get("u", "d").unwrap().unwrap().percentage;
                assert_eq!(read.to_bits(), p.to_bits(), "{p:?} read back as {read:?}");
            }
        }
    }

    #[test]
    fn a_file_from_before_the_bits_column_still_reads_and_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE progress (owner TEXT NOT NULL, document TEXT NOT NULL,
                percentage REAL NOT NULL, progress TEXT NOT NULL, device TEXT NOT NULL,
                device_id TEXT, timestamp INTEGER NOT NULL, PRIMARY KEY (owner, document));
             INSERT INTO progress VALUES ('u', 'd', 0.5, '/body/p[1]', 'dev', NULL, 7);",
        )
        .unwrap();
        drop(conn);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.get("u", "d").unwrap(), Some(record(0.5)));
        store.write("u", "d", &|_| record(-0.0)).unwrap();
        let read = store.get("u", "d").unwrap().unwrap().percentage;
        assert_eq!(read.to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn sqlite_keeps_users_and_books_and_a_reset_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        let erin = UserSpec::with_password("erin", "pw");
        store.put_user(&erin).unwrap();
        store.add_book("d").unwrap();
        store.add_book("d").unwrap();
        store.clear().unwrap();
        drop(store);
        let reopened = SqliteStore::open(&path).unwrap();
        assert_eq!(reopened.users().unwrap(), vec![erin]);
        assert_eq!(reopened.books().unwrap(), vec!["d".to_owned()]);
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
