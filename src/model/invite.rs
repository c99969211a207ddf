//! One-time sign-up links: an administrator makes one, one person uses it, within a week.

use super::{FieldError, UserId, now};
use crate::db::Conn;
use crate::error::AppError;

/// How long an invitation stays good.
pub const LIFETIME_SECONDS: i64 = 7 * 86_400;

/// Records an invitation known by `key_hash` (the link carries the key itself).
pub fn create(conn: &Conn, key_hash: &str, by: UserId) -> Result<(), AppError> {
    let at = now();
    conn.execute(
        "INSERT INTO invites (key_hash, created_by, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        &[&key_hash, &by, &at, &(at + LIFETIME_SECONDS)],
    )?;
    Ok(())
}

/// Whether the invitation can still be used.
pub fn is_open(conn: &Conn, key_hash: &str) -> Result<bool, AppError> {
    Ok(conn
        .query_opt(
            "SELECT 1 FROM invites WHERE key_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
            &[&key_hash, &now()],
            |_| Ok(()),
        )?
        .is_some())
}

/// Uses the invitation for `user`, inside the caller's transaction that creates the account:
/// of two sign-ups racing with one link, only one account is made.
pub(crate) fn consume(
    conn: &Conn,
    key_hash: &str,
    user: UserId,
) -> Result<Result<(), FieldError>, AppError> {
    let at = now();
    let used = conn.execute(
        "UPDATE invites SET used_at = ?2, used_by = ?3
         WHERE key_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
        &[&key_hash, &at, &user],
    )?;
    Ok(if used == 1 {
        Ok(())
    } else {
        Err(FieldError::new("username", "error-invite-used"))
    })
}
