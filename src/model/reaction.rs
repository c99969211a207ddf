//! Reactions: a small fixed set of emoji that members put on a message, one of each kind per
//! person, taken back by choosing it again.

use std::collections::HashMap;

use super::event::{self, EventKind};
use super::message::MessageKind;
use super::{ConversationId, MessageId, UserId};
use crate::db::Conn;
use crate::error::AppError;

/// The reactions offered, in the order the picker shows them. A fixed set keeps every
/// reaction nameable in both languages for screen readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReactionKind {
    ThumbsUp,
    Heart,
    Laugh,
    Surprised,
    Sad,
    Party,
}

impl ReactionKind {
    pub const ALL: [ReactionKind; 6] = [
        ReactionKind::ThumbsUp,
        ReactionKind::Heart,
        ReactionKind::Laugh,
        ReactionKind::Surprised,
        ReactionKind::Sad,
        ReactionKind::Party,
    ];

    /// What forms send and the database keeps.
    pub fn code(self) -> &'static str {
        match self {
            ReactionKind::ThumbsUp => "thumbs-up",
            ReactionKind::Heart => "heart",
            ReactionKind::Laugh => "laugh",
            ReactionKind::Surprised => "surprised",
            ReactionKind::Sad => "sad",
            ReactionKind::Party => "party",
        }
    }

    pub fn from_code(code: &str) -> Option<ReactionKind> {
        ReactionKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reactor {
    pub id: UserId,
    pub display_name: String,
}

/// One kind of reaction on a message and who chose it, in the order they did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    pub kind: ReactionKind,
    pub people: Vec<Reactor>,
}

/// Puts `user`'s `kind` on the message, or takes it back if it was there. True when it is on
/// now. Members only (the caller checks membership as the page does); a deleted message or a
/// notice takes no reactions.
pub fn toggle(
    conn: &Conn,
    conversation: ConversationId,
    message: MessageId,
    user: UserId,
    kind: ReactionKind,
) -> Result<bool, AppError> {
    conn.write(|tx| {
        let found: Option<(String, bool)> = tx.query_opt(
            "SELECT kind, deleted_at IS NOT NULL FROM messages
                 WHERE id = ?1 AND conversation_id = ?2",
            &[&message, &conversation],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (message_kind, deleted) = found.ok_or(AppError::NotFound)?;
        may_react(MessageKind::from_code(&message_kind), deleted)?;
        let removed = tx.execute(
            "DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND kind = ?3",
            &[&message, &user, &kind.code()],
        )?;
        if removed == 0 {
            tx.execute(
                "INSERT INTO reactions (conversation_id, message_id, user_id, kind)
                 VALUES (?1, ?2, ?3, ?4)",
                &[&conversation, &message, &user, &kind.code()],
            )?;
        }
        tx.execute(
            "UPDATE messages SET reactions = (SELECT count(*) FROM reactions WHERE message_id = ?1)
             WHERE id = ?1",
            &[&message],
        )?;
        event::record(tx, conversation, EventKind::Reaction, message)?;
        Ok(removed == 0)
    })
}

/// The one rule of what takes reactions: what people wrote, while it is there.
pub fn may_react(kind: MessageKind, deleted: bool) -> Result<(), AppError> {
    if kind != MessageKind::Text {
        return Err(AppError::BadRequest("error-reaction-not-here"));
    }
    if deleted {
        return Err(AppError::BadRequest("error-message-was-deleted"));
    }
    Ok(())
}

/// The reactions on the conversation's messages `first..=last`, each message's kinds in the
/// order they were first chosen.
pub(crate) fn of_messages(
    conn: &Conn,
    conversation: ConversationId,
    first: MessageId,
    last: MessageId,
) -> Result<HashMap<MessageId, Vec<Reaction>>, AppError> {
    let rows = conn.query_map(
        "SELECT r.message_id, r.kind, r.user_id, u.display_name
         FROM reactions r JOIN users u ON u.id = r.user_id
         WHERE r.conversation_id = ?1 AND r.message_id BETWEEN ?2 AND ?3
         ORDER BY r.message_id, r.id",
        &[&conversation, &first, &last],
        |r| {
            Ok((
                r.get::<MessageId>(0)?,
                r.get::<String>(1)?,
                Reactor {
                    id: r.get(2)?,
                    display_name: r.get(3)?,
                },
            ))
        },
    )?;
    let mut by_message: HashMap<MessageId, Vec<Reaction>> = HashMap::new();
    for (message, code, reactor) in rows {
        // A kind this version does not offer (written by a newer one) is not shown.
        let Some(kind) = ReactionKind::from_code(&code) else {
            continue;
        };
        let reactions = by_message.entry(message).or_default();
        match reactions.iter_mut().find(|r| r.kind == kind) {
            Some(reaction) => reaction.people.push(reactor),
            None => reactions.push(Reaction {
                kind,
                people: vec![reactor],
            }),
        }
    }
    Ok(by_message)
}
