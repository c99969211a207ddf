//! Incoming webhooks: made and removed by a group's members in its members panel; their secret
//! address posts into the group as a named bot.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::conversations::{Drafted, render_page};
use super::{load_frame, ok_html, see_other, shell, write_and_publish};
use crate::auth::{self, SignedIn, session_store};
use crate::db;
use crate::error::AppError;
use crate::forms::{self, Form};
use crate::model::{ConversationId, conversation, message, webhook};
use crate::paths;
use crate::state::AppState;
use crate::views::conversation::webhook_created_page;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NameFields {
    name: String,
}

pub async fn create(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    Form(fields): Form<NameFields>,
) -> Result<HttpResponse, AppError> {
    let (id, user) = (ConversationId(*id), me.user.id);
    let found = state
        .readers
        .read(|conn| conversation::find_for_member(conn, id, user))?
        .ok_or(AppError::NotFound)?;
    let name = match webhook::check_name(&fields.name) {
        Ok(name) => name,
        Err(error) => {
            let mut page = render_page(&me, &state, id, None, Drafted::default(), &[error]).await?;
            *page.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(page);
        }
    };
    let secret = session_store::new_key().map_err(|e| AppError::internal(e.to_string()))?;
    let hash = session_store::stored_key(&secret);
    let hook = db::run(&state.pool, move |conn| {
        webhook::create(conn, id, user, &name, &hash)
    })
    .await?;
    let (scheme, host) = auth::reached_as(&req);
    let address = format!(
        "{scheme}://{host}{}",
        paths::incoming_webhook(hook, &secret)
    );
    let frame = load_frame(&state, user)?;
    let mut response = ok_html(webhook_created_page(
        &shell(&me, &frame, &state, None, ""),
        id,
        &found.title,
        &address,
    ));
    // The address is a secret: not for any cache.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

pub async fn remove(
    me: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, hook, user) = (ConversationId(path.0), path.1, me.user.id);
    db::run(&state.pool, move |conn| {
        webhook::remove(conn, id, user, hook)
    })
    .await?;
    Ok(see_other(&paths::conversation(id)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TextFields {
    text: String,
}

/// A post to a webhook's address: `text` as a form field or in a JSON object. Answers 201 with
/// the message's id; 404 for any wrong address, 429 past the webhook's rate.
pub async fn incoming(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (hook, secret) = path.into_inner();
    let hash = session_store::stored_key(&secret);
    let (conversation, bot) = state
        .readers
        .read(|conn| webhook::open(conn, hook, &hash))?
        .ok_or(AppError::NotFound)?;
    if !state.webhook_limiter.allow(hook) {
        return Err(AppError::TooManyRequests("error-webhook-too-fast"));
    }
    let TextFields { text } = forms::json_or_form(&req, payload).await?;
    let body = message::check_body(&text, false).map_err(|e| AppError::BadRequest(e.message))?;
    let id = write_and_publish(&state, move |conn| {
        webhook::post(conn, conversation, &bot, &body)
    })
    .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "message": id })))
}
