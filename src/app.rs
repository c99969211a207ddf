//! The route table, the middleware order, and starting the server. No handler logic.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_session::SessionMiddleware;
use actix_session::config::PersistentSession;
use actix_web::body::MessageBody;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Compress, DefaultHeaders, Next, from_fn};
use actix_web::{App, HttpServer, web};

use crate::assets;
use crate::auth::rate_limit::LoginLimiter;
use crate::auth::session_store::{RecentSessions, SqliteSessionStore};
use crate::auth::user_cache::UserCache;
use crate::auth::{self};
use crate::compression;
use crate::config::{Database, Listen, Settings};
use crate::db;
use crate::error::AppError;
use crate::forms;
use crate::handlers::{
    account, admin, api, conversations, error_pages, files, home, login, messages, people, poll,
    search, signup, webhooks,
};
use crate::media::{self, Media};
use crate::model;
use crate::realtime::SharedAnswers;
use crate::realtime::{Hub, watcher};
use crate::state::{AppState, PollSettings, PushSettings};

/// Sessions end after 30 days without a change; `SignedIn` touches them daily while in use.
const SESSION_LIFETIME_DAYS: i64 = 30;
/// The signing key for session cookies (at least 64 bytes, as actix's `Key` requires).
const COOKIE_KEY_NAME: &str = "session-cookie-key";
const COOKIE_KEY_LEN: usize = 64;

/// Scripts only from our own hashed files, no inline code, no framing: a message that slips
/// past escaping still cannot run.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Every route: method, path pattern, handler. Listed as data so that the access-control test
/// can walk all of them: a route added here without a rule there fails the suite.
pub fn route_table() -> Vec<(Method, &'static str, actix_web::Route)> {
    macro_rules! route {
        ($method:ident $path:literal => $handler:expr) => {
            (
                Method::$method,
                $path,
                web::method(Method::$method).to($handler),
            )
        };
    }
    vec![
        // The router tries routes in order, and a re-poll follows every poll answer: first.
        route!(GET "/c/{id}/poll" => poll::conversation),
        route!(GET "/poll" => poll::everywhere),
        route!(GET "/" => home::home),
        route!(GET "/healthz" => home::healthz),
        route!(GET "/assets/{file}" => assets::serve),
        route!(GET "/viewer/{file}" => assets::viewer_css),
        route!(GET "/login" => login::login_form),
        route!(POST "/login" => login::login),
        route!(POST "/logout" => login::logout),
        route!(POST "/language" => login::choose_language),
        route!(GET "/signup" => signup::signup_form),
        route!(POST "/signup" => signup::signup),
        route!(GET "/profile" => account::show),
        route!(POST "/profile" => account::save),
        route!(POST "/profile/password" => account::change_password),
        route!(POST "/profile/avatar" => account::set_avatar),
        route!(POST "/profile/avatar/remove" => account::remove_avatar),
        route!(GET "/usage" => account::usage),
        route!(GET "/avatars/{key}/{size}" => files::avatar),
        route!(GET "/admin" => admin::monitoring),
        route!(GET "/admin/people" => admin::people),
        // Before the general one below, which would take "password" for an action.
        route!(POST "/admin/people/{username}/password" => admin::reset_password),
        route!(POST "/admin/people/{username}/{action}" => admin::change),
        route!(POST "/admin/invites" => admin::invite),
        route!(GET "/metrics" => admin::metrics),
        route!(GET "/users" => people::search),
        route!(GET "/u/{username}" => people::profile),
        route!(GET "/search" => search::messages),
        route!(POST "/c" => conversations::create_group),
        route!(GET "/c/new" => conversations::new_group),
        route!(POST "/dm/{username}" => conversations::direct),
        route!(GET "/c/{id}" => conversations::show),
        route!(GET "/c/{id}/history" => conversations::history),
        route!(POST "/c/{id}/messages" => messages::post),
        route!(POST "/c/{id}/typing" => messages::typing),
        route!(GET "/c/{id}/files/{file}" => files::download),
        route!(GET "/c/{id}/files/{file}/thumb" => files::thumbnail),
        route!(GET "/c/{id}/messages/{message}/edit" => messages::edit_form),
        route!(POST "/c/{id}/messages/{message}/edit" => messages::edit),
        route!(POST "/c/{id}/messages/{message}/delete" => messages::delete),
        route!(GET "/c/{id}/messages/{message}/reactions" => messages::reactions),
        route!(POST "/c/{id}/messages/{message}/reactions" => messages::react),
        route!(POST "/c/{id}/members" => conversations::add_members),
        route!(POST "/c/{id}/notify" => conversations::set_notify),
        route!(POST "/c/{id}/webhooks" => webhooks::create),
        route!(POST "/c/{id}/webhooks/{hook}/delete" => webhooks::remove),
        route!(POST "/hooks/{hook}/{secret}" => webhooks::incoming),
        route!(GET "/api/conversations" => api::conversations),
        route!(GET "/api/conversations/{id}/messages" => api::messages),
        route!(POST "/api/conversations/{id}/messages" => api::send),
        route!(GET "/profile/tokens" => account::tokens),
        route!(POST "/profile/tokens" => account::create_token),
        route!(POST "/profile/tokens/{token}/revoke" => account::revoke_token),
        route!(POST "/profile/push" => account::subscribe_push),
        route!(POST "/profile/push/{id}/remove" => account::remove_push),
        route!(GET "/sw.js" => account::service_worker),
        route!(POST "/c/{id}/title" => conversations::rename),
        route!(POST "/c/{id}/leave" => conversations::leave),
    ]
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    for (_, path, route) in route_table() {
        cfg.route(path, route);
    }
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// What `serve` opens before it listens: the database and what is kept in it, the hub and its
/// watcher, the push sender.
struct Opened {
    state: web::Data<AppState>,
    auth_context: web::Data<auth::AuthContext>,
    pool: db::Pool,
    sessions: Arc<RecentSessions>,
    cookie_key: Key,
}

fn open(settings: &Settings) -> std::io::Result<Opened> {
    let (key, pool) = match &settings.database {
        Database::Sqlite => {
            let key = settings
                .keys
                .unlock(&settings.data)
                .map_err(std::io::Error::other)?;
            match &key {
                Some((_, source)) => {
                    tracing::info!("the database and files are encrypted; key from {source}")
                }
                None if settings.keys.no_encryption => {
                    tracing::info!("the database and files are not encrypted (--no-encryption)")
                }
                None => tracing::warn!(
                    "the database and files are not encrypted: stop the server and run \
                     `bavard encrypt`"
                ),
            }
            let key = key.map(|(key, _)| key);
            let pool = db::open_with(&settings.data, settings.db_connections, key.as_ref());
            (key, pool)
        }
        Database::Postgres(url) => {
            tracing::info!(
                "the data is in PostgreSQL, which encrypts what its storage does; the files in \
                 {} are not encrypted by Bavard",
                settings.data.display()
            );
            (None, db::open_postgres(url, settings.db_connections))
        }
    };
    let pool = pool.map_err(std::io::Error::other)?;
    let files_key = match &key {
        Some(_) => {
            let conn = pool.get().map_err(std::io::Error::other)?;
            let bytes = model::secret::get_or_create(
                &conn,
                model::secret::FILES_KEY,
                model::secret::FILES_KEY_LEN,
            )
            .map_err(std::io::Error::other)?;
            Some(
                media::sealed::FileKey::from_bytes(&bytes)
                    .ok_or_else(|| std::io::Error::other("the stored files' key is damaged"))?,
            )
        }
        None => None,
    };
    let cookie_key = {
        let conn = pool.get().map_err(std::io::Error::other)?;
        model::secret::get_or_create(&conn, COOKIE_KEY_NAME, COOKIE_KEY_LEN)
            .map_err(std::io::Error::other)?
    };
    let cookie_key = Key::try_from(cookie_key.as_slice()).map_err(std::io::Error::other)?;
    let hub = {
        let conn = pool.get().map_err(std::io::Error::other)?;
        Arc::new(Hub::new(&conn).map_err(std::io::Error::other)?)
    };
    let vapid = {
        let mut conn = pool.get().map_err(std::io::Error::other)?;
        crate::push::VapidKey::load_or_create(&mut conn).map_err(std::io::Error::other)?
    };
    let push = PushSettings {
        public_key: vapid.public.clone(),
        loopback: settings.push_loopback,
    };
    crate::push::spawn(pool.clone(), vapid, Arc::clone(&hub), settings.poll_hold)?;
    let sessions = Arc::new(RecentSessions::default());
    let users = Arc::new(UserCache::default());
    let (kept_sessions, kept_users) = (Arc::clone(&sessions), Arc::clone(&users));
    let told_hub = Arc::clone(&hub);
    let forget = move |changed: &model::invalidation::Invalidated| {
        changed
            .sessions
            .iter()
            .for_each(|key| kept_sessions.forget(key));
        for id in &changed.users {
            kept_users.forget(*id);
            told_hub.account_changed(*id);
        }
    };
    let readers = match &settings.database {
        Database::Sqlite => {
            let file = settings.data.join(db::DATABASE_FILE);
            watcher::spawn(&file, key.as_ref(), Arc::clone(&hub), forget)?;
            db::Readers::new(&settings.data, key.clone())
        }
        Database::Postgres(url) => {
            watcher::spawn_postgres(url, Arc::clone(&hub), forget)?;
            db::Readers::Pool(pool.clone())
        }
    };
    let auth_context = web::Data::new(auth::AuthContext {
        pool: pool.clone(),
        users: Arc::clone(&users),
        trust_proxy: settings.trust_proxy,
    });
    let state = web::Data::new(AppState {
        pool: pool.clone(),
        readers,
        drawn: Default::default(),
        latest_pages: Default::default(),
        hub: Arc::clone(&hub),
        poll: PollSettings {
            hold: settings.poll_hold,
            delay_ms: settings.poll_delay_ms,
            max_held: settings.max_held_polls,
        },
        registration: settings.registration,
        login_limiter: LoginLimiter::default(),
        webhook_limiter: Default::default(),
        users,
        answers: SharedAnswers::default(),
        sessions: Arc::clone(&sessions),
        metrics: settings.metrics,
        push,
        media: Media::new(
            media::Storage::open(&settings.data, files_key)?,
            settings.uploads.clone(),
        ),
    });
    Ok(Opened {
        state,
        auth_context,
        pool,
        sessions,
        cookie_key,
    })
}

/// Starts serving and returns once the server stops. The bound address is logged as
/// "listening on http://ADDR" or "listening on unix:PATH" (tests and scripts read it when
/// asking for port 0).
pub async fn serve(settings: Settings) -> std::io::Result<()> {
    // The postgres crate blocks on a runtime of its own, which tokio refuses inside this one.
    // SQLite opens here: a thread of its own would leave a jemalloc arena behind it.
    let Opened {
        state,
        auth_context,
        pool,
        sessions,
        cookie_key,
    } = match settings.database {
        Database::Sqlite => open(&settings)?,
        Database::Postgres(_) => db::off_runtime(|| open(&settings))?,
    };
    let hub = Arc::clone(&state.hub);
    let body_limit = settings.body_limit;
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(
            SqliteSessionStore::new(pool.clone(), Arc::clone(&sessions)),
            cookie_key.clone(),
        )
        .cookie_name("bavard_session".to_owned())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        // Marked Secure per response by `fit_answer_to_visitor`.
        .cookie_secure(false)
        .session_lifecycle(PersistentSession::default().session_ttl(
            actix_web::cookie::time::Duration::days(SESSION_LIFETIME_DAYS),
        ))
        .build();
        // `wrap` order: the last one added sees the request first.
        App::new()
            .app_data(state.clone())
            .app_data(auth_context.clone())
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(forms::query_config())
            .app_data(forms::path_config())
            .configure(routes)
            .default_service(web::to(not_found))
            .wrap(from_fn(auth::refuse_cross_site))
            .wrap(from_fn(forms::bound_body_time))
            .wrap(from_fn(error_pages::render_error_pages))
            .wrap(sessions)
            .wrap(from_fn(fit_answer_to_visitor))
            .wrap(
                DefaultHeaders::new()
                    .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((header::X_FRAME_OPTIONS, "DENY")),
            )
            .wrap(Compress::default())
            .wrap(from_fn(log_request))
    })
    .workers(settings.workers)
    // Without it, an answer written in several pieces (every compressed page streams) waited
    // for the client's delayed ACK: 40 ms on each search, as `bavard-bench` showed.
    .tcp_nodelay(true)
    // A browser tab closed, a phone gone to sleep, a proxy giving up: the connection ends while
    // its poll waits. Allowed to half-close, actix would keep the poll (and its socket, in
    // CLOSE-WAIT) until the hold ends; refused, the end of the connection ends the request,
    // and the hub lets go of the poll at once. Browsers and proxies never half-close a request
    // they still want answered.
    .h1_allow_half_closed(false)
    // Database work waits for one of the pool's connections anyway: more blocking threads than
    // connections only add memory (and threads, which shared hosts count).
    .worker_max_blocking_threads((settings.db_connections as usize).div_ceil(settings.workers))
    .client_request_timeout(Duration::from_secs(10))
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    .shutdown_signal(stop_requested(hub));
    let server = match &settings.listen {
        Listen::Tcp(address) => {
            let server = server.bind(address)?;
            for address in server.addrs() {
                tracing::info!("listening on http://{address}");
            }
            server
        }
        #[cfg(unix)]
        Listen::Unix { path, restrict } => {
            clear_stale_socket(path)?;
            let server = server.bind_uds(path)?;
            if *restrict {
                restrict_socket(path)?;
            }
            tracing::info!("listening on unix:{}", path.display());
            server
        }
        #[cfg(not(unix))]
        Listen::Unix { .. } => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "unix sockets exist only on Unix",
            ));
        }
    };
    server.run().await
}

/// In-flight requests get this long to finish once a stop is asked for.
const SHUTDOWN_GRACE_SECS: u64 = 5;

/// Resolves on SIGTERM or Ctrl-C, after waking every parked poll so that they answer and the
/// graceful stop is not held up by them.
async fn stop_requested(hub: Arc<Hub>) {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = actix_web::rt::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                let _ = actix_web::rt::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = actix_web::rt::signal::ctrl_c().await;
    tracing::info!(parked = hub.parked(), "stopping: answering parked polls");
    hub.close();
}

/// Makes way for a unix socket at `path`. A socket file left by a process that died would make
/// the bind fail; one that answers belongs to a running server, which must not be robbed.
#[cfg(unix)]
fn clear_stale_socket(path: &std::path::Path) -> std::io::Result<()> {
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("another server already answers on {}", path.display()),
        ));
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Only this account's processes (the WSGI launcher) may connect.
#[cfg(unix)]
fn restrict_socket(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// One log line per request: method, path (never the query, which may hold what people search
/// for), status and duration. A poll that answers as it should is logged at debug level only:
/// every open tab asks one every 25 s even when nothing happens, and a message to a group answers
/// one per open tab of its members: their lines filled a small host's logs, and took the fan-out
/// to 1,000 tabs from 19 to 25 ms (BENCHMARKS.md). Being the outermost layer, it also slims a
/// poll's headers before the others see them (`poll::keep_only_what_a_poll_reads`).
async fn log_request(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let poll = poll::is_poll(&path);
    if poll {
        // Only here is the request held by nobody else (`headers_mut` needs that), and not
        // yet read by any layer.
        poll::keep_only_what_a_poll_reads(req.headers_mut());
    }
    let result = next.call(req).await;
    let took = started.elapsed();
    let micros = took.as_micros();
    let server_error = match &result {
        Ok(res) if poll && !res.status().is_client_error() && !res.status().is_server_error() => {
            tracing::debug!(%method, %path, status = res.status().as_u16(), micros, "request");
            false
        }
        Ok(res) => {
            tracing::info!(%method, %path, status = res.status().as_u16(), micros, "request");
            res.status().is_server_error()
        }
        Err(e) => {
            tracing::warn!(%method, %path, error = %e, micros, "request failed");
            true
        }
    };
    // A held poll's time is the hold, not a wait anyone notices.
    if !poll {
        crate::monitor::global().record(took, server_error);
    }
    result
}

/// An answer as the visitor's way of reaching us wants it. Session cookies get the Secure flag
/// whenever the visitor reached us over HTTPS, directly or through a trusted proxy that says so
/// (`X-Forwarded-Proto`/`Forwarded`), as on shared hosts. A body held whole in memory goes in
/// Brotli when the browser takes it (`compression`); `Compress`, outside, does the rest. One
/// layer for both: every layer is a future more that each parked poll keeps.
async fn fit_answer_to_visitor<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = auth::reached_as(req.request()).0 == "https";
    let mut res = next.call(req).await?;
    if https {
        let headers = res.headers_mut();
        let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).cloned().collect();
        headers.remove(header::SET_COOKIE);
        for cookie in cookies {
            let text = cookie.to_str().unwrap_or_default();
            let secured = if text.to_ascii_lowercase().contains("; secure") {
                cookie
            } else {
                HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie)
            };
            headers.append(header::SET_COOKIE, secured);
        }
    }
    let req = res.request().clone();
    Ok(res.map_body(|head, body| compression::in_brotli(&req, head, body)))
}
