//! Mentions: `@username` of a member in what someone writes, and `@everyone` in a group. The
//! people mentioned see the message stand out, and their list counts the unread ones apart.

use super::conversation::Kind;
use super::user::USERNAME_LEN;
use super::{ConversationId, MessageId, UserId};
use crate::db::Conn;
use crate::error::AppError;

/// Mentions every member of a group but the writer.
pub const EVERYONE: &str = "everyone";
/// More names than this in one message are not looked up: a message of a thousand @names
/// must not cost a thousand lookups.
const MOST_LOOKED_UP: usize = 20;

/// Who a message mentions, as drawn: the usernames that became links and their ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mentioned {
    pub everyone: bool,
    pub people: Vec<(UserId, String)>,
}

impl Mentioned {
    /// The form kept with the message (`messages.mentioned`): "everyone" and "id:username",
    /// separated by spaces. Usernames never change and hold neither spaces nor colons.
    fn to_column(&self) -> String {
        let everyone = self.everyone.then(|| EVERYONE.to_owned());
        let people = self.people.iter().map(|(id, name)| format!("{id}:{name}"));
        everyone
            .into_iter()
            .chain(people)
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub(crate) fn from_column(column: &str) -> Mentioned {
        let mut mentioned = Mentioned::default();
        for word in column.split(' ') {
            if word == EVERYONE {
                mentioned.everyone = true;
            } else if let Some((id, name)) = word.split_once(':')
                && let Ok(id) = id.parse()
            {
                mentioned.people.push((UserId(id), name.to_owned()));
            }
        }
        mentioned
    }

    /// Whether the message calls on `user`: by name, or with everyone.
    pub fn calls_on(&self, user: UserId) -> bool {
        self.everyone || self.people.iter().any(|(id, _)| *id == user)
    }

    pub fn is_empty(&self) -> bool {
        !self.everyone && self.people.is_empty()
    }
}

fn username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_.-".contains(c)
}

/// Where a text may mention someone: each `@name` that does not continue a word (so that
/// `bob@example.org` mentions nobody), as (byte range of the name after `@`, the name
/// lower-cased). A name ending in dots or dashes is also offered without them, for the end of
/// a sentence ("thanks @ann.").
pub fn candidates(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut found = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        let starts = c == '@' && !previous.is_some_and(username_char);
        previous = Some(c);
        if !starts {
            continue;
        }
        let start = at + 1;
        let end = text[start..]
            .find(|c: char| !username_char(c))
            .map_or(text.len(), |n| start + n);
        let trimmed_end = start + text[start..end].trim_end_matches(['.', '-']).len();
        for end in [end, trimmed_end] {
            let name = text[start..end].to_ascii_lowercase();
            let fits = USERNAME_LEN.contains(&name.len()) || name == EVERYONE;
            if fits
                && !found
                    .iter()
                    .any(|(r, n): &(std::ops::Range<usize>, String)| r.start == start && *n == name)
            {
                found.push((start..end, name));
            }
        }
    }
    found
}

/// Finds who `body` mentions among the conversation's members (never its author) and records
/// it with the message, inside the caller's write transaction. The message mentions nobody yet
/// (a new one, or one whose mentions were `forget`-ten): a message without any writes nothing,
/// which on PostgreSQL spares every send two round trips.
pub(crate) fn record(
    tx: &Conn,
    conversation: ConversationId,
    message: MessageId,
    author: UserId,
    body: &str,
) -> Result<(), AppError> {
    let mut mentioned = Mentioned::default();
    let mut names: Vec<String> = candidates(body).into_iter().map(|(_, n)| n).collect();
    names.dedup();
    for name in names.into_iter().take(MOST_LOOKED_UP) {
        if name == EVERYONE {
            let kind: String = tx.query_row(
                "SELECT kind FROM conversations WHERE id = ?1",
                &[&conversation],
                |r| r.get(0),
            )?;
            mentioned.everyone = Kind::from_code(&kind) == Kind::Group;
            continue;
        }
        if mentioned.people.iter().any(|(_, n)| *n == name) {
            continue;
        }
        let found: Option<UserId> = tx.query_opt(
            "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id
             WHERE u.username = ?1 AND m.conversation_id = ?2",
            &[&name, &conversation],
            |r| r.get(0),
        )?;
        if let Some(id) = found.filter(|id| *id != author) {
            mentioned.people.push((id, name));
        }
    }
    if mentioned.everyone {
        tx.execute(
            "INSERT INTO mentions (user_id, conversation_id, message_id)
             SELECT user_id, conversation_id, ?2 FROM memberships
             WHERE conversation_id = ?1 AND user_id != ?3
             ON CONFLICT DO NOTHING",
            &[&conversation, &message, &author],
        )?;
    }
    for (id, _) in &mentioned.people {
        tx.execute(
            "INSERT INTO mentions (user_id, conversation_id, message_id) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            &[id, &conversation, &message],
        )?;
    }
    if !mentioned.is_empty() {
        tx.execute(
            "UPDATE messages SET mentioned = ?2 WHERE id = ?1",
            &[&message, &mentioned.to_column()],
        )?;
    }
    Ok(())
}

/// A deleted message mentions nobody any more, and an edited one only whom its new text does.
pub(crate) fn forget(tx: &Conn, message: MessageId) -> Result<(), AppError> {
    tx.execute("DELETE FROM mentions WHERE message_id = ?1", &[&message])?;
    tx.execute(
        "UPDATE messages SET mentioned = '' WHERE id = ?1",
        &[&message],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        candidates(text).into_iter().map(|(_, n)| n).collect()
    }

    #[test]
    fn a_mention_is_an_at_that_begins_a_word() {
        assert_eq!(names("hi @Ann and @bob_2!"), ["ann", "bob_2"]);
        assert_eq!(names("mail bob@example.org"), Vec::<String>::new());
        assert_eq!(names("@everyone look"), ["everyone"]);
        assert_eq!(
            names("@al"),
            Vec::<String>::new(),
            "too short to be a username"
        );
        assert_eq!(
            names("thanks @ann."),
            ["ann.", "ann"],
            "with and without the full stop"
        );
        assert_eq!(names("(@ann)"), ["ann"]);
    }

    #[test]
    fn the_kept_form_reads_back() {
        let mentioned = Mentioned {
            everyone: true,
            people: vec![(UserId(2), "ann".into()), (UserId(5), "bob.b".into())],
        };
        assert_eq!(Mentioned::from_column(&mentioned.to_column()), mentioned);
        assert!(Mentioned::from_column("").is_empty());
    }
}
