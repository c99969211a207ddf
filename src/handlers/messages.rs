//! Writing, editing and deleting messages.

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::conversations::{Drafted, member_message, render_page};
use super::{html, load_frame, ok_html, see_other, shell, write_and_publish};
use crate::auth::SignedIn;
use crate::error::{AppError, is_htmx};
use crate::forms::{self, Form, MultipartLimits};
use crate::media::sniff;
use crate::model::attachment::{self, NewAttachment};
use crate::model::message::Quote;
use crate::model::reaction::{self, ReactionKind};
use crate::model::{ConversationId, FieldError, MessageId, conversation, message};
use crate::paths;
use crate::realtime::typing;
use crate::state::AppState;
use crate::views::conversation::{Composer, composer, edit_message_page, reactions_page};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MessageFields {
    body: String,
    /// The id of the message answered, if any.
    reply_to: String,
}

/// A reply's field as sent: anything but a message id is no reply.
fn reply_id(field: &str) -> Option<MessageId> {
    field.trim().parse().ok().map(MessageId)
}

/// Sends a message, with files when the form is multipart. The sender sees it arrive through
/// their own poll, like everyone else, so the answer is only a fresh composer (htmx) or a
/// redirect to the message (plain form).
pub async fn post(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let mut sending = Sending {
        req: &req,
        me: &me,
        state: &state,
        id: ConversationId(*id),
        reply_to: None,
    };
    if !forms::is_multipart(&req) {
        let Form(fields) =
            Form::<MessageFields>::from_request(&req, &mut payload.into_inner()).await?;
        sending.reply_to = reply_id(&fields.reply_to);
        return sending.send(&fields.body, Vec::new()).await;
    }
    let user = me.user.id;
    // Members only, before a byte of a file is received.
    state
        .readers
        .read(|conn| conversation::find_for_member(conn, sending.id, user))?
        .ok_or(AppError::NotFound)?;
    let limits = MultipartLimits {
        incoming: state.media.storage.incoming(),
        file_field: sniff::FIELD,
        max_file: state.media.rules.max_file,
        max_files: attachment::MAX_PER_MESSAGE,
    };
    let received = match forms::read_multipart(&req, payload.into_inner(), &limits).await? {
        Ok(received) => received,
        Err(refused) => {
            let draft = refused.received.text("body");
            sending.reply_to = reply_id(refused.received.text("reply_to"));
            return sending.refuse(draft, refused.error, refused.status).await;
        }
    };
    let draft = received.text("body").to_owned();
    sending.reply_to = reply_id(received.text("reply_to"));
    // Before any file is looked at: a message too long is refused without decoding photos.
    if let Err(error) = message::check_body(&draft, !received.files.is_empty()) {
        return sending.refuse(&draft, error, UNPROCESSABLE).await;
    }
    let adding: u64 = received.files.iter().map(|f| f.size).sum();
    let stored = state
        .readers
        .read(|conn| attachment::stored_by(conn, user))?;
    if adding > 0 && stored.saturating_add(adding) > state.media.rules.quota {
        let error = FieldError::new(sniff::FIELD, "error-upload-quota");
        return sending
            .refuse(&draft, error, StatusCode::PAYLOAD_TOO_LARGE)
            .await;
    }
    let mut kept = Vec::with_capacity(received.files.len());
    for file in received.files {
        let refusal = match state.media.receive(file).await {
            Ok(Ok(attachment)) => {
                kept.push(attachment);
                continue;
            }
            Ok(Err(refusal)) => refusal,
            Err(e) => {
                forget(&state, &kept);
                return Err(e);
            }
        };
        forget(&state, &kept);
        return sending.refuse(&draft, refusal, UNPROCESSABLE).await;
    }
    sending.send(&draft, kept).await
}

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// Removes files kept for a message that was not written after all.
fn forget(state: &AppState, kept: &[NewAttachment]) {
    let keys: Vec<String> = kept.iter().map(|a| a.stored_as.clone()).collect();
    state.media.storage.remove_files(&keys);
}

/// A message being sent: who sends it where, for the answer whichever way it goes.
struct Sending<'a> {
    req: &'a HttpRequest,
    me: &'a SignedIn,
    state: &'a AppState,
    id: ConversationId,
    /// The message it answers, as the form said.
    reply_to: Option<MessageId>,
}

impl Sending<'_> {
    async fn send(&self, draft: &str, files: Vec<NewAttachment>) -> Result<HttpResponse, AppError> {
        let (id, user, reply_to) = (self.id, self.me.user.id, self.reply_to);
        let body = match message::check_body(draft, !files.is_empty()) {
            Ok(body) => body,
            Err(error) => return self.refuse(draft, error, UNPROCESSABLE).await,
        };
        if self.quote()?.is_none() && reply_to.is_some() {
            let error = FieldError::new("body", "error-reply-gone");
            return self.refuse(draft, error, UNPROCESSABLE).await;
        }
        let keys: Vec<String> = files.iter().map(|a| a.stored_as.clone()).collect();
        let quota = self.state.media.rules.quota;
        // Before the message is published, so that the answer bringing it says they stopped.
        self.state.hub.typing.stopped(id, user);
        let written = write_and_publish(self.state, move |conn| {
            message::post(conn, id, user, &body, &files, quota, reply_to)
        })
        .await;
        let message_id = match written {
            Ok(message_id) => message_id,
            Err(e) => {
                self.state.media.storage.remove_files(&keys);
                return Err(e);
            }
        };
        if is_htmx(self.req) {
            return Ok(ok_html(composer(
                self.me.lang,
                &Composer {
                    conversation: id,
                    draft: "",
                    reply: None,
                    errors: &[],
                    uploads: &self.state.media.rules,
                },
            )));
        }
        Ok(see_other(&paths::message(id, message_id)))
    }

    /// The message answered, while it can be: a composer that quotes it keeps doing so.
    fn quote(&self) -> Result<Option<Quote>, AppError> {
        let Some(original) = self.reply_to else {
            return Ok(None);
        };
        let conversation = self.id;
        self.state
            .readers
            .read(|conn| message::reply_target(conn, conversation, original))
    }

    /// An unacceptable message comes back in the composer with the draft kept, to members only.
    async fn refuse(
        &self,
        draft: &str,
        error: FieldError,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        let (id, user) = (self.id, self.me.user.id);
        let reply = self.quote()?;
        if is_htmx(self.req) {
            self.state
                .readers
                .read(|conn| conversation::find_for_member(conn, id, user))?
                .ok_or(AppError::NotFound)?;
            let errors = [error];
            let form = composer(
                self.me.lang,
                &Composer {
                    conversation: id,
                    draft,
                    reply: reply.as_ref(),
                    errors: &errors,
                    uploads: &self.state.media.rules,
                },
            );
            return Ok(html(status, form));
        }
        let errors = [error];
        let drafted = Drafted {
            draft,
            reply: reply.as_ref(),
            errors: &errors,
        };
        let mut page = render_page(self.me, self.state, id, None, drafted, &[]).await?;
        *page.status_mut() = status;
        Ok(page)
    }
}

pub async fn edit_form(
    me: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, message_id) = (ConversationId(path.0), MessageId(path.1));
    let found = member_message(&state, me.user.id, id, message_id).await?;
    found.check_changeable_by(me.user.id)?;
    let frame = load_frame(&state, me.user.id)?;
    Ok(ok_html(edit_message_page(
        &shell(&me, &frame, &state, None, ""),
        &found,
        &found.body,
        &[],
    )))
}

pub async fn edit(
    me: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    Form(fields): Form<MessageFields>,
) -> Result<HttpResponse, AppError> {
    let (id, message_id, user) = (ConversationId(path.0), MessageId(path.1), me.user.id);
    let found = member_message(&state, user, id, message_id).await?;
    found.check_changeable_by(user)?;
    let body = match message::check_body(&fields.body, !found.attachments.is_empty()) {
        Ok(body) => body,
        Err(error) => {
            let frame = load_frame(&state, user)?;
            let page = edit_message_page(
                &shell(&me, &frame, &state, None, ""),
                &found,
                &fields.body,
                &[error],
            );
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page));
        }
    };
    write_and_publish(&state, move |conn| {
        message::edit(conn, id, message_id, user, &body)
    })
    .await?;
    Ok(see_other(&paths::message(id, message_id)))
}

pub async fn delete(
    me: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, message_id, user) = (ConversationId(path.0), MessageId(path.1), me.user.id);
    member_message(&state, user, id, message_id)
        .await?
        .check_changeable_by(user)?;
    let files = write_and_publish(&state, move |conn| {
        message::delete(conn, id, message_id, user)
    })
    .await?;
    state.media.storage.remove_files(&files);
    Ok(see_other(&paths::message(id, message_id)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReactionFields {
    reaction: String,
}

/// A message's reactions page: where "React" leads without JavaScript.
pub async fn reactions(
    me: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, message_id) = (ConversationId(path.0), MessageId(path.1));
    let found = member_message(&state, me.user.id, id, message_id).await?;
    reaction::may_react(found.kind, found.deleted)?;
    let frame = load_frame(&state, me.user.id)?;
    Ok(ok_html(reactions_page(
        &shell(&me, &frame, &state, None, ""),
        &found,
    )))
}

/// Puts a reaction on a message or takes it back. Everyone, the one who reacted included, sees
/// it through their poll, so htmx gets nothing to swap; a plain form goes back to the message.
pub async fn react(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    Form(fields): Form<ReactionFields>,
) -> Result<HttpResponse, AppError> {
    let (id, message_id, user) = (ConversationId(path.0), MessageId(path.1), me.user.id);
    let found = member_message(&state, user, id, message_id).await?;
    reaction::may_react(found.kind, found.deleted)?;
    let kind = ReactionKind::from_code(fields.reaction.trim())
        .ok_or(AppError::BadRequest("error-reaction-unknown"))?;
    write_and_publish(&state, move |conn| {
        reaction::toggle(conn, id, message_id, user, kind)
    })
    .await?;
    if is_htmx(&req) {
        return Ok(HttpResponse::NoContent().finish());
    }
    Ok(see_other(&paths::message(id, message_id)))
}

/// The person is typing in the conversation (app.js says so every few seconds while they do).
/// Members with the conversation open see it through their poll; nothing is written.
pub async fn typing(
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, user) = (ConversationId(*id), me.user.id);
    let info = state
        .hub
        .conversation_via(&state.readers, id)?
        .filter(|info| info.member_ids.binary_search(&user).is_ok())
        .ok_or(AppError::NotFound)?;
    let now = tokio::time::Instant::now();
    if typing::shown_in(info.kind, info.member_ids.len())
        && state
            .hub
            .typing
            .started(id, user, &me.user.display_name, now)
    {
        state.hub.wake(&info.member_ids);
    }
    Ok(HttpResponse::NoContent().finish())
}
