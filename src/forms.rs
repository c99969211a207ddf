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
        let body = body_of(req, payload);
        Box::pin(async move {
            let bytes = body.await?;
            if !is_utf8_form(&bytes) {
                return Err(AppError::BadRequest("error-form-encoding"));
            }
            serde_urlencoded::from_bytes(&bytes)
                .map(Form)
                .map_err(|_| AppError::BadRequest("error-form-unreadable"))
        })
    }
}

/// A JSON body, read within the same limits as a form.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = body_of(req, payload);
        Box::pin(async move {
            serde_json::from_slice(&body.await?)
                .map(Json)
                .map_err(|_| AppError::BadRequest("error-json-unreadable"))
        })
    }
}

/// Fields sent as JSON (`Content-Type: application/json`) or as a form, as scripts do either.
pub async fn json_or_form<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, AppError> {
    let is_json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let mut payload = payload.into_inner();
    if is_json {
        Ok(Json::<T>::from_request(req, &mut payload).await?.0)
    } else {
        Ok(Form::<T>::from_request(req, &mut payload).await?.0)
    }
}

/// The request's body, within the configured size and the time `bound_body_time` allows.
fn body_of(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<Bytes, AppError>> + use<> {
    let body = web::Bytes::from_request(req, payload);
    async move {
        body.await.map_err(|e| {
            if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else if too_slow(&e) {
                AppError::TooSlow
            } else {
                AppError::BadRequest("error-form-unreadable")
            }
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

/// A multipart form: its text fields and its files.
#[derive(Default)]
pub struct Received {
    pub fields: Vec<(String, String)>,
    pub files: Vec<crate::media::Incoming>,
}

impl Received {
    pub fn text(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Why a multipart form was not taken whole, with what was read of it before (so that the
/// draft comes back to its author).
pub struct Refused {
    pub received: Received,
    pub error: crate::model::FieldError,
    pub status: StatusCode,
}

/// What a multipart form may hold.
pub struct MultipartLimits<'a> {
    pub incoming: &'a std::path::Path,
    pub file_field: &'static str,
    pub max_file: u64,
    pub max_files: usize,
}

/// Text fields are a message, a title: far below this.
const TEXT_FIELD_MAX: usize = 64 * 1024;
const TEXT_FIELDS_MAX: usize = 16;
/// After refusing a file, this much more of the body is read and thrown away, so that the
/// browser, still sending, reads the answer instead of a reset connection.
const DRAIN_MAX: u64 = 64 << 20;

/// Reads a multipart body, streaming each file to a temporary file: a request never holds an
/// upload in memory. A file over the limit, or one file too many, stops the reading with a
/// `Refused` (413 or 422) and every temporary file removed; a body that is not a well-formed
/// multipart form is a 400.
pub async fn read_multipart(
    req: &HttpRequest,
    payload: Payload,
    limits: &MultipartLimits<'_>,
) -> Result<Result<Received, Refused>, AppError> {
    use futures_util::StreamExt;
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let mut received = Received::default();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        match file_name {
            Some(raw_name) if name == limits.file_field => {
                let mut temp = tempfile::Builder::new()
                    .prefix("upload-")
                    .tempfile_in(limits.incoming)
                    .map_err(|e| AppError::io("cannot receive a file", &e))?;
                let mut size = 0u64;
                let mut too_large = false;
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(multipart_error)?;
                    size += chunk.len() as u64;
                    if size > limits.max_file {
                        too_large = true;
                        break;
                    }
                    // Small writes to the page cache: cheaper than a trip to another thread.
                    io::Write::write_all(&mut temp, &chunk)
                        .map_err(|e| AppError::io("cannot receive a file", &e))?;
                }
                // A browser sends an empty, nameless part for a file input left empty.
                if raw_name.is_empty() && size == 0 {
                    continue;
                }
                let refusal = if too_large {
                    Some(("error-upload-too-large", StatusCode::PAYLOAD_TOO_LARGE))
                } else if received.files.len() == limits.max_files {
                    Some(("error-upload-too-many", StatusCode::UNPROCESSABLE_ENTITY))
                } else {
                    None
                };
                if let Some((message, status)) = refusal {
                    drop((temp, field));
                    drain(&mut form).await;
                    received.files.clear();
                    let name = crate::media::clean_name(&raw_name);
                    return Ok(Err(Refused {
                        received,
                        error: crate::model::FieldError {
                            field: limits.file_field,
                            message,
                            detail: Some(name),
                        },
                        status,
                    }));
                }
                received.files.push(crate::media::Incoming {
                    raw_name,
                    size,
                    temp: temp.into_temp_path(),
                });
            }
            // A file where text is expected, or text where a file is: not our form.
            Some(_) => return Err(AppError::BadRequest("error-form-unreadable")),
            None if name == limits.file_field => {
                return Err(AppError::BadRequest("error-form-unreadable"));
            }
            None => {
                let mut value = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(multipart_error)?;
                    if value.len() + chunk.len() > TEXT_FIELD_MAX {
                        return Err(AppError::PayloadTooLarge);
                    }
                    value.extend_from_slice(&chunk);
                }
                let value = String::from_utf8(value)
                    .map_err(|_| AppError::BadRequest("error-form-encoding"))?;
                if received.fields.len() == TEXT_FIELDS_MAX {
                    return Err(AppError::BadRequest("error-form-unreadable"));
                }
                received.fields.push((name, value));
            }
        }
    }
    Ok(Ok(received))
}

/// Reads what is left of a refused body, up to `DRAIN_MAX`, and throws it away.
async fn drain(form: &mut actix_multipart::Multipart) {
    use futures_util::StreamExt;
    let mut thrown = 0u64;
    while let Some(Ok(mut field)) = form.next().await {
        while let Some(Ok(chunk)) = field.next().await {
            thrown += chunk.len() as u64;
            if thrown > DRAIN_MAX {
                return;
            }
        }
    }
}

fn multipart_error(error: actix_multipart::MultipartError) -> AppError {
    match error {
        actix_multipart::MultipartError::Payload(PayloadError::Io(e))
            if e.kind() == io::ErrorKind::TimedOut =>
        {
            AppError::TooSlow
        }
        _ => AppError::BadRequest("error-form-unreadable"),
    }
}

/// Whether a request's body is a multipart form (a form with a file input).
pub fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
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

/// Form text as typed, minus the surrounding spaces, with line endings made uniform and
/// without the control characters nobody types (line breaks and tabs stay): a NUL is also text
/// PostgreSQL refuses to store.
pub fn clean_text(raw: &str) -> String {
    let text: String = raw
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    text.trim().to_owned()
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
