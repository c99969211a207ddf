//! Background upkeep of the hub: notices commits made by other processes (a second app process,
//! an operator's `bavard` command, another node on PostgreSQL) and writes batched read marks
//! and indexes new messages for search, both once a second.
//! It also passes on the notes of changed sessions and accounts, so that what this process
//! keeps of them in memory is forgotten.
//!
//! On SQLite it learns of commits through `data_version`; on PostgreSQL through LISTEN, which a
//! commit that recorded events NOTIFYs (`event::record`), and a look every 200 ms besides.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Hub;
use crate::db::{self, Conn};
use crate::error::AppError;
use crate::model::event::EVENTS_CHANNEL;
use crate::model::invalidation::{self, Invalidated};
use crate::model::search;

/// Under the one second in which another process's message must reach waiting clients.
const WATCH_INTERVAL: Duration = Duration::from_millis(200);
/// Read marks are written at most this often: one transaction for everyone reading meanwhile,
/// rather than one write per woken poll. By the clock, not by looks: on PostgreSQL every
/// notification is a look, many a second during a send storm.
const UPKEEP_EVERY: Duration = Duration::from_secs(1);
/// How long a node waits before listening again, at first and at most, when it lost
/// PostgreSQL.
const RECONNECT_FIRST: Duration = Duration::from_millis(100);
const RECONNECT_MOST: Duration = Duration::from_secs(5);

/// What the watcher does with what it learns.
struct Watch<F> {
    hub: Arc<Hub>,
    forget: F,
    /// The newest note of a changed session or account already passed on.
    noted: i64,
    /// When the batched writes are next due.
    upkeep_due: Instant,
}

impl<F: Fn(&Invalidated)> Watch<F> {
    /// Reads the newest note before the server accepts anyone, so that no change falls before
    /// the first look.
    fn new(conn: &Conn, hub: Arc<Hub>, forget: F) -> std::io::Result<Self> {
        Ok(Watch {
            hub,
            forget,
            noted: invalidation::latest(conn).map_err(std::io::Error::other)?,
            upkeep_due: Instant::now() + UPKEEP_EVERY,
        })
    }

    /// Publishes what other processes committed, passes on what they changed, and redraws the
    /// badges of the tabs whose read marks they moved.
    /// A failed catch-up does not hold back the notes, nor the other way round.
    fn look(&mut self, conn: &Conn) -> Result<(), AppError> {
        let caught_up = self.hub.catch_up(conn);
        let noted =
            invalidation::after(conn, self.noted, self.hub.origin()).map(|(last, changed)| {
                self.noted = last;
                if !changed.is_empty() {
                    (self.forget)(&changed);
                }
                for (user, conversation) in changed.reads {
                    self.hub.read_moved(user, conversation);
                }
            });
        caught_up.and(noted)
    }

    /// The batched writes, once every `UPKEEP_EVERY`.
    fn upkeep(&mut self, conn: &Conn) {
        let now = Instant::now();
        if now < self.upkeep_due {
            return;
        }
        self.upkeep_due = now + UPKEEP_EVERY;
        if let Err(e) = self.hub.flush_reads(conn) {
            tracing::error!(error = %e, "writing read marks failed");
        }
        if let Err(e) = self.hub.flush_presence(conn) {
            tracing::error!(error = %e, "writing when people were last seen failed");
        }
        if let Err(e) = search::index_pending(conn) {
            tracing::error!(error = %e, "indexing new messages for search failed");
        }
    }
}

/// Starts the watcher thread on its own connection to the SQLite file; it runs for the life of
/// the process. `forget` receives the sessions and accounts changed since the previous look.
pub fn spawn(
    database: &Path,
    key: Option<&crate::keys::Key>,
    hub: Arc<Hub>,
    forget: impl Fn(&Invalidated) + Send + 'static,
) -> std::io::Result<()> {
    let conn = db::connect(database, key).map_err(std::io::Error::other)?;
    let mut watch = Watch::new(&conn, hub, forget)?;
    std::thread::Builder::new()
        .name("bavard-watcher".into())
        .spawn(move || {
            let mut seen: Option<i64> = None;
            loop {
                std::thread::sleep(WATCH_INTERVAL);
                // data_version changes whenever another connection (this process's pool included)
                // commits; a catch-up with nothing new is one indexed query.
                match conn.query_row("PRAGMA data_version", &[], |r| r.get::<i64>(0)) {
                    Ok(version) if seen != Some(version) => {
                        seen = Some(version);
                        if let Err(e) = watch.look(&conn) {
                            tracing::error!(error = %e, "catching up with the database failed");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "reading data_version failed"),
                }
                watch.upkeep(&conn);
            }
        })?;
    Ok(())
}

/// The same for a node on PostgreSQL, with a connection that LISTENs. When that connection is
/// lost, the node connects again (waiting longer each time, up to `RECONNECT_MOST`) and looks
/// at once: the hub catches up from its own cursor, so whatever committed meanwhile reaches the
/// polls parked here, once.
pub fn spawn_postgres(
    url: &str,
    hub: Arc<Hub>,
    forget: impl Fn(&Invalidated) + Send + 'static,
) -> std::io::Result<()> {
    let config: postgres::Config = url.parse().map_err(std::io::Error::other)?;
    let first = listen(&config).map_err(std::io::Error::other)?;
    let mut watch = Watch::new(&first, hub, forget)?;
    std::thread::Builder::new()
        .name("bavard-watcher".into())
        .spawn(move || {
            let mut listening = Some(first);
            let mut wait = RECONNECT_FIRST;
            loop {
                let Some(conn) = listening.as_ref() else {
                    std::thread::sleep(wait);
                    match listen(&config) {
                        Ok(conn) => {
                            tracing::info!("listening to PostgreSQL again");
                            listening = Some(conn);
                            wait = RECONNECT_FIRST;
                        }
                        Err(e) => {
                            wait = (wait * 2).min(RECONNECT_MOST);
                            tracing::warn!(error = %e, "PostgreSQL is out of reach");
                        }
                    }
                    continue;
                };
                let looked = conn
                    .wait_for_notification(WATCH_INTERVAL)
                    .map_err(AppError::from)
                    .and_then(|_| watch.look(conn));
                if let Err(e) = looked {
                    tracing::warn!(error = %e, "lost PostgreSQL's notifications; listening again");
                    listening = None;
                    continue;
                }
                watch.upkeep(conn);
            }
        })?;
    Ok(())
}

fn listen(config: &postgres::Config) -> Result<Conn, AppError> {
    // Named, so that an operator (or a test) can tell it apart in pg_stat_activity.
    let conn = db::connect_postgres(config.clone().application_name("bavard-watcher"))?;
    conn.execute_batch(&format!("LISTEN {EVENTS_CHANNEL}"))?;
    Ok(conn)
}
