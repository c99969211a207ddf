//! Creating accounts: a visitor signing up (which signs them in, and gives them the welcome
//! conversation, made by `user::create`), or an administrator creating one for someone.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{html, load_frame, ok_html, see_other, shell};
use crate::auth::{self, SignedIn, password};
use crate::config::Registration;
use crate::db;
use crate::error::AppError;
use crate::forms::Form;
use crate::i18n::Lang;
use crate::model::{FieldError, invite, user};
use crate::paths;
use crate::state::AppState;
use crate::views::account::{self as views, SignupForm};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignupFields {
    username: String,
    display_name: String,
    password: String,
    invite: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignupQuery {
    invite: String,
}

/// The stored form of an invitation's key, if the visitor brought one that is still open.
async fn open_invite(state: &AppState, key: &str) -> Result<Option<String>, AppError> {
    if key.is_empty() {
        return Ok(None);
    }
    let hash = auth::session_store::stored_key(key);
    let probe = hash.clone();
    let open = db::run(&state.pool, move |conn| invite::is_open(conn, &probe)).await?;
    Ok(open.then_some(hash))
}

/// Anyone may sign up while registration is open, or with an invitation; an administrator may
/// always create accounts.
pub async fn signup_form(
    signed_in: Option<SignedIn>,
    lang: Lang,
    state: web::Data<AppState>,
    query: web::Query<SignupQuery>,
) -> Result<HttpResponse, AppError> {
    let empty = SignupForm {
        username: "",
        display_name: "",
        errors: &[],
        by_admin: false,
        invite: None,
    };
    Ok(match signed_in {
        Some(me) if me.user.is_admin => {
            let frame = load_frame(&state, me.user.id)?;
            ok_html(views::admin_signup_page(
                &shell(&me, &frame, &state, None, ""),
                &SignupForm {
                    by_admin: true,
                    ..empty
                },
            ))
        }
        Some(_) => see_other(paths::HOME),
        None if state.registration == Registration::Open => {
            ok_html(views::signup_page(lang, &empty))
        }
        None if query.invite.is_empty() => {
            ok_html(views::registration_closed_page(lang, "signup-closed-text"))
        }
        None => match open_invite(&state, &query.invite).await? {
            Some(_) => ok_html(views::signup_page(
                lang,
                &SignupForm {
                    invite: Some(&query.invite),
                    ..empty
                },
            )),
            None => html(
                StatusCode::GONE,
                views::registration_closed_page(lang, "error-invite-used"),
            ),
        },
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
    let invite = if admin.is_none() && state.registration == Registration::Closed {
        let Some(invite) = open_invite(&state, &fields.invite).await? else {
            let why = if fields.invite.is_empty() {
                "signup-closed-text"
            } else {
                "error-invite-used"
            };
            return Ok(html(
                StatusCode::FORBIDDEN,
                views::registration_closed_page(lang, why),
            ));
        };
        Some(invite)
    } else {
        None
    };
    let frame = match &admin {
        Some(me) => Some(load_frame(&state, me.user.id)?),
        None => None,
    };
    let rerender = |status: StatusCode, errors: &[FieldError]| {
        let form = SignupForm {
            username: &fields.username,
            display_name: &fields.display_name,
            errors,
            by_admin: admin.is_some(),
            invite: invite.as_ref().map(|_| fields.invite.as_str()),
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
    let address = auth::client_address(&req);
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
        invite: invite.clone(),
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
            Ok(see_other(&paths::profile_of(&created.username)))
        }
        None => {
            auth::sign_in(&session, &created)?;
            auth::flash(&session, "flash-welcome");
            Ok(see_other(paths::HOME))
        }
    }
}
