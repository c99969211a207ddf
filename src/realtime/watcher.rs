//! Background upkeep of the hub: notices commits made by other processes (a second app process,
//! an operator's `bavard` command) through SQLite's `data_version`, and writes batched read marks
//! and indexes new messages for search, both once a second.
//! It also passes on the notes of changed sessions and accounts, so that what this process
//! keeps of them in memory is forgotten.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::Hub;
use crate::model::invalidation::{self, Invalidated};
use crate::model::search;

/// Under the one second in which another process's message must reach waiting clients.
const WATCH_INTERVAL: Duration = Duration::from_millis(200);
/// Read marks are written at most this often: one transaction for everyone reading meanwhile,
/// rather than one write per woken poll.
const READ_FLUSH_EVERY: u32 = 5;

/// Starts the watcher thread on its own connection; it runs for the life of the process.
/// `forget` receives the sessions and accounts changed since the previous look.
pub fn spawn(
    database: &Path,
    key: Option<&crate::keys::Key>,
    hub: Arc<Hub>,
    forget: impl Fn(&Invalidated) + Send + 'static,
) -> std::io::Result<()> {
    let mut conn = crate::db::connect(database, key).map_err(std::io::Error::other)?;
    // Read before the server accepts anyone, so that no change falls before the first look.
    let mut noted = invalidation::latest(&conn).map_err(std::io::Error::other)?;
    std::thread::Builder::new()
        .name("bavard-watcher".into())
        .spawn(move || {
            let mut seen: Option<i64> = None;
            let mut tick: u32 = 0;
            loop {
                std::thread::sleep(WATCH_INTERVAL);
                tick = tick.wrapping_add(1);
                // data_version changes whenever another connection (this process's pool included)
                // commits; a catch-up with nothing new is one indexed query.
                match conn.query_row("PRAGMA data_version", &[], |r| r.get::<i64>(0)) {
                    Ok(version) if seen != Some(version) => {
                        seen = Some(version);
                        if let Err(e) = hub.catch_up(&conn) {
                            tracing::error!(error = %e, "catching up with the database failed");
                        }
                        match invalidation::after(&conn, noted) {
                            Ok((last, changed)) => {
                                noted = last;
                                if !changed.is_empty() {
                                    forget(&changed);
                                }
                            }
                            Err(e) => tracing::error!(error = %e, "reading changed rows failed"),
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "reading data_version failed"),
                }
                if tick.is_multiple_of(READ_FLUSH_EVERY) {
                    if let Err(e) = hub.flush_reads(&mut conn) {
                        tracing::error!(error = %e, "writing read marks failed");
                    }
                    if let Err(e) = hub.flush_presence(&conn) {
                        tracing::error!(error = %e, "writing when people were last seen failed");
                    }
                    if let Err(e) = search::index_pending(&conn) {
                        tracing::error!(error = %e, "indexing new messages for search failed");
                    }
                }
            }
        })?;
    Ok(())
}
