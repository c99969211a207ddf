//! The connection pool, per-connection settings, migrations, and running blocking database work
//! off the async executor.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use postgres_native_tls::MakeTlsConnector;
use r2d2_postgres::PostgresConnectionManager;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use scheduled_thread_pool::ScheduledThreadPool;

use crate::error::AppError;
use crate::keys::Key;

mod conn;
pub use conn::{Column, Conn, Engine, Error, Param, Row};

pub type Pool = r2d2::Pool<Manager>;

/// Makes the pool's connections, for the engine chosen at start.
pub enum Manager {
    Sqlite(SqliteConnectionManager),
    Postgres(PostgresConnectionManager<MakeTlsConnector>),
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = Error;

    fn connect(&self) -> Result<Conn, Error> {
        match self {
            Manager::Sqlite(manager) => Ok(Conn::Sqlite(manager.connect()?)),
            Manager::Postgres(manager) => Ok(Conn::Postgres(Box::new(conn::Postgres::new(
                manager.connect()?,
            )))),
        }
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Error> {
        match (self, conn) {
            (Manager::Sqlite(manager), Conn::Sqlite(conn)) => Ok(manager.is_valid(conn)?),
            // A round trip at every checkout is two or three per message sent. A connection
            // that came back working within the last second is taken as working, as HikariCP
            // does: if the server went away in between, that one request fails, and the
            // connection is then dropped as broken.
            (Manager::Postgres(_), Conn::Postgres(conn)) if conn.returned_within(TRUSTED_FOR) => {
                Ok(())
            }
            (Manager::Postgres(manager), Conn::Postgres(conn)) => {
                Ok(manager.is_valid(&mut conn.client())?)
            }
            _ => Err(Error::WrongEngine),
        }
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        match (self, conn) {
            (Manager::Sqlite(manager), Conn::Sqlite(conn)) => manager.has_broken(conn),
            (Manager::Postgres(manager), Conn::Postgres(conn)) => {
                // r2d2 asks this as the connection goes back to the pool.
                conn.returned_now();
                manager.has_broken(&mut conn.client())
            }
            _ => true,
        }
    }
}

/// How long after going back to the pool a PostgreSQL connection is handed out untested.
const TRUSTED_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// Numbered migrations, applied in order; the schema version is the index of the last one
/// applied (kept in `PRAGMA user_version`). Append only: never edit a migration once it shipped.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_accounts.sql",
        include_str!("../../migrations/0001_accounts.sql"),
    ),
    (
        "0002_conversations.sql",
        include_str!("../../migrations/0002_conversations.sql"),
    ),
    (
        "0003_cache_invalidations.sql",
        include_str!("../../migrations/0003_cache_invalidations.sql"),
    ),
    (
        "0004_hashed_session_keys.sql",
        include_str!("../../migrations/0004_hashed_session_keys.sql"),
    ),
    (
        "0005_message_search.sql",
        include_str!("../../migrations/0005_message_search.sql"),
    ),
    (
        "0006_attachments.sql",
        include_str!("../../migrations/0006_attachments.sql"),
    ),
    (
        "0007_disabled_accounts_and_invites.sql",
        include_str!("../../migrations/0007_disabled_accounts_and_invites.sql"),
    ),
    (
        "0008_reactions.sql",
        include_str!("../../migrations/0008_reactions.sql"),
    ),
    (
        "0009_replies.sql",
        include_str!("../../migrations/0009_replies.sql"),
    ),
    (
        "0010_mentions.sql",
        include_str!("../../migrations/0010_mentions.sql"),
    ),
    (
        "0011_notification_levels.sql",
        include_str!("../../migrations/0011_notification_levels.sql"),
    ),
    (
        "0012_webhooks.sql",
        include_str!("../../migrations/0012_webhooks.sql"),
    ),
    (
        "0013_api_tokens.sql",
        include_str!("../../migrations/0013_api_tokens.sql"),
    ),
    (
        "0014_last_seen.sql",
        include_str!("../../migrations/0014_last_seen.sql"),
    ),
    (
        "0015_push_subscriptions.sql",
        include_str!("../../migrations/0015_push_subscriptions.sql"),
    ),
    (
        "0016_search_by_conversation.sql",
        include_str!("../../migrations/0016_search_by_conversation.sql"),
    ),
    (
        "0017_member_names.sql",
        include_str!("../../migrations/0017_member_names.sql"),
    ),
    (
        "0018_read_notes.sql",
        include_str!("../../migrations/0018_read_notes.sql"),
    ),
];

/// PostgreSQL's own migrations, in `migrations/postgres/`: numbered and append-only like
/// SQLite's, and recorded in `schema_migrations`.
const POSTGRES_MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_accounts.sql",
        include_str!("../../migrations/postgres/0001_accounts.sql"),
    ),
    (
        "0002_conversations.sql",
        include_str!("../../migrations/postgres/0002_conversations.sql"),
    ),
    (
        "0003_search.sql",
        include_str!("../../migrations/postgres/0003_search.sql"),
    ),
    (
        "0004_search_reindex_race.sql",
        include_str!("../../migrations/postgres/0004_search_reindex_race.sql"),
    ),
    (
        "0005_read_notes.sql",
        include_str!("../../migrations/postgres/0005_read_notes.sql"),
    ),
];

/// Taken by whichever node migrates, so that nodes started together apply each migration once.
const POSTGRES_MIGRATION_LOCK: i64 = 0x4261_7661_7264;

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
pub const COMMAND_CONNECTIONS: u32 = 2;

/// Gives a fresh connection the key of an encrypted database: the first thing it must hear.
/// SQLCipher's own log lines (a wrong key is an "ERROR CORE" on stderr) are silenced: the
/// caller says it once, in words (`unlock_check`).
pub fn unlock(conn: &Connection, key: Option<&Key>) -> rusqlite::Result<()> {
    if let Some(key) = key {
        conn.execute_batch(&format!(
            "PRAGMA cipher_log_level = NONE; PRAGMA key = {};",
            key.sqlcipher_literal()
        ))?;
    }
    Ok(())
}

/// Does `key` open the database file at `path`? A clear error if not, rather than the
/// "file is not a database" of the first query.
pub fn unlock_check(path: &Path, key: Option<&Key>) -> Result<(), AppError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    unlock(&conn, key)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Err(AppError::internal(match key {
                Some(_) => format!(
                    "the key given does not open {} (a wrong key, or not a Bavard database)",
                    path.display()
                ),
                None => format!("{} is not a database", path.display()),
            }))
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens (creating if needed) the database in `data_dir` and brings its schema up to date, for
/// a command-line command.
pub fn open(data_dir: &Path, key: Option<&Key>) -> Result<Pool, AppError> {
    // No connection kept idle: r2d2 replaces a taken idle one on one of its threads, and a
    // command that ends meanwhile tears OpenSSL down under that thread's new connection.
    build(data_dir, COMMAND_CONNECTIONS, 0, key)
}

/// The threads on which r2d2 opens connections, one set for the whole process and never
/// dropped: r2d2's own set ends with its pool, and those threads, which opened SQLCipher
/// connections, then ran OpenSSL's per-thread clean-up while the ending process ran its
/// global one. Both races made commands crash as they exited (glibc: "unaligned fastbin chunk").
static CONNECTING_THREADS: LazyLock<Arc<ScheduledThreadPool>> = LazyLock::new(|| {
    Arc::new(
        ScheduledThreadPool::builder()
            .num_threads(3)
            .thread_name_pattern("r2d2-worker-{}")
            .build(),
    )
});

/// The same with `connections` in the pool: readers run side by side in WAL mode; writers
/// take turns anyway.
pub fn open_with(data_dir: &Path, connections: u32, key: Option<&Key>) -> Result<Pool, AppError> {
    build(data_dir, connections, 1, key)
}

fn build(
    data_dir: &Path,
    connections: u32,
    kept_idle: u32,
    key: Option<&Key>,
) -> Result<Pool, AppError> {
    create_private_folder(data_dir).map_err(|e| {
        AppError::internal(format!(
            "cannot create data folder {}: {e}",
            data_dir.display()
        ))
    })?;
    let file = data_dir.join(DATABASE_FILE);
    if file.exists() {
        unlock_check(&file, key)?;
    }
    let key = key.cloned();
    let manager = SqliteConnectionManager::file(file).with_init(move |conn| {
        unlock(conn, key.as_ref())?;
        // Every statement the app runs stays prepared; re-parsing SQL showed in profiles.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.execute_batch(CONNECTION_PRAGMAS)
    });
    let pool = r2d2::Pool::builder()
        .max_size(connections)
        // A local file connection does not go stale; checking it costs a parsed query per use.
        .test_on_check_out(false)
        .min_idle(Some(kept_idle))
        .thread_pool(Arc::clone(&CONNECTING_THREADS))
        .build(Manager::Sqlite(manager))
        .map_err(|e| AppError::internal(format!("cannot open the database: {e}")))?;
    migrate(pool.get()?.sqlite_mut()?)?;
    Ok(pool)
}

/// Creates a folder (and those above it) for this account only, if it does not exist: the
/// data folder holds every message and the cookie key.
pub fn create_private_folder(dir: &Path) -> std::io::Result<()> {
    let mut folder = std::fs::DirBuilder::new();
    folder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
    folder.create(dir)
}

/// The database file at `path` as it is, unlocked with `key`: for the commands that work on
/// the file itself (backups, encryption), with none of the pool's settings.
pub fn open_file(path: &Path, key: Option<&Key>) -> rusqlite::Result<Conn> {
    Ok(Conn::Sqlite(open_unlocked(path, key)?))
}

fn open_unlocked(path: &Path, key: Option<&Key>) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    unlock(&conn, key)?;
    Ok(conn)
}

/// A connection of its own to the database file, set up as the pool's are.
pub fn connect(file: &Path, key: Option<&Key>) -> rusqlite::Result<Conn> {
    let conn = open_unlocked(file, key)?;
    conn.execute_batch(CONNECTION_PRAGMAS)?;
    Ok(Conn::Sqlite(conn))
}

/// How many migrations the database has applied, and how many this program knows.
pub fn schema_versions(conn: &Conn) -> Result<(i64, usize), AppError> {
    let conn = conn.sqlite()?;
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    Ok((applied, MIGRATIONS.len()))
}

/// What `PRAGMA integrity_check` finds: empty when the file is sound.
pub fn integrity_problems(conn: &Conn) -> Result<Vec<String>, AppError> {
    let conn = conn.sqlite()?;
    let mut stmt = conn.prepare("PRAGMA integrity_check(20)")?;
    let lines = stmt
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lines.into_iter().filter(|line| line != "ok").collect())
}

/// Opens the database read-only, as it is: no migration, nothing created.
pub fn open_read_only(data_dir: &Path, key: Option<&Key>) -> Result<Conn, AppError> {
    let file = data_dir.join(DATABASE_FILE);
    unlock_check(&file, key)?;
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    unlock(&conn, key)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(Conn::Sqlite(conn))
}

/// A consistent copy of the database at `target`, taken while others may be writing to it
/// (one read transaction: what was committed when it began, nothing after).
pub fn copy_to(conn: &Conn, target: &Path) -> Result<(), AppError> {
    let conn = conn.sqlite()?;
    let target = target
        .to_str()
        .ok_or_else(|| AppError::internal("the backup path is not UTF-8"))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    Ok(())
}

/// Writes an encrypted copy of the plain database `plain` at `target` (SQLCipher's export:
/// every table, index and trigger, and the schema version).
pub fn export_encrypted(plain: &Conn, target: &Path, key: &Key) -> Result<(), AppError> {
    let plain = plain.sqlite()?;
    let target = target
        .to_str()
        .ok_or_else(|| AppError::internal("the data folder's path is not UTF-8"))?;
    let version: i64 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    plain.execute(
        &format!(
            "ATTACH DATABASE ?1 AS sealed KEY {}",
            key.sqlcipher_literal()
        ),
        [target],
    )?;
    let exported = plain
        .query_row("SELECT sqlcipher_export('sealed')", [], |_| Ok(()))
        .and_then(|()| plain.pragma_update(Some("sealed"), "user_version", version));
    plain.execute("DETACH DATABASE sealed", [])?;
    Ok(exported?)
}

/// Leaves WAL mode for a rollback journal, which SQLite allows only when no other connection
/// has the database open: false if one has (a running server keeps some open).
pub fn take_alone(conn: &Conn) -> Result<bool, AppError> {
    let conn = conn.sqlite()?;
    match conn.query_row("PRAGMA journal_mode = DELETE", [], |r| {
        r.get::<_, String>(0)
    }) {
        Ok(mode) => Ok(mode.eq_ignore_ascii_case("delete")),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Re-encrypts the whole database under `new` (in one transaction: all or nothing).
pub fn rekey(conn: &Conn, new: &Key) -> Result<(), AppError> {
    let conn = conn.sqlite()?;
    conn.execute_batch(&format!("PRAGMA rekey = {};", new.sqlcipher_literal()))?;
    Ok(())
}

pub fn migrate(conn: &mut Connection) -> Result<(), AppError> {
    migrate_up_to(conn, MIGRATIONS.len())
}

/// Applies the migrations not yet applied among the first `count`.
fn migrate_up_to(conn: &mut Connection, count: usize) -> Result<(), AppError> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let applied = known_schema(applied, MIGRATIONS)?;
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

/// How many of `migrations` a database at schema version `applied` has: an error, saying what
/// to do, when it has more than this program knows (a newer one wrote it).
fn known_schema(applied: i64, migrations: &[(&str, &str)]) -> Result<usize, AppError> {
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > migrations.len() {
        return Err(AppError::internal(format!(
            "the database schema (version {applied}) is newer than this program knows ({}); \
             run a newer bavard",
            migrations.len()
        )));
    }
    Ok(applied)
}

/// Opens a pool of `connections` to the PostgreSQL database at `url` and brings its schema up
/// to date.
pub fn open_postgres(url: &str, connections: u32) -> Result<Pool, AppError> {
    let config: postgres::Config = url
        .parse()
        .map_err(|e| AppError::internal(format!("the database URL: {e}")))?;
    let pool = r2d2::Pool::builder()
        .max_size(connections)
        .min_idle(Some(1))
        .thread_pool(Arc::clone(&CONNECTING_THREADS))
        .build(Manager::Postgres(PostgresConnectionManager::new(
            config,
            postgres_tls()?,
        )))
        .map_err(|e| AppError::internal(format!("cannot open the database: {e}")))?;
    migrate_postgres(&*pool.get()?)?;
    Ok(pool)
}

/// A connection of its own to PostgreSQL, outside the pool (the watcher's, which LISTENs).
pub fn connect_postgres(config: &postgres::Config) -> Result<Conn, AppError> {
    let client = config
        .connect(postgres_tls()?)
        .map_err(|e| AppError::internal(format!("cannot reach PostgreSQL: {e}")))?;
    Ok(Conn::Postgres(Box::new(conn::Postgres::new(client))))
}

/// TLS to PostgreSQL as its URL asks, as libpq does: `sslmode=prefer` (the default) takes it
/// when the server offers it, `require` insists, and neither checks the server's certificate
/// (Debian's own server offers a self-signed one). It keeps the traffic from being read on the
/// way, not from being intercepted: across a network you do not control, use a tunnel
/// (deploy/cluster). A unix socket has none.
fn postgres_tls() -> Result<MakeTlsConnector, AppError> {
    native_tls::TlsConnector::builder()
        .danger_accept_invalid_certs(true)
        .danger_accept_invalid_hostnames(true)
        .build()
        .map(MakeTlsConnector::new)
        .map_err(|e| AppError::internal(format!("TLS for PostgreSQL: {e}")))
}

/// Applies PostgreSQL's migrations not yet applied, all in one transaction under a lock that
/// nodes starting together wait on: a node sees either none of them or all.
pub fn migrate_postgres(conn: &Conn) -> Result<(), AppError> {
    // Under the C locale PostgreSQL takes "è" for punctuation, and search would split "crème"
    // into "cr" and "me": better refused at start than found missing by the people searching.
    let ctype: String = conn.query_row("SELECT current_setting('lc_ctype')", &[], |r| r.get(0))?;
    if matches!(ctype.as_str(), "C" | "POSIX") {
        return Err(AppError::internal(format!(
            "the database's character classification (LC_CTYPE) is {ctype}, under which words \
             with accents cannot be searched: create it with a UTF-8 locale, e.g. \
             CREATE DATABASE bavard LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8' TEMPLATE template0"
        )));
    }
    conn.write(|tx| {
        tx.execute_batch(&format!(
            "SELECT pg_advisory_xact_lock({POSTGRES_MIGRATION_LOCK});
             CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    BIGINT PRIMARY KEY,
                 name       TEXT   NOT NULL,
                 applied_at BIGINT NOT NULL
             );"
        ))?;
        let applied: i64 = tx.query_row(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
            |r| r.get(0),
        )?;
        let applied = known_schema(applied, POSTGRES_MIGRATIONS)?;
        for (version, (name, sql)) in POSTGRES_MIGRATIONS.iter().enumerate().skip(applied) {
            tx.execute_batch(sql).map_err(|e| {
                AppError::internal(format!("migration postgres/{name} failed: {e}"))
            })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                &[&(version as i64 + 1), name, &crate::model::now()],
            )?;
            tracing::info!(migration = name, "applied");
        }
        Ok(())
    })
}

/// Runs `work` on the blocking thread pool with a pooled connection, so that SQLite never
/// stalls the async executor.
pub async fn run<T, F>(pool: &Pool, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
}

/// Runs `work` on a thread of its own and waits for it. The postgres crate blocks on a tokio
/// runtime of its own, which tokio refuses on a thread that already runs one (an actix worker,
/// `serve` itself): PostgreSQL work on such a thread goes through here.
pub fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(work)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Short reads of the pages run on the worker thread that serves the request, with a read-only
/// connection of that thread's own: the hop to the blocking pool and back cost more than the
/// read itself (about 40 % of a conversation page, see BENCHMARKS.md). In WAL mode a reader
/// never waits for the writer, so a read blocks its thread no longer than its own work, as
/// rendering the page does anyway. Writes, and reads that may grow with the data (search,
/// exports), keep using `run`.
///
/// On PostgreSQL a read takes a connection from the pool: the database is another process,
/// and one connection per worker thread on top of the pool's would only count against its
/// connection limit.
#[derive(Clone)]
pub enum Readers {
    Sqlite {
        file: Arc<PathBuf>,
        key: Option<Key>,
        /// Tells apart the databases one thread may read (tests start several servers).
        database: u64,
    },
    Pool(Pool),
}

thread_local! {
    static READER: RefCell<Option<(u64, Conn)>> = const { RefCell::new(None) };
}

impl Readers {
    pub fn new(data_dir: &Path, key: Option<Key>) -> Readers {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Readers::Sqlite {
            file: Arc::new(data_dir.join(DATABASE_FILE)),
            key,
            database: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn open(file: &Path, key: Option<&Key>) -> Result<Conn, AppError> {
        let conn = Connection::open_with_flags(
            file,
            // Read-write but `query_only`: a read-only handle on a WAL database cannot always
            // recover the shared-memory index by itself.
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        unlock(&conn, key)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.execute_batch("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;")?;
        Ok(Conn::Sqlite(conn))
    }

    /// Runs `work` here, on this thread's reader.
    pub fn read<T: Send>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, AppError> + Send,
    ) -> Result<T, AppError> {
        let (file, key, this) = match self {
            Readers::Sqlite {
                file,
                key,
                database,
            } => (file, key.as_ref(), *database),
            Readers::Pool(pool) => return off_runtime(|| work(&mut *pool.get()?)),
        };
        READER.with(|slot| {
            let Ok(mut slot) = slot.try_borrow_mut() else {
                // A read inside a read: it gets a connection of its own.
                return work(&mut Self::open(file, key)?);
            };
            let conn = match &mut *slot {
                Some((database, conn)) if *database == this => conn,
                other => &mut other.insert((this, Self::open(file, key)?)).1,
            };
            work(conn)
        })
    }
}

/// The database's size in bytes: as SQLite counts its pages (the file, less what the WAL has
/// not yet written back), or as PostgreSQL counts the database's files.
pub fn database_bytes(conn: &Conn) -> Result<u64, AppError> {
    let bytes: i64 = conn.query_row(
        match conn.engine() {
            Engine::Sqlite => {
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            }
            Engine::Postgres => "SELECT pg_database_size(current_database())",
        },
        &[],
        |r| r.get(0),
    )?;
    Ok(bytes.max(0) as u64)
}

#[cfg(test)]
pub fn memory() -> Conn {
    let mut conn = Connection::open_in_memory().expect("in-memory database");
    conn.execute_batch(CONNECTION_PRAGMAS).expect("pragmas");
    migrate(&mut conn).expect("migrations apply");
    Conn::Sqlite(conn)
}

/// The model's tests run on each engine: SQLite in memory, and PostgreSQL where `tests/run.sh`
/// started a throwaway cluster (`tests/postgres.sh`) and named it in `BAVARD_TEST_POSTGRES`.
#[cfg(test)]
pub mod testing {
    use super::*;

    /// A fresh, migrated database on every engine there is.
    pub fn engines() -> Vec<Conn> {
        std::iter::once(memory()).chain(postgres()).collect()
    }

    /// A database of its own on the test cluster, migrated; None, said once, without one.
    pub fn postgres() -> Option<Conn> {
        let conn = Conn::Postgres(Box::new(conn::Postgres::new(new_database("")?)));
        migrate_postgres(&conn).expect("PostgreSQL's migrations apply");
        Some(conn)
    }

    /// A client of a new, empty database on the test cluster, made with `options` (`CREATE
    /// DATABASE name options`); None, said once, without a cluster.
    pub fn new_database(options: &str) -> Option<postgres::Client> {
        let Ok(url) = std::env::var("BAVARD_TEST_POSTGRES") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs the model's tests on PostgreSQL too, but BAVARD_TEST_POSTGRES is not set \
                 (tests/run.sh starts a cluster with tests/postgres.sh)"
            );
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                eprintln!(
                    "the model's tests on PostgreSQL are skipped: BAVARD_TEST_POSTGRES is not set \
                     (tests/run.sh starts a throwaway cluster)"
                )
            });
            return None;
        };
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut config: postgres::Config = url.parse().expect("BAVARD_TEST_POSTGRES is a URL");
        config
            .connect(postgres::NoTls)
            .and_then(|mut admin| admin.batch_execute(&format!("CREATE DATABASE {name} {options}")))
            .expect("the test cluster creates a database");
        Some(
            config
                .dbname(&name)
                .connect(postgres::NoTls)
                .expect("the test database"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A read that fails, or panics, half-way must not leave the connection (a reader's, kept
    // for the thread's life) inside its transaction: the next read begins its own.
    #[test]
    fn a_snapshot_that_fails_or_panics_leaves_the_connection_free() {
        let conn = memory();
        let failed: Result<(), AppError> = conn.read_snapshot(|_| Err(AppError::NotFound));
        assert!(matches!(failed, Err(AppError::NotFound)));
        assert!(
            conn.sqlite().unwrap().is_autocommit(),
            "the failed read's transaction ended"
        );
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            conn.read_snapshot(|_| -> Result<(), AppError> { panic!("a bug in a read") })
        }));
        assert!(panicked.is_err());
        assert!(
            conn.sqlite().unwrap().is_autocommit(),
            "the panicked read's transaction ended"
        );
        let users: i64 = conn
            .read_snapshot(|c| {
                assert!(!c.sqlite().unwrap().is_autocommit(), "inside a transaction");
                Ok(c.query_row("SELECT count(*) FROM users", &[], |r| r.get(0))?)
            })
            .expect("a later read works");
        assert_eq!(users, 0);
        assert!(conn.sqlite().unwrap().is_autocommit());
    }

    #[test]
    fn every_migration_file_of_both_engines_is_listed_in_order() {
        for (folder, migrations) in [
            ("migrations", MIGRATIONS),
            ("migrations/postgres", POSTGRES_MIGRATIONS),
        ] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
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
            let listed: Vec<&str> = migrations.iter().map(|(name, _)| *name).collect();
            assert_eq!(files, listed, "{folder}");
        }
    }

    #[test]
    fn a_postgres_database_under_the_c_locale_is_refused_with_the_way_out() {
        let Some(client) = testing::new_database("LC_CTYPE 'C' LC_COLLATE 'C' TEMPLATE template0")
        else {
            return;
        };
        let refused = migrate_postgres(&Conn::Postgres(Box::new(conn::Postgres::new(client))));
        let said = refused.expect_err("refused").to_string();
        assert!(
            said.contains("LC_CTYPE") && said.contains("C.UTF-8"),
            "{said}"
        );
    }

    #[test]
    fn migrating_postgres_twice_changes_nothing() {
        let Some(conn) = testing::postgres() else {
            return;
        };
        migrate_postgres(&conn).expect("a second run is a no-op");
        let applied: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", &[], |r| r.get(0))
            .expect("the record of migrations");
        assert_eq!(applied as usize, POSTGRES_MIGRATIONS.len());
    }

    #[test]
    fn a_worker_reads_what_the_pool_committed_and_cannot_write() {
        let dir = std::env::temp_dir().join(format!("bavard-readers-{}", std::process::id()));
        let pool = open(&dir, None).expect("database");
        let readers = Readers::new(&dir, None);
        let count = |conn: &mut Conn| -> Result<i64, AppError> {
            Ok(conn.query_row("SELECT count(*) FROM instance_secrets", &[], |r| r.get(0))?)
        };
        let before = readers.read(count).expect("read");
        pool.get()
            .unwrap()
            .execute(
                "INSERT INTO instance_secrets (name, value) VALUES ('t', x'00')",
                &[],
            )
            .expect("write through the pool");
        assert_eq!(readers.read(count).expect("read again"), before + 1);
        let refused = readers.read(|conn| Ok(conn.execute("DELETE FROM instance_secrets", &[])?));
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
        migrate(conn.sqlite_mut().unwrap()).expect("second run is a no-op");
        let version: i64 = conn
            .query_row("PRAGMA user_version", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
    }
}
