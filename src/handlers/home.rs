use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{load_frame, ok_html, shell};
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::home::home_page;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HomeQuery {
    /// Narrows the conversation list (the filter box without JavaScript).
    filter: String,
}

pub async fn home(
    me: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<HomeQuery>,
) -> Result<HttpResponse, AppError> {
    let frame = load_frame(&state, me.user.id)?;
    Ok(ok_html(home_page(&shell(
        &me,
        &frame,
        &state,
        None,
        &query.filter,
    ))))
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}
