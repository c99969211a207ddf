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
use crate::model::{FieldError, user};
use crate::paths;
use crate::state::AppState;
use crate::views::account::{self as views, SignupForm};

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
        Some(me) => Some(load_frame(&state, me.user.id)?),
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
