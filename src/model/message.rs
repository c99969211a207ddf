//! Messages: what people write, and the notices (joined, left, renamed…) that the conversation
//! shows between them. Rules for writing, editing and deleting live here.

use std::sync::Arc;
use std::time::Duration;

use super::attachment::{self, Attachment, NewAttachment};
use super::event::{self, EventKind};
use super::mention::{self, Mentioned};
use super::reaction::{self, Reaction};
use super::{ConversationId, EventId, FieldError, MessageId, UserId, now};
use crate::db::{self, Conn, Row};
use crate::error::AppError;
use crate::recent::Recent;

pub const BODY_MAX: usize = 4000;
/// Messages shown when a conversation opens, and per "Load earlier messages".
pub const PAGE_SIZE: usize = 50;
/// Between the names of an "added" notice's body: a control character, which names never hold,
/// so the reader's language can list them ("Bob, Carol and 4,998 others"). Older notices hold
/// the names joined by ", ", and are shown as they are.
pub const NAME_SEPARATOR: char = '\u{1f}';
/// Messages by one author closer together than this are drawn as one block.
pub const GROUPING_SECONDS: i64 = 5 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    Text,
    /// The instance greeting a new account.
    Welcome,
    /// Someone created the group; the body is its title.
    Created,
    /// Someone added people; the body lists their names.
    Added,
    Left,
    /// Someone renamed the group; the body is the new title.
    Renamed,
}

impl MessageKind {
    pub fn code(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Welcome => "welcome",
            MessageKind::Created => "created",
            MessageKind::Added => "added",
            MessageKind::Left => "left",
            MessageKind::Renamed => "renamed",
        }
    }

    pub(crate) fn from_code(code: &str) -> MessageKind {
        match code {
            "welcome" => MessageKind::Welcome,
            "created" => MessageKind::Created,
            "added" => MessageKind::Added,
            "left" => MessageKind::Left,
            "renamed" => MessageKind::Renamed,
            _ => MessageKind::Text,
        }
    }

    /// Notices that change who is in the conversation or what it is called.
    pub fn changes_membership_or_title(self) -> bool {
        matches!(
            self,
            MessageKind::Created | MessageKind::Added | MessageKind::Left | MessageKind::Renamed
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// The key of their picture (`media`), if they chose one.
    pub avatar: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub conversation: ConversationId,
    /// None for the instance's own messages, or an account since deleted.
    pub author: Option<Author>,
    pub kind: MessageKind,
    pub body: String,
    pub created_at: i64,
    pub edited: bool,
    pub deleted: bool,
    /// Follows a message by the same author within the grouping window: drawn without the
    /// author's name and avatar.
    pub continued: bool,
    pub attachments: Vec<Attachment>,
    pub reactions: Vec<Reaction>,
    /// The message this one answers.
    pub reply: Option<Quote>,
    pub mentioned: Mentioned,
    /// The name of the webhook that posted it (`webhook::post`); its author is then None.
    pub bot: Option<String>,
}

/// What a reply shows of the message it answers: who wrote it and how it began (the first
/// 140 characters), or that it was deleted since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub id: MessageId,
    /// None for an account since deleted.
    pub author: Option<(UserId, String)>,
    pub excerpt: String,
    pub deleted: bool,
}

const SELECT: &str = "SELECT m.id, m.conversation_id, m.author_id, u.username, u.display_name,
        m.kind, m.body, m.created_at, m.edited_at IS NOT NULL, m.deleted_at IS NOT NULL,
        m.files, u.avatar, m.reactions,
        q.id, q.author_id, qu.display_name, substr(q.body, 1, 140), q.deleted_at IS NOT NULL,
        m.mentioned, m.bot
    FROM messages m LEFT JOIN users u ON u.id = m.author_id
        LEFT JOIN messages q ON q.id = m.reply_to LEFT JOIN users qu ON qu.id = q.author_id";

/// A message as read, and what it has to look up (`with_details`).
struct Loaded {
    message: Message,
    has_files: bool,
    has_reactions: bool,
}

impl Message {
    fn from_row(row: &Row<'_>) -> Result<Loaded, db::Error> {
        let author_id: Option<UserId> = row.get(2)?;
        let author = match (author_id, row.get::<Option<String>>(3)?, row.get(4)?) {
            (Some(id), Some(username), Some(display_name)) => Some(Author {
                id,
                username,
                display_name,
                avatar: row.get(11)?,
            }),
            _ => None,
        };
        let kind: String = row.get(5)?;
        let message = Message {
            id: row.get(0)?,
            conversation: row.get(1)?,
            author,
            kind: MessageKind::from_code(&kind),
            body: row.get(6)?,
            created_at: row.get(7)?,
            edited: row.get(8)?,
            deleted: row.get(9)?,
            continued: false,
            attachments: Vec::new(),
            reactions: Vec::new(),
            reply: match row.get::<Option<MessageId>>(13)? {
                Some(id) => Some(Quote {
                    id,
                    author: match (row.get(14)?, row.get(15)?) {
                        (Some(id), Some(name)) => Some((id, name)),
                        _ => None,
                    },
                    excerpt: row.get(16)?,
                    deleted: row.get(17)?,
                }),
                None => None,
            },
            mentioned: Mentioned::from_column(&row.get::<String>(18)?),
            bot: row.get(19)?,
        };
        Ok(Loaded {
            message,
            has_files: row.get::<i64>(10)? > 0,
            has_reactions: row.get::<i64>(12)? > 0,
        })
    }

    /// Whether `user` may edit or delete this message; see `may_change`.
    pub fn check_changeable_by(&self, user: UserId) -> Result<(), AppError> {
        may_change(
            self.author.as_ref().map(|a| a.id),
            self.kind,
            self.deleted,
            user,
        )
    }

    fn continues(&self, kind: MessageKind, author: Option<UserId>, at: i64) -> bool {
        self.kind == MessageKind::Text
            && kind == MessageKind::Text
            && self.author.is_some()
            && self.author.as_ref().map(|a| a.id) == author
            && self.created_at - at < GROUPING_SECONDS
    }
}

/// Text as people typed it, minus surrounding blank space, within the length limit. It may be
/// empty only for a message that carries files (a photo needs no caption).
pub fn check_body(raw: &str, has_files: bool) -> Result<String, FieldError> {
    let body = crate::forms::clean_text(raw);
    if body.is_empty() && !has_files {
        return Err(FieldError::new("body", "error-message-empty"));
    }
    if body.chars().count() > BODY_MAX {
        return Err(FieldError::new("body", "error-message-long"));
    }
    Ok(body)
}

/// Adds a message at the end of the conversation, with its event, inside the caller's write
/// transaction.
pub(crate) fn insert(
    conn: &Conn,
    conversation: ConversationId,
    author: Option<UserId>,
    kind: MessageKind,
    body: &str,
) -> Result<MessageId, AppError> {
    let id = add(conn, conversation, author, kind, body)?;
    publish(conn, conversation, id)?;
    Ok(id)
}

/// The message's row alone, which nobody sees before `publish`.
fn add(
    conn: &Conn,
    conversation: ConversationId,
    author: Option<UserId>,
    kind: MessageKind,
    body: &str,
) -> Result<MessageId, AppError> {
    Ok(conn.query_row(
        "INSERT INTO messages (conversation_id, author_id, kind, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        &[&conversation, &author, &kind.code(), &body, &now()],
        |r| r.get(0),
    )?)
}

/// Brings the conversation to the top of its members' lists and records the message's event.
/// Both lock until the transaction ends (the conversation's row, and on PostgreSQL the events'
/// lock, see `event::record`), and every other send waits on them: a transaction publishes
/// last, right before it commits.
fn publish(conn: &Conn, conversation: ConversationId, id: MessageId) -> Result<(), AppError> {
    conn.execute(
        "UPDATE conversations SET last_activity = ?2 WHERE id = ?1",
        &[&conversation, &now()],
    )?;
    event::record(conn, conversation, EventKind::Message, id)?;
    Ok(())
}

/// Posts `body` as `author`, with `files` (already stored by `media`). The membership and the
/// author's quota (bytes of files they keep) are checked inside the same transaction, so a
/// member who just left cannot post, and two uploads at once cannot both pass the quota.
pub fn post(
    conn: &Conn,
    conversation: ConversationId,
    author: UserId,
    body: &str,
    files: &[NewAttachment],
    quota: u64,
    reply_to: Option<MessageId>,
) -> Result<MessageId, AppError> {
    conn.write(|tx| {
        if !super::conversation::is_member(tx, conversation, author)? {
            return Err(AppError::NotFound);
        }
        if let Some(original) = reply_to
            && reply_target(tx, conversation, original)?.is_none()
        {
            return Err(AppError::BadRequest("error-reply-gone"));
        }
        if !files.is_empty() {
            let adding: u64 = files.iter().map(|f| f.size).sum();
            if attachment::stored_by(tx, author)?.saturating_add(adding) > quota {
                return Err(AppError::BadRequest("error-upload-quota"));
            }
        }
        let id = add(tx, conversation, Some(author), MessageKind::Text, body)?;
        if let Some(original) = reply_to {
            tx.execute(
                "UPDATE messages SET reply_to = ?2 WHERE id = ?1",
                &[&id, &original],
            )?;
        }
        mention::record(tx, conversation, id, author, body)?;
        if !files.is_empty() {
            attachment::insert(tx, id, author, files)?;
        }
        // What you write, you have read: otherwise a busy sender's unread count would be counted
        // from long ago on every page.
        super::conversation::mark_read(tx, conversation, author, id)?;
        publish(tx, conversation, id)?;
        Ok(id)
    })
}

/// The message of the conversation that a reply may answer, as its quote: what people wrote,
/// while it is there. None otherwise (a notice, a deleted message, one of another
/// conversation, none at all).
pub fn reply_target(
    conn: &Conn,
    conversation: ConversationId,
    id: MessageId,
) -> Result<Option<Quote>, AppError> {
    let found = find(conn, conversation, id)?;
    Ok(found
        .filter(|m| m.kind == MessageKind::Text && !m.deleted)
        .map(|m| m.quote()))
}

impl Message {
    /// What a reply, or the message's reactions page, shows of it.
    pub fn quote(&self) -> Quote {
        Quote {
            id: self.id,
            author: self.author.as_ref().map(|a| (a.id, a.display_name.clone())),
            excerpt: self.body.chars().take(QUOTE_CHARS).collect(),
            deleted: self.deleted,
        }
    }
}

/// How much of the answered message a reply quotes (the SQL's `substr` says the same).
const QUOTE_CHARS: usize = 140;

/// Marks each message that continues its predecessor; `previous` is the message just before
/// the first one, if any.
fn group(mut messages: Vec<Message>, previous: Option<&Message>) -> Vec<Message> {
    let mut previous = previous.map(|p| (p.kind, p.author.as_ref().map(|a| a.id), p.created_at));
    for message in &mut messages {
        message.continued =
            previous.is_some_and(|(kind, author, at)| message.continues(kind, author, at));
        previous = Some((
            message.kind,
            message.author.as_ref().map(|a| a.id),
            message.created_at,
        ));
    }
    messages
}

/// Fills in the files of the loaded messages that have some, in one query.
fn with_details(
    conn: &Conn,
    conversation: ConversationId,
    loaded: Vec<Loaded>,
) -> Result<Vec<Message>, AppError> {
    let range = |wanted: fn(&Loaded) -> bool| {
        let ids = || loaded.iter().filter(|l| wanted(l)).map(|l| l.message.id);
        ids().min().zip(ids().max())
    };
    let mut files = match range(|l| l.has_files) {
        Some((first, last)) => attachment::of_messages(conn, conversation, first, last)?,
        None => Default::default(),
    };
    let mut reactions = match range(|l| l.has_reactions) {
        Some((first, last)) => reaction::of_messages(conn, conversation, first, last)?,
        None => Default::default(),
    };
    Ok(loaded
        .into_iter()
        .map(|mut l| {
            if l.has_files {
                l.message.attachments = files.remove(&l.message.id).unwrap_or_default();
            }
            if l.has_reactions {
                l.message.reactions = reactions.remove(&l.message.id).unwrap_or_default();
            }
            l.message
        })
        .collect())
}

pub struct Page {
    pub messages: Vec<Message>,
    /// There are older messages than the first one here.
    pub has_earlier: bool,
    /// When the message just before the first one was written: the first one starts a new
    /// day in the log only if that was another day.
    pub previous_at: Option<i64>,
}

/// The latest page of the conversations opened lately, kept while nothing in it changed: in a
/// busy conversation the page is opened far more often than it is written to, and reading its
/// fifty messages was half of what drawing it cost. An entry holds while the conversation has
/// no newer event (every new, edited, deleted or reacted message records one, in any process)
/// and no account was changed since it was read (authors' names and pictures are part of it).
pub struct LatestPages(Recent<ConversationId, Arc<KeptPage>>);

struct KeptPage {
    stamp: EventId,
    accounts: u64,
    page: Arc<Page>,
}

/// About 25 KB each with ordinary messages.
const LATEST_PAGES_KEPT: usize = 200;
const LATEST_PAGE_LIFETIME: Duration = Duration::from_secs(600);

impl Default for LatestPages {
    fn default() -> Self {
        LatestPages(Recent::new(LATEST_PAGE_LIFETIME, LATEST_PAGES_KEPT))
    }
}

impl LatestPages {
    /// The latest page, from what is kept when it still holds. `accounts` is the account
    /// cache's generation, taken before the caller's snapshot began.
    pub fn page(
        &self,
        conn: &Conn,
        conversation: ConversationId,
        accounts: u64,
    ) -> Result<Arc<Page>, AppError> {
        let stamp = event::latest_in(conn, conversation)?;
        if let Some(kept) = self.0.get(&conversation)
            && kept.stamp == stamp
            && kept.accounts == accounts
        {
            return Ok(Arc::clone(&kept.page));
        }
        let page = Arc::new(page(conn, conversation, None)?);
        let kept = KeptPage {
            stamp,
            accounts,
            page: Arc::clone(&page),
        };
        self.0.put(conversation, Arc::new(kept));
        Ok(page)
    }
}

/// The latest messages of a conversation, oldest first; with `before`, the ones before it.
pub fn page(
    conn: &Conn,
    conversation: ConversationId,
    before: Option<MessageId>,
) -> Result<Page, AppError> {
    // One more than the page: it tells whether there is more, and how the first one groups.
    let mut rows = conn.query_map(
        &format!(
            "{SELECT} WHERE m.conversation_id = ?1 AND m.id < ?2 ORDER BY m.id DESC LIMIT {}",
            PAGE_SIZE + 1
        ),
        &[&conversation, &before.map_or(i64::MAX, |b| b.0)],
        Message::from_row,
    )?;
    let has_earlier = rows.len() > PAGE_SIZE;
    let previous = if has_earlier { rows.pop() } else { None };
    rows.reverse();
    let messages = with_details(conn, conversation, rows)?;
    Ok(Page {
        messages: group(messages, previous.as_ref().map(|l| &l.message)),
        has_earlier,
        previous_at: previous.as_ref().map(|l| l.message.created_at),
    })
}

/// One message of the conversation, grouped against its predecessor.
pub fn find(
    conn: &Conn,
    conversation: ConversationId,
    id: MessageId,
) -> Result<Option<Message>, AppError> {
    let mut rows = conn.query_map(
        &format!("{SELECT} WHERE m.conversation_id = ?1 AND m.id <= ?2 ORDER BY m.id DESC LIMIT 2"),
        &[&conversation, &id],
        Message::from_row,
    )?;
    if rows.first().is_none_or(|l| l.message.id != id) {
        return Ok(None);
    }
    let previous = (rows.len() == 2).then(|| rows.remove(1).message);
    let messages = with_details(conn, conversation, rows)?;
    Ok(group(messages, previous.as_ref()).pop())
}

pub fn latest_id(conn: &Conn, conversation: ConversationId) -> Result<MessageId, AppError> {
    Ok(conn.query_row(
        "SELECT coalesce(max(id), 0) FROM messages WHERE conversation_id = ?1",
        &[&conversation],
        |r| r.get(0),
    )?)
}

const DAY_SECONDS: i64 = 86_400;

/// Text messages written on each of the last `days` days (UTC), oldest first, counting today:
/// (the day's first second, count), days without any included as 0. For the monitoring page,
/// which administrators open now and then: a scan of the recent rows by their id order.
pub fn per_day(conn: &Conn, days: i64, now: i64) -> Result<Vec<(i64, u64)>, AppError> {
    let today = now.div_euclid(DAY_SECONDS);
    let first = today - days + 1;
    let mut counts = vec![0u64; days.max(0) as usize];
    let rows = conn.query_map(
        "SELECT created_at / 86400, count(*) FROM messages
         WHERE kind = 'text' AND created_at >= ?1 GROUP BY 1",
        &[&(first * DAY_SECONDS)],
        |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?)),
    )?;
    for (day, count) in rows {
        if let Some(slot) = usize::try_from(day - first)
            .ok()
            .and_then(|i| counts.get_mut(i))
        {
            *slot = count.max(0) as u64;
        }
    }
    Ok(counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| ((first + i as i64) * DAY_SECONDS, count))
        .collect())
}

/// People who wrote something since `since`.
pub fn authors_since(conn: &Conn, since: i64) -> Result<u64, AppError> {
    let count: i64 = conn.query_row(
        "SELECT count(DISTINCT author_id) FROM messages
         WHERE kind = 'text' AND created_at >= ?1 AND author_id IS NOT NULL",
        &[&since],
        |r| r.get(0),
    )?;
    Ok(count.max(0) as u64)
}

/// The one rule for editing and deleting, used by every route: only the author, only text
/// (never a notice such as "created the group"), and not once deleted.
pub fn may_change(
    author: Option<UserId>,
    kind: MessageKind,
    deleted: bool,
    user: UserId,
) -> Result<(), AppError> {
    if author != Some(user) || kind != MessageKind::Text {
        return Err(AppError::Forbidden("error-not-your-message"));
    }
    if deleted {
        return Err(AppError::BadRequest("error-message-was-deleted"));
    }
    Ok(())
}

/// Checks, inside a write, that `user` may change the message.
fn own_text_message(
    conn: &Conn,
    conversation: ConversationId,
    id: MessageId,
    user: UserId,
) -> Result<(), AppError> {
    let found: Option<(Option<UserId>, String, bool)> = conn.query_opt(
        "SELECT author_id, kind, deleted_at IS NOT NULL FROM messages
         WHERE id = ?1 AND conversation_id = ?2",
        &[&id, &conversation],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let (author, kind, deleted) = found.ok_or(AppError::NotFound)?;
    may_change(author, MessageKind::from_code(&kind), deleted, user)
}

pub fn edit(
    conn: &Conn,
    conversation: ConversationId,
    id: MessageId,
    user: UserId,
    body: &str,
) -> Result<(), AppError> {
    conn.write(|tx| {
        own_text_message(tx, conversation, id, user)?;
        tx.execute(
            "UPDATE messages SET body = ?2, edited_at = ?3 WHERE id = ?1",
            &[&id, &body, &now()],
        )?;
        mention::forget(tx, id)?;
        mention::record(tx, conversation, id, user, body)?;
        event::record(tx, conversation, EventKind::Edit, id)?;
        Ok(())
    })
}

/// Deletes the text and files for good and leaves a tombstone in its place. Answers the stored
/// files the caller must now remove (`media::Storage::remove`).
pub fn delete(
    conn: &Conn,
    conversation: ConversationId,
    id: MessageId,
    user: UserId,
) -> Result<Vec<String>, AppError> {
    conn.write(|tx| {
        own_text_message(tx, conversation, id, user)?;
        let files = attachment::remove_of_message(tx, id)?;
        tx.execute(
            "UPDATE messages SET body = '', deleted_at = ?2 WHERE id = ?1",
            &[&id, &now()],
        )?;
        mention::forget(tx, id)?;
        event::record(tx, conversation, EventKind::Delete, id)?;
        Ok(files)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_author_changes_their_own_text_while_it_is_there() {
        let (me, other) = (UserId(1), UserId(2));
        let refused = |r: Result<(), AppError>| match r {
            Err(AppError::Forbidden(key)) | Err(AppError::BadRequest(key)) => key,
            Err(e) => panic!("{e}"),
            Ok(()) => "allowed",
        };
        assert_eq!(
            refused(may_change(Some(me), MessageKind::Text, false, me)),
            "allowed"
        );
        assert_eq!(
            refused(may_change(Some(other), MessageKind::Text, false, me)),
            "error-not-your-message"
        );
        assert_eq!(
            refused(may_change(Some(me), MessageKind::Created, false, me)),
            "error-not-your-message",
            "a notice is nobody's to edit"
        );
        assert_eq!(
            refused(may_change(None, MessageKind::Welcome, false, me)),
            "error-not-your-message"
        );
        assert_eq!(
            refused(may_change(Some(me), MessageKind::Text, true, me)),
            "error-message-was-deleted"
        );
        assert_eq!(
            refused(may_change(Some(other), MessageKind::Text, true, me)),
            "error-not-your-message",
            "someone else's deleted message is still not yours"
        );
    }

    #[test]
    fn bodies_are_trimmed_bounded_and_kept_multiline() {
        assert_eq!(
            check_body("  hello\r\nworld  ", false).unwrap(),
            "hello\nworld"
        );
        assert_eq!(
            check_body(" \n\t ", false).unwrap_err().message,
            "error-message-empty"
        );
        assert_eq!(
            check_body(" \n ", true).unwrap(),
            "",
            "a photo needs no caption"
        );
        assert_eq!(
            check_body("\u{0}", false).unwrap_err().message,
            "error-message-empty"
        );
        assert!(check_body(&"é".repeat(BODY_MAX), false).is_ok());
        assert_eq!(
            check_body(&"é".repeat(BODY_MAX + 1), true)
                .unwrap_err()
                .message,
            "error-message-long"
        );
    }
}
