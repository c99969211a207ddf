//! Recently seen accounts, so that a signed-in request does not read its own user row on every
//! hop. Sessions are still checked against the database on each request (revocation is never
//! cached); only the profile fields are, for at most `LIFETIME`, and this process forgets an
//! entry as soon as it changes it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::model::UserId;
use crate::model::user::User;

/// How stale a name or language changed by another process may be.
const LIFETIME: Duration = Duration::from_secs(10);
/// Past this many entries the cache starts afresh, bounding its memory.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct UserCache {
    entries: Mutex<HashMap<UserId, (Instant, User)>>,
}

impl UserCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, (Instant, User)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, id: UserId) -> Option<User> {
        let entries = self.entries();
        let (at, user) = entries.get(&id)?;
        (at.elapsed() < LIFETIME).then(|| user.clone())
    }

    pub fn put(&self, user: &User) {
        let mut entries = self.entries();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(user.id, (Instant::now(), user.clone()));
    }

    pub fn forget(&self, id: UserId) {
        self.entries().remove(&id);
    }
}
