//! Recently seen accounts, so that a signed-in request does not read its own user row on every
//! hop. Only profile fields are cached (never whether a session is valid), for at most
//! `LIFETIME`, and this process forgets an entry as soon as it changes it.

use std::time::Duration;

use crate::model::UserId;
use crate::model::user::User;
use crate::recent::Recent;

/// How stale a name or language changed by another process may be. Long enough that a burst of
/// re-polls rarely finds its users expired all at once.
const LIFETIME: Duration = Duration::from_secs(60);
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

    pub fn put(&self, user: &User) {
        self.0.put(user.id, user.clone());
    }

    pub fn forget(&self, id: UserId) {
        self.0.forget(&id);
    }
}
