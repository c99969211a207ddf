//! Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane).

use std::sync::LazyLock;

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Each hash holds 19 MiB for its duration. Two at a time keeps a burst of logins well inside a
/// 512 MB host; the others wait their turn instead of exhausting memory.
const CONCURRENT_HASHES: usize = 2;
static HASHING: Semaphore = Semaphore::const_new(CONCURRENT_HASHES);

fn hasher() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| AppError::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes on the calling thread: for the command line, never for a request.
pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("hashing: {e}")))
}

/// Checked against when the username is unknown, so that a wrong name and a wrong password take
/// the same time and cannot be told apart.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_blocking("no account has this password").ok());

async fn off_the_executor<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| AppError::internal(format!("hashing queue: {e}")))?;
    actix_web::web::block(work).await?
}

pub async fn hash(password: String) -> Result<String, AppError> {
    off_the_executor(move || hash_blocking(&password)).await
}

/// True when `password` matches `stored`; when there is no stored hash, spends the same effort
/// and answers false.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    off_the_executor(move || {
        let stored = match stored.or_else(|| DUMMY_HASH.clone()) {
            Some(s) => s,
            None => return Ok(false),
        };
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| AppError::internal(format!("stored hash unreadable: {e}")))?;
        Ok(hasher()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
}
