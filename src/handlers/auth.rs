//! Logging in and out, and creating accounts.

use std::str::FromStr;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::uri::PathAndQuery;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{html, load_frame, ok_html, see_other, shell};
use crate::app::AppState;
use crate::auth::{self, SignedIn, USER_SESSION_KEY, password};
use crate::config::Registration;
use crate::db;
use crate::error::AppError;
use crate::forms::Form;
use crate::i18n::Lang;
use crate::model::{FieldError, UserId, user};
use crate::views::account::{self as views, LoginForm, SignupForm};

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

/// Where to send a visitor who must log in first, so that they come back to what they asked.
pub fn login_url_returning_to(req: &HttpRequest) -> String {
    let wanted = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    if req.method() != actix_web::http::Method::GET || wanted == "/" {
        return "/login".to_owned();
    }
    let encoded = percent_encoding::utf8_percent_encode(wanted, percent_encoding::NON_ALPHANUMERIC);
    format!("/login?next={encoded}")
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
    let address = auth::client_address(&req, state.trust_proxy);
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
    auth::sign_in(&session, &account)?;
    tracing::info!(user = %account.id, "signed in");
    Ok(see_other(next_or_home(&next)))
}

pub async fn logout(session: Session) -> HttpResponse {
    session.purge();
    see_other("/login")
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignupFields {
    username: String,
    display_name: String,
    password: String,
}

/// Anyone may sign up while registration is open; an administrator may always create accounts.
pub async fn signup_form(
    signed_in: Option<SignedIn>,
    lang: Lang,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let empty = SignupForm {
        username: "",
        display_name: "",
        errors: &[],
        by_admin: false,
    };
    Ok(match signed_in {
        Some(me) if me.user.is_admin => {
            let frame = load_frame(&state, me.user.id).await?;
            ok_html(views::admin_signup_page(
                &shell(&me, &frame, &state, None, ""),
                &SignupForm {
                    by_admin: true,
                    ..empty
                },
            ))
        }
        Some(_) => see_other("/"),
        None if state.registration == Registration::Open => {
            ok_html(views::signup_page(lang, &empty))
        }
        None => ok_html(views::registration_closed_page(lang)),
    })
}

pub async fn signup(
    req: HttpRequest,
    signed_in: Option<SignedIn>,
    session: Session,
    lang: Lang,
    state: web::Data<AppState>,
    Form(fields): Form<SignupFields>,
) -> Result<HttpResponse, AppError> {
    let admin = signed_in.filter(|me| me.user.is_admin);
    if admin.is_none() && state.registration == Registration::Closed {
        return Ok(html(
            StatusCode::FORBIDDEN,
            views::registration_closed_page(lang),
        ));
    }
    let frame = match &admin {
        Some(me) => Some(load_frame(&state, me.user.id).await?),
        None => None,
    };
    let rerender = |status: StatusCode, errors: &[FieldError]| {
        let form = SignupForm {
            username: &fields.username,
            display_name: &fields.display_name,
            errors,
            by_admin: admin.is_some(),
        };
        html(
            status,
            match (&admin, &frame) {
                (Some(me), Some(frame)) => {
                    views::admin_signup_page(&shell(me, frame, &state, None, ""), &form)
                }
                _ => views::signup_page(lang, &form),
            },
        )
    };
    let address = auth::client_address(&req, state.trust_proxy);
    if admin.is_none() && !state.login_limiter.allow_signup(address) {
        let slow_down = FieldError::new("username", "error-too-many-signups");
        return Ok(rerender(StatusCode::TOO_MANY_REQUESTS, &[slow_down]));
    }
    let username = user::normalise_username(&fields.username);
    let display_name = user::normalise_display_name(&fields.display_name);
    let password_ok = user::check_new_password("password", &fields.password);
    let errors: Vec<FieldError> = [
        username.as_ref().err(),
        display_name.as_ref().err(),
        password_ok.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    let (Ok(username), Ok(display_name), true) = (username, display_name, errors.is_empty()) else {
        return Ok(rerender(StatusCode::UNPROCESSABLE_ENTITY, &errors));
    };
    let password_hash = password::hash(fields.password.clone()).await?;
    let new = user::NewUser {
        username,
        display_name,
        password_hash,
        admin: false,
    };
    let created = match db::run(&state.pool, move |conn| user::create(conn, &new)).await? {
        Ok(created) => created,
        Err(taken) => {
            if admin.is_none() {
                state.login_limiter.told_taken(address);
            }
            return Ok(rerender(StatusCode::UNPROCESSABLE_ENTITY, &[taken]));
        }
    };
    tracing::info!(user = %created.id, by_admin = admin.is_some(), "account created");
    match admin {
        Some(me) => {
            auth::flash(&me.session, "flash-account-created");
            Ok(see_other(&format!("/u/{}", created.username)))
        }
        None => {
            auth::sign_in(&session, &created)?;
            auth::flash(&session, "flash-welcome");
            Ok(see_other("/"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
