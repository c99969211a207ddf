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
use crate::model::{FieldError, api_token, attachment, conversation, push, user};
use crate::paths;
use crate::state::AppState;
use crate::views::account::{
    InstanceUsage, ProfileForm, PushPanel, UsageView, profile_page, tokens_page, usage_page,
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
    let browsers = push_browsers(me, state)?;
    let page = profile_page(
        &shell(me, &frame, state, None, ""),
        &ProfileForm {
            display_name: &me.user.display_name,
            about: &me.user.about,
            language: me.user.language,
            errors: &[],
            password_errors,
            avatar_errors,
            push: PushPanel {
                browsers: &browsers,
                key: &state.push.public_key,
            },
        },
    );
    Ok(super::html(status, page))
}

fn push_browsers(me: &SignedIn, state: &AppState) -> Result<Vec<push::Listed>, AppError> {
    let user = me.user.id;
    state.readers.read(|conn| push::of_user(conn, user))
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
            let browsers = push_browsers(&me, &state)?;
            return Ok(invalid_form(profile_page(
                &shell(&me, &frame, &state, None, ""),
                &ProfileForm {
                    display_name: &fields.display_name,
                    about: &fields.about,
                    language,
                    errors: &errors,
                    password_errors: &[],
                    avatar_errors: &[],
                    push: PushPanel {
                        browsers: &browsers,
                        key: &state.push.public_key,
                    },
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PushFields {
    endpoint: String,
    /// The browser's keys, base64url as `PushSubscription.toJSON()` gives them.
    p256dh: String,
    auth: String,
}

/// A browser's push subscription, sent by app.js once the person allowed notifications there.
pub async fn subscribe_push(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    Form(fields): Form<PushFields>,
) -> Result<HttpResponse, AppError> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let decode = |text: &str| {
        Base64UrlUnpadded::decode_vec(text.trim().trim_end_matches('='))
            .map_err(|_| AppError::BadRequest("error-push-keys"))
    };
    let (p256dh, auth) = (decode(&fields.p256dh)?, decode(&fields.auth)?);
    let label = browser_label(
        req.headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok()),
    );
    // The address people reach us at: the contact a push service is given (VAPID's `sub`).
    let (scheme, host) = crate::auth::reached_as(&req);
    let contact = format!("{scheme}://{host}");
    let subscription = push::check(
        &fields.endpoint,
        &p256dh,
        &auth,
        &label,
        &contact,
        state.push.loopback,
    )
    .map_err(|error| AppError::BadRequest(error.message))?;
    let user = me.user.id;
    db::run(&state.pool, move |conn| {
        push::subscribe(conn, user, &subscription)
    })
    .await?;
    if crate::error::is_htmx(&req) || req.headers().contains_key("x-requested-with") {
        return Ok(HttpResponse::NoContent().finish());
    }
    Ok(see_other(paths::PUSH_PANEL))
}

/// "Firefox on Linux": enough for a person to tell their browsers apart in the list.
fn browser_label(user_agent: Option<&str>) -> String {
    let agent = user_agent.unwrap_or_default();
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        // Chromium says "Chrome/" too, and every one of these but Firefox says "Safari/".
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(mark, _)| agent.contains(mark))
    .map_or("Browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(mark, _)| agent.contains(mark))
    .map(|(_, name)| name);
    match system {
        Some(system) => format!("{browser} · {system}"),
        None => browser.to_owned(),
    }
}

pub async fn remove_push(
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (user, id) = (me.user.id, *id);
    db::run(&state.pool, move |conn| push::remove(conn, user, id)).await?;
    auth::flash(&me.session, "flash-push-removed");
    Ok(see_other(paths::PUSH_PANEL))
}

/// The service worker that shows pushed messages. Served from the root, so that its scope is
/// the whole site; never cached for long, so that a new version reaches browsers.
pub async fn service_worker() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .body(crate::assets::SERVICE_WORKER)
}

#[cfg(test)]
mod tests {
    use super::browser_label;

    #[test]
    fn browsers_are_named_by_what_they_are_and_where_they_run() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(browser_label(Some(firefox)), "Firefox · Linux");
        let chrome_android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(browser_label(Some(chrome_android)), "Chrome · Android");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_label(Some(safari)), "Safari · iOS");
        let chromium = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/120.0 Chrome/120.0 Safari/537.36";
        assert_eq!(browser_label(Some(chromium)), "Chromium · Linux");
        assert_eq!(browser_label(None), "Browser");
    }
}
