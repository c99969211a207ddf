//! Tokens for the HTTP API: a person makes one per script or device, sees it once, and may
//! revoke it; only a hash of it is kept.

use super::{FieldError, UserId, now};
use crate::db::Conn;
use crate::error::AppError;

pub const NAME_MAX: usize = 60;

#[derive(Clone, Debug)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
}

pub fn check_name(raw: &str) -> Result<String, FieldError> {
    super::short_name(
        raw,
        NAME_MAX,
        "name",
        ("error-token-name-empty", "error-token-name-long"),
    )
}

pub fn create(conn: &Conn, user: UserId, name: &str, token_hash: &str) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[&user, &name, &token_hash, &now()],
    )?;
    Ok(())
}

/// The person's tokens, newest first.
pub fn of_user(conn: &Conn, user: UserId) -> Result<Vec<ApiToken>, AppError> {
    Ok(conn.query_map(
        "SELECT id, name, created_at FROM api_tokens WHERE user_id = ?1 ORDER BY id DESC",
        &[&user],
        |r| {
            Ok(ApiToken {
                id: r.get(0)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
            })
        },
    )?)
}

/// Revokes one of the person's tokens: 404 for anyone else's.
pub fn revoke(conn: &Conn, user: UserId, id: i64) -> Result<(), AppError> {
    let removed = conn.execute(
        "DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2",
        &[&id, &user],
    )?;
    if removed == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Whose token this is (by its hash), if it is still good and their account is active.
pub fn user_of(conn: &Conn, token_hash: &str) -> Result<Option<UserId>, AppError> {
    Ok(conn.query_opt(
        "SELECT u.id FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = ?1 AND u.disabled_at IS NULL",
        &[&token_hash],
        |r| r.get(0),
    )?)
}
