//! The event log: every change that members of a conversation must see, numbered in commit
//! order. Its ids are the long-poll cursor, so delivery survives lost answers and restarts.

use super::{ConversationId, EventId, MessageId, UserId};
use crate::db::{self, Conn, Engine, Row};
use crate::error::AppError;

/// The channel on which PostgreSQL tells every node that events were committed (a macro, so
/// that `record`'s statement is one literal).
macro_rules! events_channel {
    () => {
        "bavard_events"
    };
}
pub const EVENTS_CHANNEL: &str = events_channel!();

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A new message (or notice) at the end of the conversation.
    Message,
    Edit,
    Delete,
    /// Someone put a reaction on the message or took it back: updated where it stands, never a
    /// new entry in the log.
    Reaction,
}

impl EventKind {
    fn code(self) -> &'static str {
        match self {
            EventKind::Message => "message",
            EventKind::Edit => "edit",
            EventKind::Delete => "delete",
            EventKind::Reaction => "reaction",
        }
    }

    fn from_code(code: &str) -> EventKind {
        match code {
            "edit" => EventKind::Edit,
            "delete" => EventKind::Delete,
            "reaction" => EventKind::Reaction,
            _ => EventKind::Message,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Event {
    pub id: EventId,
    pub conversation: ConversationId,
    pub kind: EventKind,
    pub message: MessageId,
}

impl Event {
    fn from_row(row: &Row<'_>) -> Result<Event, db::Error> {
        let kind: String = row.get(2)?;
        Ok(Event {
            id: row.get(0)?,
            conversation: row.get(1)?,
            kind: EventKind::from_code(&kind),
            message: row.get(3)?,
        })
    }
}

/// Records an event inside the caller's write transaction.
///
/// A reader's cursor skips every id up to the last it saw, so ids must grow in commit order.
/// SQLite has one writer at a time; PostgreSQL draws ids from a sequence when each INSERT runs,
/// and two transactions may commit in the other order, which would hide the smaller id from a
/// reader that saw the larger first. So there a writer takes a lock before its first event and
/// keeps it until it commits: events commit one writer after the other. It also notifies the
/// other nodes, which PostgreSQL does only if and when the transaction commits; a notification
/// only wakes them, and they read what is new by their cursor (`Hub::catch_up`).
pub(crate) fn record(
    conn: &Conn,
    conversation: ConversationId,
    kind: EventKind,
    message: MessageId,
) -> Result<EventId, AppError> {
    let insert = match conn.engine() {
        Engine::Sqlite => {
            "INSERT INTO events (conversation_id, kind, message_id) VALUES (?1, ?2, ?3)
             RETURNING id"
        }
        // One round trip: the id is drawn for the row that the lock's scan yields, so only
        // once the lock is held.
        Engine::Postgres => POSTGRES_INSERT,
    };
    Ok(
        conn.query_row(insert, &[&conversation, &kind.code(), &message], |r| {
            r.get(0)
        })?,
    )
}

/// Takes the lock that a PostgreSQL transaction holds from its first event to its commit (every
/// node must take the same number), queues the notification, and inserts.
const POSTGRES_INSERT: &str = concat!(
    "WITH locked AS (SELECT pg_advisory_xact_lock(72986365358693), pg_notify('",
    events_channel!(),
    "', ''))
     INSERT INTO events (conversation_id, kind, message_id)
     SELECT CAST(?1 AS BIGINT), CAST(?2 AS TEXT), CAST(?3 AS BIGINT) FROM locked
     RETURNING id"
);

/// The latest event of one conversation (0 for none): it moves whenever its log changes.
pub fn latest_in(conn: &Conn, conversation: ConversationId) -> Result<EventId, AppError> {
    Ok(conn.query_row(
        "SELECT coalesce(max(id), 0) FROM events WHERE conversation_id = ?1",
        &[&conversation],
        |r| r.get(0),
    )?)
}

pub fn latest_id(conn: &Conn) -> Result<EventId, AppError> {
    Ok(conn.query_row("SELECT coalesce(max(id), 0) FROM events", &[], |r| r.get(0))?)
}

/// Events after `cursor` in every conversation, oldest first.
pub fn after(conn: &Conn, cursor: EventId, limit: usize) -> Result<Vec<Event>, AppError> {
    // Callers pass one constant each, so the statement cache holds one statement per caller.
    Ok(conn.query_map(
        &format!(
            "SELECT id, conversation_id, kind, message_id FROM events WHERE id > ?1 ORDER BY id
             LIMIT {limit}"
        ),
        &[&cursor],
        Event::from_row,
    )?)
}

/// Events after `cursor` in the conversations `user` belongs to now, oldest first: what a client
/// that was away longer than the hub remembers has missed.
pub fn after_for_member(
    conn: &Conn,
    user: UserId,
    cursor: EventId,
    limit: usize,
) -> Result<Vec<Event>, AppError> {
    Ok(conn.query_map(
        &format!(
            "SELECT e.id, e.conversation_id, e.kind, e.message_id
             FROM events e
             JOIN memberships m ON m.conversation_id = e.conversation_id AND m.user_id = ?1
             WHERE e.id > ?2 ORDER BY e.id LIMIT {limit}"
        ),
        &[&user, &cursor],
        Event::from_row,
    )?)
}

/// Events after `cursor` in one conversation, oldest first (the API's reading by cursor).
pub fn after_in(
    conn: &Conn,
    conversation: ConversationId,
    cursor: EventId,
    limit: usize,
) -> Result<Vec<Event>, AppError> {
    Ok(conn.query_map(
        &format!(
            "SELECT id, conversation_id, kind, message_id FROM events
             WHERE conversation_id = ?1 AND id > ?2 ORDER BY id LIMIT {limit}"
        ),
        &[&conversation, &cursor],
        Event::from_row,
    )?)
}
