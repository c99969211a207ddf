//! Brotli for answers whose whole body is text in memory (pages, fragments, JSON), with a window
//! the size of the body.
//!
//! actix's `Compress` runs Brotli at quality 3 with a 4 MiB window whatever the body: for a
//! 36 KB page that is half a millisecond of CPU, three times what output of the same size costs
//! with a window fitted to the page, and three times all the rest of the page's work. Browsers
//! all take Brotli, so every page view paid it. Everything else (gzip, deflate, files, streams,
//! pictures) stays with `Compress`, which leaves an answer that already has a `Content-Encoding`
//! alone, and so do bodies too large to encode without holding up the worker thread.

use actix_web::HttpRequest;
use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::ResponseHead;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, AcceptEncoding, Encoding, Header, HeaderValue};
use actix_web::web::Bytes;

/// The quality `Compress` uses, so that what a browser downloads stays the same.
const QUALITY: i32 = 3;
/// Brotli's smallest and largest windows (log2 of bytes); `Compress` always takes the largest.
const WINDOW_LEAST: u32 = 10;
const WINDOW_MOST: u32 = 22;
/// Encoding runs on the worker thread, where other connections wait meanwhile: about a
/// millisecond at most. Larger bodies go to `Compress`, which encodes on the blocking pool.
const LARGEST_ENCODED_HERE: u64 = 256 * 1024;

/// What `Compress` supports, for the same choice among what the request accepts.
const SUPPORTED: [Encoding; 4] = [
    Encoding::identity(),
    Encoding::brotli(),
    Encoding::gzip(),
    Encoding::deflate(),
];

/// Whether `Compress` would answer this request in Brotli.
pub fn wants_brotli(req: &HttpRequest) -> bool {
    AcceptEncoding::parse(req)
        .is_ok_and(|accepted| accepted.negotiate(SUPPORTED.iter()) == Some(Encoding::brotli()))
}

/// The body in Brotli, with `Content-Encoding` and `Vary` set, when it is text held whole in
/// memory and the request takes Brotli; otherwise the body unchanged, for `Compress`. The
/// request's encodings are read last, only for a body that could go in Brotli.
pub fn in_brotli<B: MessageBody>(
    req: &HttpRequest,
    head: &mut ResponseHead,
    body: B,
) -> EitherBody<B, Bytes> {
    let encodable = matches!(body.size(), BodySize::Sized(len) if len > 0 && len <= LARGEST_ENCODED_HERE)
        && !head.headers.contains_key(header::CONTENT_ENCODING)
        && !matches!(
            head.status,
            StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT
        )
        && head.headers.get(header::CONTENT_TYPE).is_some_and(is_text)
        && wants_brotli(req);
    if !encodable {
        return EitherBody::left(body);
    }
    let whole = match body.try_into_bytes() {
        Ok(whole) => whole,
        Err(body) => return EitherBody::left(body),
    };
    match encode(&whole) {
        Some(encoded) => {
            head.headers
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
            head.headers
                .append(header::VARY, HeaderValue::from_static("accept-encoding"));
            EitherBody::right(Bytes::from(encoded))
        }
        None => EitherBody::right(whole),
    }
}

fn is_text(content_type: &HeaderValue) -> bool {
    let essence = content_type
        .as_bytes()
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let is = |name: &[u8]| essence.eq_ignore_ascii_case(name);
    let ends = |suffix: &[u8]| {
        essence.len() >= suffix.len()
            && essence[essence.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    (essence.len() >= 5 && essence[..5].eq_ignore_ascii_case(b"text/"))
        || ends(b"+json")
        || ends(b"+xml")
        || is(b"application/json")
        || is(b"application/javascript")
}

/// The smallest window that holds the whole body (a window of 2^w bytes holds 2^w − 16): the
/// output is the same as with the largest.
fn window_for(len: usize) -> u32 {
    let bits = usize::BITS - len.saturating_add(15).leading_zeros();
    bits.clamp(WINDOW_LEAST, WINDOW_MOST)
}

fn encode(whole: &[u8]) -> Option<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: QUALITY,
        lgwin: window_for(whole.len()) as i32,
        size_hint: whole.len(),
        ..Default::default()
    };
    let mut encoded = Vec::with_capacity(whole.len() / 4 + 64);
    // Writing to memory cannot fail; an error here would be the encoder's own, and the body then
    // goes out as it is.
    brotli::BrotliCompress(&mut &whole[..], &mut encoded, &params).ok()?;
    Some(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;
    use actix_web::test::TestRequest;

    fn head(content_type: &'static str) -> ResponseHead {
        let mut head = ResponseHead::new(StatusCode::OK);
        head.headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        head
    }

    fn browser() -> HttpRequest {
        TestRequest::default()
            .insert_header((header::ACCEPT_ENCODING, "gzip, deflate, br, zstd"))
            .to_http_request()
    }

    fn decoded(encoded: &[u8]) -> Vec<u8> {
        let mut plain = Vec::new();
        brotli::BrotliDecompress(&mut &encoded[..], &mut plain).expect("valid Brotli");
        plain
    }

    #[test]
    fn browsers_get_brotli_and_others_what_compress_chooses() {
        let asking = |accepted: &str| {
            wants_brotli(
                &TestRequest::default()
                    .insert_header((header::ACCEPT_ENCODING, accepted))
                    .to_http_request(),
            )
        };
        assert!(asking("gzip, deflate, br, zstd"), "Chromium");
        assert!(asking("gzip, deflate, br"), "Firefox and Safari");
        assert!(!asking("gzip"));
        assert!(!asking("br;q=0.5, gzip"), "the request's preference counts");
        assert!(!asking("identity"));
        assert!(!wants_brotli(&TestRequest::default().to_http_request()));
    }

    #[actix_web::test]
    async fn a_page_is_the_same_page_once_decoded_and_says_how_it_was_encoded() {
        let page = "<!DOCTYPE html><p>Bonjour, ça va ?</p>".repeat(2_000);
        let mut head = head("text/html; charset=utf-8");
        let body = in_brotli(&browser(), &mut head, page.clone());
        let encoded = to_bytes(body).await.expect("in memory");
        assert!(encoded.len() < page.len() / 10, "{} bytes", encoded.len());
        assert_eq!(decoded(&encoded), page.as_bytes());
        assert_eq!(head.headers.get(header::CONTENT_ENCODING).unwrap(), "br");
        assert_eq!(head.headers.get(header::VARY).unwrap(), "accept-encoding");
    }

    #[actix_web::test]
    async fn pictures_encoded_large_and_empty_bodies_are_left_as_they_are() {
        let bytes = "x".repeat(4_000);
        for (mut head, why) in [
            (head("image/png"), "a picture"),
            (
                {
                    let mut gzipped = head("text/html");
                    gzipped
                        .headers
                        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                    gzipped
                },
                "already gzip (a shared poll answer)",
            ),
            (ResponseHead::new(StatusCode::OK), "no type"),
        ] {
            let body = in_brotli(&browser(), &mut head, bytes.clone());
            assert_eq!(to_bytes(body).await.unwrap(), bytes.as_bytes(), "{why}");
            assert_ne!(
                head.headers
                    .get(header::CONTENT_ENCODING)
                    .map(|v| v.as_bytes()),
                Some(&b"br"[..]),
                "{why}"
            );
        }
        let large = "x".repeat(LARGEST_ENCODED_HERE as usize + 1);
        let mut for_compress = head("text/html");
        let body = in_brotli(&browser(), &mut for_compress, large.clone());
        assert_eq!(
            to_bytes(body).await.unwrap(),
            large.as_bytes(),
            "left to Compress"
        );
        assert!(!for_compress.headers.contains_key(header::CONTENT_ENCODING));

        let mut empty = head("text/html");
        let body = in_brotli(&browser(), &mut empty, String::new());
        assert!(to_bytes(body).await.unwrap().is_empty());
        assert!(!empty.headers.contains_key(header::CONTENT_ENCODING));
    }

    #[test]
    fn the_window_holds_the_whole_body_and_stays_within_brotli_s_bounds() {
        assert_eq!(window_for(1), WINDOW_LEAST);
        assert_eq!(window_for(36 * 1024), 16);
        assert_eq!(window_for(64 * 1024 - 16), 16);
        assert_eq!(window_for(64 * 1024 - 15), 17);
        assert_eq!(window_for(100 << 20), WINDOW_MOST);
    }
}
