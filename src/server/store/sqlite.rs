//! The SQLite file store (`serve --data FILE`), with group commit.
//!
//! Every write goes to one writer thread that owns the writing connection. It
//! takes whatever writes are waiting, applies them all in one transaction and
//! commits once (one fsync, `synchronous=FULL`), and only then tells each
//! writer its result. So a push is answered only when it is on disk, as
//! before, but sixty-four concurrent pushes cost one fsync rather than
//! sixty-four. Reads go to a few reader threads, each with its own connection
//! (WAL mode lets them run beside the writer).

use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};

use anyhow::{anyhow, Context};
use rusqlite::{Connection, OptionalExtension};
use tokio::sync::oneshot;

use super::{Merge, ProgressStore, StoreFuture, StoredProgress};
use crate::server::UserSpec;

/// Most writes committed in one transaction.
const MAX_BATCH: usize = 1024;
/// Reader threads (and read connections).
const READERS: usize = 4;

/// A read for a reader thread: it runs on that thread's connection and sends
/// its own result.
type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// One change for the writer thread, with where to send its result.
enum Job {
    Write {
        owner: String,
        document: String,
        merge: Merge,
        done: oneshot::Sender<anyhow::Result<StoredProgress>>,
    },
    Clear(oneshot::Sender<anyhow::Result<()>>),
    PutUser(UserSpec, oneshot::Sender<anyhow::Result<()>>),
    AddBook(String, oneshot::Sender<anyhow::Result<()>>),
}

/// A job's result, held back until its transaction has committed.
enum Settled {
    /// The record written (`None` if this write failed).
    Write(
        oneshot::Sender<anyhow::Result<StoredProgress>>,
        Option<StoredProgress>,
    ),
    Unit(oneshot::Sender<anyhow::Result<()>>),
}

impl Settled {
    fn succeed(self) {
        // A writer that stopped waiting (its client went away) needs no answer.
        match self {
            Settled::Write(done, stored) => {
                let _ = done.send(stored.ok_or_else(|| anyhow!("the write was not applied")));
            }
            Settled::Unit(done) => {
                let _ = done.send(Ok(()));
            }
        }
    }

    fn fail(self, err: &anyhow::Error) {
        let err = || anyhow!("the SQLite store failed: {err:#}");
        match self {
            Settled::Write(done, _) => {
                let _ = done.send(Err(err()));
            }
            Settled::Unit(done) => {
                let _ = done.send(Err(err()));
            }
        }
    }
}

/// A SQLite file store: one writer thread, a few reader threads.
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    reads: mpsc::Sender<ReadJob>,
}

impl SqliteStore {
    /// Open (creating if needed) the store at `path` and start its writer.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the SQLite store {}", path.display()))?;
        prepare(&conn).with_context(|| {
            format!(
                "{} is not a usable SQLite store (is it another kind of file?)",
                path.display()
            )
        })?;
        let (reads, read_queue) = mpsc::channel::<ReadJob>();
        let read_queue = Arc::new(Mutex::new(read_queue));
        for i in 0..READERS {
            let reader = Connection::open(path)
                .with_context(|| format!("cannot open the SQLite store {}", path.display()))?;
            let queue = Arc::clone(&read_queue);
            std::thread::Builder::new()
                .name(format!("sqlite-reader-{i}"))
                .spawn(move || run_reader(reader, queue))
                .context("cannot start a SQLite reader thread")?;
        }
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_writer(conn, queue))
            .context("cannot start the SQLite writer thread")?;
        Ok(SqliteStore { jobs, reads })
    }

    /// Hand a job to the writer and wait for its result.
    fn submit<'a, T: Send + 'a>(
        &'a self,
        job: impl FnOnce(oneshot::Sender<anyhow::Result<T>>) -> Job,
    ) -> StoreFuture<'a, T> {
        let (done, result) = oneshot::channel();
        let sent = self.jobs.send(job(done));
        Box::pin(async move {
            sent.map_err(|_| anyhow!("the SQLite writer has stopped"))?;
            result
                .await
                .map_err(|_| anyhow!("the SQLite writer stopped before answering"))?
        })
    }

    /// Run a read on a reader thread.
    fn read<'a, T: Send + 'static>(
        &'a self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreFuture<'a, T> {
        let (done, result) = oneshot::channel();
        let sent = self.reads.send(Box::new(move |conn: &Connection| {
            let _ = done.send(read(conn).map_err(anyhow::Error::from));
        }));
        Box::pin(async move {
            sent.map_err(|_| anyhow!("the SQLite readers have stopped"))?;
            result
                .await
                .map_err(|_| anyhow!("a SQLite reader stopped before answering"))?
        })
    }
}

/// WAL (readers beside the writer), `synchronous=FULL` (a commit is on disk),
/// and the schema.
fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
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
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS users (
            name TEXT PRIMARY KEY,
            key TEXT NOT NULL,
            sync_enabled INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS books (document TEXT PRIMARY KEY);",
    )?;
    add_percentage_bits(conn)
}

/// Files written before the bits column existed get it; their rows read the
/// `REAL` column until they are next written.
fn add_percentage_bits(conn: &Connection) -> rusqlite::Result<()> {
    let has_bits = conn
        .prepare("SELECT 1 FROM pragma_table_info('progress') WHERE name = 'percentage_bits'")?
        .exists([])?;
    if !has_bits {
        conn.execute_batch("ALTER TABLE progress ADD COLUMN percentage_bits INTEGER")?;
    }
    Ok(())
}

/// A reader thread: until the store is dropped, run reads on its connection.
fn run_reader(conn: Connection, queue: Arc<Mutex<mpsc::Receiver<ReadJob>>>) {
    loop {
        // The lock is held only while waiting for the next read, not while running it.
        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
        match next {
            Ok(read) => read(&conn),
            Err(_) => return,
        }
    }
}

/// The writer thread: until the store is dropped, commit whatever is waiting
/// as one transaction.
fn run_writer(mut conn: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit(&mut conn, batch);
    }
}

/// Apply `batch` in one transaction; answer every job only after the commit
/// (or with the error, if anything failed: then nothing of it was kept).
fn commit(conn: &mut Connection, batch: Vec<Job>) {
    let mut settled = Vec::with_capacity(batch.len());
    let outcome = (|| -> anyhow::Result<()> {
        let tx = conn.transaction()?;
        let mut failure = None;
        for job in batch {
            let (done, err) = apply(&tx, job);
            settled.push(done);
            if let (None, Some(err)) = (&failure, err) {
                failure = Some(err);
            }
        }
        match failure {
            Some(err) => Err(err), // dropping `tx` rolls the batch back
            None => Ok(tx.commit()?),
        }
    })();
    match outcome {
        Ok(()) => settled.into_iter().for_each(Settled::succeed),
        Err(err) => settled.into_iter().for_each(|s| s.fail(&err)),
    }
}

fn apply(tx: &rusqlite::Transaction<'_>, job: Job) -> (Settled, Option<anyhow::Error>) {
    match job {
        Job::Write {
            owner,
            document,
            merge,
            done,
        } => match write_row(tx, &owner, &document, merge) {
            Ok(stored) => (Settled::Write(done, Some(stored)), None),
            Err(err) => (Settled::Write(done, None), Some(err.into())),
        },
        Job::Clear(done) => unit(tx.execute("DELETE FROM progress", []), done),
        Job::PutUser(user, done) => unit(
            tx.execute(
                "INSERT OR REPLACE INTO users (name, key, sync_enabled) VALUES (?1, ?2, ?3)",
                (&user.name, &user.key, user.sync_enabled),
            ),
            done,
        ),
        Job::AddBook(document, done) => unit(
            tx.execute(
                "INSERT OR IGNORE INTO books (document) VALUES (?1)",
                [document],
            ),
            done,
        ),
    }
}

fn unit(
    result: rusqlite::Result<usize>,
    done: oneshot::Sender<anyhow::Result<()>>,
) -> (Settled, Option<anyhow::Error>) {
    (Settled::Unit(done), result.err().map(Into::into))
}

fn write_row(
    tx: &rusqlite::Transaction<'_>,
    owner: &str,
    document: &str,
    merge: Merge,
) -> rusqlite::Result<StoredProgress> {
    let previous = read_row(tx, owner, document)?;
    let next = merge(previous.as_ref());
    tx.prepare_cached(
        "INSERT OR REPLACE INTO progress
         (owner, document, percentage, progress, device, device_id, timestamp, percentage_bits)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute((
        owner,
        document,
        next.percentage,
        &next.progress,
        &next.device,
        &next.device_id,
        next.timestamp,
        // The f64's bits, kept in SQLite's signed 64-bit integer.
        next.percentage.to_bits() as i64,
    ))?;
    Ok(next)
}

fn read_row(
    conn: &Connection,
    owner: &str,
    document: &str,
) -> rusqlite::Result<Option<StoredProgress>> {
    conn.prepare_cached(
        "SELECT document, percentage, progress, device, device_id, timestamp, percentage_bits
         FROM progress WHERE owner = ?1 AND document = ?2",
    )?
    .query_row((owner, document), |row| {
        let bits: Option<i64> = row.get(6)?;
        Ok(StoredProgress {
            document: row.get(0)?,
            percentage: match bits {
                Some(bits) => f64::from_bits(bits as u64),
                None => row.get(1)?,
            },
            progress: row.get(2)?,
            device: row.get(3)?,
            device_id: row.get(4)?,
            timestamp: row.get(5)?,
        })
    })
    .optional()
}

impl ProgressStore for SqliteStore {
    fn get(&self, owner: &str, document: &str) -> StoreFuture<'_, Option<Arc<StoredProgress>>> {
        let (owner, document) = (owner.to_owned(), document.to_owned());
        self.read(move |conn| read_row(conn, &owner, &document).map(|row| row.map(Arc::new)))
    }

    fn write(&self, owner: &str, document: &str, merge: Merge) -> StoreFuture<'_, StoredProgress> {
        let (owner, document) = (owner.to_owned(), document.to_owned());
        self.submit(move |done| Job::Write {
            owner,
            document,
            merge,
            done,
        })
    }

    fn clear(&self) -> StoreFuture<'_, ()> {
        self.submit(Job::Clear)
    }

    fn users(&self) -> StoreFuture<'_, Vec<UserSpec>> {
        self.read(|conn| {
            let mut statement = conn.prepare("SELECT name, key, sync_enabled FROM users")?;
            let users = statement
                .query_map([], |row| {
                    Ok(UserSpec {
                        name: row.get(0)?,
                        key: row.get(1)?,
                        sync_enabled: row.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>();
            users
        })
    }

    fn put_user(&self, user: &UserSpec) -> StoreFuture<'_, ()> {
        let user = user.clone();
        self.submit(move |done| Job::PutUser(user, done))
    }

    fn books(&self) -> StoreFuture<'_, Vec<String>> {
        self.read(|conn| {
            let mut statement = conn.prepare("SELECT document FROM books")?;
            let books = statement
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<_>>>();
            books
        })
    }

    fn add_book(&self, document: &str) -> StoreFuture<'_, ()> {
        let document = document.to_owned();
        self.submit(move |done| Job::AddBook(document, done))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{exact_bits, exercise, put, record};
    use super::*;

    #[tokio::test]
    async fn sqlite_store_round_trips_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.sqlite");
        exercise(&SqliteStore::open(&path).unwrap()).await;
        SqliteStore::open(&path)
            .unwrap()
            .write("u", "d", put(1.0))
            .await
            .unwrap();
        let reopened = SqliteStore::open(&path).unwrap();
        assert_eq!(
            reopened.get("u", "d").await.unwrap(),
            Some(Arc::new(record(1.0)))
        );
    }

    #[tokio::test]
    async fn sqlite_gives_back_the_exact_bits_of_a_percentage() {
        let dir = tempfile::tempdir().unwrap();
        exact_bits(&SqliteStore::open(&dir.path().join("p.sqlite")).unwrap()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_are_each_acknowledged_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("p.sqlite")).unwrap());
        let writes = (0..200).map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let document = format!("d{}", i % 20);
                store
                    .write("u", &document, put(f64::from(i) / 1000.0))
                    .await
                    .map(|stored| stored.percentage)
            })
        });
        for write in futures::future::join_all(writes).await {
            assert!(write.unwrap().is_ok());
        }
        for d in 0..20 {
            let kept = store.get("u", &format!("d{d}")).await.unwrap();
            assert!(kept.is_some(), "d{d}");
        }
    }

    #[tokio::test]
    async fn a_file_from_before_the_bits_column_still_reads_and_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE progress (owner TEXT NOT NULL, document TEXT NOT NULL,
                percentage REAL NOT NULL, progress TEXT NOT NULL, device TEXT NOT NULL,
                device_id TEXT, timestamp INTEGER NOT NULL, PRIMARY KEY (owner, document));
             INSERT INTO progress VALUES ('u', 'd', 0.5, '/body/p[1]', 'dev', NULL, 7);",
        )
        .unwrap();
        drop(conn);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.get("u", "d").await.unwrap(),
            Some(Arc::new(record(0.5)))
        );
        store.write("u", "d", put(-0.0)).await.unwrap();
        let read = store.get("u", "d").await.unwrap().unwrap().percentage;
        assert_eq!(read.to_bits(), (-0.0f64).to_bits());
    }

    #[tokio::test]
    async fn sqlite_keeps_users_and_books_and_a_reset_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        let erin = UserSpec::with_password("erin", "pw");
        store.put_user(&erin).await.unwrap();
        store.add_book("d").await.unwrap();
        store.add_book("d").await.unwrap();
        store.clear().await.unwrap();
        drop(store);
        let reopened = SqliteStore::open(&path).unwrap();
        assert_eq!(reopened.users().await.unwrap(), vec![erin]);
        assert_eq!(reopened.books().await.unwrap(), vec!["d".to_owned()]);
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
