//! Administration: the monitoring page, people (disable, enable, administrators, password
//! resets) and the Prometheus endpoint. Every page here is 404 to anyone but an administrator,
//! as if it did not exist.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::people::SearchQuery;
use super::{load_frame, ok_html, see_other, shell};
use crate::auth::{SignedIn, password};
use crate::db;
use crate::error::AppError;
use crate::model::{UserId, attachment, invite, message, now, user};
use crate::monitor;
use crate::paths;
use crate::state::AppState;
use crate::views::admin::{self as views, Monitoring, PeopleAdmin};

/// Days the monitoring page charts.
const CHART_DAYS: i64 = 30;
const DAY: i64 = 86_400;
/// Characters of a temporary password: about 80 bits, easy to read aloud (no 0/O, 1/l).
const TEMPORARY_PASSWORD_CHARS: usize = 16;
const READABLE: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

fn administrator(me: &SignedIn) -> Result<(), AppError> {
    if me.user.is_admin {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// What the instance's figures are made of, from the database.
struct Figures {
    per_day: Vec<(i64, u64)>,
    active_today: u64,
    active_week: u64,
    totals: attachment::Totals,
    database_bytes: u64,
}

async fn figures(state: &AppState) -> Result<Figures, AppError> {
    db::run(&state.pool, |conn| {
        let at = now();
        Ok(Figures {
            per_day: message::per_day(conn, CHART_DAYS, at)?,
            active_today: message::authors_since(conn, at - at.rem_euclid(DAY))?,
            active_week: message::authors_since(conn, at - 7 * DAY)?,
            totals: attachment::totals(conn)?,
            database_bytes: db::database_bytes(conn)?,
        })
    })
    .await
}

pub async fn monitoring(
    me: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    administrator(&me)?;
    let figures = figures(&state).await?;
    let process = monitor::global();
    let frame = load_frame(&state, me.user.id)?;
    Ok(ok_html(views::monitoring_page(
        &shell(&me, &frame, &state, None, ""),
        &Monitoring {
            version: env!("CARGO_PKG_VERSION"),
            started_at: process.started_at().unix_timestamp(),
            uptime: process.uptime(),
            per_day: &figures.per_day,
            active_today: figures.active_today,
            active_week: figures.active_week,
            totals: &figures.totals,
            database_bytes: figures.database_bytes,
            free_disk_bytes: state.media.storage.free_space(),
            parked_polls: state.hub.parked(),
            last_hour: process.last_hour(),
            problems: &process.recent_problems(),
        },
    )))
}

pub async fn people(
    me: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    administrator(&me)?;
    let (typed, page) = query.bounded();
    let needle = typed.clone();
    let found = db::run(&state.pool, move |conn| user::search(conn, &needle, page)).await?;
    let frame = load_frame(&state, me.user.id)?;
    Ok(ok_html(views::people_page(
        &shell(&me, &frame, &state, None, ""),
        &PeopleAdmin {
            query: &typed,
            page,
            people: &found.users,
            has_more: found.has_more,
        },
    )))
}

/// Disable, enable, make or remove an administrator: `action` is the last segment of the
/// address. The person's other sessions and caches learn it like a password change.
pub async fn change(
    me: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    administrator(&me)?;
    let (username, action) = path.into_inner();
    let target = find(&state, username).await?;
    let id = target.id;
    type Apply = fn(&mut db::Conn, UserId) -> Result<Result<(), user::Refusal>, AppError>;
    let (apply, flash): (Apply, &str) = match action.as_str() {
        "disable" => (
            |c, id| user::set_disabled(c, id, true),
            "flash-admin-disabled",
        ),
        "enable" => (
            |c, id| user::set_disabled(c, id, false),
            "flash-admin-enabled",
        ),
        "make-admin" => (
            |c, id| user::set_admin(c, id, true),
            "flash-admin-made-admin",
        ),
        "remove-admin" => (
            |c, id| user::set_admin(c, id, false),
            "flash-admin-removed-admin",
        ),
        _ => return Err(AppError::NotFound),
    };
    db::run(&state.pool, move |conn| apply(conn, id))
        .await?
        .map_err(|user::Refusal::LastAdministrator| {
            AppError::BadRequest("error-admin-last-administrator")
        })?;
    state.users.forget(id);
    state.sessions.forget_user(id);
    state.hub.account_changed(id);
    crate::auth::flash(&me.session, flash);
    Ok(see_other(&paths::admin_people_named(&target.username)))
}

/// A new password for someone who lost theirs: shown once, here, to the administrator, who
/// hands it over; every session of the person is signed out.
pub async fn reset_password(
    me: SignedIn,
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    administrator(&me)?;
    let target = find(&state, username.into_inner()).await?;
    let temporary = temporary_password()?;
    let hash = password::hash(temporary.clone()).await?;
    let id = target.id;
    db::run(&state.pool, move |conn| {
        user::set_password_hash(conn, id, &hash)
    })
    .await?;
    state.sessions.forget_user(id);
    state.hub.account_changed(id);
    tracing::info!(user = %id, by = %me.user.id, "password reset by an administrator");
    let frame = load_frame(&state, me.user.id)?;
    let page =
        views::temporary_password_page(&shell(&me, &frame, &state, None, ""), &target, &temporary);
    // The password is in this answer only: no cache keeps it.
    let mut response = ok_html(page);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

async fn find(state: &AppState, username: String) -> Result<user::User, AppError> {
    db::run(&state.pool, move |conn| {
        user::find_by_username(conn, &username)
    })
    .await?
    .ok_or(AppError::NotFound)
}

fn temporary_password() -> Result<String, AppError> {
    let mut bytes = [0u8; TEMPORARY_PASSWORD_CHARS];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(e.to_string()))?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| READABLE[usize::from(*b) % READABLE.len()] as char)
        .collect();
    // In groups of four, to be read out or typed without losing one's place.
    Ok(chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// A one-time sign-up link, good for a week, shown to the administrator to hand on.
pub async fn invite(
    req: actix_web::HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    administrator(&me)?;
    let key =
        crate::auth::session_store::new_key().map_err(|e| AppError::internal(e.to_string()))?;
    let hash = crate::auth::session_store::stored_key(&key);
    let by = me.user.id;
    db::run(&state.pool, move |conn| invite::create(conn, &hash, by)).await?;
    let (scheme, host) = crate::auth::reached_as(&req);
    let link = format!("{scheme}://{host}{}", paths::signup_invited(&key));
    let frame = load_frame(&state, me.user.id)?;
    let mut response = ok_html(views::invite_page(
        &shell(&me, &frame, &state, None, ""),
        &link,
    ));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Prometheus's text format, when `--metrics` is given (404 otherwise). Like `/healthz`, no
/// session: a scraper has none; keep it behind the proxy or the firewall.
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if !state.metrics {
        return Err(AppError::NotFound);
    }
    let figures = figures(&state).await?;
    let process = monitor::global();
    let hour = process.last_hour();
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: f64| {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
        ));
    };
    gauge(
        "bavard_uptime_seconds",
        "Seconds since the server started.",
        process.uptime().as_secs_f64(),
    );
    gauge(
        "bavard_parked_polls",
        "Long polls waiting now.",
        state.hub.parked() as f64,
    );
    gauge(
        "bavard_requests_last_hour",
        "Answers in the last hour, polls aside.",
        hour.answers as f64,
    );
    gauge(
        "bavard_server_errors_last_hour",
        "5xx answers in the last hour.",
        hour.errors as f64,
    );
    gauge(
        "bavard_request_p50_seconds",
        "Median answer time over the last hour (bucket bound).",
        hour.p50_ms.unwrap_or(0.0) / 1000.0,
    );
    gauge(
        "bavard_request_p99_seconds",
        "99th percentile answer time over the last hour (bucket bound).",
        hour.p99_ms.unwrap_or(0.0) / 1000.0,
    );
    gauge(
        "bavard_messages",
        "Text messages kept.",
        figures.totals.messages as f64,
    );
    gauge(
        "bavard_accounts",
        "Accounts.",
        figures.totals.accounts as f64,
    );
    gauge(
        "bavard_active_people_today",
        "People who wrote today (UTC).",
        figures.active_today as f64,
    );
    gauge(
        "bavard_database_bytes",
        "Size of the database.",
        figures.database_bytes as f64,
    );
    gauge(
        "bavard_file_bytes",
        "Bytes of files people sent.",
        figures.totals.file_bytes as f64,
    );
    if let Some(free) = state.media.storage.free_space() {
        gauge(
            "bavard_free_disk_bytes",
            "Free disk space for the data folder.",
            free as f64,
        );
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_are_long_readable_and_different() {
        let one = temporary_password().unwrap();
        let two = temporary_password().unwrap();
        assert_ne!(one, two);
        assert_eq!(one.len(), 19, "{one}");
        assert!(
            one.chars()
                .all(|c| c == '-' || READABLE.contains(&(c as u8)))
        );
        assert!(user::check_new_password("password", &one).is_ok());
    }
}
