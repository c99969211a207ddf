//! Incoming webhooks: a group's members make one, and whoever holds its secret address posts
//! into the group as a named bot.

use rusqlite::{Connection, OptionalExtension, params};
use subtle::ConstantTimeEq;

use super::conversation::{self, Kind};
use super::message::{self, MessageKind};
use super::{ConversationId, FieldError, MessageId, UserId, mention, now};
use crate::db::write_tx;
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
    conn: &mut Connection,
    conversation: ConversationId,
    by: UserId,
    name: &str,
    secret_hash: &str,
) -> Result<i64, AppError> {
    let tx = write_tx(conn)?;
    let found = conversation::find_for_member(&tx, conversation, by)?.ok_or(AppError::NotFound)?;
    if found.kind != Kind::Group {
        return Err(AppError::BadRequest("error-webhook-group-only"));
    }
    tx.execute(
        "INSERT INTO webhooks (conversation_id, name, secret_hash, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![conversation, name, secret_hash, by, now()],
    )?;
    let id = tx.last_insert_rowid();
    tx.commit()?;
    Ok(id)
}

/// The conversation's webhooks, oldest first.
pub fn of_conversation(
    conn: &Connection,
    conversation: ConversationId,
) -> Result<Vec<Webhook>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, created_at FROM webhooks WHERE conversation_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([conversation], |r| {
        Ok(Webhook {
            id: r.get(0)?,
            name: r.get(1)?,
            created_at: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Removes a webhook of a conversation `by` is in: its address stops working at once.
pub fn remove(
    conn: &mut Connection,
    conversation: ConversationId,
    by: UserId,
    id: i64,
) -> Result<(), AppError> {
    let tx = write_tx(conn)?;
    conversation::find_for_member(&tx, conversation, by)?.ok_or(AppError::NotFound)?;
    let removed = tx.execute(
        "DELETE FROM webhooks WHERE id = ?1 AND conversation_id = ?2",
        params![id, conversation],
    )?;
    if removed == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit()?;
    Ok(())
}

/// The webhook whose address this is: the secret's hash is compared in constant time, so that
/// how long a refusal takes tells nothing about the right one. None for any wrong address.
pub fn open(
    conn: &Connection,
    id: i64,
    secret_hash: &str,
) -> Result<Option<(ConversationId, String)>, AppError> {
    let found: Option<(ConversationId, String, String)> = conn
        .prepare_cached("SELECT conversation_id, name, secret_hash FROM webhooks WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(found.and_then(|(conversation, name, stored)| {
        bool::from(stored.as_bytes().ct_eq(secret_hash.as_bytes())).then_some((conversation, name))
    }))
}

/// Posts `body` (checked by `message::check_body`) into the webhook's conversation as its bot.
pub fn post(
    conn: &mut Connection,
    conversation: ConversationId,
    bot: &str,
    body: &str,
) -> Result<MessageId, AppError> {
    let tx = write_tx(conn)?;
    let id = message::insert(&tx, conversation, None, MessageKind::Text, body)?;
    tx.prepare_cached("UPDATE messages SET bot = ?2 WHERE id = ?1")?
        .execute(params![id, bot])?;
    // No member wrote it: everyone it names is mentioned.
    mention::record(&tx, conversation, id, UserId(0), body)?;
    tx.commit()?;
    Ok(id)
}
