//! Finding people and viewing their profiles.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{load_frame, ok_html, shell};
use crate::auth::SignedIn;
use crate::db;
use crate::error::{AppError, is_htmx};
use crate::model::user;
use crate::state::AppState;
use crate::views::people::{self as views, Search};

/// Far beyond any real browsing; keeps OFFSET arithmetic small.
const MAX_PAGE: usize = 10_000;
const MAX_QUERY_CHARS: usize = 100;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default = "crate::forms::first_page")]
    page: usize,
}

impl SearchQuery {
    /// What was typed, bounded, and the page, within reason: this list and the
    /// administration's.
    pub(super) fn bounded(&self) -> (String, usize) {
        let text = self.q.trim().chars().take(MAX_QUERY_CHARS).collect();
        (text, self.page.clamp(1, MAX_PAGE))
    }
}

pub async fn search(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let (text, page) = query.bounded();
    let results = if text.is_empty() {
        None
    } else {
        let needle = text.clone();
        Some(db::run(&state.pool, move |conn| user::search(conn, &needle, page)).await?)
    };
    let search = Search {
        query: &text,
        page,
        results: results.as_ref(),
    };
    if is_htmx(&req) {
        return Ok(ok_html(views::results_fragment(me.lang, &search)));
    }
    let frame = load_frame(&state, me.user.id)?;
    Ok(ok_html(views::search_page(
        &shell(&me, &frame, &state, None, ""),
        &search,
    )))
}

pub async fn profile(
    me: SignedIn,
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let username = username.into_inner();
    let found = db::run(&state.pool, move |conn| {
        user::find_by_username(conn, &username)
    })
    .await?;
    let user = found.ok_or(AppError::NotFound)?;
    let presence = super::presence_of(&state, user.id)?;
    let frame = load_frame(&state, me.user.id)?;
    Ok(ok_html(views::profile_page(
        &shell(&me, &frame, &state, None, ""),
        &user,
        presence,
    )))
}
