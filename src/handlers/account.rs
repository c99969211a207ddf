//! The signed-in user's own profile: details, language, password.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{invalid_form, load_frame, ok_html, see_other, shell};
use crate::auth::{self, SignedIn, password};
use crate::db;
use crate::error::AppError;
use crate::forms::Form;
use crate::i18n::Lang;
use crate::model::{FieldError, user};
use crate::paths;
use crate::state::AppState;
use crate::views::account::{ProfileForm, profile_page};

pub async fn show(me: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let frame = load_frame(&state, me.user.id)?;
    Ok(ok_html(profile_page(
        &shell(&me, &frame, &state, None, ""),
        &ProfileForm {
            display_name: &me.user.display_name,
            about: &me.user.about,
            language: me.user.language,
            errors: &[],
            password_errors: &[],
        },
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProfileFields {
    display_name: String,
    about: String,
    language: String,
}

pub async fn save(
    me: SignedIn,
    state: web::Data<AppState>,
    Form(fields): Form<ProfileFields>,
) -> Result<HttpResponse, AppError> {
    let language = Lang::from_code(&fields.language);
    let display_name = user::normalise_display_name(&fields.display_name);
    let about = user::normalise_about(&fields.about);
    let (display_name, about) = match (display_name, about) {
        (Ok(display_name), Ok(about)) => (display_name, about),
        (display_name, about) => {
            let errors: Vec<FieldError> = [display_name.err(), about.err()]
                .into_iter()
                .flatten()
                .collect();
            let frame = load_frame(&state, me.user.id)?;
            return Ok(invalid_form(profile_page(
                &shell(&me, &frame, &state, None, ""),
                &ProfileForm {
                    display_name: &fields.display_name,
                    about: &fields.about,
                    language,
                    errors: &errors,
                    password_errors: &[],
                },
            )));
        }
    };
    let id = me.user.id;
    let change = user::ProfileChange {
        display_name,
        about,
        language,
    };
    db::run(&state.pool, move |conn| {
        user::update_profile(conn, id, &change)
    })
    .await?;
    state.users.forget(id);
    auth::remember_language(&me.session, language)?;
    auth::flash(&me.session, "flash-profile-saved");
    Ok(see_other(paths::PROFILE))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordFields {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    req: actix_web::HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    Form(fields): Form<PasswordFields>,
) -> Result<HttpResponse, AppError> {
    let frame = load_frame(&state, me.user.id)?;
    let refuse = |error: FieldError| {
        invalid_form(profile_page(
            &shell(&me, &frame, &state, None, ""),
            &ProfileForm {
                display_name: &me.user.display_name,
                about: &me.user.about,
                language: me.user.language,
                errors: &[],
                password_errors: &[error],
            },
        ))
    };
    // A stolen session must not become a way to guess the password at leisure.
    let address = auth::client_address(&req);
    if !state.login_limiter.allow(address, &me.user.username) {
        return Ok(refuse(FieldError::new(
            "current_password",
            "error-too-many-logins",
        )));
    }
    if let Err(error) = user::check_new_password("new_password", &fields.new_password) {
        return Ok(refuse(error));
    }
    let id = me.user.id;
    let stored = db::run(&state.pool, move |conn| user::password_hash(conn, id)).await?;
    if !password::verify(fields.current_password.clone(), stored).await? {
        return Ok(refuse(FieldError::new(
            "current_password",
            "error-current-password-wrong",
        )));
    }
    let hash = password::hash(fields.new_password.clone()).await?;
    db::run(&state.pool, move |conn| {
        user::set_password_hash(conn, id, &hash)
    })
    .await?;
    state.sessions.forget_user(id);
    // Every session was just revoked; this one carries on under a new id.
    me.session.renew();
    auth::flash(&me.session, "flash-password-changed");
    tracing::info!(user = %id, "password changed; other sessions revoked");
    Ok(see_other(paths::PROFILE))
}
