//! Logging in and out.

use std::str::FromStr;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::uri::PathAndQuery;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{html, ok_html, see_other};
use crate::auth::{self, USER_SESSION_KEY, password};
use crate::config::Registration;
use crate::db;
use crate::error::AppError;
use crate::forms::Form;
use crate::i18n::Lang;
use crate::model::{UserId, push, user};
use crate::paths;
use crate::state::AppState;
use crate::views::account::{self as views, LoginForm};

/// Only a path on this site is followed after login, never another origin. Every character
/// must be a printable URL character: browsers drop tabs and line breaks from a `Location`, so
/// `/\t/evil.example` would take them to `//evil.example`, and control characters cannot go in
/// a header at all. The redirect is built from the parsed path, not from the text as given.
fn safe_next(next: &str) -> Option<PathAndQuery> {
    let printable = next.bytes().all(|b| b.is_ascii_graphic());
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if !printable || !local {
        return None;
    }
    PathAndQuery::from_str(next)
        .ok()
        .filter(|parsed| parsed.path().starts_with('/') && !parsed.path().starts_with("//"))
}

fn next_or_home(next: &Option<PathAndQuery>) -> &str {
    next.as_ref().map_or("/", PathAndQuery::as_str)
}

fn is_signed_in(session: &Session) -> bool {
    matches!(session.get::<UserId>(USER_SESSION_KEY), Ok(Some(_)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

pub async fn login_form(
    session: Session,
    lang: Lang,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> HttpResponse {
    let next = safe_next(&query.next);
    if is_signed_in(&session) {
        return see_other(next_or_home(&next));
    }
    ok_html(views::login_page(
        lang,
        &LoginForm {
            username: "",
            next: next.as_ref().map(PathAndQuery::as_str),
            problem: None,
            registration_open: state.registration == Registration::Open,
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginFields {
    username: String,
    password: String,
    next: String,
}

pub async fn login(
    req: HttpRequest,
    session: Session,
    lang: Lang,
    state: web::Data<AppState>,
    Form(fields): Form<LoginFields>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(&fields.next);
    let refuse = |problem, status| {
        html(
            status,
            views::login_page(
                lang,
                &LoginForm {
                    username: &fields.username,
                    next: next.as_ref().map(PathAndQuery::as_str),
                    problem: Some(problem),
                    registration_open: state.registration == Registration::Open,
                },
            ),
        )
    };
    let address = auth::client_address(&req);
    if !state.login_limiter.allow(address, &fields.username) {
        return Ok(refuse(
            "error-too-many-logins",
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let username = fields.username.trim().to_lowercase();
    let found = db::run(&state.pool, move |conn| user::credentials(conn, &username)).await?;
    let (account, stored_hash) = found.unzip();
    let matches = password::verify(fields.password.clone(), stored_hash).await?;
    let Some(account) = account.filter(|_| matches) else {
        state.login_limiter.failed(address, &fields.username);
        // The same words whether the name or the password was wrong: no account probing.
        return Ok(refuse("error-login-failed", StatusCode::UNAUTHORIZED));
    };
    // Said only to whoever knows the password: nobody else learns the account is there.
    if account.disabled {
        return Ok(refuse("error-account-disabled", StatusCode::FORBIDDEN));
    }
    auth::sign_in(&session, &account)?;
    tracing::info!(user = %account.id, "signed in");
    Ok(see_other(next_or_home(&next)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LanguageFields {
    language: String,
    next: String,
}

/// A visitor's choice of language (the picker of the login and sign-up pages), kept in their
/// session; signing in keeps it unless the account has a language of its own.
pub async fn choose_language(
    session: Session,
    Form(fields): Form<LanguageFields>,
) -> Result<HttpResponse, AppError> {
    let language =
        Lang::from_code(&fields.language).ok_or(AppError::BadRequest("error-bad-request"))?;
    auth::remember_language(&session, Some(language))?;
    let next = safe_next(&fields.next);
    Ok(see_other(
        next.as_ref().map_or(paths::LOGIN, PathAndQuery::as_str),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogoutFields {
    /// This browser's Web Push subscription (app.js adds it): it stops with the session.
    push_endpoint: String,
}

pub async fn logout(
    session: Session,
    state: web::Data<AppState>,
    Form(fields): Form<LogoutFields>,
) -> Result<HttpResponse, AppError> {
    let user = session.get::<UserId>(USER_SESSION_KEY).ok().flatten();
    if let (Some(user), false) = (user, fields.push_endpoint.is_empty()) {
        db::run(&state.pool, move |conn| {
            push::remove_endpoint(conn, user, &fields.push_endpoint)
        })
        .await?;
    }
    session.purge();
    Ok(see_other(paths::LOGIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Whatever `next` says, what is followed is a plain path on this site.
    #[test]
    fn any_next_followed_is_a_local_path() {
        let tricky = "[/\\\\\t\n\r a-z.:@%?#&=\u{0}\u{202e}]{0,20}";
        proptest::proptest!(|(next in proptest::prop_oneof![proptest::arbitrary::any::<String>(), tricky])| {
            if let Some(followed) = safe_next(&next) {
                let path = followed.as_str();
                proptest::prop_assert!(path.starts_with('/') && !path.starts_with("//"), "{next:?} → {path}");
                proptest::prop_assert!(!path.contains('\\') && path.bytes().all(|b| b.is_ascii_graphic()), "{next:?} → {path}");
            }
        });
    }

    #[test]
    fn only_local_paths_are_followed_after_login() {
        let followed = |next: &str| safe_next(next).map(|p| p.as_str().to_owned());
        assert_eq!(followed("/users?q=a").as_deref(), Some("/users?q=a"));
        assert_eq!(
            followed("/c/1?before=20#m5").as_deref(),
            Some("/c/1?before=20")
        );
        for refused in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/\u{b}/evil.example",
            "/\0",
            "/ /evil.example",
            "/caf\u{e9}",
        ] {
            assert_eq!(followed(refused), None, "{refused:?}");
        }
    }
}
