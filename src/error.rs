//! One error type for the whole app. Handlers and extractors return it;
//! `handlers::error_pages` turns it into a page in the reader's language (or an htmx fragment)
//! and logs it once. It depends on nothing of ours, so every module may use it.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

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
    /// An API request without a good token (`Authorization: Bearer …`).
    TokenRequired,
    /// The disk (or the account's quota) is full: nothing was saved, and saying so tells the
    /// person that trying later can work. The text goes to the log for the operator.
    StorageFull(String),
    /// A fault on our side. The text goes to the log, never to the user.
    Internal(String),
}

impl AppError {
    pub fn internal(detail: impl Into<String>) -> Self {
        AppError::Internal(detail.into())
    }

    /// A failed read or write of our files, told apart when the disk is full.
    pub fn io(doing: &str, e: &std::io::Error) -> Self {
        let detail = format!("{doing}: {e}");
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                AppError::StorageFull(detail)
            }
            _ => AppError::Internal(detail),
        }
    }

    /// What the operator's log says of it, if it is a fault rather than a refusal.
    pub fn fault(&self) -> Option<&str> {
        match self {
            AppError::Internal(detail) | AppError::StorageFull(detail) => Some(detail),
            _ => None,
        }
    }

    /// The catalog key of the message shown to the user.
    pub fn message_key(&self) -> &'static str {
        match self {
            AppError::NotFound => "error-not-found",
            AppError::BadRequest(key)
            | AppError::Forbidden(key)
            | AppError::TooManyRequests(key) => key,
            AppError::PayloadTooLarge => "error-too-large",
            AppError::TooSlow => "error-too-slow",
            AppError::LoginRequired => "error-login-required",
            AppError::TokenRequired => "error-token-required",
            AppError::StorageFull(_) => "error-storage-full",
            AppError::Internal(_) => "error-internal",
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Internal(detail) => write!(f, "internal error: {detail}"),
            AppError::StorageFull(detail) => write!(f, "storage full: {detail}"),
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
            AppError::LoginRequired | AppError::TokenRequired => StatusCode::UNAUTHORIZED,
            AppError::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
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
        let detail = format!("database: {e}");
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            AppError::StorageFull(detail)
        } else {
            AppError::Internal(detail)
        }
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

pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("hx-request")
}
