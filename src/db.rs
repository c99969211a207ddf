//! The connection pool, per-connection settings, migrations, and running blocking database work
//! off the async executor.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use crate::error::AppError;

pub type Pool = r2d2::Pool<SqliteConnectionManager>;

/// Numbered migrations, applied in order; the schema version is the index of the last one
/// applied (kept in `PRAGMA user_version`). Append only: never edit a migration once it shipped.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_accounts.sql",
        include_str!("../migrations/0001_accounts.sql"),
    ),
    (
        "0002_conversations.sql",
        include_str!("../migrations/0002_conversations.sql"),
    ),
    (
        "0003_cache_invalidations.sql",
        include_str!("../migrations/0003_cache_invalidations.sql"),
    ),
    (
        "0004_hashed_session_keys.sql",
        include_str!("../migrations/0004_hashed_session_keys.sql"),
    ),
    (
        "0005_message_search.sql",
        include_str!("../migrations/0005_message_search.sql"),
    ),
    (
        "0006_attachments.sql",
        include_str!("../migrations/0006_attachments.sql"),
    ),
    (
        "0007_disabled_accounts_and_invites.sql",
        include_str!("../migrations/0007_disabled_accounts_and_invites.sql"),
    ),
];

/// WAL lets readers and the single writer proceed together. `synchronous=NORMAL` in WAL mode
/// never corrupts the database, but a power cut (not a crash of the process) can lose the last
/// transactions committed before it; we accept that for an order-of-magnitude cheaper commit.
pub(crate) const CONNECTION_PRAGMAS: &str = "PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA foreign_keys = ON;
    PRAGMA busy_timeout = 5000;";

pub const DATABASE_FILE: &str = "bavard.sqlite3";
/// Prepared statements kept per connection: more than the app has distinct statements.
const STATEMENT_CACHE: usize = 128;
/// Connections for a command-line command: it runs one thing at a time.
const COMMAND_CONNECTIONS: u32 = 2;

/// Opens (creating if needed) the database in `data_dir` and brings its schema up to date, for
/// a command-line command.
pub fn open(data_dir: &Path) -> Result<Pool, AppError> {
    open_with(data_dir, COMMAND_CONNECTIONS)
}

/// The same with `connections` in the pool: readers run side by side in WAL mode; writers
/// take turns anyway.
pub fn open_with(data_dir: &Path, connections: u32) -> Result<Pool, AppError> {
    // Created for this account only: it holds every message and the cookie key.
    let mut folder = std::fs::DirBuilder::new();
    folder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
    folder.create(data_dir).map_err(|e| {
        AppError::internal(format!(
            "cannot create data folder {}: {e}",
            data_dir.display()
        ))
    })?;
    let manager = SqliteConnectionManager::file(data_dir.join(DATABASE_FILE)).with_init(|conn| {
        // Every statement the app runs stays prepared; re-parsing SQL showed in profiles.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.execute_batch(CONNECTION_PRAGMAS)
    });
    let pool = r2d2::Pool::builder()
        .max_size(connections)
        // A local file connection does not go stale; checking it costs a parsed query per use.
        .test_on_check_out(false)
        .min_idle(Some(1))
        .build(manager)
        .map_err(|e| AppError::internal(format!("cannot open the database: {e}")))?;
    migrate(&mut *pool.get()?)?;
    Ok(pool)
}

/// How many migrations the database has applied, and how many this program knows.
pub fn schema_versions(conn: &Connection) -> Result<(i64, usize), AppError> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    Ok((applied, MIGRATIONS.len()))
}

/// What `PRAGMA integrity_check` finds: empty when the file is sound.
pub fn integrity_problems(conn: &Connection) -> Result<Vec<String>, AppError> {
    let mut stmt = conn.prepare("PRAGMA integrity_check(20)")?;
    let lines = stmt
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lines.into_iter().filter(|line| line != "ok").collect())
}

/// Opens the database read-only, as it is: no migration, nothing created.
pub fn open_read_only(data_dir: &Path) -> Result<Connection, AppError> {
    let conn = Connection::open_with_flags(
        data_dir.join(DATABASE_FILE),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// A consistent copy of the database at `target`, taken while others may be writing to it
/// (one read transaction: what was committed when it began, nothing after).
pub fn copy_to(conn: &Connection, target: &Path) -> Result<(), AppError> {
    let target = target
        .to_str()
        .ok_or_else(|| AppError::internal("the backup path is not UTF-8"))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    Ok(())
}

pub fn migrate(conn: &mut Connection) -> Result<(), AppError> {
    migrate_up_to(conn, MIGRATIONS.len())
}

/// Applies the migrations not yet applied among the first `count`.
fn migrate_up_to(conn: &mut Connection, count: usize) -> Result<(), AppError> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > MIGRATIONS.len() {
        return Err(AppError::internal(format!(
            "the database schema (version {applied}) is newer than this program knows ({}); \
             run a newer bavard",
            MIGRATIONS.len()
        )));
    }
    for (version, (name, sql)) in MIGRATIONS.iter().enumerate().take(count).skip(applied) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)
            .map_err(|e| AppError::internal(format!("migration {name} failed: {e}")))?;
        tx.pragma_update(None, "user_version", (version + 1) as i64)?;
        tx.commit()?;
        tracing::info!(migration = name, "applied");
    }
    Ok(())
}

/// Runs `work` on the blocking thread pool with a pooled connection, so that SQLite never
/// stalls the async executor.
pub async fn run<T, F>(pool: &Pool, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
}

/// Short reads of the pages run on the worker thread that serves the request, with a read-only
/// connection of that thread's own: the hop to the blocking pool and back cost more than the
/// read itself (about 40 % of a conversation page, see BENCHMARKS.md). In WAL mode a reader
/// never waits for the writer, so a read blocks its thread no longer than its own work, as
/// rendering the page does anyway. Writes, and reads that may grow with the data (search,
/// exports), keep using `run`.
#[derive(Clone)]
pub struct Readers {
    file: Arc<PathBuf>,
    /// Tells apart the databases one thread may read (tests start several servers).
    database: u64,
}

thread_local! {
    static READER: RefCell<Option<(u64, Connection)>> = const { RefCell::new(None) };
}

impl Readers {
    pub fn new(data_dir: &Path) -> Readers {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Readers {
            file: Arc::new(data_dir.join(DATABASE_FILE)),
            database: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn open(&self) -> Result<Connection, AppError> {
        let conn = Connection::open_with_flags(
            self.file.as_path(),
            // Read-write but `query_only`: a read-only handle on a WAL database cannot always
            // recover the shared-memory index by itself.
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.execute_batch("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;")?;
        Ok(conn)
    }

    /// Runs `work` here, on this thread's reader.
    pub fn read<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        READER.with(|slot| {
            let Ok(mut slot) = slot.try_borrow_mut() else {
                // A read inside a read: it gets a connection of its own.
                return work(&mut self.open()?);
            };
            let conn = match &mut *slot {
                Some((database, conn)) if *database == self.database => conn,
                other => &mut other.insert((self.database, self.open()?)).1,
            };
            work(conn)
        })
    }
}

/// A write transaction that takes the write lock up front, so that it never fails half-way
/// with SQLITE_BUSY on upgrading a read lock.
/// The database's size in bytes, as SQLite counts its pages (the file, less what the WAL
/// has not yet written back).
pub fn database_bytes(conn: &Connection) -> Result<u64, AppError> {
    let bytes: i64 = conn.query_row(
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        [],
        |r| r.get(0),
    )?;
    Ok(bytes.max(0) as u64)
}

pub fn write_tx(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

#[cfg(test)]
pub fn memory() -> Connection {
    let mut conn = Connection::open_in_memory().expect("in-memory database");
    conn.execute_batch(CONNECTION_PRAGMAS).expect("pragmas");
    migrate(&mut conn).expect("migrations apply");
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations folder")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|(name, _)| *name).collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn a_worker_reads_what_the_pool_committed_and_cannot_write() {
        let dir = std::env::temp_dir().join(format!("bavard-readers-{}", std::process::id()));
        let pool = open(&dir).expect("database");
        let readers = Readers::new(&dir);
        let count = |conn: &mut Connection| -> Result<i64, AppError> {
            Ok(conn.query_row("SELECT count(*) FROM instance_secrets", [], |r| r.get(0))?)
        };
        let before = readers.read(count).expect("read");
        pool.get()
            .unwrap()
            .execute(
                "INSERT INTO instance_secrets (name, value) VALUES ('t', x'00')",
                [],
            )
            .expect("write through the pool");
        assert_eq!(readers.read(count).expect("read again"), before + 1);
        let refused = readers.read(|conn| Ok(conn.execute("DELETE FROM instance_secrets", [])?));
        assert!(refused.is_err(), "the reader is read-only");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn messages_written_before_search_existed_are_found_after_the_upgrade() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        conn.execute_batch(CONNECTION_PRAGMAS).expect("pragmas");
        migrate_up_to(&mut conn, 4).expect("the schema before search");
        conn.execute_batch(
            "INSERT INTO conversations (id, kind, title, created_at, last_activity)
                 VALUES (1, 'group', 'Old', 0, 0);
             INSERT INTO messages (id, conversation_id, kind, body, created_at)
                 VALUES (1, 1, 'text', 'an old crème brûlée recipe', 0),
                        (2, 1, 'created', 'creme', 0);",
        )
        .expect("old rows");
        migrate(&mut conn).expect("upgrade");
        let found: Vec<i64> = conn
            .prepare("SELECT rowid FROM message_search WHERE message_search MATCH 'creme'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(found, vec![1], "the text message, not the notice");
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let mut conn = memory();
        migrate(&mut conn).expect("second run is a no-op");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
    }
}
