//! Notes of changed session and account rows, written by triggers (migration 0003), so that
//! every process can forget what it keeps in memory of them.

use super::UserId;
use crate::db::Conn;
use crate::error::AppError;

/// Notes are read within moments by every running process; after a day they only take room.
const KEPT_FOR_SECONDS: i64 = 86_400;

#[derive(Debug, Default)]
pub struct Invalidated {
    pub sessions: Vec<String>,
    pub users: Vec<UserId>,
}

impl Invalidated {
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.users.is_empty()
    }
}

/// The newest note: a process starting now has nothing older to forget.
pub fn latest(conn: &Conn) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT coalesce(max(id), 0) FROM cache_invalidations",
        &[],
        |r| r.get(0),
    )?)
}

/// What changed after note `after`, and the newest note read.
pub fn after(conn: &Conn, after: i64) -> Result<(i64, Invalidated), AppError> {
    let notes = conn.query_map(
        "SELECT id, session_key, user_id FROM cache_invalidations WHERE id > ?1 ORDER BY id",
        &[&after],
        |row| {
            Ok((
                row.get::<i64>(0)?,
                row.get::<Option<String>>(1)?,
                row.get::<Option<UserId>>(2)?,
            ))
        },
    )?;
    let (mut last, mut changed) = (after, Invalidated::default());
    for (id, session, user) in notes {
        last = id;
        changed.sessions.extend(session);
        changed.users.extend(user);
    }
    Ok((last, changed))
}

pub fn prune(conn: &Conn) -> Result<(), AppError> {
    conn.execute(
        "DELETE FROM cache_invalidations WHERE at < unixepoch() - ?1",
        &[&KEPT_FOR_SECONDS],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::user::{self, NewUser};
    use crate::model::{now, session};

    #[test]
    fn changed_sessions_and_accounts_are_noted_once() {
        for conn in crate::db::testing::engines() {
            let alice = user::create(
                &conn,
                &NewUser {
                    username: "alice".into(),
                    display_name: "Alice".into(),
                    password_hash: "x".into(),
                    admin: false,
                    invite: None,
                },
            )
            .unwrap()
            .unwrap();
            let start = latest(&conn).unwrap();
            let later = now() + 3600;
            session::insert(&conn, "kept", Some(alice.id), "{}", later).unwrap();
            session::insert(&conn, "changed", Some(alice.id), "{}", later).unwrap();
            session::insert(&conn, "revoked", Some(alice.id), "{}", later).unwrap();
            let (after_inserts, nothing) = after(&conn, start).unwrap();
            assert!(nothing.is_empty(), "new rows are in no one's memory yet");

            session::extend(&conn, "kept", later + 60).unwrap();
            session::update(&conn, "changed", Some(alice.id), r#"{"a":"1"}"#, later).unwrap();
            session::delete(&conn, "revoked").unwrap();
            user::set_password_hash(&conn, alice.id, "y").unwrap();
            let (last, mut changed) = after(&conn, after_inserts).unwrap();
            // The password change revokes every session of the account: "kept" and "changed" too.
            changed.sessions.sort();
            assert_eq!(changed.sessions, ["changed", "changed", "kept", "revoked"]);
            assert_eq!(changed.users, [alice.id]);
            assert!(after(&conn, last).unwrap().1.is_empty());
        }
    }
}
