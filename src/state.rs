//! What every request may reach: the pool, the hub, the caches and the settings. Its own low
//! module, so that handlers and the extractors in `auth` depend on it and not on `app`, which
//! depends on them.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::rate_limit::LoginLimiter;
use crate::auth::session_store::RecentSessions;
use crate::auth::user_cache::UserCache;
use crate::config::Registration;
use crate::db::{Pool, Readers};
use crate::media::Media;
use crate::model::message::LatestPages;
use crate::realtime::{Hub, SharedAnswers};
use crate::views::conversation::DrawnMessages;

pub struct AppState {
    pub pool: Pool,
    /// Short reads on the worker's own connection (`db::Readers`).
    pub readers: Readers,
    pub hub: Arc<Hub>,
    pub poll: PollSettings,
    pub registration: Registration,
    pub login_limiter: LoginLimiter,
    pub webhook_limiter: crate::auth::rate_limit::WebhookLimiter,
    pub users: Arc<UserCache>,
    pub answers: SharedAnswers,
    pub sessions: Arc<RecentSessions>,
    pub drawn: DrawnMessages,
    pub latest_pages: Arc<LatestPages>,
    /// Uploaded files and profile pictures.
    pub media: Media,
    /// `/metrics` answers (`--metrics`).
    pub metrics: bool,
    pub push: PushSettings,
}

pub struct PushSettings {
    /// The server's VAPID public key, which browsers subscribe with (`push::VapidKey`).
    pub public_key: String,
    /// Plain-HTTP endpoints on this machine are accepted too (`--push-loopback`).
    pub loopback: bool,
}

pub struct PollSettings {
    /// How long a poll waits for news.
    pub hold: Duration,
    /// How long the page waits before polling again.
    pub delay_ms: u64,
    /// At most this many polls wait at once (`--max-held-polls`).
    pub max_held: Option<usize>,
}
