//! Finding people and viewing their profiles.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::ok_html;
use crate::app::AppState;
use crate::auth::SignedIn;
use crate::db;
use crate::error::{AppError, is_htmx};
use crate::model::user;
use crate::views::people::{self as views, Search};

/// Far beyond any real browsing; keeps OFFSET arithmetic small.
const MAX_PAGE: usize = 10_000;
const MAX_QUERY_CHARS: usize = 100;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default = "first_page")]
    page: usize,
}

fn first_page() -> usize {
    1
}

pub async fn search(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let text: String = query.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    let page = query.page.clamp(1, MAX_PAGE);
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
    Ok(ok_html(views::search_page(
        me.lang,
        &me.user,
        &search,
        me.flash.as_deref(),
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
    Ok(ok_html(views::profile_page(
        me.lang,
        &me.user,
        &user,
        me.flash.as_deref(),
    )))
}
