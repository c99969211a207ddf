//! Long-polling: `GET /c/{id}/poll?after=CURSOR` for an open conversation, `GET /poll?after=`
//! for every other page (the conversation list only). Each answer carries the next poller.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use maud::Markup;
use serde::Deserialize;

use super::html_bytes;
use crate::auth::{SignedIn, is_cross_site};
use crate::config::SHORT_POLL_DELAY_MS;
use crate::db;
use crate::error::AppError;
use crate::model::conversation::{self, Kind, Notify, Preview, Summary};
use crate::model::user::{self, Presence};
use crate::model::{ConversationId, EventId, MessageId, UserId};
use crate::paths;
use crate::realtime::hub::{Channel, ParkedSlot, Renamed};
use crate::realtime::{AnswerKey, Collected, Hub, Published, SharedAnswer, plan};
use crate::state::AppState;
use crate::views::conversation::{
    PollAnswer, conversation_entry, conversation_entry_in_place, message_item, poll_fragment,
    poller, reactions_update,
};

/// A client back after a long absence gets at most this many missed events per answer; its next
/// poll continues from there.
const MISSED_PER_ANSWER: usize = 200;

#[derive(Deserialize)]
pub struct PollQuery {
    after: i64,
    /// The newest message of the open conversation the page shows.
    read: Option<i64>,
    /// 1 when the page is in view (added by app.js): only then does showing count as reading.
    visible: Option<u8>,
    /// 0 asks for an answer at once: app.js falls back to short polling when the host refuses
    /// held requests (503, or 508 from CloudLinux's entry-process limit).
    wait: Option<u8>,
    /// The latest rename the page has seen (`Hub::rename_number`); none: the latest there is.
    names: Option<u64>,
    /// The open conversation's typing number the page shows (`realtime::typing`); none: the
    /// current one.
    typing: Option<u64>,
}

/// How long this poll may wait, and how long the page should pause before the next one.
struct Pace<'a> {
    hold: Duration,
    delay_ms: u64,
    /// Counts this poll among the waiting ones while it waits.
    _slot: Option<ParkedSlot<'a>>,
}

/// Polls wait up to the configured hold, unless the client asked not to, the server is at
/// `--max-held-polls`, or it is stopping: then they answer at once and the page asks again
/// after the short-polling delay, so that nobody spins.
fn pace<'a>(state: &'a AppState, query: &PollQuery) -> Pace<'a> {
    let configured = &state.poll;
    if configured.hold.is_zero() {
        return Pace {
            hold: Duration::ZERO,
            delay_ms: configured.delay_ms,
            _slot: None,
        };
    }
    let slot = (query.wait != Some(0))
        .then(|| state.hub.try_park(configured.max_held))
        .flatten();
    match slot {
        Some(slot) => Pace {
            hold: configured.hold,
            delay_ms: configured.delay_ms,
            _slot: Some(slot),
        },
        None => Pace {
            hold: Duration::ZERO,
            delay_ms: configured.delay_ms.max(SHORT_POLL_DELAY_MS),
            _slot: None,
        },
    }
}

/// Every header that the poll routes, and the layers around them, read: the session cookie
/// or API token, compression, language, the proxy's word on scheme and client, the checks of
/// where the request comes from, and whether htmx asked (for an error's fragment).
const HEADERS_A_POLL_READS: [HeaderName; 12] = [
    header::HOST,
    header::COOKIE,
    header::AUTHORIZATION,
    header::ACCEPT_ENCODING,
    header::ACCEPT_LANGUAGE,
    header::ORIGIN,
    header::FORWARDED,
    header::X_FORWARDED_FOR,
    header::X_FORWARDED_PROTO,
    header::X_FORWARDED_HOST,
    HeaderName::from_static("sec-fetch-site"),
    HeaderName::from_static("hx-request"),
];

/// Whether a request path is one of the poll routes.
pub fn is_poll(path: &str) -> bool {
    path.ends_with("/poll")
}

/// A parked poll keeps its request for as long as it waits, and actix-http makes every
/// request's header map for sixteen headers (32 slots, about 6 KB); a browser sends some
/// twenty (user agent, client hints, htmx's target and URL…). Only what a poll reads is kept,
/// in a map of its size.
pub fn keep_only_what_a_poll_reads(headers: &mut HeaderMap) {
    let names = headers
        .keys()
        .filter(|name| HEADERS_A_POLL_READS.contains(name))
        .count();
    if names == headers.len_keys() {
        return;
    }
    let mut slim = HeaderMap::with_capacity(names);
    for (name, value) in headers.iter() {
        if HEADERS_A_POLL_READS.contains(name) {
            slim.append(name.clone(), value.clone());
        }
    }
    *headers = slim;
}

/// Poll answers must reach the browser as they are: never cached, and never held back by a
/// buffering front server (nginx, PythonAnywhere's) until more arrives.
fn unbuffered(mut response: HttpResponse) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    response
}

pub async fn conversation(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<PollQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, user) = (ConversationId(*id), me.user.id);
    // Every answer is followed at once by a re-poll: for the conversations with recent events,
    // whose members the hub keeps, that costs no trip to the database.
    let member = match state.hub.is_member(id, user) {
        Some(known) => known,
        None => {
            db::run(&state.pool, move |conn| {
                conversation::is_member(conn, id, user)
            })
            .await?
        }
    };
    if !member {
        return Err(AppError::NotFound);
    }
    // A GET may be sent by any site's page with the reader's cookie: only our own pages may
    // move the read mark.
    if let (Some(1), Some(read), false) = (query.visible, query.read, is_cross_site(&req)) {
        state.hub.note_read(id, user, MessageId(read));
    }
    let after = cursor(&query)?;
    let read = query.read.map(MessageId);
    let pace = pace(&state, &query);
    let names = query.names.unwrap_or_else(|| state.hub.rename_number());
    let typing = query
        .typing
        .unwrap_or_else(|| state.hub.typing.shown(id, user).0);
    let waited = wait(&state, user, after, names, Some((id, typing)), pace.hold).await?;
    let delay_ms = next_delay(&state, &pace, waited.woken_by_events());
    let shareable =
        plan::shareable(&waited.events, &waited.redraw, id, user) && waited.typists.is_none();
    let key = shareable.then_some(AnswerKey {
        conversation: id,
        after,
        next: waited.next,
        read,
        names: waited.names,
        typing: waited.typing,
        lang: me.lang,
        delay_ms,
    });
    if let Some(shared) = key.as_ref().and_then(|k| state.answers.get(k)) {
        return Ok(unbuffered(shared_response(&req, &shared)));
    }
    let presence = partner_presence(&state, id, user)?;
    let response = answer(&me, &state, Some(id), read, waited, presence, delay_ms).await?;
    Ok(unbuffered(match (key, response) {
        (Some(key), Answer::Fragment(body)) => {
            let shared = Arc::new(SharedAnswer::new(Bytes::from(body)));
            state.answers.put(key, Arc::clone(&shared));
            shared_response(&req, &shared)
        }
        (_, answer) => answer.into_response(),
    }))
}

/// A shared answer, gzip-encoded (compressed once for everyone) when the client accepts it.
fn shared_response(req: &HttpRequest, shared: &SharedAnswer) -> HttpResponse {
    let gzip = accepts_gzip(req).then(|| shared.gzip()).flatten();
    let Some(compressed) = gzip else {
        return html_bytes(StatusCode::OK, shared.plain());
    };
    let mut response = html_bytes(StatusCode::OK, compressed);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether `Accept-Encoding` allows gzip (listed, and not with `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.replace(' ', "").eq_ignore_ascii_case("q=0"));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// A server that is stopping tells pages to wait before asking again. A poll woken by events
/// was most likely woken with every other poll of its conversation: its page pauses until
/// the others are answered (`realtime::burst`). What is sent meanwhile is answered by that
/// next poll at once, from its cursor.
fn next_delay(state: &AppState, pace: &Pace<'_>, woken: bool) -> u64 {
    if state.hub.is_closing() {
        pace.delay_ms.max(SHORT_POLL_DELAY_MS)
    } else if woken {
        let pause = state.hub.burst.answered();
        pace.delay_ms
            .max(u64::try_from(pause.as_millis()).unwrap_or(u64::MAX))
    } else {
        pace.delay_ms
    }
}

enum Answer {
    Fragment(String),
    Redirect(&'static str),
}

impl Answer {
    fn into_response(self) -> HttpResponse {
        match self {
            Answer::Fragment(body) => html_bytes(StatusCode::OK, Bytes::from(body)),
            Answer::Redirect(to) => HttpResponse::Ok()
                .insert_header(("HX-Redirect", to))
                .finish(),
        }
    }
}

pub async fn everywhere(
    me: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<PollQuery>,
) -> Result<HttpResponse, AppError> {
    let after = cursor(&query)?;
    let pace = pace(&state, &query);
    let names = query.names.unwrap_or_else(|| state.hub.rename_number());
    let waited = wait(&state, me.user.id, after, names, None, pace.hold).await?;
    let delay_ms = next_delay(&state, &pace, waited.woken_by_events());
    Ok(unbuffered(
        answer(&me, &state, None, None, waited, None, delay_ms)
            .await?
            .into_response(),
    ))
}

fn cursor(query: &PollQuery) -> Result<EventId, AppError> {
    if query.after < 0 {
        return Err(AppError::BadRequest("error-bad-cursor"));
    }
    Ok(EventId(query.after))
}

struct Waited {
    events: Vec<Arc<Published>>,
    next: EventId,
    /// List entries to redraw: read marks moved in another tab, or someone in them renamed.
    redraw: Vec<ConversationId>,
    renamed: Vec<Renamed>,
    /// The latest rename now seen, for the next poll.
    names: u64,
    /// Who types in the open conversation, when that changed since the page's number.
    typists: Option<Vec<String>>,
    /// The typing number now shown, for the next poll.
    typing: u64,
    /// It waited parked until news came: the news probably woke every poll of the
    /// conversation at once (see `next_delay`).
    woken: bool,
}

impl Waited {
    /// Woken by messages or changes to them, which wake every member's tabs together; typing
    /// and read marks wake few, and often (a delay after those would hold back the message
    /// that follows them).
    fn woken_by_events(&self) -> bool {
        self.woken && !self.events.is_empty()
    }

    /// Nothing new: the poll answers with its next poller only.
    fn nothing(next: EventId, names: u64, typing: u64) -> Waited {
        Waited {
            events: Vec::new(),
            next,
            redraw: Vec::new(),
            renamed: Vec::new(),
            names,
            typists: None,
            typing,
            woken: false,
        }
    }
}

/// Gives the user's channel back to the hub however the poll ends (answered, or abandoned when
/// the client goes away and actix drops the request).
struct Parked<'a> {
    hub: &'a Hub,
    user: UserId,
    channel: Option<Arc<Channel>>,
}

impl Drop for Parked<'_> {
    fn drop(&mut self) {
        if let Some(channel) = self.channel.take() {
            self.hub.release(self.user, channel);
        }
    }
}

/// Waits for what `user` should learn after `cursor`: events, renames, read marks moved in
/// another tab, and who types in `typing`'s conversation (with the number its page shows).
async fn wait(
    state: &AppState,
    user: UserId,
    mut cursor: EventId,
    names: u64,
    typing: Option<(ConversationId, u64)>,
    hold: Duration,
) -> Result<Waited, AppError> {
    // Polling is being there: presence costs no request of its own.
    state.hub.saw(user);
    let parked = Parked {
        hub: &state.hub,
        user,
        channel: Some(state.hub.channel(user)),
    };
    let Some(channel) = parked.channel.as_deref() else {
        return Err(AppError::internal("poll channel missing"));
    };
    let reads_from = channel.read_sequence();
    let mut account_seen = channel.account_changes();
    let deadline = tokio::time::Instant::now() + hold;
    let typing_seen = typing.map_or(0, |(_, seen)| seen);
    let mut woken = false;
    loop {
        // Subscribe before looking, so that an event published in between still wakes us.
        let notified = channel.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let wake_at;
        if channel.account_changes() != account_seen {
            account_seen = channel.account_changes();
            let account = db::run(&state.pool, move |conn| user::find(conn, user)).await?;
            if account.is_none_or(|account| account.disabled) {
                return Err(AppError::LoginRequired);
            }
        }
        match state.hub.collect(user, cursor) {
            Collected::Covered { events, next } => {
                cursor = next;
                let (renamed, names_now) = state.hub.renamed_since(user, names);
                let mut redraw = channel.reads_since(reads_from);
                redraw.extend(renamed.iter().flat_map(|r| r.shared.iter().copied()));
                redraw.sort_unstable();
                redraw.dedup();
                let looked = typing.map(|(conversation, seen)| {
                    let now = tokio::time::Instant::now();
                    state.hub.typing.look(conversation, user, Some(seen), now)
                });
                let (typists, typing_now, typing_ends) = match looked {
                    Some(looked) => (looked.changed, looked.number, looked.ends),
                    None => (None, typing_seen, None),
                };
                if !events.is_empty() || !redraw.is_empty() || typists.is_some() {
                    return Ok(Waited {
                        events,
                        next,
                        redraw,
                        renamed,
                        names: names_now,
                        typists,
                        typing: typing_now,
                        woken,
                    });
                }
                // Someone shown typing stops being shown when their entry ends, even if
                // nothing wakes this poll before.
                wake_at = typing_ends.map_or(deadline, |ends| ends.min(deadline));
            }
            Collected::TooOld => {
                let hub = Arc::clone(&state.hub);
                let (events, next) = db::run(&state.pool, move |conn| {
                    hub.load_missed(conn, user, cursor, MISSED_PER_ANSWER)
                })
                .await?;
                return Ok(Waited {
                    events,
                    next,
                    ..Waited::nothing(next, names, typing_seen)
                });
            }
            Collected::Future => {
                // Another process may have committed what this one has not read yet.
                let hub = Arc::clone(&state.hub);
                db::run(&state.pool, move |conn| hub.catch_up(conn)).await?;
                if state.hub.last_event() < cursor {
                    return Err(AppError::BadRequest("error-bad-cursor"));
                }
                continue;
            }
        }
        if state.hub.is_closing() {
            return Ok(Waited::nothing(cursor, names, typing_seen));
        }
        match tokio::time::timeout_at(wake_at, notified).await {
            Ok(()) => woken = true,
            Err(_) if wake_at >= deadline => {
                return Ok(Waited::nothing(cursor, names, typing_seen));
            }
            Err(_) => {}
        }
    }
}

/// The open conversation's list entry, drawn from the event itself: no query, and no badge,
/// since the reader is looking at it.
fn summary_of_open(user: UserId, published: &Published) -> Summary {
    let info = &published.conversation;
    let title = info.title_for(user).to_owned();
    let message = &published.message;
    let other = match info.kind {
        Kind::Direct => info.members.iter().find(|m| m.id != user),
        Kind::Group => None,
    };
    Summary {
        id: info.id,
        kind: info.kind,
        filter_text: format!("{}{}", title.to_lowercase(), info.filter_names),
        avatar_of: other.map(|m| m.id),
        picture: other.and_then(|m| m.avatar.clone()),
        title,
        preview: Some(Preview {
            author: message
                .author
                .as_ref()
                .map(|a| a.display_name.clone())
                .or_else(|| message.bot.clone()),
            kind: message.kind,
            body: message.body.clone(),
            deleted: message.deleted,
            at: message.created_at,
            files: message.attachments.len() as i64,
        }),
        unread: 0,
        mentions: 0,
        // Nothing unread asks for attention: the level does not matter to the entry.
        notify: Notify::default(),
    }
}

/// In a direct conversation, whether the other person is there: every answer (a hold ending
/// with nothing new too) redraws it, so an open page follows them coming and going.
fn partner_presence(
    state: &AppState,
    id: ConversationId,
    user: UserId,
) -> Result<Option<Option<Presence>>, AppError> {
    let info = state.hub.conversation_via(&state.readers, id)?;
    let partner = info
        .filter(|info| info.kind == Kind::Direct)
        .and_then(|info| conversation::other_person(&info.members, user).map(|m| m.id));
    partner
        .map(|partner| super::presence_of(state, partner))
        .transpose()
}

async fn answer(
    me: &SignedIn,
    state: &AppState,
    open: Option<ConversationId>,
    read: Option<MessageId>,
    waited: Waited,
    presence: Option<Option<Presence>>,
    delay_ms: u64,
) -> Result<Answer, AppError> {
    let (lang, user) = (me.lang, me.user.id);
    let plan = plan::plan(&waited.events, &waited.redraw, user, open, read);
    if plan.leave_open {
        return Ok(Answer::Redirect(paths::HOME));
    }
    let appended: Vec<&str> = plan
        .appended
        .iter()
        .map(|p| p.rendered(lang, || message_item(lang, &p.message, false).into_string()))
        .collect();
    let replaced: Vec<&str> = plan
        .replaced
        .iter()
        .map(|p| p.rendered(lang, || message_item(lang, &p.message, true).into_string()))
        .chain(
            plan.reacted
                .iter()
                .map(|p| p.rendered(lang, || reactions_update(lang, &p.message).into_string())),
        )
        .collect();
    let from_database = plan.summaries_to_load(open);
    let mut summaries: HashMap<ConversationId, Summary> = if from_database.is_empty() {
        HashMap::new()
    } else {
        db::run(&state.pool, move |conn| {
            let mut found = HashMap::new();
            for id in from_database {
                if let Some(summary) = conversation::summary_for(conn, user, id)? {
                    found.insert(id, summary);
                }
            }
            Ok(found)
        })
        .await?
    };
    // The open conversation is being read: its entry counts nothing, as the page drew it,
    // though its read mark may reach the database only at the watcher's next round.
    if let Some(entry) = open.and_then(|open| summaries.get_mut(&open)) {
        entry.unread = 0;
        entry.mentions = 0;
    }
    // A direct conversation is named after the other person: their new name is the page's.
    let retitled = open
        .and_then(|open| summaries.get(&open))
        .filter(|summary| summary.kind == Kind::Direct)
        .and_then(|summary| {
            waited
                .renamed
                .iter()
                .find(|r| Some(r.user) == summary.avatar_of)
        })
        .map(|r| r.name.as_str());
    if let Some(published) = plan.open_latest {
        summaries.insert(
            published.event.conversation,
            summary_of_open(user, published),
        );
    }
    let entry = |id: &ConversationId| -> Option<(ConversationId, Markup)> {
        summaries
            .get(id)
            .map(|s| (*id, conversation_entry(lang, s, open)))
    };
    let moved_entries: Vec<(ConversationId, Markup)> =
        plan.moved.iter().filter_map(entry).collect();
    let redrawn_entries: Vec<Markup> = plan
        .redrawn
        .iter()
        .filter_map(|id| summaries.get(id))
        .map(|s| conversation_entry_in_place(lang, s, open))
        .collect();
    // A new name shows wherever the open page names that person.
    let renamed: Vec<(UserId, &str)> = waited
        .renamed
        .iter()
        .filter(|r| open.is_some_and(|open| r.shared.contains(&open)))
        .map(|r| (r.user, r.name.as_str()))
        .collect();
    let next = poller(
        &paths::poll(
            open,
            waited.next,
            plan.newest_read,
            waited.names,
            waited.typing,
        ),
        delay_ms,
    );
    Ok(Answer::Fragment(
        poll_fragment(&PollAnswer {
            lang,
            appended: &appended,
            replaced: &replaced,
            moved_to_top: &moved_entries,
            redrawn: &redrawn_entries,
            removed: &plan.removed,
            renamed: &renamed,
            retitled,
            typists: waited.typists.as_deref(),
            presence,
            next_poller: next,
        })
        .into_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_waiting_poll_keeps_only_the_headers_it_reads_in_a_smaller_map() {
        let chromium = [
            ("host", "chat.example"),
            ("connection", "keep-alive"),
            ("sec-ch-ua-platform", "\"Linux\""),
            ("hx-target", "poller"),
            ("hx-current-url", "https://chat.example/c/1"),
            ("sec-ch-ua", "\"Chromium\";v=\"156\""),
            ("sec-ch-ua-mobile", "?0"),
            ("hx-request", "true"),
            ("hx-trigger", "poller"),
            (
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0",
            ),
            ("accept", "*/*"),
            ("sec-fetch-site", "same-origin"),
            ("sec-fetch-mode", "cors"),
            ("sec-fetch-dest", "empty"),
            ("referer", "https://chat.example/c/1"),
            ("accept-encoding", "gzip, deflate, br, zstd"),
            ("accept-language", "fr-FR,fr;q=0.9"),
            ("priority", "u=1, i"),
            ("x-forwarded-for", "192.0.2.1"),
            ("x-forwarded-for", "198.51.100.7"),
            ("cookie", "bavard_session=abc"),
        ];
        let mut headers = HeaderMap::new();
        for (name, value) in chromium {
            headers.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let before = headers.capacity();
        keep_only_what_a_poll_reads(&mut headers);
        let mut kept: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        kept.sort_unstable();
        assert_eq!(
            kept,
            [
                "accept-encoding",
                "accept-language",
                "cookie",
                "host",
                "hx-request",
                "sec-fetch-site",
                "x-forwarded-for",
            ]
        );
        let forwarded: Vec<_> = headers.get_all("x-forwarded-for").collect();
        assert_eq!(forwarded.len(), 2, "every value of a kept header");
        assert!(
            headers.capacity() * 2 < before,
            "{} of {before}",
            headers.capacity()
        );
    }

    // The poll URL a page is given reads back as the same cursor, read mark, rename and typing
    // numbers.
    #[test]
    fn any_poll_url_drawn_reads_back_as_drawn() {
        use proptest::prelude::*;
        proptest!(|(after in 0i64.., read in proptest::option::of(0i64..), names in any::<u64>(), typing in any::<u64>(), open in 1i64..)| {
            let url = paths::poll(Some(ConversationId(open)), EventId(after), read.map(MessageId), names, typing);
            let (_, query) = url.split_once('?').expect("a query");
            let parsed = actix_web::web::Query::<PollQuery>::from_query(query).expect("parses");
            prop_assert_eq!(parsed.after, after);
            prop_assert_eq!(parsed.read, read);
            prop_assert_eq!(parsed.names, Some(names));
            prop_assert_eq!(parsed.typing, Some(typing));
        });
    }

    #[test]
    fn gzip_is_sent_only_to_clients_that_accept_it() {
        let accepts = |value: &str| {
            accepts_gzip(
                &TestRequest::get()
                    .insert_header(("accept-encoding", value))
                    .to_http_request(),
            )
        };
        assert!(accepts("gzip, deflate, br, zstd"));
        assert!(accepts("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts("*"));
        assert!(!accepts("br, zstd"));
        assert!(!accepts("gzip;q=0, br"));
        assert!(!accepts("gzip; q=0"));
        assert!(!accepts_gzip(&TestRequest::get().to_http_request()));
    }
}
