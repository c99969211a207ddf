//! The token-authenticated API, for scripts and bots: a person's conversations, a
//! conversation's changes after a cursor (the poll's exactly-once cursor), and sending. JSON in
//! and out; errors are JSON too (`error_pages`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::write_and_publish;
use crate::auth::ApiUser;
use crate::error::AppError;
use crate::forms;
use crate::model::event::{self, EventKind};
use crate::model::message::{self, Message};
use crate::model::{ConversationId, EventId, MessageId, conversation};
use crate::state::AppState;

/// Changes given per request; `next` leads on to the rest.
const CHANGES_PER_ANSWER: usize = 100;

#[derive(Serialize)]
struct ConversationOut {
    id: ConversationId,
    kind: &'static str,
    title: String,
    unread: i64,
    mentions: i64,
}

pub async fn conversations(
    me: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = me.user.id;
    let list = state
        .readers
        .read(|conn| conversation::list_for(conn, user))?;
    let out: Vec<ConversationOut> = list
        .into_iter()
        .map(|s| ConversationOut {
            id: s.id,
            kind: s.kind.code(),
            title: s.title,
            unread: s.unread,
            mentions: s.mentions,
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "conversations": out })))
}

#[derive(Serialize)]
struct MessageOut {
    /// What happened to it: "message" (new), "edit" or "delete" (the message as it is now).
    change: &'static str,
    id: MessageId,
    author: Option<String>,
    bot: Option<String>,
    kind: &'static str,
    text: String,
    created_at: i64,
    edited: bool,
    deleted: bool,
    reply_to: Option<MessageId>,
}

impl MessageOut {
    fn of(change: EventKind, message: Message) -> MessageOut {
        MessageOut {
            change: match change {
                EventKind::Message => "message",
                EventKind::Edit => "edit",
                EventKind::Delete => "delete",
                EventKind::Reaction => "reaction",
            },
            id: message.id,
            author: message.author.map(|a| a.username),
            bot: message.bot,
            kind: message.kind.code(),
            text: message.body,
            created_at: message.created_at,
            edited: message.edited,
            deleted: message.deleted,
            reply_to: message.reply.map(|q| q.id),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AfterQuery {
    after: i64,
}

/// The conversation's changes after the cursor, oldest first, each once: the next call passes
/// `next` as `after`. A message changed twice is given at each change, as it is now.
pub async fn messages(
    me: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<AfterQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, user, after) = (ConversationId(*id), me.user.id, EventId(query.after.max(0)));
    let (changes, next) = state.readers.read(|conn| {
        conversation::find_for_member(conn, id, user)?.ok_or(AppError::NotFound)?;
        let events = event::after_in(conn, id, after, CHANGES_PER_ANSWER)?;
        let next = events.last().map_or(after, |e| e.id);
        let mut changes = Vec::with_capacity(events.len());
        for event in events {
            if let Some(message) = message::find(conn, id, event.message)? {
                changes.push(MessageOut::of(event.kind, message));
            }
        }
        Ok((changes, next))
    })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "messages": changes, "next": next })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SendFields {
    text: String,
    reply_to: Option<i64>,
}

/// Sends as the token's owner: `text` (and `reply_to`), as JSON or a form. 201 with its id.
pub async fn send(
    req: HttpRequest,
    me: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (id, user) = (ConversationId(*id), me.user.id);
    let fields: SendFields = forms::json_or_form(&req, payload).await?;
    let body =
        message::check_body(&fields.text, false).map_err(|e| AppError::BadRequest(e.message))?;
    let reply_to = fields.reply_to.map(MessageId);
    let quota = state.media.rules.quota;
    let sent = write_and_publish(&state, move |conn| {
        message::post(conn, id, user, &body, &[], quota, reply_to)
    })
    .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "message": sent })))
}
