//! Per-instance secrets, generated on first use and kept in the database.

use crate::db::Conn;
use crate::error::AppError;

/// The key stored files are sealed with (`media::sealed`), kept only in an encrypted database.
pub const FILES_KEY: &str = "files-key";
pub const FILES_KEY_LEN: usize = 32;

/// Returns the named secret, creating it from `len` random bytes the first time.
pub fn get_or_create(conn: &Conn, name: &str, len: usize) -> Result<Vec<u8>, AppError> {
    conn.write(|tx| {
        if let Some(value) = get(tx, name)? {
            return Ok(value);
        }
        let mut value = vec![0u8; len];
        getrandom::fill(&mut value)
            .map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
        tx.execute(
            "INSERT INTO instance_secrets (name, value) VALUES (?1, ?2)",
            &[&name, &value],
        )?;
        Ok(value)
    })
}

/// The named secret, if it exists (nothing is created: for a read-only connection).
pub fn get(conn: &Conn, name: &str) -> Result<Option<Vec<u8>>, AppError> {
    Ok(conn.query_opt(
        "SELECT value FROM instance_secrets WHERE name = ?1",
        &[&name],
        |r| r.get(0),
    )?)
}

/// Forgets the named secret (one that could not be used is made again).
pub fn remove(conn: &Conn, name: &str) -> Result<(), AppError> {
    conn.execute("DELETE FROM instance_secrets WHERE name = ?1", &[&name])?;
    Ok(())
}
