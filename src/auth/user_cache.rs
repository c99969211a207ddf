//! Recently seen accounts, so that a signed-in request does not read its own user row on every
//! hop. Only profile fields are cached (never whether a session is valid). This process forgets
//! an entry as soon as it changes it, and the watcher forgets those other processes changed.

use std::time::Duration;

use crate::model::UserId;
use crate::model::user::User;
use crate::recent::Recent;

/// Only bounds the damage of a change that was somehow not noted (see migration 0003).
const LIFETIME: Duration = Duration::from_secs(3600);
const CAPACITY: usize = 10_000;

pub struct UserCache(Recent<UserId, User>);

impl Default for UserCache {
    fn default() -> Self {
        UserCache(Recent::new(LIFETIME, CAPACITY))
    }
}

impl UserCache {
    pub fn get(&self, id: UserId) -> Option<User> {
        self.0.get(&id)
    }

    /// Take this before reading a user from the database, for `put_read`.
    pub fn generation(&self) -> u64 {
        self.0.generation()
    }

    pub fn put_read(&self, user: &User, read_during: u64) {
        self.0.put_fresh(user.id, user.clone(), read_during);
    }

    pub fn forget(&self, id: UserId) {
        self.0.forget(&id);
    }
}
