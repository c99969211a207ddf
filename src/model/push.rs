//! Web Push subscriptions: the browsers a person turned notifications on in, and how far the
//! sender has gone through the events.

use super::conversation::Notify;
use super::event::{self, Event, EventKind};
use super::{ConversationId, FieldError, UserId, now};
use crate::db::{Conn, Engine};
use crate::error::AppError;

/// A browser's subscription as the person's list shows it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub id: i64,
    pub label: String,
    pub created_at: i64,
}

/// What a push needs to reach one browser.
#[derive(Clone, Debug)]
pub struct Subscription {
    pub id: i64,
    pub user: UserId,
    pub endpoint: String,
    /// The browser's P-256 public key, uncompressed (65 bytes).
    pub p256dh: Vec<u8>,
    /// Its authentication secret (16 bytes).
    pub auth: Vec<u8>,
    pub contact: String,
    /// What the conversation being pushed about may ask this person's attention for.
    pub notify: Notify,
}

/// A subscription as a browser hands it over, checked.
pub struct NewSubscription {
    pub endpoint: String,
    pub p256dh: Vec<u8>,
    pub auth: Vec<u8>,
    pub label: String,
    pub contact: String,
}

const ENDPOINT_MAX: usize = 1000;
const LABEL_MAX: usize = 120;

/// Checks what a browser sent. Endpoints are the push service's HTTPS addresses; `loopback`
/// also allows plain HTTP to this machine (tests, and a push service beside the server).
pub fn check(
    endpoint: &str,
    p256dh: &[u8],
    auth: &[u8],
    label: &str,
    contact: &str,
    loopback: bool,
) -> Result<NewSubscription, FieldError> {
    let endpoint = endpoint.trim();
    let secure = endpoint.starts_with("https://") && endpoint.len() > "https://".len();
    let local = loopback
        && ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
            .iter()
            .any(|start| endpoint.starts_with(start));
    let printable = endpoint.chars().all(|c| c.is_ascii_graphic());
    if !(secure || local) || !printable || endpoint.len() > ENDPOINT_MAX {
        return Err(FieldError::new("endpoint", "error-push-endpoint"));
    }
    // An uncompressed P-256 point, and the 16-byte secret RFC 8291 prescribes.
    if p256dh.len() != 65 || p256dh[0] != 4 || auth.len() != 16 {
        return Err(FieldError::new("endpoint", "error-push-keys"));
    }
    let label: String = label
        .chars()
        .filter(|c| !c.is_control())
        .take(LABEL_MAX)
        .collect();
    Ok(NewSubscription {
        endpoint: endpoint.to_owned(),
        p256dh: p256dh.to_vec(),
        auth: auth.to_vec(),
        label: label.trim().to_owned(),
        contact: contact.to_owned(),
    })
}

/// Keeps the browser's subscription for `user`. A browser subscribing again (or one handed
/// over to another account) replaces what was kept for its endpoint.
pub fn subscribe(conn: &Conn, user: UserId, new: &NewSubscription) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, label, contact, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (endpoint) DO UPDATE SET user_id = ?1, p256dh = ?3, auth = ?4, label = ?5,
             contact = ?6, created_at = ?7",
        &[
            &user,
            &new.endpoint,
            &new.p256dh,
            &new.auth,
            &new.label,
            &new.contact,
            &now(),
        ],
    )?;
    Ok(())
}

/// The person's browsers, newest first.
pub fn of_user(conn: &Conn, user: UserId) -> Result<Vec<Listed>, AppError> {
    let rows = conn.query_map(
        "SELECT id, label, created_at FROM push_subscriptions WHERE user_id = ?1
         ORDER BY created_at DESC, id DESC",
        &[&user],
        |r| {
            Ok(Listed {
                id: r.get(0)?,
                label: r.get(1)?,
                created_at: r.get(2)?,
            })
        },
    )?;
    Ok(rows)
}

/// Removes one of the person's browsers; someone else's is not found.
pub fn remove(conn: &Conn, user: UserId, id: i64) -> Result<(), AppError> {
    let removed = conn.execute(
        "DELETE FROM push_subscriptions WHERE id = ?1 AND user_id = ?2",
        &[&id, &user],
    )?;
    if removed == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Removes the browser at `endpoint` if it is the person's (signing out there).
pub fn remove_endpoint(conn: &Conn, user: UserId, endpoint: &str) -> Result<(), AppError> {
    conn.execute(
        "DELETE FROM push_subscriptions WHERE endpoint = ?1 AND user_id = ?2",
        &[&endpoint, &user],
    )?;
    Ok(())
}

/// Every browser of the person (their password changed: no device keeps hearing).
pub fn remove_all_of_user(conn: &Conn, user: UserId) -> Result<(), AppError> {
    conn.execute(
        "DELETE FROM push_subscriptions WHERE user_id = ?1",
        &[&user],
    )?;
    Ok(())
}

/// The push service said the subscription is gone (404, 410).
pub fn forget(conn: &Conn, id: i64) -> Result<(), AppError> {
    conn.execute("DELETE FROM push_subscriptions WHERE id = ?1", &[&id])?;
    Ok(())
}

/// The newest event the sender has looked at.
fn progress(conn: &Conn) -> Result<i64, AppError> {
    Ok(conn
        .query_opt(
            "SELECT last_event FROM push_progress WHERE id = 1",
            &[],
            |r| r.get(0),
        )?
        .unwrap_or(0))
}

/// Takes the new messages after the sender's progress, at most `limit`, and moves the progress
/// past them in the same transaction: when several processes send, each event is taken by one.
pub fn take_new_messages(conn: &Conn, limit: usize) -> Result<Vec<Event>, AppError> {
    // Looked at without the write lock first: an idle server must not take it every second.
    if event::latest_id(conn)?.0 <= progress(conn)? {
        return Ok(Vec::new());
    }
    conn.write(|tx| {
        // SQLite's write transaction already excludes every other writer; on PostgreSQL two
        // nodes would otherwise both read the same progress and send the same pushes.
        let taken = match tx.engine() {
            Engine::Sqlite => progress(tx)?,
            Engine::Postgres => tx.query_row(
                "SELECT last_event FROM push_progress WHERE id = 1 FOR UPDATE",
                &[],
                |r| r.get(0),
            )?,
        };
        let events = event::after(tx, super::EventId(taken), limit)?;
        let Some(newest) = events.last().map(|e| e.id) else {
            return Ok(Vec::new());
        };
        tx.execute(
            "INSERT INTO push_progress (id, last_event) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET last_event = ?1",
            &[&newest],
        )?;
        let anyone = tx
            .query_opt("SELECT 1 FROM push_subscriptions LIMIT 1", &[], |_| Ok(()))?
            .is_some();
        // Nobody has turned Web Push on: the progress moved, and nothing is left to do.
        if !anyone {
            return Ok(Vec::new());
        }
        Ok(events
            .into_iter()
            .filter(|e| e.kind == EventKind::Message)
            .collect())
    })
}

/// The browsers of the conversation's members other than `author`, with each member's level,
/// for accounts still enabled.
pub fn of_members(
    conn: &Conn,
    conversation: ConversationId,
    author: Option<UserId>,
) -> Result<Vec<Subscription>, AppError> {
    let rows = conn.query_map(
        "SELECT s.id, s.user_id, s.endpoint, s.p256dh, s.auth, s.contact, m.notify
         FROM memberships m
         JOIN push_subscriptions s ON s.user_id = m.user_id
         JOIN users u ON u.id = m.user_id AND u.disabled_at IS NULL
         WHERE m.conversation_id = ?1 AND m.user_id IS DISTINCT FROM ?2",
        &[&conversation, &author],
        |r| {
            let notify: String = r.get(6)?;
            Ok(Subscription {
                id: r.get(0)?,
                user: r.get(1)?,
                endpoint: r.get(2)?,
                p256dh: r.get(3)?,
                auth: r.get(4)?,
                contact: r.get(5)?,
                notify: Notify::from_code(&notify).unwrap_or_default(),
            })
        },
    )?;
    Ok(rows)
}
