//! Server-side sessions: the rows behind the session cookie, so that they can be revoked.

use rusqlite::{Connection, OptionalExtension, params};

use super::{UserId, now};
use crate::error::AppError;

pub fn load(conn: &Connection, key: &str) -> Result<Option<String>, AppError> {
    Ok(conn
        .prepare_cached("SELECT state FROM sessions WHERE key = ?1 AND expires_at > ?2")?
        .query_row(params![key, now()], |row| row.get(0))
        .optional()?)
}

pub fn insert(
    conn: &Connection,
    key: &str,
    user: Option<UserId>,
    state: &str,
    expires_at: i64,
) -> Result<(), AppError> {
    // New sessions are rare enough (a login, a first visit that stores something) to be the
    // moment to forget expired ones.
    conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now()])?;
    conn.execute(
        "INSERT INTO sessions (key, user_id, state, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![key, user, state, expires_at],
    )?;
    Ok(())
}

/// Returns false when the session no longer exists (it was revoked or expired meanwhile).
pub fn update(
    conn: &Connection,
    key: &str,
    user: Option<UserId>,
    state: &str,
    expires_at: i64,
) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE sessions SET user_id = ?2, state = ?3, expires_at = ?4
         WHERE key = ?1 AND expires_at > ?5",
        params![key, user, state, expires_at, now()],
    )?;
    Ok(changed == 1)
}

pub fn extend(conn: &Connection, key: &str, expires_at: i64) -> Result<(), AppError> {
    conn.execute(
        "UPDATE sessions SET expires_at = ?2 WHERE key = ?1",
        params![key, expires_at],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, key: &str) -> Result<(), AppError> {
    conn.execute("DELETE FROM sessions WHERE key = ?1", [key])?;
    Ok(())
}

pub fn delete_all_of_user(conn: &Connection, user: UserId) -> Result<(), AppError> {
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", [user])?;
    Ok(())
}

/// Moves whenever any session is deleted, by any process (see migration 0003).
pub fn revocations(conn: &Connection) -> Result<i64, AppError> {
    Ok(conn
        .prepare_cached("SELECT generation FROM session_revocations WHERE id = 1")?
        .query_row([], |row| row.get(0))?)
}
