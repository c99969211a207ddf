//! Incoming webhooks: a group's members make one, and whoever holds its secret address posts
//! into the group as a named bot.

use subtle::ConstantTimeEq;

use super::conversation::{self, Kind};
use super::message::{self, MessageKind};
use super::{ConversationId, FieldError, MessageId, UserId, mention, now};
use crate::db::Conn;
use crate::error::AppError;

pub const NAME_MAX: usize = 40;

#[derive(Clone, Debug)]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
}

pub fn check_name(raw: &str) -> Result<String, FieldError> {
    super::short_name(
        raw,
        NAME_MAX,
        "name",
        ("error-webhook-name-empty", "error-webhook-name-long"),
    )
}

/// Makes a webhook for a group `by` is in, known by `secret_hash`. Its id.
pub fn create(
    conn: &Conn,
    conversation: ConversationId,
    by: UserId,
    name: &str,
    secret_hash: &str,
) -> Result<i64, AppError> {
    conn.write(|tx| {
        let found =
            conversation::find_for_member(tx, conversation, by)?.ok_or(AppError::NotFound)?;
        if found.kind != Kind::Group {
            return Err(AppError::BadRequest("error-webhook-group-only"));
        }
        Ok(tx.query_row(
            "INSERT INTO webhooks (conversation_id, name, secret_hash, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            &[&conversation, &name, &secret_hash, &by, &now()],
            |r| r.get(0),
        )?)
    })
}

/// The conversation's webhooks, oldest first.
pub fn of_conversation(
    conn: &Conn,
    conversation: ConversationId,
) -> Result<Vec<Webhook>, AppError> {
    Ok(conn.query_map(
        "SELECT id, name, created_at FROM webhooks WHERE conversation_id = ?1 ORDER BY id",
        &[&conversation],
        |r| {
            Ok(Webhook {
                id: r.get(0)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
            })
        },
    )?)
}

/// Removes a webhook of a conversation `by` is in: its address stops working at once.
pub fn remove(
    conn: &Conn,
    conversation: ConversationId,
    by: UserId,
    id: i64,
) -> Result<(), AppError> {
    conn.write(|tx| {
        conversation::find_for_member(tx, conversation, by)?.ok_or(AppError::NotFound)?;
        let removed = tx.execute(
            "DELETE FROM webhooks WHERE id = ?1 AND conversation_id = ?2",
            &[&id, &conversation],
        )?;
        if removed == 0 {
            return Err(AppError::NotFound);
        }
        Ok(())
    })
}

/// The webhook whose address this is: the secret's hash is compared in constant time, so that
/// how long a refusal takes tells nothing about the right one. None for any wrong address.
pub fn open(
    conn: &Conn,
    id: i64,
    secret_hash: &str,
) -> Result<Option<(ConversationId, String)>, AppError> {
    let found: Option<(ConversationId, String, String)> = conn.query_opt(
        "SELECT conversation_id, name, secret_hash FROM webhooks WHERE id = ?1",
        &[&id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(found.and_then(|(conversation, name, stored)| {
        bool::from(stored.as_bytes().ct_eq(secret_hash.as_bytes())).then_some((conversation, name))
    }))
}

/// Posts `body` (checked by `message::check_body`) into the webhook's conversation as its bot.
pub fn post(
    conn: &Conn,
    conversation: ConversationId,
    bot: &str,
    body: &str,
) -> Result<MessageId, AppError> {
    conn.write(|tx| {
        let id = message::insert(tx, conversation, None, MessageKind::Text, body)?;
        tx.execute("UPDATE messages SET bot = ?2 WHERE id = ?1", &[&id, &bot])?;
        // No member wrote it: everyone it names is mentioned.
        mention::record(tx, conversation, id, UserId(0), body)?;
        Ok(id)
    })
}
