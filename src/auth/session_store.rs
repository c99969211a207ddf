//! actix-session's storage backend on our SQLite database.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;

use super::USER_SESSION_KEY;
use crate::db::{self, Pool};
use crate::model::{UserId, now, session};

#[derive(Clone)]
pub struct SqliteSessionStore {
    pool: Pool,
}

impl SqliteSessionStore {
    pub fn new(pool: Pool) -> Self {
        SqliteSessionStore { pool }
    }
}

type State = HashMap<String, String>;

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
        let key = key.as_ref().to_owned();
        let state = db::run(&self.pool, move |conn| session::load(conn, &key))
            .await
            .map_err(|e| LoadError::Other(anyhow::anyhow!("{e}")))?;
        state
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
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
            Ok(key)
        } else {
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
        let key = key.as_ref().to_owned();
        db::run(&self.pool, move |conn| session::delete(conn, &key))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
}
