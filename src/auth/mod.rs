//! Who is asking: password hashing, server-side sessions, the signed-in user extractor, login
//! rate limits, and the cross-site request guard. No SQL strings and no HTML here.

pub mod password;
pub mod rate_limit;
pub mod session_store;
pub mod user_cache;

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, web};

use crate::db;
use crate::error::AppError;
use crate::i18n::{self, Lang, ReaderOffset};
use crate::model::{UserId, now, user};

/// What the extractors and guards here need of the server, registered as its own app data so
/// that `auth` depends on nothing above it (`state::AppState` holds the rest).
pub struct AuthContext {
    pub pool: db::Pool,
    pub users: std::sync::Arc<user_cache::UserCache>,
    /// `--trust-proxy`: believe the forwarding headers.
    pub trust_proxy: bool,
}

pub const USER_SESSION_KEY: &str = "uid";
/// Day (in days since the epoch) the session was last extended; see `SignedIn::from_request`.
const SEEN_SESSION_KEY: &str = "seen";
const FLASH_SESSION_KEY: &str = "flash";

/// Starts a fresh session for `user`: a new session id (never the one the visitor arrived with,
/// which an attacker may have planted), holding the user and their language.
pub fn sign_in(session: &Session, signed_in: &user::User) -> Result<(), AppError> {
    // The language picked before signing in, for an account that has none of its own.
    let picked = session
        .get::<String>(i18n::SESSION_KEY)
        .ok()
        .flatten()
        .and_then(|code| Lang::from_code(&code));
    session.renew();
    session.clear();
    stored(session.insert(USER_SESSION_KEY, signed_in.id))?;
    stored(session.insert(SEEN_SESSION_KEY, today()))?;
    remember_language(session, signed_in.language.or(picked))
}

fn stored(result: Result<(), actix_session::SessionInsertError>) -> Result<(), AppError> {
    result.map_err(|e| AppError::internal(format!("session: {e}")))
}

pub fn remember_language(session: &Session, language: Option<Lang>) -> Result<(), AppError> {
    match language {
        Some(lang) => stored(session.insert(i18n::SESSION_KEY, lang.code())),
        None => {
            session.remove(i18n::SESSION_KEY);
            Ok(())
        }
    }
}

/// A one-time confirmation ("Profile saved") shown on the next page, after a redirect.
pub fn flash(session: &Session, message_key: &'static str) {
    if let Err(e) = session.insert(FLASH_SESSION_KEY, message_key) {
        tracing::warn!("flash not stored: {e}");
    }
}

fn take_flash(session: &Session) -> Option<String> {
    // Only remove what is there: a removal marks the session changed, and a changed session is
    // written back to the database and re-sent as a cookie.
    session.get::<String>(FLASH_SESSION_KEY).ok().flatten()?;
    session
        .remove_as::<String>(FLASH_SESSION_KEY)
        .and_then(Result::ok)
}

fn today() -> i64 {
    now() / 86_400
}

/// The signed-in user, with the language to speak to them in and any pending confirmation.
/// Handlers that need a login take this; without one the visitor is sent to the login page.
pub struct SignedIn {
    pub user: user::User,
    pub lang: Lang,
    pub offset: ReaderOffset,
    /// The pending confirmation, already in the user's language.
    pub flash: Option<String>,
    pub session: Session,
}

/// Whoever an API request's token (`Authorization: Bearer …`) belongs to. No session and no
/// cookie: a script's requests are not a browser's, so the cross-site rules do not concern it.
pub struct ApiUser {
    pub user: user::User,
    pub lang: Lang,
}

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AuthContext>>().cloned();
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|token| session_store::stored_key(token.trim()));
        let lang = Lang::of_request(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("no auth context"))?;
            let hash = token.ok_or(AppError::TokenRequired)?;
            let found = db::run(
                &state.pool,
                move |conn| match crate::model::api_token::user_of(conn, &hash)? {
                    Some(id) => user::find(conn, id),
                    None => Ok(None),
                },
            )
            .await?;
            let user = found
                .filter(|u| !u.disabled)
                .ok_or(AppError::TokenRequired)?;
            let lang = user.language.unwrap_or(lang);
            Ok(ApiUser { user, lang })
        })
    }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AuthContext>>().cloned();
        let htmx = crate::error::is_htmx(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("no auth context"))?;
            let Some(id) = session.get::<UserId>(USER_SESSION_KEY).ok().flatten() else {
                return Err(AppError::LoginRequired);
            };
            let user = match state.users.get(id) {
                Some(user) => user,
                None => {
                    let read_during = state.users.generation();
                    let Some(user) = db::run(&state.pool, move |conn| user::find(conn, id)).await?
                    else {
                        session.purge();
                        return Err(AppError::LoginRequired);
                    };
                    state.users.put_read(&user, read_during);
                    user
                }
            };
            if user.disabled {
                session.purge();
                return Err(AppError::LoginRequired);
            }
            // Sessions last 30 days from their last change; touching the state once a day
            // keeps an active user signed in without a database write on every request.
            if session.get::<i64>(SEEN_SESSION_KEY).ok().flatten() != Some(today()) {
                let _ = session.insert(SEEN_SESSION_KEY, today());
            }
            // Fragments must not eat a confirmation meant for the next full page.
            let lang = Lang::of_request(&req);
            let flash = if htmx {
                None
            } else {
                take_flash(&session).map(|key| lang.t(&key))
            };
            Ok(SignedIn {
                lang,
                offset: ReaderOffset::of_request(&req),
                user,
                flash,
                session,
            })
        })
    }
}

/// The address login attempts are counted against. Behind a trusted proxy it is the one that
/// proxy saw: the *last* `X-Forwarded-For` entry (or `Forwarded: for=`), since a proxy appends
/// to what the client sent, and the entries before its own are the client's to invent.
pub fn client_address(req: &HttpRequest) -> Option<IpAddr> {
    address_behind(req, trusts_proxy(req))
}

fn address_behind(req: &HttpRequest, trust_proxy: bool) -> Option<IpAddr> {
    if trust_proxy && let Some(ip) = forwarded_for(req) {
        return Some(ip);
    }
    req.peer_addr().map(|a| a.ip())
}

fn forwarded_for(req: &HttpRequest) -> Option<IpAddr> {
    let last_of = |name, separator: char| {
        req.headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(separator))
            .map(str::trim)
            .rfind(|entry| !entry.is_empty())
    };
    if let Some(entry) = last_of("x-forwarded-for", ',') {
        return parse_ip(entry);
    }
    let pairs = req
        .headers()
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split([',', ';']))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| key.eq_ignore_ascii_case("for"));
    let (_, node) = pairs.last()?;
    parse_ip(
        node.trim_matches('"')
            .trim_start_matches('[')
            .split(']')
            .next()?,
    )
}

fn parse_ip(text: &str) -> Option<IpAddr> {
    text.parse()
        .ok()
        .or_else(|| text.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

/// Middleware: a state-changing request from another site is refused with 403. Browsers say
/// where a request comes from in `Sec-Fetch-Site` (or, older ones, `Origin`); requests with
/// neither (curl, scripts) carry no ambient browser credentials and pass.
pub async fn refuse_cross_site(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && is_cross_site(req.request()) {
        let refused = req.error_response(AppError::Forbidden("error-cross-site"));
        return Ok(refused.map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Whether the request was made by a page of another site (or of a sibling subdomain).
pub fn is_cross_site(req: &HttpRequest) -> bool {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        // "same-site" includes sibling subdomains, which on shared hosting belong to strangers.
        return !matches!(site, "same-origin" | "none");
    }
    if let Some(origin) = header("origin") {
        let (scheme, host) = reached_as(req);
        return !origin.eq_ignore_ascii_case(&format!("{scheme}://{host}"));
    }
    false
}

fn trusts_proxy(req: &HttpRequest) -> bool {
    req.app_data::<web::Data<AuthContext>>()
        .is_some_and(|context| context.trust_proxy)
}

/// The scheme and host the visitor used to reach us. The forwarding headers
/// (`X-Forwarded-Proto`/`-Host`, `Forwarded`) say so only with `--trust-proxy`, that is behind
/// a proxy the operator runs, which sets them; anywhere else anyone could send them.
pub fn reached_as(req: &HttpRequest) -> (String, String) {
    if trusts_proxy(req) {
        let info = req.connection_info();
        return (info.scheme().to_owned(), info.host().to_owned());
    }
    let config = req.app_config();
    let scheme = if config.secure() { "https" } else { "http" };
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or_else(|| config.host());
    (scheme.to_owned(), host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn behind_a_proxy_the_address_it_saw_counts_not_the_clients_claim() {
        let address = |headers: &[(&str, &str)], trust| {
            let mut req = TestRequest::get().peer_addr("192.0.2.1:5000".parse().unwrap());
            for (name, value) in headers {
                req = req.append_header((*name, *value));
            }
            address_behind(&req.to_http_request(), trust).map(|ip| ip.to_string())
        };
        let appended = [("x-forwarded-for", "203.0.113.7, 198.51.100.2")];
        assert_eq!(address(&appended, true).as_deref(), Some("198.51.100.2"));
        assert_eq!(address(&appended, false).as_deref(), Some("192.0.2.1"));
        let two_lines = [
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-for", "198.51.100.3"),
        ];
        assert_eq!(address(&two_lines, true).as_deref(), Some("198.51.100.3"));
        let forwarded = [(
            "forwarded",
            r#"for=203.0.113.7, for="[2001:db8::1]:4711";proto=https"#,
        )];
        assert_eq!(address(&forwarded, true).as_deref(), Some("2001:db8::1"));
        assert_eq!(address(&[], true).as_deref(), Some("192.0.2.1"));
    }

    #[test]
    fn cross_site_detection() {
        let with = |headers: &[(&str, &str)]| {
            let mut req = TestRequest::post().insert_header(("host", "chat.example.org"));
            for (name, value) in headers {
                req = req.insert_header((*name, *value));
            }
            is_cross_site(&req.to_http_request())
        };
        assert!(!with(&[]));
        assert!(!with(&[("sec-fetch-site", "same-origin")]));
        assert!(with(&[("sec-fetch-site", "cross-site")]));
        assert!(with(&[("sec-fetch-site", "same-site")]));
        assert!(!with(&[("origin", "http://chat.example.org")]));
        assert!(!with(&[("origin", "HTTP://Chat.Example.org")]));
        assert!(
            with(&[("origin", "https://chat.example.org")]),
            "scheme too"
        );
        assert!(with(&[("origin", "https://evil.example.com")]));
        assert!(with(&[("origin", "null")]));
        assert!(
            with(&[
                ("origin", "http://evil.example.com"),
                ("x-forwarded-host", "evil.example.com"),
                ("forwarded", "host=evil.example.com"),
            ]),
            "forwarding headers are not trusted without --trust-proxy"
        );
    }
}
