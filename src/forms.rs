//! Reading request bodies and query strings into typed forms, with errors a person can act on.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Like `web::Form`, but refuses bodies that are not UTF-8 instead of silently replacing the
/// bad bytes (which would store text the user never typed), and reports every failure as a
/// page: 413 for an oversized body, 400 otherwise.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body.await.map_err(|e| {
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest("error-form-unreadable")
                }
            })?;
            if !is_utf8_form(&bytes) {
                return Err(AppError::BadRequest("error-form-encoding"));
            }
            serde_urlencoded::from_bytes(&bytes)
                .map(Form)
                .map_err(|_| AppError::BadRequest("error-form-unreadable"))
        })
    }
}

fn is_utf8_form(body: &[u8]) -> bool {
    body.split(|b| *b == b'&')
        .flat_map(|pair| pair.splitn(2, |b| *b == b'='))
        .all(|part| percent_encoding::percent_decode(part).decode_utf8().is_ok())
}

/// Query strings and path segments that do not parse (a page number that is not a number, …)
/// are the client's mistake: a 400 page, not actix's bare text.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|_, _| AppError::BadRequest("error-bad-query").into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into())
}

/// Form text as typed, minus the surrounding spaces, with line endings made uniform.
pub fn clean_text(raw: &str) -> String {
    raw.trim().replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_forms_pass_and_broken_ones_do_not() {
        assert!(is_utf8_form(b"name=caf%C3%A9&about=hello+world"));
        assert!(is_utf8_form(b""));
        assert!(!is_utf8_form(b"name=caf%E9"));
        assert!(!is_utf8_form(b"name=\xff\xfe"));
        assert!(!is_utf8_form(b"na%FFme=x"));
    }

    #[test]
    fn clean_text_trims_and_normalises_line_endings() {
        assert_eq!(clean_text("  a\r\nb\rc  "), "a\nb\nc");
    }
}
