//! One connection type over the two engines Bavard stores in: SQLite (the default, a file in the
//! data folder) and PostgreSQL (for several nodes). The model writes its SQL once, with `?1`
//! placeholders, and runs it through these few calls; a rule whose SQL differs between the
//! engines asks `engine()` and says why beside the two texts.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use postgres::types::{FromSql as PgFromSql, ToSql as PgToSql};
use rusqlite::types::{FromSql as SqliteFromSql, ToSql as SqliteToSql};

use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<Postgres>),
}

/// A PostgreSQL client with its prepared statements: a statement is parsed and planned by the
/// server once per connection, as SQLite's statement cache does for the other engine.
pub struct Postgres {
    client: RefCell<postgres::Client>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
    /// When it last went back to the pool, working (see `Manager::is_valid`).
    returned_at: Cell<Option<Instant>>,
}

impl Postgres {
    pub fn new(client: postgres::Client) -> Postgres {
        Postgres {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
            returned_at: Cell::new(None),
        }
    }

    pub(super) fn returned_now(&self) {
        self.returned_at.set(Some(Instant::now()));
    }

    pub(super) fn returned_within(&self, span: Duration) -> bool {
        self.returned_at.get().is_some_and(|at| at.elapsed() < span)
    }

    fn prepared(&self, sql: &str) -> Result<postgres::Statement, Error> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = self
            .client
            .borrow_mut()
            .prepare(&numbered_placeholders(sql))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn query(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<postgres::Row>, Error> {
        let statement = self.prepared(sql)?;
        Ok(self
            .client
            .borrow_mut()
            .query(&statement, &pg_args(params))?)
    }

    fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<u64, Error> {
        let statement = self.prepared(sql)?;
        Ok(self
            .client
            .borrow_mut()
            .execute(&statement, &pg_args(params))?)
    }

    pub fn client(&self) -> std::cell::RefMut<'_, postgres::Client> {
        self.client.borrow_mut()
    }
}

/// A value the model binds. The set is closed on purpose: each of these means the same to both
/// engines (integers are 64-bit, as every integer column is), where a u32 would bind as a
/// PostgreSQL OID and an i32 would not fit a BIGINT column.
pub trait Param: SqliteToSql + PgToSql + Sync {}
impl Param for i64 {}
impl Param for bool {}
impl Param for String {}
impl Param for &str {}
impl Param for Vec<u8> {}
impl Param for &[u8] {}
impl<T: Param> Param for Option<T> {}
impl<T: Param> Param for &T {}

/// A value the model reads from a column: the same closed set.
pub trait Column: SqliteFromSql + for<'a> PgFromSql<'a> {}
impl Column for i64 {}
impl Column for bool {}
impl Column for String {}
impl Column for Vec<u8> {}
impl<T: Column> Column for Option<T> {}

/// One row of a result, read by column index.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

impl Row<'_> {
    pub fn get<T: Column>(&self, index: usize) -> Result<T, Error> {
        match self {
            Row::Sqlite(row) => Ok(row.get(index)?),
            Row::Postgres(row) => Ok(row.try_get(index)?),
        }
    }
}

#[derive(Debug)]
pub enum Error {
    Sqlite(rusqlite::Error),
    Postgres(postgres::Error),
    /// `query_row` found nothing.
    NoRow,
    /// A connection of one engine handed to the other's pool.
    WrongEngine,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sqlite(e) => e.fmt(f),
            // The server's own words, which postgres::Error's Display leaves out.
            Error::Postgres(e) => match e.as_db_error() {
                Some(db) => write!(f, "{} ({})", db.message(), db.code().code()),
                None => e.fmt(f),
            },
            Error::NoRow => f.write_str("the query returned no row"),
            Error::WrongEngine => f.write_str(
                "this works on SQLite's file only; on PostgreSQL, use its own tools (pg_dump)",
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sqlite(e)
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Postgres(e)
    }
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        match e {
            Error::Sqlite(e) => e.into(),
            Error::Postgres(ref pg) => {
                use postgres::error::SqlState;
                match pg.code() {
                    Some(&SqlState::DISK_FULL) => AppError::StorageFull(format!("database: {e}")),
                    // Text PostgreSQL cannot keep, which SQLite does: a NUL character. It came
                    // from the request, so it is the request that is refused.
                    Some(&SqlState::CHARACTER_NOT_IN_REPERTOIRE) => {
                        AppError::BadRequest("error-bad-request")
                    }
                    _ => AppError::Internal(format!("database: {e}")),
                }
            }
            Error::NoRow | Error::WrongEngine => AppError::internal(format!("database: {e}")),
        }
    }
}

impl Conn {
    pub fn engine(&self) -> Engine {
        match self {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Postgres(_) => Engine::Postgres,
        }
    }

    /// The SQLite connection, for what only that engine has (its file: backups, checks,
    /// encryption); `Error::WrongEngine` on PostgreSQL.
    pub fn sqlite(&self) -> Result<&rusqlite::Connection, Error> {
        match self {
            Conn::Sqlite(conn) => Ok(conn),
            Conn::Postgres(_) => Err(Error::WrongEngine),
        }
    }

    pub fn sqlite_mut(&mut self) -> Result<&mut rusqlite::Connection, Error> {
        match self {
            Conn::Sqlite(conn) => Ok(conn),
            Conn::Postgres(_) => Err(Error::WrongEngine),
        }
    }

    /// Runs a statement that returns no rows; how many rows it changed.
    pub fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<u64, Error> {
        match self {
            Conn::Sqlite(conn) => {
                let changed = conn.prepare_cached(sql)?.execute(sqlite_params(params))?;
                Ok(changed as u64)
            }
            Conn::Postgres(pg) => pg.execute(sql, params),
        }
    }

    /// The first row's reading, or `None` when there is no row.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        read: impl FnOnce(&Row) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        match self {
            Conn::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows = statement.query(sqlite_params(params))?;
                rows.next()?.map(|row| read(&Row::Sqlite(row))).transpose()
            }
            Conn::Postgres(pg) => pg
                .query(sql, params)?
                .first()
                .map(|row| read(&Row::Postgres(row)))
                .transpose(),
        }
    }

    /// The first row's reading; `Error::NoRow` when there is none.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        read: impl FnOnce(&Row) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.query_opt(sql, params, read)?.ok_or(Error::NoRow)
    }

    /// Every row's reading, in the order the query gives.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut read: impl FnMut(&Row) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        match self {
            Conn::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows = statement.query(sqlite_params(params))?;
                let mut read_rows = Vec::new();
                while let Some(row) = rows.next()? {
                    read_rows.push(read(&Row::Sqlite(row))?);
                }
                Ok(read_rows)
            }
            Conn::Postgres(pg) => pg
                .query(sql, params)?
                .iter()
                .map(|row| read(&Row::Postgres(row)))
                .collect(),
        }
    }

    /// Runs several statements without parameters (schema changes, migrations).
    pub fn execute_batch(&self, sql: &str) -> Result<(), Error> {
        match self {
            Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Conn::Postgres(pg) => Ok(pg.client.borrow_mut().batch_execute(sql)?),
        }
    }

    /// Runs `work` in a write transaction: committed if it returns `Ok`, rolled back if it
    /// fails or panics. On SQLite it takes the write lock up front, so that it never fails
    /// half-way with SQLITE_BUSY on upgrading a read lock.
    pub fn write<T>(&self, work: impl FnOnce(&Conn) -> Result<T, AppError>) -> Result<T, AppError> {
        self.in_transaction(self.begin_write(), work, |_| true)
    }

    /// The same for work that may refuse (a rule found broken half-way): a refusal rolls back
    /// whatever the work wrote before it.
    pub fn write_or_refuse<T, R>(
        &self,
        work: impl FnOnce(&Conn) -> Result<Result<T, R>, AppError>,
    ) -> Result<Result<T, R>, AppError> {
        self.in_transaction(self.begin_write(), work, Result::is_ok)
    }

    fn begin_write(&self) -> &'static str {
        match self {
            Conn::Sqlite(_) => "BEGIN IMMEDIATE",
            Conn::Postgres(_) => "BEGIN",
        }
    }

    /// Runs `work` in a read transaction, so that all it reads comes from one snapshot.
    pub fn read_snapshot<T>(
        &self,
        work: impl FnOnce(&Conn) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        self.in_transaction(
            match self {
                Conn::Sqlite(_) => "BEGIN",
                // Read committed would let each statement see a different moment.
                Conn::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            },
            work,
            |_| true,
        )
    }

    /// Begun and ended by cached statements: `rusqlite::Connection::transaction` parses its
    /// BEGIN and COMMIT again on every call, which was a twentieth of a conversation page's time.
    fn in_transaction<T>(
        &self,
        begin: &str,
        work: impl FnOnce(&Conn) -> Result<T, AppError>,
        commit: impl FnOnce(&T) -> bool,
    ) -> Result<T, AppError> {
        self.execute(begin, &[])?;
        let open = OpenTransaction(self);
        let done = work(self)?;
        if commit(&done) {
            self.execute("COMMIT", &[])?;
            std::mem::forget(open);
        }
        Ok(done)
    }

    /// Waits up to `timeout` for a notification on a channel this connection LISTENs to
    /// (PostgreSQL only), and takes the others that came meanwhile: true if any came. An error
    /// means the connection is lost.
    pub fn wait_for_notification(&self, timeout: std::time::Duration) -> Result<bool, Error> {
        let Conn::Postgres(pg) = self else {
            return Err(Error::WrongEngine);
        };
        let mut client = pg.client.borrow_mut();
        let mut notifications = client.notifications();
        use postgres::fallible_iterator::FallibleIterator;
        let came = notifications.timeout_iter(timeout).next()?.is_some();
        let mut pending = notifications.iter();
        while pending.next()?.is_some() {}
        Ok(came)
    }
}

/// Ends a transaction that an error (its work's or its COMMIT's) or a panic left open: the
/// readers' connections live as long as their threads, and pooled ones go back to the pool;
/// one left inside a transaction could begin no other.
struct OpenTransaction<'a>(&'a Conn);

impl Drop for OpenTransaction<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.execute_batch("ROLLBACK") {
            tracing::warn!("a transaction did not end: {e}");
        }
    }
}

fn pg_args<'a>(params: &'a [&'a dyn Param]) -> Vec<&'a (dyn PgToSql + Sync)> {
    params.iter().map(|p| *p as _).collect()
}

fn sqlite_params<'a>(
    params: &'a [&'a dyn Param],
) -> rusqlite::ParamsFromIter<impl Iterator<Item = &'a dyn SqliteToSql>> {
    rusqlite::params_from_iter(params.iter().map(|p| *p as &dyn SqliteToSql))
}

/// PostgreSQL numbers its placeholders `$1`; the model writes SQLite's `?1`, which means the
/// same. Text inside quotes is left as it is.
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_outside_quotes_only() {
        assert_eq!(
            numbered_placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d = $12"
        );
    }
}
