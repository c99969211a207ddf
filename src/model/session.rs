//! Server-side sessions: the rows behind the session cookie, so that they can be revoked.

use super::{UserId, now};
use crate::db::Conn;
use crate::error::AppError;

/// The session's state and when it expires, unless it is gone or expired.
pub fn load(conn: &Conn, key: &str) -> Result<Option<(String, i64)>, AppError> {
    Ok(conn.query_opt(
        "SELECT state, expires_at FROM sessions WHERE key = ?1 AND expires_at > ?2",
        &[&key, &now()],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?)
}

pub fn insert(
    conn: &Conn,
    key: &str,
    user: Option<UserId>,
    state: &str,
    expires_at: i64,
) -> Result<(), AppError> {
    // New sessions are rare enough (a login, a first visit that stores something) to be the
    // moment to forget expired ones, and old notes of changes.
    conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", &[&now()])?;
    super::invalidation::prune(conn)?;
    conn.execute(
        "INSERT INTO sessions (key, user_id, state, expires_at) VALUES (?1, ?2, ?3, ?4)",
        &[&key, &user, &state, &expires_at],
    )?;
    Ok(())
}

/// Returns false when the session no longer exists (it was revoked or expired meanwhile).
pub fn update(
    conn: &Conn,
    key: &str,
    user: Option<UserId>,
    state: &str,
    expires_at: i64,
) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE sessions SET user_id = ?2, state = ?3, expires_at = ?4
         WHERE key = ?1 AND expires_at > ?5",
        &[&key, &user, &state, &expires_at, &now()],
    )?;
    Ok(changed == 1)
}

pub fn extend(conn: &Conn, key: &str, expires_at: i64) -> Result<(), AppError> {
    conn.execute(
        "UPDATE sessions SET expires_at = ?2 WHERE key = ?1",
        &[&key, &expires_at],
    )?;
    Ok(())
}

pub fn delete(conn: &Conn, key: &str) -> Result<(), AppError> {
    conn.execute("DELETE FROM sessions WHERE key = ?1", &[&key])?;
    Ok(())
}

pub fn delete_all_of_user(conn: &Conn, user: UserId) -> Result<(), AppError> {
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", &[&user])?;
    Ok(())
}
