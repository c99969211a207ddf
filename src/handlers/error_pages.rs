//! Middleware: every error, wherever it was raised, becomes a page (or an htmx fragment) in the
//! reader's language, and is logged here and nowhere else.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::error::{AppError, is_htmx};
use crate::i18n::Lang;
use crate::paths;
use crate::views;

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

/// Renders the error a response carries, if any.
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
    if let Some(detail) = app_error.fault() {
        tracing::error!(path = %res.request().path(), error = %detail, "request failed");
    }
    let response = error_response_for(res.request(), app_error);
    Ok(res.into_response(response))
}

fn error_response_for(req: &HttpRequest, error: &AppError) -> HttpResponse {
    let lang = Lang::of_request(req);
    let htmx = is_htmx(req);
    if let AppError::LoginRequired = error {
        let target = paths::login_returning_to(req);
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
    if req.path().starts_with(paths::API) {
        let mut response = HttpResponse::build(status);
        if let AppError::TokenRequired = error {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        return response.json(serde_json::json!({ "error": message }));
    }
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
