//! The event log: every change that members of a conversation must see, numbered in commit
//! order. Its ids are the long-poll cursor, so delivery survives lost answers and restarts.

use rusqlite::{Connection, Row, params};

use super::{ConversationId, EventId, MessageId, UserId};
use crate::error::AppError;

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
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Event> {
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
pub(crate) fn record(
    conn: &Connection,
    conversation: ConversationId,
    kind: EventKind,
    message: MessageId,
) -> Result<EventId, AppError> {
    conn.prepare_cached(
        "INSERT INTO events (conversation_id, kind, message_id) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![conversation, kind.code(), message])?;
    Ok(EventId(conn.last_insert_rowid()))
}

/// The latest event of one conversation (0 for none): it moves whenever its log changes.
pub fn latest_in(conn: &Connection, conversation: ConversationId) -> Result<EventId, AppError> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM events WHERE conversation_id = ?1")?
        .query_row([conversation], |r| r.get(0))?)
}

pub fn latest_id(conn: &Connection) -> Result<EventId, AppError> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM events")?
        .query_row([], |r| r.get(0))?)
}

/// Events after `cursor` in every conversation, oldest first.
pub fn after(conn: &Connection, cursor: EventId, limit: usize) -> Result<Vec<Event>, AppError> {
    // Callers pass one constant each, so the statement cache holds one statement per caller.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, conversation_id, kind, message_id FROM events WHERE id > ?1 ORDER BY id
         LIMIT {limit}"
    ))?;
    let rows = stmt.query_map(params![cursor], Event::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Events after `cursor` in the conversations `user` belongs to now, oldest first: what a client
/// that was away longer than the hub remembers has missed.
pub fn after_for_member(
    conn: &Connection,
    user: UserId,
    cursor: EventId,
    limit: usize,
) -> Result<Vec<Event>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT e.id, e.conversation_id, e.kind, e.message_id
         FROM events e
         JOIN memberships m ON m.conversation_id = e.conversation_id AND m.user_id = ?1
         WHERE e.id > ?2 ORDER BY e.id LIMIT {limit}"
    ))?;
    let rows = stmt.query_map(params![user, cursor], Event::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Events after `cursor` in one conversation, oldest first (the API's reading by cursor).
pub fn after_in(
    conn: &Connection,
    conversation: ConversationId,
    cursor: EventId,
    limit: usize,
) -> Result<Vec<Event>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, conversation_id, kind, message_id FROM events
         WHERE conversation_id = ?1 AND id > ?2 ORDER BY id LIMIT {limit}"
    ))?;
    let rows = stmt.query_map(params![conversation, cursor], Event::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
