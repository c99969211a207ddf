//! Request handlers: parse → authorise by scoped lookup → model → view. Short functions; no SQL
//! and no HTML of their own.

pub mod account;
pub mod auth;
pub mod home;
pub mod people;

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use maud::Markup;

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

pub fn html(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

pub fn ok_html(markup: Markup) -> HttpResponse {
    html(StatusCode::OK, markup)
}

/// A form that broke a rule comes back with the user's input and the reasons.
pub fn invalid_form(markup: Markup) -> HttpResponse {
    html(StatusCode::UNPROCESSABLE_ENTITY, markup)
}
