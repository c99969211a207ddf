//! actix-session's storage backend on our SQLite database.

use std::collections::HashMap;
use std::sync::Arc;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use blake2::{Blake2s256, Digest};

use super::USER_SESSION_KEY;
use crate::db::{self, Pool};
use crate::model::{UserId, now, session};
use crate::recent::Recent;

#[derive(Clone)]
pub struct SqliteSessionStore {
    pool: Pool,
    recent: Arc<RecentSessions>,
}

impl SqliteSessionStore {
    pub fn new(pool: Pool, recent: Arc<RecentSessions>) -> Self {
        SqliteSessionStore { pool, recent }
    }
}

type State = HashMap<String, String>;

/// How long a session read from the database is kept without reading it again. Changes do not
/// wait for this: this process updates or drops what it changes at once, and the watcher drops
/// what other processes changed within 200 ms (migration 0003). This only bounds the damage of
/// a change that was somehow not noted.
const KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(3600);
/// Past this many sessions the memory of them starts afresh.
const REMEMBERED: usize = 50_000;

/// The state of a session and when it expires.
type Kept = (State, i64);

/// Sessions read recently: a long-polling client asks again after every answer, and reading its
/// session from SQLite each time was the largest part of a re-poll.
pub struct RecentSessions(Recent<String, Kept>);

impl Default for RecentSessions {
    fn default() -> Self {
        RecentSessions(Recent::new(KEPT_FOR, REMEMBERED))
    }
}

impl RecentSessions {
    fn get(&self, key: &str) -> Option<State> {
        let (state, expires_at) = self.0.get(key)?;
        (expires_at > now()).then_some(state)
    }

    fn put(&self, key: &str, state: &State, expires_at: i64) {
        self.0.put(key.to_owned(), (state.clone(), expires_at));
    }

    pub fn forget(&self, key: &str) {
        self.0.forget(key);
    }

    /// Forgets every session of `user` (their sessions were just revoked in the database).
    pub fn forget_user(&self, user: UserId) {
        self.0.retain(|_, (state, _)| user_of(state) != Some(user));
    }
}

/// The signed-in user is kept in its own column too, so that all of a user's sessions can be
/// revoked at once.
fn user_of(state: &State) -> Option<UserId> {
    state
        .get(USER_SESSION_KEY)
        .and_then(|json| serde_json::from_str(json).ok())
}

/// 256 random bits in hex: a session's key, or an invitation's.
pub(crate) fn new_key() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(base16ct::lower::encode_string(&bytes))
}

/// What the database (and this cache) knows a session by: a hash of the key the cookie carries,
/// so that a copy of the database does not hand out live sessions (invitations are kept the
/// same way). The key is 256 random bits, so a fast hash is enough; no salt or stretching is
/// needed.
pub(crate) fn stored_key(key: &str) -> String {
    base16ct::lower::encode_string(&Blake2s256::digest(key.as_bytes()))
}

fn expiry(ttl: &Duration) -> i64 {
    now().saturating_add(ttl.whole_seconds())
}

impl SessionStore for SqliteSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let stored = stored_key(key.as_ref());
        if let Some(state) = self.recent.get(&stored) {
            return Ok(Some(state));
        }
        let read_during = self.recent.0.generation();
        let looked_up = stored.clone();
        let Some((json, expires_at)) =
            db::run(&self.pool, move |conn| session::load(conn, &looked_up))
                .await
                .map_err(|e| LoadError::Other(anyhow::anyhow!("{e}")))?
        else {
            return Ok(None);
        };
        let state: State =
            serde_json::from_str(&json).map_err(|e| LoadError::Deserialization(e.into()))?;
        self.recent
            .0
            .put_fresh(stored, (state.clone(), expires_at), read_during);
        Ok(Some(state))
    }

    async fn save(&self, state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let json = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let key = new_key().map_err(SaveError::Other)?;
        let (user, expires_at, stored) = (user_of(&state), expiry(ttl), stored_key(&key));
        let inserted = stored.clone();
        db::run(&self.pool, move |conn| {
            session::insert(conn, &inserted, user, &json, expires_at)
        })
        .await
        .map_err(|e| SaveError::Other(anyhow::anyhow!("{e}")))?;
        self.recent.put(&stored, &state, expires_at);
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let json =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let (user, expires_at, stored) = (user_of(&state), expiry(ttl), stored_key(key.as_ref()));
        let updated = stored.clone();
        let still_there = db::run(&self.pool, move |conn| {
            session::update(conn, &updated, user, &json, expires_at)
        })
        .await
        .map_err(|e| UpdateError::Other(anyhow::anyhow!("{e}")))?;
        if still_there {
            self.recent.put(&stored, &state, expires_at);
        } else {
            // Revoked (logout, password change) while this request ran. Saving the state under
            // a new key would hand whoever sent the request a fresh, valid session: the request
            // ends signed out instead, and the cookie it gets back names the dead key.
            self.recent.forget(&stored);
        }
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let (stored, expires_at) = (stored_key(key.as_ref()), expiry(ttl));
        db::run(&self.pool, move |conn| {
            session::extend(conn, &stored, expires_at)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let stored = stored_key(key.as_ref());
        self.recent.forget(&stored);
        db::run(&self.pool, move |conn| session::delete(conn, &stored))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn the_database_holds_only_a_hash_of_the_cookies_key() {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open(dir.path(), None).unwrap();
        let store = SqliteSessionStore::new(pool.clone(), Arc::new(RecentSessions::default()));
        let state: State = [("lang".to_owned(), "\"fr\"".to_owned())].into();
        let key = store.save(state.clone(), &Duration::days(1)).await.unwrap();

        let stored: Vec<String> = pool
            .get()
            .unwrap()
            .query_map("SELECT key FROM sessions", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0], key.as_ref(), "not the key itself");
        assert_eq!(stored[0], stored_key(key.as_ref()));

        // Another process (with nothing in memory) finds the session from the cookie's key.
        let elsewhere = SqliteSessionStore::new(pool, Arc::new(RecentSessions::default()));
        assert_eq!(elsewhere.load(&key).await.unwrap(), Some(state));
        elsewhere.delete(&key).await.unwrap();
        assert_eq!(elsewhere.load(&key).await.unwrap(), None);
    }

    #[actix_web::test]
    async fn an_update_never_brings_a_revoked_session_back() {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open(dir.path(), None).unwrap();
        let store = SqliteSessionStore::new(pool.clone(), Arc::new(RecentSessions::default()));
        let state: State = [("flash".to_owned(), "\"saved\"".to_owned())].into();
        let key = store.save(state.clone(), &Duration::days(1)).await.unwrap();
        let same = SessionKey::try_from(key.as_ref().to_owned()).unwrap();
        store.delete(&key).await.unwrap();

        let answered = store.update(same, state, &Duration::days(1)).await.unwrap();
        assert_eq!(store.load(&answered).await.unwrap(), None);
        let rows: i64 = pool
            .get()
            .unwrap()
            .query_row("SELECT count(*) FROM sessions", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0, "nothing was written under another key either");
    }
}
