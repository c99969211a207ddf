//! Notes of changed session and account rows, written by triggers (migration 0003), so that
//! every process can forget what it keeps in memory of them; and notes of moved read marks
//! (0018), so that every process redraws the badges of the tabs it holds.

use super::{ConversationId, UserId};
use crate::db::Conn;
use crate::error::AppError;

/// Notes are read within moments by every running process; after a day they only take room.
const KEPT_FOR_SECONDS: i64 = 86_400;

#[derive(Debug, Default)]
pub struct Invalidated {
    pub sessions: Vec<String>,
    pub users: Vec<UserId>,
    /// Read marks that another process moved: (member, conversation).
    pub reads: Vec<(UserId, ConversationId)>,
}

impl Invalidated {
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.users.is_empty() && self.reads.is_empty()
    }
}

/// Notes that `user`'s read mark in `conversation` moved, written by process `origin`.
pub fn note_read(
    conn: &Conn,
    user: UserId,
    conversation: ConversationId,
    origin: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO cache_invalidations (user_id, read_conversation_id, origin)
         VALUES (?1, ?2, ?3)",
        &[&user, &conversation, &origin],
    )?;
    Ok(())
}

/// The newest note: a process starting now has nothing older to forget.
pub fn latest(conn: &Conn) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT coalesce(max(id), 0) FROM cache_invalidations",
        &[],
        |r| r.get(0),
    )?)
}

/// What changed after note `after`, as process `origin` needs to know it (the reads it noted
/// itself left out), and the newest note read.
pub fn after(conn: &Conn, after: i64, origin: i64) -> Result<(i64, Invalidated), AppError> {
    let notes = conn.query_map(
        "SELECT id, session_key, user_id, read_conversation_id, origin FROM cache_invalidations
         WHERE id > ?1 ORDER BY id",
        &[&after],
        |row| {
            Ok((
                row.get::<i64>(0)?,
                row.get::<Option<String>>(1)?,
                row.get::<Option<UserId>>(2)?,
                row.get::<Option<ConversationId>>(3)?,
                row.get::<Option<i64>>(4)?,
            ))
        },
    )?;
    let (mut last, mut changed) = (after, Invalidated::default());
    for (id, session, user, read, noted_by) in notes {
        last = id;
        changed.sessions.extend(session);
        match read {
            Some(conversation) if noted_by != Some(origin) => {
                changed.reads.extend(user.map(|user| (user, conversation)));
            }
            Some(_) => {}
            None => changed.users.extend(user),
        }
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

    /// The process these tests stand for.
    const HERE: i64 = 7;

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
            let (after_inserts, nothing) = after(&conn, start, HERE).unwrap();
            assert!(nothing.is_empty(), "new rows are in no one's memory yet");

            session::extend(&conn, "kept", later + 60).unwrap();
            session::update(&conn, "changed", Some(alice.id), r#"{"a":"1"}"#, later).unwrap();
            session::delete(&conn, "revoked").unwrap();
            user::set_password_hash(&conn, alice.id, "y").unwrap();
            let (last, mut changed) = after(&conn, after_inserts, HERE).unwrap();
            // The password change revokes every session of the account: "kept" and "changed" too.
            changed.sessions.sort();
            assert_eq!(changed.sessions, ["changed", "changed", "kept", "revoked"]);
            assert_eq!(changed.users, [alice.id]);
            assert!(after(&conn, last, HERE).unwrap().1.is_empty());
        }
    }

    #[test]
    fn a_moved_read_mark_is_news_to_every_process_but_the_one_that_moved_it() {
        // Notes name rows without holding them: no account or conversation needs to exist.
        let (alice, team) = (UserId(1), ConversationId(42));
        for conn in crate::db::testing::engines() {
            let start = latest(&conn).unwrap();
            note_read(&conn, alice, team, HERE).unwrap();
            let (last, here) = after(&conn, start, HERE).unwrap();
            assert!(here.is_empty(), "this process told its own tabs: {here:?}");
            let (_, elsewhere) = after(&conn, start, HERE + 1).unwrap();
            assert_eq!(elsewhere.reads, [(alice, team)]);
            assert!(
                elsewhere.users.is_empty(),
                "the account did not change: nothing to forget"
            );
            assert!(after(&conn, last, HERE + 1).unwrap().1.is_empty());
        }
    }
}
