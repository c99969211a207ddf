//! One error type for the whole app. Handlers and extractors return it; `render_error_pages`
//! turns it into a page in the reader's language (or an htmx fragment) and logs it once.

use std::fmt;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::i18n::Lang;
use crate::views;

#[derive(Debug)]
pub enum AppError {
    /// Unknown route, unknown id, or something the current user may not see.
    NotFound,
    /// The request cannot be understood; the key names the catalog message shown to the user.
    BadRequest(&'static str),
    /// Refused on principle (a cross-site request, a page for administrators).
    Forbidden(&'static str),
    PayloadTooLarge,
    /// The request body arrived too slowly (see `forms::bound_body_time`).
    TooSlow,
    TooManyRequests(&'static str),
    /// The page needs a signed-in user; they are sent to the login page and back.
    LoginRequired,
    /// A fault on our side. The text goes to the log, never to the user.
    Internal(String),
}

impl AppError {
    pub fn internal(detail: impl Into<String>) -> Self {
        AppError::Internal(detail.into())
    }

    fn message_key(&self) -> &'static str {
        match self {
            AppError::NotFound => "error-not-found",
            AppError::BadRequest(key)
            | AppError::Forbidden(key)
            | AppError::TooManyRequests(key) => key,
            AppError::PayloadTooLarge => "error-too-large",
            AppError::TooSlow => "error-too-slow",
            AppError::LoginRequired => "error-login-required",
            AppError::Internal(_) => "error-internal",
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Internal(detail) => write!(f, "internal error: {detail}"),
            other => write!(f, "{}", other.message_key()),
        }
    }
}

impl std::error::Error for AppError {}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooSlow => StatusCode::REQUEST_TIMEOUT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::LoginRequired => StatusCode::UNAUTHORIZED,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A bare response; the middleware below replaces it with the real page. It is what a
    /// caller outside the app (a unit test) sees.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).body(self.message_key())
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Internal(format!("database: {e}"))
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::Internal(format!("database pool: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(format!("blocking pool: {e}"))
    }
}

/// Maps errors raised outside our code (actix's extractors, routing) to ours by status.
fn from_status(status: StatusCode) -> AppError {
    match status {
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => AppError::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        StatusCode::REQUEST_TIMEOUT => AppError::TooSlow,
        StatusCode::FORBIDDEN => AppError::Forbidden("error-forbidden"),
        StatusCode::TOO_MANY_REQUESTS => AppError::TooManyRequests("error-too-many-requests"),
        s if s.is_client_error() => AppError::BadRequest("error-bad-request"),
        s => AppError::Internal(format!("unhandled status {s}")),
    }
}

pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("hx-request")
}

/// Middleware: every error, wherever it was raised, becomes a page (or an htmx fragment) in the
/// reader's language, and is logged here and nowhere else.
pub async fn render_error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Only after the call: a clone held across it would stop the router from writing the
    // matched path into the request.
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(err) = res.response().error() else {
        return Ok(res);
    };
    let owned;
    let app_error = match err.as_error::<AppError>() {
        Some(e) => e,
        None => {
            owned = from_status(res.status());
            &owned
        }
    };
    if let AppError::Internal(detail) = app_error {
        tracing::error!(path = %res.request().path(), error = %detail, "request failed");
    }
    let response = error_response_for(res.request(), app_error);
    Ok(res.into_response(response))
}

fn error_response_for(req: &HttpRequest, error: &AppError) -> HttpResponse {
    let lang = Lang::of_request(req);
    let htmx = is_htmx(req);
    if let AppError::LoginRequired = error {
        let target = crate::paths::login_returning_to(req);
        return if htmx {
            HttpResponse::Unauthorized()
                .insert_header(("HX-Redirect", target))
                .finish()
        } else {
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish()
        };
    }
    let status = error.status_code();
    let message = lang.t(error.message_key());
    if htmx {
        // Fragments land in the page's alert region, whatever the request targeted.
        HttpResponse::build(status)
            .insert_header(("HX-Retarget", "#alerts"))
            .insert_header(("HX-Reswap", "innerHTML"))
            .content_type("text/html; charset=utf-8")
            .body(views::errors::alert_fragment(&message).into_string())
    } else {
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(views::errors::error_page(lang, status, &message).into_string())
    }
}
