//! Conversations and who is in them. A conversation is only ever found through the asking
//! user's membership, so someone outside it gets "not found", never a hint that it exists.

use std::sync::{Arc, LazyLock};

use super::message::{self, LatestPages, MessageKind};
use super::{ConversationId, EventId, FieldError, MessageId, UserId, event, now};
use crate::db::{self, Conn, Row};
use crate::error::AppError;

pub const TITLE_MAX: usize = 100;
/// The welcome conversation every new account starts with is titled after the software.
pub const WELCOME_TITLE: &str = "Bavard";
/// Unread messages are counted up to this many ("99+" beyond): counting a long-unread busy
/// group in full on every page view costs more than the exact figure is worth.
pub const UNREAD_COUNTED: i64 = 100;
/// Member names the list's filter box matches per conversation; a large group is found by its
/// title, and its first members. Migration 0017 keeps these names in `member_names`, and says
/// 20 too.
pub const FILTER_MEMBERS: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Exactly two people, fixed.
    Direct,
    Group,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Direct => "direct",
            Kind::Group => "group",
        }
    }

    pub(crate) fn from_code(code: &str) -> Kind {
        if code == "direct" {
            Kind::Direct
        } else {
            Kind::Group
        }
    }
}

#[derive(Clone, Debug)]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: Kind,
    pub title: String,
    /// The asking member's read mark (0 when not looked up through a membership).
    pub last_read: MessageId,
    /// What the asking member lets it ask their attention for.
    pub notify: Notify,
}

/// What a conversation may ask its member's attention for (the tab's title, the browser's
/// notifications): every new message, only those that mention them, or nothing. Unread counts
/// are kept whatever it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Notify {
    #[default]
    All,
    Mentions,
    Nothing,
}

impl Notify {
    pub const ALL: [Notify; 3] = [Notify::All, Notify::Mentions, Notify::Nothing];

    pub fn code(self) -> &'static str {
        match self {
            Notify::All => "all",
            Notify::Mentions => "mentions",
            Notify::Nothing => "none",
        }
    }

    pub fn from_code(code: &str) -> Option<Notify> {
        Notify::ALL.into_iter().find(|n| n.code() == code)
    }

    /// How many of a conversation's unread messages ask for attention.
    pub fn asking(self, unread: i64, mentions: i64) -> i64 {
        match self {
            Notify::All => unread,
            Notify::Mentions => mentions,
            Notify::Nothing => 0,
        }
    }
}

/// Sets what the conversation may ask `user`'s attention for. Members only.
pub fn set_notify(
    conn: &Conn,
    id: ConversationId,
    user: UserId,
    notify: Notify,
) -> Result<(), AppError> {
    let changed = conn.execute(
        "UPDATE memberships SET notify = ?3 WHERE conversation_id = ?1 AND user_id = ?2",
        &[&id, &user, &notify.code()],
    )?;
    if changed == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The title `viewer` sees: in a direct conversation the other person's name, in a group its
/// title. The one rule for the page, the list (from SQL) and live updates (from the hub).
pub fn title_seen<'a>(kind: Kind, title: &'a str, other_person: Option<&'a str>) -> &'a str {
    match (kind, other_person) {
        (Kind::Direct, Some(name)) => name,
        _ => title,
    }
}

/// In a direct conversation, the member who is not `viewer`.
pub fn other_person(members: &[Member], viewer: UserId) -> Option<&Member> {
    members.iter().find(|m| m.id != viewer)
}

/// A member as the conversation shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// Their picture's key, if they chose one (`media`).
    pub avatar: Option<String>,
}

impl Member {
    /// From the columns `id, username, display_name, avatar` of `users`.
    fn from_row(row: &Row<'_>) -> Result<Member, db::Error> {
        Ok(Member {
            id: row.get(0)?,
            username: row.get(1)?,
            display_name: row.get(2)?,
            avatar: row.get(3)?,
        })
    }
}

pub fn check_title(raw: &str) -> Result<String, FieldError> {
    super::short_name(
        raw,
        TITLE_MAX,
        "title",
        ("error-title-empty", "error-title-long"),
    )
}

/// Usernames as people type them in a member list: separated by commas or spaces, with or
/// without a leading @, in any case; each once.
pub fn parse_usernames(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in text.split(|c: char| c == ',' || c.is_whitespace()) {
        let name = name.trim().trim_start_matches('@').to_lowercase();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The accounts named in a member list; every unknown name is an error, so that nothing is
/// created with half of the people intended.
pub fn members_named(conn: &Conn, text: &str) -> Result<Result<Vec<Member>, FieldError>, AppError> {
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for name in parse_usernames(text) {
        let member = conn.query_opt(
            "SELECT id, username, display_name, avatar FROM users WHERE username = ?1",
            &[&name],
            Member::from_row,
        )?;
        match member {
            Some(member) => found.push(member),
            None => unknown.push(name),
        }
    }
    if unknown.is_empty() {
        Ok(Ok(found))
    } else {
        let mut error = FieldError::new("members", "error-unknown-members");
        error.detail = Some(unknown.join(", "));
        Ok(Err(error))
    }
}

pub fn is_member(conn: &Conn, id: ConversationId, user: UserId) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM memberships WHERE conversation_id = ?1 AND user_id = ?2)",
        &[&id, &user],
        |r| r.get(0),
    )?)
}

/// The conversation, if `user` is in it.
pub fn find_for_member(
    conn: &Conn,
    id: ConversationId,
    user: UserId,
) -> Result<Option<Conversation>, AppError> {
    Ok(conn.query_opt(
        "SELECT c.id, c.kind, c.title, m.last_read_message_id, m.notify FROM conversations c
             JOIN memberships m ON m.conversation_id = c.id AND m.user_id = ?2
             WHERE c.id = ?1",
        &[&id, &user],
        |r| {
            let kind: String = r.get(1)?;
            Ok(Conversation {
                id: r.get(0)?,
                kind: Kind::from_code(&kind),
                title: r.get(2)?,
                last_read: r.get(3)?,
                notify: Notify::from_code(&r.get::<String>(4)?).unwrap_or_default(),
            })
        },
    )?)
}

/// Everyone who shares a conversation with `user`, with the conversations they share: who must
/// see it when `user` changes their name.
pub fn companions(conn: &Conn, user: UserId) -> Result<Vec<(UserId, ConversationId)>, AppError> {
    let rows = conn.query_map("SELECT other.user_id, other.conversation_id
         FROM memberships mine JOIN memberships other ON other.conversation_id = mine.conversation_id
         WHERE mine.user_id = ?1 AND other.user_id != ?1", &[&user], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows)
}

pub fn members(conn: &Conn, id: ConversationId) -> Result<Vec<Member>, AppError> {
    let rows = conn.query_map(
        "SELECT u.id, u.username, u.display_name, u.avatar
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.conversation_id = ?1 ORDER BY lower(u.display_name), u.username",
        &[&id],
        Member::from_row,
    )?;
    Ok(rows)
}

/// Adds memberships and says so in the conversation with one notice (when `notice_by` is set).
fn add(
    conn: &Conn,
    id: ConversationId,
    users: &[Member],
    notice_by: Option<UserId>,
) -> Result<(), AppError> {
    let mut added = Vec::new();
    for user in users {
        let inserted = conn.execute(
            "INSERT INTO memberships (conversation_id, user_id, joined_at, last_read_message_id)
             VALUES (?1, ?2, ?3,
                     (SELECT coalesce(max(id), 0) FROM messages WHERE conversation_id = ?1))
             ON CONFLICT DO NOTHING",
            &[&id, &user.id, &now()],
        )?;
        if inserted == 1 {
            added.push(user.display_name.as_str());
        }
    }
    if let (Some(actor), false) = (notice_by, added.is_empty()) {
        let names = added.join(&message::NAME_SEPARATOR.to_string());
        message::insert(conn, id, Some(actor), MessageKind::Added, &names)?;
    }
    Ok(())
}

/// Creates a group of `creator` and `others`.
pub fn create_group(
    conn: &Conn,
    creator: &Member,
    title: &str,
    others: &[Member],
) -> Result<ConversationId, AppError> {
    conn.write(|tx| {
        let at = now();
        let id: ConversationId = tx.query_row(
            "INSERT INTO conversations (kind, title, created_at, last_activity)
             VALUES ('group', ?1, ?2, ?2) RETURNING id",
            &[&title, &at],
            |r| r.get(0),
        )?;
        add(tx, id, std::slice::from_ref(creator), None)?;
        message::insert(tx, id, Some(creator.id), MessageKind::Created, title)?;
        let others: Vec<Member> = others
            .iter()
            .filter(|m| m.id != creator.id)
            .cloned()
            .collect();
        add(tx, id, &others, Some(creator.id))?;
        Ok(id)
    })
}

/// The direct conversation between two people, created the first time it is asked for.
pub fn direct_between(
    conn: &Conn,
    me: &Member,
    other: &Member,
) -> Result<ConversationId, AppError> {
    let pair = format!("{}:{}", me.id.0.min(other.id.0), me.id.0.max(other.id.0));
    conn.write(|tx| {
        let existing: Option<ConversationId> = tx.query_opt(
            "SELECT id FROM conversations WHERE direct_pair = ?1",
            &[&pair],
            |r| r.get(0),
        )?;
        if let Some(id) = existing {
            return Ok(id);
        }
        let at = now();
        let id: ConversationId = tx.query_row(
            "INSERT INTO conversations (kind, direct_pair, created_at, last_activity)
             VALUES ('direct', ?1, ?2, ?2) RETURNING id",
            &[&pair, &at],
            |r| r.get(0),
        )?;
        add(tx, id, &[me.clone(), other.clone()], None)?;
        Ok(id)
    })
}

/// The starter conversation of a new account, with the instance's welcome message. Runs in the
/// transaction that creates the account.
pub(crate) fn create_welcome(conn: &Conn, user: UserId) -> Result<(), AppError> {
    let at = now();
    let id: ConversationId = conn.query_row(
        "INSERT INTO conversations (kind, title, created_at, last_activity)
         VALUES ('group', ?1, ?2, ?2) RETURNING id",
        &[&WELCOME_TITLE, &at],
        |r| r.get(0),
    )?;
    conn.execute(
        "INSERT INTO memberships (conversation_id, user_id, joined_at) VALUES (?1, ?2, ?3)",
        &[&id, &user, &at],
    )?;
    message::insert(conn, id, None, MessageKind::Welcome, "")?;
    Ok(())
}

fn group_of_member(
    conn: &Conn,
    id: ConversationId,
    user: UserId,
) -> Result<Conversation, AppError> {
    let conversation = find_for_member(conn, id, user)?.ok_or(AppError::NotFound)?;
    if conversation.kind == Kind::Direct {
        return Err(AppError::BadRequest("error-direct-is-fixed"));
    }
    Ok(conversation)
}

pub fn add_members(
    conn: &Conn,
    id: ConversationId,
    actor: UserId,
    users: &[Member],
) -> Result<(), AppError> {
    conn.write(|tx| {
        group_of_member(tx, id, actor)?;
        add(tx, id, users, Some(actor))?;
        Ok(())
    })
}

pub fn rename(conn: &Conn, id: ConversationId, actor: UserId, title: &str) -> Result<(), AppError> {
    conn.write(|tx| {
        let conversation = group_of_member(tx, id, actor)?;
        if conversation.title != title {
            tx.execute(
                "UPDATE conversations SET title = ?2 WHERE id = ?1",
                &[&id, &title],
            )?;
            message::insert(tx, id, Some(actor), MessageKind::Renamed, title)?;
        }
        Ok(())
    })
}

/// Leaves a group. The notice is written before the membership goes, so that the leaver's own
/// other tabs learn of it too.
pub fn leave(conn: &Conn, id: ConversationId, user: UserId) -> Result<(), AppError> {
    conn.write(|tx| {
        group_of_member(tx, id, user)?;
        message::insert(tx, id, Some(user), MessageKind::Left, "")?;
        tx.execute(
            "DELETE FROM memberships WHERE conversation_id = ?1 AND user_id = ?2",
            &[&id, &user],
        )?;
        Ok(())
    })
}

/// Moves the member's read mark forward (never back), and never past the conversation's latest
/// message: the mark comes from the client, and one beyond every message would hide all future
/// ones from the unread count. True when it moved.
pub fn mark_read(
    conn: &Conn,
    id: ConversationId,
    user: UserId,
    up_to: MessageId,
) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE memberships SET last_read_message_id = clamped.up_to
             FROM (SELECT CASE WHEN ?3 < coalesce(max(id), 0) THEN ?3
                               ELSE coalesce(max(id), 0) END AS up_to
                   FROM messages WHERE conversation_id = ?1) AS clamped
             WHERE conversation_id = ?1 AND user_id = ?2
               AND last_read_message_id < clamped.up_to",
        &[&id, &user, &up_to],
    )?;
    Ok(changed == 1)
}

/// The last message of a conversation, as its list entry previews it.
#[derive(Clone, Debug)]
pub struct Preview {
    pub author: Option<String>,
    pub kind: MessageKind,
    pub body: String,
    pub deleted: bool,
    pub at: i64,
    /// Files the message carries (a photo sent alone has an empty body).
    pub files: i64,
}

/// A conversation as the list in the side panel shows it to one member.
#[derive(Clone, Debug)]
pub struct Summary {
    pub id: ConversationId,
    pub kind: Kind,
    /// The group's title, or the other person's name in a direct conversation.
    pub title: String,
    /// Whose avatar stands for the conversation: the other person in a direct conversation.
    pub avatar_of: Option<UserId>,
    /// That person's picture, if they chose one.
    pub picture: Option<String>,
    pub preview: Option<Preview>,
    pub unread: i64,
    /// Of the unread messages, those that mention the reader.
    pub mentions: i64,
    pub notify: Notify,
    /// Lower-cased title and member names, for the list's filter box.
    pub filter_text: String,
}

/// What the list's filter box matches a conversation on: its title and the names of its first
/// `FILTER_MEMBERS` members by id, lower-cased. The one definition for the page (from the
/// names kept in `conversations.member_names`) and for live redraws (from the hub's member
/// list), so both match the same names.
pub fn filter_text<'a>(
    title: &str,
    first_member_names: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut text = title.to_lowercase();
    for name in first_member_names.into_iter().take(FILTER_MEMBERS) {
        text.push(' ');
        text.push_str(&name.to_lowercase());
    }
    text
}

/// The display names `filter_text` takes, from a member list in any order.
pub fn first_member_names(members: &[Member]) -> Vec<&str> {
    let mut by_id: Vec<&Member> = members.iter().collect();
    by_id.sort_unstable_by_key(|m| m.id);
    by_id
        .into_iter()
        .take(FILTER_MEMBERS)
        .map(|m| m.display_name.as_str())
        .collect()
}

/// Enough of the last message for its preview: a notice of people added to a group names them
/// all, thousands of names in a large group.
const PREVIEW_SOURCE_CHARS: usize = 200;

/// The list entries of `user`'s conversations, followed by `tail`. The statements below are
/// built once: their limits are written into the SQL (see `model`), and the poll path asks for
/// one summary per woken poll without formatting 1.5 KB of SQL each time.
fn summary_sql(tail: &str) -> String {
    format!(
        "
    SELECT c.id, c.kind, c.title,
        other.id, other.display_name,
        last.kind, substr(last.body, 1, {PREVIEW_SOURCE_CHARS}), last.deleted_at IS NOT NULL,
        last.created_at, coalesce(author.display_name, last.bot),
        (SELECT count(*) FROM (SELECT 1 FROM messages unread
         WHERE unread.conversation_id = c.id AND unread.id > mine.last_read_message_id
           AND unread.kind = 'text' AND unread.deleted_at IS NULL
           AND unread.author_id IS DISTINCT FROM ?1 LIMIT {UNREAD_COUNTED}) AS unread),
        c.member_names,
        other.avatar, last.files,
        (SELECT count(*) FROM (SELECT 1 FROM mentions mn
         WHERE mn.user_id = ?1 AND mn.conversation_id = c.id
           AND mn.message_id > mine.last_read_message_id LIMIT {UNREAD_COUNTED}) AS mentioned),
        mine.notify
    FROM memberships mine
    JOIN conversations c ON c.id = mine.conversation_id
    -- As a subquery with LIMIT 1: a join on the memberships visited every member of a group
    -- before the kind test dropped them, thousands of rows per page in large groups.
    LEFT JOIN users other ON c.kind = 'direct' AND other.id = (SELECT om.user_id FROM memberships om
        WHERE om.conversation_id = c.id AND om.user_id != ?1 LIMIT 1)
    LEFT JOIN messages last ON last.id = (SELECT max(id) FROM messages WHERE conversation_id = c.id)
    LEFT JOIN users author ON author.id = last.author_id
    WHERE mine.user_id = ?1 {tail}"
    )
}

// Activity is kept in seconds; within one second the newest message decides.
static LIST_SQL: LazyLock<String> = LazyLock::new(|| {
    summary_sql("ORDER BY c.last_activity DESC, coalesce(last.id, 0) DESC, c.id DESC")
});
static ONE_SUMMARY_SQL: LazyLock<String> = LazyLock::new(|| summary_sql("AND c.id = ?2"));

fn summary_from_row(row: &Row<'_>) -> Result<Summary, db::Error> {
    let kind = Kind::from_code(&row.get::<String>(1)?);
    let other_name: Option<String> = row.get(4)?;
    let group_title: String = row.get(2)?;
    let title = title_seen(kind, &group_title, other_name.as_deref()).to_owned();
    let preview = match row.get::<Option<String>>(5)? {
        Some(kind) => Some(Preview {
            kind: MessageKind::from_code(&kind),
            body: row.get(6)?,
            deleted: row.get(7)?,
            at: row.get(8)?,
            author: row.get(9)?,
            files: row.get(13)?,
        }),
        None => None,
    };
    let names: Option<String> = row.get(11)?;
    let names = names.unwrap_or_default();
    Ok(Summary {
        id: row.get(0)?,
        kind,
        filter_text: filter_text(&title, names.split('\u{1f}')),
        title,
        avatar_of: if kind == Kind::Direct {
            row.get(3)?
        } else {
            None
        },
        picture: if kind == Kind::Direct {
            row.get(12)?
        } else {
            None
        },
        preview,
        unread: row.get(10)?,
        mentions: row.get(14)?,
        notify: Notify::from_code(&row.get::<String>(15)?).unwrap_or_default(),
    })
}

/// What every signed-in page shows around its content: the reader's conversations, and the
/// event cursor their poll starts from, read in one snapshot so that the poll neither repeats
/// nor misses anything the list shows.
pub fn list_with_cursor(conn: &Conn, user: UserId) -> Result<(Vec<Summary>, EventId), AppError> {
    conn.read_snapshot(|snapshot| Ok((list_for(snapshot, user)?, event::latest_id(snapshot)?)))
}

/// A conversation as one member opens it.
pub struct Reading {
    opens_latest: bool,
    pub conversation: Conversation,
    /// The title this member sees (`title_seen`).
    pub title: String,
    pub members: Vec<Member>,
    pub page: Arc<message::Page>,
    /// The member's conversation list, this one counted as read when its latest page opens.
    pub list: Vec<Summary>,
    pub cursor: EventId,
    pub latest: MessageId,
    /// Opening it moved the member's read mark (their other tabs redraw the badge).
    pub read_moved: bool,
}

/// Opens a conversation for a member: the page of messages (the latest, or those `before` a
/// message), its members and the member's list, in one snapshot with the poll's cursor. Opening
/// the latest page reads the conversation; an older page only shows history. NotFound for
/// anyone but a member. The latest page may come from `latest` (see `LatestPages`). `origin`
/// is the reading process (see `mark_read_noted`).
pub fn read(
    conn: &Conn,
    id: ConversationId,
    user: UserId,
    before: Option<MessageId>,
    latest: (&LatestPages, u64),
    origin: i64,
) -> Result<Reading, AppError> {
    let mut reading = snapshot(conn, id, user, before, latest)?;
    if reading.opens_unread() {
        reading.read_moved = mark_read_noted(conn, id, user, reading.latest, origin)?;
    }
    Ok(reading)
}

/// `mark_read` for a member reading: when the mark moved, it also leaves the note by which
/// every other process (`origin` is this one, `Hub::origin`) redraws the badges of that
/// member's tabs it holds (`invalidation::note_read`).
pub fn mark_read_noted(
    conn: &Conn,
    id: ConversationId,
    user: UserId,
    up_to: MessageId,
    origin: i64,
) -> Result<bool, AppError> {
    let moved = mark_read(conn, id, user, up_to)?;
    if moved {
        super::invalidation::note_read(conn, user, id, origin)?;
    }
    Ok(moved)
}

/// The same when opening it moves no read mark, for a read-only connection; None when it would
/// (then `read` must be run on a writer).
pub fn read_if_seen(
    conn: &Conn,
    id: ConversationId,
    user: UserId,
    before: Option<MessageId>,
    latest: (&LatestPages, u64),
) -> Result<Option<Reading>, AppError> {
    let reading = snapshot(conn, id, user, before, latest)?;
    Ok((!reading.opens_unread()).then_some(reading))
}

fn snapshot(
    conn: &Conn,
    id: ConversationId,
    user: UserId,
    before: Option<MessageId>,
    (latest_pages, accounts): (&LatestPages, u64),
) -> Result<Reading, AppError> {
    let (conversation, cursor, page, people, mut list, latest) =
        conn.read_snapshot(|snapshot| {
            let conversation = find_for_member(snapshot, id, user)?.ok_or(AppError::NotFound)?;
            let cursor = event::latest_id(snapshot)?;
            let page = match before {
                None => latest_pages.page(snapshot, id, accounts)?,
                Some(_) => Arc::new(message::page(snapshot, id, before)?),
            };
            let people = members(snapshot, id)?;
            let list = list_for(snapshot, user)?;
            let latest = message::latest_id(snapshot, id)?;
            Ok((conversation, cursor, page, people, list, latest))
        })?;
    let opens_latest = before.is_none();
    if opens_latest && let Some(entry) = list.iter_mut().find(|s| s.id == id) {
        entry.unread = 0;
        entry.mentions = 0;
    }
    let other = other_person(&people, user).map(|m| m.display_name.as_str());
    let title = title_seen(conversation.kind, &conversation.title, other).to_owned();
    Ok(Reading {
        opens_latest,
        conversation,
        title,
        members: people,
        page,
        list,
        cursor,
        latest,
        read_moved: false,
    })
}

impl Reading {
    fn opens_unread(&self) -> bool {
        self.opens_latest && self.conversation.last_read < self.latest
    }
}

/// Every conversation of `user`, most recently active first.
pub fn list_for(conn: &Conn, user: UserId) -> Result<Vec<Summary>, AppError> {
    let rows = conn.query_map(&LIST_SQL, &[&user], summary_from_row)?;
    Ok(rows)
}

pub fn summary_for(
    conn: &Conn,
    user: UserId,
    id: ConversationId,
) -> Result<Option<Summary>, AppError> {
    Ok(conn.query_opt(&ONE_SUMMARY_SQL, &[&user, &id], summary_from_row)?)
}

/// The conversation as anyone may see it once they are known to be a member (no scoping).
pub fn find_unscoped(conn: &Conn, id: ConversationId) -> Result<Option<Conversation>, AppError> {
    Ok(conn.query_opt(
        "SELECT id, kind, title FROM conversations WHERE id = ?1",
        &[&id],
        |r| {
            let kind: String = r.get(1)?;
            Ok(Conversation {
                id: r.get(0)?,
                kind: Kind::from_code(&kind),
                title: r.get(2)?,
                last_read: MessageId(0),
                notify: Notify::default(),
            })
        },
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::user::{self, NewUser};

    fn member(conn: &Conn, name: &str) -> Member {
        let u = user::create(
            conn,
            &NewUser {
                username: name.into(),
                display_name: name.to_uppercase(),
                password_hash: "x".into(),
                admin: false,
                invite: None,
            },
        )
        .unwrap()
        .unwrap();
        Member {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            avatar: None,
        }
    }

    #[test]
    fn the_latest_page_is_kept_until_its_conversation_or_an_account_changes() {
        for mut conn in crate::db::testing::engines() {
            let (ann, bob) = (member(&conn, "ann"), member(&conn, "bob"));
            let id = direct_between(&conn, &ann, &bob).unwrap();
            let first = message::post(&conn, id, ann.id, "hello", &[], u64::MAX, None).unwrap();
            let pages = LatestPages::default();
            let open = |conn: &mut Conn, accounts: u64| {
                read(conn, id, bob.id, None, (&pages, accounts), 0)
                    .unwrap()
                    .page
            };
            let page = open(&mut conn, 0);
            assert!(Arc::ptr_eq(&page, &open(&mut conn, 0)), "kept");
            message::edit(&conn, id, first, ann.id, "hello again").unwrap();
            let edited = open(&mut conn, 0);
            assert_eq!(edited.messages.last().unwrap().body, "hello again");
            let after_rename = open(&mut conn, 1);
            assert!(
                !Arc::ptr_eq(&edited, &after_rename),
                "read again once an account changed"
            );
            message::post(&conn, id, bob.id, "hi", &[], u64::MAX, None).unwrap();
            assert_eq!(open(&mut conn, 1).messages.len(), edited.messages.len() + 1);
            let older = read(&conn, id, bob.id, Some(first), (&pages, 1), 0).unwrap();
            assert!(
                older.page.messages.iter().all(|m| m.id < first),
                "history is never kept"
            );
        }
    }

    #[test]
    fn member_lists_accept_commas_spaces_and_at_signs() {
        assert_eq!(
            parse_usernames(" @Ann, bob  carol,,ann "),
            vec!["ann", "bob", "carol"]
        );
        for conn in crate::db::testing::engines() {
            member(&conn, "ann");
            let unknown = members_named(&conn, "ann, zed, yan").unwrap().unwrap_err();
            assert_eq!(unknown.detail.as_deref(), Some("zed, yan"));
            assert_eq!(
                members_named(&conn, "@ANN").unwrap().unwrap()[0].username,
                "ann"
            );
        }
    }

    #[test]
    fn a_new_account_starts_with_the_welcome_conversation() {
        for conn in crate::db::testing::engines() {
            let ann = member(&conn, "ann");
            let list = list_for(&conn, ann.id).unwrap();
            assert_eq!(list.len(), 1);
            assert_eq!(list[0].title, WELCOME_TITLE);
            assert_eq!(list[0].preview.as_ref().unwrap().kind, MessageKind::Welcome);
            assert_eq!(list[0].unread, 0, "notices are not unread messages");
        }
    }

    #[test]
    fn direct_conversations_are_unique_per_pair_and_titled_after_the_other() {
        for conn in crate::db::testing::engines() {
            let (ann, bob) = (member(&conn, "ann"), member(&conn, "bob"));
            let id = direct_between(&conn, &ann, &bob).unwrap();
            assert_eq!(direct_between(&conn, &bob, &ann).unwrap(), id);
            assert_eq!(
                summary_for(&conn, ann.id, id).unwrap().unwrap().title,
                "BOB"
            );
            assert_eq!(
                summary_for(&conn, bob.id, id).unwrap().unwrap().title,
                "ANN"
            );
            assert!(matches!(
                leave(&conn, id, ann.id),
                Err(AppError::BadRequest("error-direct-is-fixed"))
            ));
        }
    }

    #[test]
    fn unread_counts_follow_the_read_mark_and_ignore_own_messages() {
        for conn in crate::db::testing::engines() {
            let (ann, bob) = (member(&conn, "ann"), member(&conn, "bob"));
            let id = create_group(&conn, &ann, "Team", std::slice::from_ref(&bob)).unwrap();
            message::post(&conn, id, bob.id, "mine", &[], 0, None).unwrap();
            message::post(&conn, id, ann.id, "one", &[], 0, None).unwrap();
            let two = message::post(&conn, id, ann.id, "two", &[], 0, None).unwrap();
            assert_eq!(summary_for(&conn, bob.id, id).unwrap().unwrap().unread, 2);
            assert_eq!(
                summary_for(&conn, ann.id, id).unwrap().unwrap().unread,
                0,
                "sending reads"
            );
            assert!(mark_read(&conn, id, bob.id, two).unwrap());
            assert!(
                !mark_read(&conn, id, bob.id, MessageId(1)).unwrap(),
                "never backwards"
            );
            assert_eq!(summary_for(&conn, bob.id, id).unwrap().unwrap().unread, 0);
        }
    }

    #[test]
    fn unread_counts_leave_out_notices_and_deleted_messages() {
        for conn in crate::db::testing::engines() {
            let (ann, bob) = (member(&conn, "ann"), member(&conn, "bob"));
            let id = create_group(&conn, &ann, "Team", std::slice::from_ref(&bob)).unwrap();
            // People joining: notices, which no unread count includes.
            conn.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5)
                 INSERT INTO messages (conversation_id, author_id, kind, body, created_at)
                 SELECT ?1, ?2, 'added', 'someone', i FROM n",
                &[&id, &ann.id],
            )
            .unwrap();
            let gone = message::post(&conn, id, ann.id, "oops", &[], 0, None).unwrap();
            message::delete(&conn, id, gone, ann.id).unwrap();
            message::post(&conn, id, ann.id, "one", &[], 0, None).unwrap();
            message::post(&conn, id, ann.id, "two", &[], 0, None).unwrap();
            assert_eq!(summary_for(&conn, bob.id, id).unwrap().unwrap().unread, 2);
        }
    }

    #[test]
    fn the_list_and_live_redraws_filter_on_the_same_member_names() {
        for conn in crate::db::testing::engines() {
            let owner = member(&conn, "zz-owner");
            // More members than the filter takes, created in reverse name order so that id order
            // and name order disagree.
            let others: Vec<Member> = (0..FILTER_MEMBERS + 5)
                .rev()
                .map(|i| member(&conn, &format!("m{i:02}")))
                .collect();
            let id = create_group(&conn, &owner, "Big", &others).unwrap();
            let agree = |conn: &Conn| {
                let from_list = summary_for(conn, owner.id, id)
                    .unwrap()
                    .unwrap()
                    .filter_text;
                let all = members(conn, id).unwrap();
                assert_eq!(from_list, filter_text("Big", first_member_names(&all)));
                from_list
            };
            assert!(agree(&conn).starts_with("big zz-owner m24 m23"));
            // The names the list keeps follow renames, departures and arrivals.
            let change = user::ProfileChange {
                display_name: "Renamed".into(),
                about: String::new(),
                language: None,
            };
            user::update_profile(&conn, others[0].id, &change).unwrap();
            assert!(agree(&conn).starts_with("big zz-owner renamed m23"));
            leave(&conn, id, others[1].id).unwrap();
            assert!(agree(&conn).starts_with("big zz-owner renamed m22"));
            assert!(
                agree(&conn).ends_with(" m05"),
                "the next one by id comes in"
            );
            let newcomer = member(&conn, "a-newcomer");
            add_members(&conn, id, owner.id, std::slice::from_ref(&newcomer)).unwrap();
            assert!(
                !agree(&conn).contains("a-newcomer"),
                "the 27th by id is not among them"
            );
        }
    }

    #[test]
    fn a_read_mark_never_passes_the_latest_message() {
        for conn in crate::db::testing::engines() {
            let (ann, bob) = (member(&conn, "ann"), member(&conn, "bob"));
            let id = create_group(&conn, &ann, "Team", std::slice::from_ref(&bob)).unwrap();
            message::post(&conn, id, ann.id, "one", &[], 0, None).unwrap();
            assert!(mark_read(&conn, id, bob.id, MessageId(9_000_000_000_000)).unwrap());
            assert!(
                !mark_read(&conn, id, bob.id, MessageId(9_000_000_000_001)).unwrap(),
                "already at the latest message"
            );
            message::post(&conn, id, ann.id, "two", &[], 0, None).unwrap();
            assert_eq!(
                summary_for(&conn, bob.id, id).unwrap().unwrap().unread,
                1,
                "a message after the mark still counts"
            );
        }
    }

    #[test]
    fn leaving_a_group_ends_membership_and_hides_it() {
        for conn in crate::db::testing::engines() {
            let (ann, bob) = (member(&conn, "ann"), member(&conn, "bob"));
            let id = create_group(&conn, &ann, "Team", std::slice::from_ref(&bob)).unwrap();
            leave(&conn, id, bob.id).unwrap();
            assert!(find_for_member(&conn, id, bob.id).unwrap().is_none());
            assert!(matches!(
                message::post(&conn, id, bob.id, "hi", &[], 0, None),
                Err(AppError::NotFound)
            ));
            assert_eq!(members(&conn, id).unwrap(), vec![ann]);
        }
    }
}
