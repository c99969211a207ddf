//! Message search: every conversation of the reader's, or the one named by `c`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{load_frame, ok_html, shell};
use crate::auth::SignedIn;
use crate::db;
use crate::error::{AppError, is_htmx};
use crate::model::ConversationId;
use crate::model::search;
use crate::state::AppState;
use crate::views::search::{self as views, MessageSearch};

/// Far beyond any real browsing; keeps OFFSET arithmetic small.
const MAX_PAGE: usize = 500;
const MAX_QUERY_CHARS: usize = 200;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    c: Option<i64>,
    #[serde(default = "crate::forms::first_page")]
    page: usize,
}

pub async fn messages(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let typed: String = query.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    let page = query.page.clamp(1, MAX_PAGE);
    let within = query.c.map(ConversationId);
    let user = me.user.id;
    let needle = typed.clone();
    // On the pool: a search's cost grows with the history, unlike a page's reads.
    let results = db::run(&state.pool, move |conn| {
        search::messages(conn, user, &needle, within, page)
    })
    .await?;
    let view = MessageSearch {
        typed: &typed,
        within: within.zip(results.within_title.as_deref()),
        page,
        results: (!typed.is_empty()).then_some(&results),
    };
    if is_htmx(&req) {
        return Ok(ok_html(views::results_fragment(me.lang, &view)));
    }
    let frame = load_frame(&state, me.user.id)?;
    Ok(ok_html(views::search_page(
        &shell(&me, &frame, &state, None, ""),
        &view,
    )))
}
