//! Reading request bodies and query strings into typed forms, with errors a person can act on.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::Stream;

type BoxedPayloadStream = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;
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
                } else if too_slow(&e) {
                    AppError::TooSlow
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

/// However slowly a body is sent, it must arrive at this average rate, after a grace period:
/// a 10 MB upload on a 64 kbit/s line still passes, a body trickled a byte a second does not
/// keep its connection and its worker's attention for as long as the client likes.
const BODY_MIN_BYTES_PER_SECOND: u64 = 8 * 1024;
const BODY_GRACE: Duration = Duration::from_secs(10);

/// Middleware: bounds the time to receive a request body (headers are bounded by actix's
/// `client_request_timeout`). A body too slow gets 408 from whatever reads it.
pub async fn bound_body_time(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let payload = req.take_payload();
    if matches!(payload, Payload::None) {
        req.set_payload(payload);
    } else {
        let paced: BoxedPayloadStream = Box::pin(Paced {
            inner: payload,
            deadline: Box::pin(tokio::time::sleep(BODY_GRACE)),
            started: tokio::time::Instant::now(),
            received: 0,
        });
        req.set_payload(Payload::from(paced));
    }
    next.call(req).await
}

/// A request body that fails with `TimedOut` once it falls behind
/// `BODY_GRACE + received / BODY_MIN_BYTES_PER_SECOND`.
struct Paced<S> {
    inner: S,
    deadline: Pin<Box<tokio::time::Sleep>>,
    started: tokio::time::Instant,
    received: u64,
}

impl<S> Stream for Paced<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                let earned = Duration::from_millis(
                    this.received.saturating_mul(1000) / BODY_MIN_BYTES_PER_SECOND,
                );
                this.deadline
                    .as_mut()
                    .reset(this.started + BODY_GRACE + earned);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "request body sent too slowly",
                ))))),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

fn too_slow(error: &actix_web::Error) -> bool {
    matches!(
        error.as_error::<PayloadError>(),
        Some(PayloadError::Io(e)) if e.kind() == io::ErrorKind::TimedOut
    )
}

/// The page a paged list opens on when the query names none (`#[serde(default = …)]`).
pub fn first_page() -> usize {
    1
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
