//! Per-instance secrets, generated on first use and kept in the database.

use rusqlite::{Connection, OptionalExtension};

use crate::db::write_tx;
use crate::error::AppError;

/// The key stored files are sealed with (`media::sealed`), kept only in an encrypted database.
pub const FILES_KEY: &str = "files-key";
pub const FILES_KEY_LEN: usize = 32;

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

/// The named secret, if it exists (nothing is created: for a read-only connection).
pub fn get(conn: &Connection, name: &str) -> Result<Option<Vec<u8>>, AppError> {
    Ok(conn
        .query_row(
            "SELECT value FROM instance_secrets WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?)
}

/// Forgets the named secret (one that could not be used is made again).
pub fn remove(conn: &Connection, name: &str) -> Result<(), AppError> {
    conn.execute("DELETE FROM instance_secrets WHERE name = ?1", [name])?;
    Ok(())
}
