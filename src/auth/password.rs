//! Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane).

use std::cell::RefCell;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString, rand_core::OsRng};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};

use crate::error::AppError;

/// Each hash holds 19 MiB for its duration. Two at a time keeps a burst of logins well inside a
/// 512 MB host; the others wait their turn instead of exhausting memory.
const HASHING_THREADS: usize = 2;
/// Hashes waiting for a thread; past this the server answers "too many requests" at once.
const HASHING_QUEUE: usize = 256;

type Job = Box<dyn FnOnce() + Send>;

/// Dedicated threads, not the general blocking pool: the allocator keeps a freed 19 MiB block in
/// the arena of the thread that used it, so hashing on a few long-lived threads bounds that
/// memory to a few blocks instead of one per pool thread (measured: 388 MB RSS after sign-ups
/// on the blocking pool).
static HASHERS: LazyLock<Option<SyncSender<Job>>> = LazyLock::new(|| {
    let (sender, receiver) = sync_channel::<Job>(HASHING_QUEUE);
    let receiver = Arc::new(Mutex::new(receiver));
    for n in 0..HASHING_THREADS {
        let receiver: Arc<Mutex<Receiver<Job>>> = Arc::clone(&receiver);
        let spawned = std::thread::Builder::new()
            .name(format!("bavard-hash-{n}"))
            .spawn(move || {
                loop {
                    let job = match receiver.lock() {
                        Ok(queue) => queue.recv_timeout(IDLE_BEFORE_RELEASE),
                        Err(poisoned) => poisoned.into_inner().recv_timeout(IDLE_BEFORE_RELEASE),
                    };
                    match job {
                        Ok(job) => job(),
                        Err(RecvTimeoutError::Timeout) => release_memory(),
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start a hashing thread: {e}");
            return None;
        }
    }
    Some(sender)
});

/// After this long without a hash, a hashing thread gives its 19 MiB back: logins come in
/// bursts (the morning, a restart), and a small host should not carry 38 MiB all day for them.
const IDLE_BEFORE_RELEASE: Duration = Duration::from_secs(15);

const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;
const OUTPUT_LEN: usize = 32;

thread_local! {
    /// The argon2 working memory of this thread, allocated once and reused by every hash: a
    /// fresh 19 MiB allocation per hash is not reliably given back by the allocator.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn release_memory() {
    BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        if !blocks.is_empty() {
            *blocks = Vec::new();
        }
    });
}

fn failed(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("{what}: {e}"))
}

/// Runs argon2id into `out` with this thread's reusable memory.
fn argon2id(
    params: Params,
    version: Version,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), AppError> {
    let count = params.block_count();
    let argon = Argon2::new(Algorithm::Argon2id, version, params);
    BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        if blocks.len() != count {
            *blocks = vec![Block::default(); count];
        }
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut blocks[..])
            .map_err(|e| failed("hashing", e))
    })
}

/// Hashes on the calling thread: for the command line and the hashing threads, never for a
/// request's own thread. Returns the standard PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, Some(OUTPUT_LEN))
        .map_err(|e| failed("argon2 parameters", e))?;
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buffer = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_buffer)
        .map_err(|e| failed("salt", e))?;
    let mut out = [0u8; OUTPUT_LEN];
    argon2id(
        params.clone(),
        Version::V0x13,
        password,
        salt_bytes,
        &mut out,
    )?;
    let phc = PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed("argon2 parameters", e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed("hash output", e))?),
    };
    Ok(phc.to_string())
}

fn verify_blocking(password: &str, stored: &str) -> Result<bool, AppError> {
    let phc = PasswordHash::new(stored).map_err(|e| failed("stored hash unreadable", e))?;
    if phc.algorithm != ARGON2ID_IDENT {
        return Err(AppError::internal("stored hash is not argon2id"));
    }
    let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
        return Err(AppError::internal("stored hash lacks salt or output"));
    };
    let params = Params::try_from(&phc).map_err(|e| failed("stored parameters", e))?;
    let version = match phc.version {
        Some(v) => Version::try_from(v).map_err(|e| failed("stored version", e))?,
        None => Version::V0x13,
    };
    let mut salt_buffer = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_buffer)
        .map_err(|e| failed("stored salt", e))?;
    let mut out = vec![0u8; expected.len()];
    argon2id(params, version, password, salt_bytes, &mut out)?;
    // `Output` compares in constant time.
    Ok(Output::new(&out).map_err(|e| failed("hash output", e))? == expected)
}

/// Checked against when the username is unknown, so that a wrong name and a wrong password take
/// the same time and cannot be told apart.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_blocking("no account has this password").ok());

async fn off_the_executor<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let hashers = HASHERS
        .as_ref()
        .ok_or_else(|| AppError::internal("no hashing threads"))?;
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    match hashers.try_send(job) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            return Err(AppError::TooManyRequests("error-too-many-requests"));
        }
        Err(TrySendError::Disconnected(_)) => {
            return Err(AppError::internal("hashing threads gone"));
        }
    }
    result
        .await
        .map_err(|_| AppError::internal("a hashing thread dropped its job"))?
}

pub async fn hash(password: String) -> Result<String, AppError> {
    off_the_executor(move || hash_blocking(&password)).await
}

/// True when `password` matches `stored`; when there is no stored hash, spends the same effort
/// and answers false.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    off_the_executor(move || match stored.or_else(|| DUMMY_HASH.clone()) {
        Some(stored) => verify_blocking(&password, &stored),
        None => Ok(false),
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_standard_argon2id_and_verify() {
        let hash = hash_blocking("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_blocking("correct horse battery", &hash).unwrap());
        assert!(!verify_blocking("correct horse batterY", &hash).unwrap());
        // A hash made by the reference implementation's PHC encoder verifies too.
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let other = argon2::password_hash::PasswordHasher::hash_password(
            &Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap(),
            ),
            b"hunter2hunter2",
            &salt,
        )
        .unwrap()
        .to_string();
        assert!(verify_blocking("hunter2hunter2", &other).unwrap());
    }
}
