//! Writing, editing and deleting messages.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::conversations::{member_message, render_page};
use super::{html, load_frame, ok_html, see_other, shell, write_and_publish};
use crate::auth::SignedIn;
use crate::db;
use crate::error::{AppError, is_htmx};
use crate::forms::Form;
use crate::model::{ConversationId, FieldError, MessageId, conversation, message};
use crate::paths;
use crate::state::AppState;
use crate::views::conversation::{Composer, composer, edit_message_page};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MessageFields {
    body: String,
}

/// Sends a message. The sender sees it arrive through their own poll, like everyone else, so
/// the answer is only a fresh composer (htmx) or a redirect to the message (plain form).
pub async fn post(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    Form(fields): Form<MessageFields>,
) -> Result<HttpResponse, AppError> {
    let (id, user) = (ConversationId(*id), me.user.id);
    let body = match message::check_body(&fields.body) {
        Ok(body) => body,
        Err(error) => return refuse(&req, &me, &state, id, &fields.body, error).await,
    };
    let message_id =
        write_and_publish(&state, move |conn| message::post(conn, id, user, &body)).await?;
    if is_htmx(&req) {
        return Ok(ok_html(composer(
            me.lang,
            &Composer {
                conversation: id,
                draft: "",
                errors: &[],
            },
        )));
    }
    Ok(see_other(&paths::message(id, message_id)))
}

/// An unacceptable message comes back in the composer with the draft kept, to members only.
async fn refuse(
    req: &HttpRequest,
    me: &SignedIn,
    state: &AppState,
    id: ConversationId,
    draft: &str,
    error: FieldError,
) -> Result<HttpResponse, AppError> {
    if is_htmx(req) {
        let user = me.user.id;
        db::run(&state.pool, move |conn| {
            conversation::find_for_member(conn, id, user)
        })
        .await?
        .ok_or(AppError::NotFound)?;
        let errors = [error];
        let form = composer(
            me.lang,
            &Composer {
                conversation: id,
                draft,
                errors: &errors,
            },
        );
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, form));
    }
    render_page(me, state, id, None, draft, &[error], &[]).await
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
    let body = match message::check_body(&fields.body) {
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
    write_and_publish(&state, move |conn| {
        message::delete(conn, id, message_id, user)
    })
    .await?;
    Ok(see_other(&paths::message(id, message_id)))
}
