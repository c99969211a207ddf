//! The signed-in user's own profile: details, language, password.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{invalid_form, load_frame, ok_html, see_other, shell};
use crate::auth::{self, SignedIn, password, session_store};
use crate::db;
use crate::error::AppError;
use crate::forms::{self, Form, MultipartLimits};
use crate::i18n::Lang;
use crate::model::{FieldError, api_token, attachment, conversation, user};
use crate::paths;
use crate::state::AppState;
use crate::views::account::{
    InstanceUsage, ProfileForm, UsageView, profile_page, tokens_page, usage_page,
};

pub async fn show(me: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    saved_profile(&me, &state, StatusCode::OK, &[], &[])
}

/// The profile as saved, with what a password or picture form did wrong.
fn saved_profile(
    me: &SignedIn,
    state: &AppState,
    status: StatusCode,
    password_errors: &[FieldError],
    avatar_errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    let frame = load_frame(state, me.user.id)?;
    let page = profile_page(
        &shell(me, &frame, state, None, ""),
        &ProfileForm {
            display_name: &me.user.display_name,
            about: &me.user.about,
            language: me.user.language,
            errors: &[],
            password_errors,
            avatar_errors,
        },
    );
    Ok(super::html(status, page))
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
                    avatar_errors: &[],
                },
            )));
        }
    };
    let id = me.user.id;
    let renamed = (display_name != me.user.display_name).then(|| display_name.clone());
    let change = user::ProfileChange {
        display_name,
        about,
        language,
    };
    let name_changed = renamed.is_some();
    let companions = db::run(&state.pool, move |conn| {
        user::update_profile(conn, id, &change)?;
        if name_changed {
            conversation::companions(conn, id)
        } else {
            Ok(Vec::new())
        }
    })
    .await?;
    state.users.forget(id);
    if let Some(name) = &renamed {
        state.hub.renamed(id, name, companions);
    }
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
    let refuse = |error: FieldError| {
        saved_profile(&me, &state, StatusCode::UNPROCESSABLE_ENTITY, &[error], &[])
    };
    // A stolen session must not become a way to guess the password at leisure.
    let address = auth::client_address(&req);
    if !state.login_limiter.allow(address, &me.user.username) {
        return refuse(FieldError::new("current_password", "error-too-many-logins"));
    }
    if let Err(error) = user::check_new_password("new_password", &fields.new_password) {
        return refuse(error);
    }
    let id = me.user.id;
    let stored = db::run(&state.pool, move |conn| user::password_hash(conn, id)).await?;
    if !password::verify(fields.current_password.clone(), stored).await? {
        return refuse(FieldError::new(
            "current_password",
            "error-current-password-wrong",
        ));
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

/// A new profile picture, from a multipart form with one file, `avatar`.
pub async fn set_avatar(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    if !forms::is_multipart(&req) {
        return Err(AppError::BadRequest("error-form-unreadable"));
    }
    let limits = MultipartLimits {
        incoming: state.media.storage.incoming(),
        file_field: "avatar",
        max_file: state.media.rules.max_file,
        max_files: 1,
    };
    let received = match forms::read_multipart(&req, payload.into_inner(), &limits).await? {
        Ok(received) => received,
        Err(refused) => return avatar_refused(&me, &state, refused.error, refused.status),
    };
    let Some(file) = received.files.into_iter().next() else {
        let error = FieldError::new("avatar", "error-avatar-missing");
        return avatar_refused(&me, &state, error, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let key = match state.media.receive_avatar(file).await? {
        Ok(key) => key,
        Err(error) => return avatar_refused(&me, &state, error, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let id = me.user.id;
    let kept = key.clone();
    let replaced = db::run(&state.pool, move |conn| {
        user::set_avatar(conn, id, Some(&kept))
    })
    .await;
    let replaced = match replaced {
        Ok(replaced) => replaced,
        Err(e) => {
            state.media.storage.remove_avatar(&key);
            return Err(e);
        }
    };
    if let Some(old) = replaced {
        state.media.storage.remove_avatar(&old);
    }
    state.users.forget(id);
    auth::flash(&me.session, "flash-avatar-saved");
    Ok(see_other(paths::PROFILE))
}

pub async fn remove_avatar(
    me: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let id = me.user.id;
    let removed = db::run(&state.pool, move |conn| user::set_avatar(conn, id, None)).await?;
    if let Some(old) = removed {
        state.media.storage.remove_avatar(&old);
    }
    state.users.forget(id);
    auth::flash(&me.session, "flash-avatar-removed");
    Ok(see_other(paths::PROFILE))
}

fn avatar_refused(
    me: &SignedIn,
    state: &AppState,
    error: FieldError,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    saved_profile(me, state, status, &[], &[error])
}

/// The usage page: one's own figures, and the instance's for administrators.
pub async fn usage(me: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let (id, admin) = (me.user.id, me.user.is_admin);
    let (usage, instance) = db::run(&state.pool, move |conn| {
        let usage = attachment::usage(conn, id)?;
        let instance = if admin {
            Some((attachment::totals(conn)?, db::database_bytes(conn)?))
        } else {
            None
        };
        Ok((usage, instance))
    })
    .await?;
    let instance = instance.map(|(totals, database)| InstanceUsage {
        totals,
        database_bytes: Some(database),
        free_disk_bytes: state.media.storage.free_space(),
    });
    let frame = load_frame(&state, id)?;
    Ok(ok_html(usage_page(
        &shell(&me, &frame, &state, None, ""),
        &UsageView {
            usage: &usage,
            quota: state.media.rules.quota,
            instance: instance.as_ref(),
        },
    )))
}

pub async fn tokens(me: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    tokens_answer(&me, &state, StatusCode::OK, None, &[])
}

/// The tokens page, with a token just made or what was wrong with the name.
fn tokens_answer(
    me: &SignedIn,
    state: &AppState,
    status: StatusCode,
    made: Option<&str>,
    errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    let user = me.user.id;
    let tokens = state.readers.read(|conn| api_token::of_user(conn, user))?;
    let frame = load_frame(state, user)?;
    let page = tokens_page(&shell(me, &frame, state, None, ""), &tokens, made, errors);
    let mut response = super::html(status, page);
    // A token is shown once: not for any cache.
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenFields {
    name: String,
}

pub async fn create_token(
    me: SignedIn,
    state: web::Data<AppState>,
    Form(fields): Form<TokenFields>,
) -> Result<HttpResponse, AppError> {
    let name = match api_token::check_name(&fields.name) {
        Ok(name) => name,
        Err(error) => {
            return tokens_answer(
                &me,
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &[error],
            );
        }
    };
    let token = session_store::new_key().map_err(|e| AppError::internal(e.to_string()))?;
    let hash = session_store::stored_key(&token);
    let user = me.user.id;
    db::run(&state.pool, move |conn| {
        api_token::create(conn, user, &name, &hash)
    })
    .await?;
    tokens_answer(&me, &state, StatusCode::OK, Some(&token), &[])
}

pub async fn revoke_token(
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (user, id) = (me.user.id, *id);
    db::run(&state.pool, move |conn| api_token::revoke(conn, user, id)).await?;
    Ok(see_other(paths::API_TOKENS))
}
