//! Request handlers: parse → authorise by scoped lookup → model → view. Short functions; no SQL
//! and no HTML of their own.

pub mod account;
pub mod admin;
pub mod api;
pub mod conversations;
pub mod error_pages;
pub mod files;
pub mod home;
pub mod login;
pub mod messages;
pub mod people;
pub mod poll;
pub mod search;
pub mod signup;
pub mod webhooks;

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use actix_web::web::Bytes;
use maud::Markup;

use crate::auth::SignedIn;
use crate::db;
use crate::error::AppError;
use crate::model::conversation::{self, Summary};
use crate::model::{ConversationId, EventId, MessageId, UserId};
use crate::paths;
use crate::state::AppState;
use crate::views::conversation::poller;
use crate::views::layout::Shell;

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

pub fn html(status: StatusCode, markup: Markup) -> HttpResponse {
    html_bytes(status, Bytes::from(markup.into_string()))
}

/// An answer rendered once and sent to many: each response shares the same bytes.
pub fn html_bytes(status: StatusCode, body: Bytes) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

pub fn ok_html(markup: Markup) -> HttpResponse {
    html(StatusCode::OK, markup)
}

/// A form that broke a rule comes back with the user's input and the reasons.
pub fn invalid_form(markup: Markup) -> HttpResponse {
    html(StatusCode::UNPROCESSABLE_ENTITY, markup)
}

/// What every signed-in page needs around its content (`conversation::list_with_cursor`).
pub struct Frame {
    pub conversations: Vec<Summary>,
    pub cursor: EventId,
}

pub fn load_frame(state: &AppState, user: UserId) -> Result<Frame, AppError> {
    let (conversations, cursor) = state
        .readers
        .read(|conn| conversation::list_with_cursor(conn, user))?;
    Ok(Frame {
        conversations,
        cursor,
    })
}

/// The conversation a page shows: its newest message drawn, and the typing number drawn.
#[derive(Clone, Copy)]
pub struct Opened {
    pub id: ConversationId,
    pub latest: MessageId,
    pub typing: u64,
}

pub fn shell<'a>(
    me: &'a SignedIn,
    frame: &'a Frame,
    state: &AppState,
    open: Option<Opened>,
    filter: &'a str,
) -> Shell<'a> {
    let url = paths::poll(
        open.map(|o| o.id),
        frame.cursor,
        open.map(|o| o.latest),
        state.hub.rename_number(),
        open.map_or(0, |o| o.typing),
    );
    Shell {
        lang: me.lang,
        me: &me.user,
        flash: me.flash.as_deref(),
        conversations: &frame.conversations,
        open: open.map(|o| o.id),
        filter,
        poller: poller(&url, state.poll.delay_ms),
    }
}

/// Runs a write on the blocking pool, then publishes what it committed to the hub from the same
/// connection, so that waiting polls are woken before the writer's answer leaves.
pub async fn write_and_publish<T, F>(state: &AppState, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut db::Conn) -> Result<T, AppError> + Send + 'static,
{
    let hub = std::sync::Arc::clone(&state.hub);
    db::run(&state.pool, move |conn| {
        let result = work(conn)?;
        hub.catch_up(conn)?;
        Ok(result)
    })
    .await
}

/// Whether `user` is there now, or when they were last: from their polls in this process, else
/// from what was written (by any process).
pub fn presence_of(
    state: &AppState,
    user: crate::model::UserId,
) -> Result<Option<crate::model::user::Presence>, AppError> {
    use crate::model::user::{self, Presence};
    let (now, hold) = (
        crate::model::now(),
        i64::try_from(state.poll.hold.as_secs()).unwrap_or(i64::MAX),
    );
    let polled = state.hub.last_poll(user);
    // Polling here now answers without the database: live answers ask this of every poll.
    if let Some(Presence::Online) = user::presence(polled, now, hold) {
        return Ok(Some(Presence::Online));
    }
    let stored = state.readers.read(|conn| user::last_seen(conn, user))?;
    Ok(user::presence(stored.max(polled), now, hold))
}
