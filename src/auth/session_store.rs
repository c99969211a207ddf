//! actix-session's storage backend on our SQLite database.

use std::collections::HashMap;
use std::sync::Arc;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;

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

fn new_key() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn expiry(ttl: &Duration) -> i64 {
    now().saturating_add(ttl.whole_seconds())
}

impl SessionStore for SqliteSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        if let Some(state) = self.recent.get(key.as_ref()) {
            return Ok(Some(state));
        }
        let stored_key = key.as_ref().to_owned();
        let read_during = self.recent.0.generation();
        let Some((json, expires_at)) =
            db::run(&self.pool, move |conn| session::load(conn, &stored_key))
                .await
                .map_err(|e| LoadError::Other(anyhow::anyhow!("{e}")))?
        else {
            return Ok(None);
        };
        let state: State =
            serde_json::from_str(&json).map_err(|e| LoadError::Deserialization(e.into()))?;
        self.recent.0.put_fresh(
            key.as_ref().to_owned(),
            (state.clone(), expires_at),
            read_during,
        );
        Ok(Some(state))
    }

    async fn save(&self, state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let json = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let key = new_key().map_err(SaveError::Other)?;
        let (user, expires_at, stored_key) = (user_of(&state), expiry(ttl), key.clone());
        db::run(&self.pool, move |conn| {
            session::insert(conn, &stored_key, user, &json, expires_at)
        })
        .await
        .map_err(|e| SaveError::Other(anyhow::anyhow!("{e}")))?;
        self.recent.put(&key, &state, expires_at);
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
        let (user, expires_at, stored_key) =
            (user_of(&state), expiry(ttl), key.as_ref().to_owned());
        let still_there = db::run(&self.pool, move |conn| {
            session::update(conn, &stored_key, user, &json, expires_at)
        })
        .await
        .map_err(|e| UpdateError::Other(anyhow::anyhow!("{e}")))?;
        if still_there {
            self.recent.put(key.as_ref(), &state, expires_at);
            Ok(key)
        } else {
            self.recent.forget(key.as_ref());
            // Revoked while this request ran: never resurrect it under the old key.
            self.save(state, ttl)
                .await
                .map_err(|e| UpdateError::Other(anyhow::anyhow!("{e}")))
        }
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let (key, expires_at) = (key.as_ref().to_owned(), expiry(ttl));
        db::run(&self.pool, move |conn| {
            session::extend(conn, &key, expires_at)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        self.recent.forget(key.as_ref());
        let key = key.as_ref().to_owned();
        db::run(&self.pool, move |conn| session::delete(conn, &key))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
}
