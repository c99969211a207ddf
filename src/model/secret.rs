//! Per-instance secrets, generated on first use and kept in the database.

use rusqlite::{Connection, OptionalExtension};

use crate::db::write_tx;
use crate::error::AppError;

/// Returns the named secret, creating it from `len` random bytes the first time.
pub fn get_or_create(conn: &mut Connection, name: &str, len: usize) -> Result<Vec<u8>, AppError> {
    let tx = write_tx(conn)?;
    let existing: Option<Vec<u8>> = tx
        .query_row(
            "SELECT value FROM instance_secrets WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(value) = existing {
        return Ok(value);
    }
    let mut value = vec![0u8; len];
    getrandom::fill(&mut value).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    tx.execute(
        "INSERT INTO instance_secrets (name, value) VALUES (?1, ?2)",
        rusqlite::params![name, value],
    )?;
    tx.commit()?;
    Ok(value)
}
