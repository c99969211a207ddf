//! Message search: what a person typed, as words for the FTS5 index (migration 0005), and the
//! messages they may read that contain them.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use super::conversation::{self, Summary};
use super::{ConversationId, MessageId, UserId};
use crate::error::AppError;

pub const PAGE_SIZE: usize = 20;
/// Words beyond these are ignored: a search is a few words, not a paragraph.
const MAX_WORDS: usize = 8;
/// Marks around the matched words in a snippet; the view turns them into `<mark>`. Control
/// characters, which message bodies never keep (`message::check_body`).
pub const MATCH_START: char = '\u{1}';
pub const MATCH_END: char = '\u{2}';

pub struct Hit {
    pub message: MessageId,
    pub conversation: ConversationId,
    /// The conversation as the searcher sees it in their list.
    pub conversation_title: String,
    pub author: Option<String>,
    pub at: i64,
    /// Some words around the match, the matched ones between `MATCH_START` and `MATCH_END`.
    pub snippet: String,
}

pub struct Results {
    pub hits: Vec<Hit>,
    pub has_more: bool,
}

/// The FTS5 query for what a person typed: every word must appear, the last one as a prefix
/// (results follow the typing). Each word is quoted, so that quotes, `*`, `NEAR`, `AND`, `-`
/// or parentheses are words like any other and never FTS syntax. None when nothing searchable
/// is left.
pub fn match_expression(typed: &str) -> Option<String> {
    let words: Vec<&str> = typed
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(MAX_WORDS)
        .collect();
    let last = words.len().checked_sub(1)?;
    let quoted = words.iter().enumerate().map(|(i, word)| {
        let prefix = if i == last { "*" } else { "" };
        // Words are letters and digits only, so nothing in them needs escaping.
        format!("\"{word}\"{prefix}")
    });
    Some(quoted.collect::<Vec<_>>().join(" "))
}

/// The newest messages `user` may read that match `typed`, in every conversation they are in or
/// only in `within` (of which they must be a member: NotFound otherwise). Page 1 is the newest.
pub fn messages(
    conn: &Connection,
    user: UserId,
    typed: &str,
    within: Option<ConversationId>,
    page: usize,
) -> Result<Results, AppError> {
    if let Some(id) = within {
        conversation::find_for_member(conn, id, user)?.ok_or(AppError::NotFound)?;
    }
    let Some(expression) = match_expression(typed) else {
        return Ok(Results {
            hits: Vec::new(),
            has_more: false,
        });
    };
    let offset = page.saturating_sub(1).saturating_mul(PAGE_SIZE);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT m.id, m.conversation_id, u.display_name, m.created_at,
                snippet(message_search, 0, char(1), char(2), '…', 16)
         FROM message_search
         JOIN messages m ON m.id = message_search.rowid
         JOIN memberships mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?2
         LEFT JOIN users u ON u.id = m.author_id
         WHERE message_search MATCH ?1 AND (?3 IS NULL OR m.conversation_id = ?3)
         -- The index walks its rowids newest first and stops at the page's end; ordering by
         -- m.id would make SQLite sort every match of a common word.
         ORDER BY message_search.rowid DESC
         LIMIT {} OFFSET ?4",
        PAGE_SIZE + 1
    ))?;
    let rows = stmt.query_map(params![expression, user, within, offset as i64], |row| {
        Ok((
            row.get::<_, MessageId>(0)?,
            row.get::<_, ConversationId>(1)?,
            row.get::<_, Option<String>>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, String>(4)?,
        ))
    })?;
    let rows = rows.collect::<Result<Vec<_>, _>>()?;
    let titles: HashMap<ConversationId, Summary> = conversation::list_for(conn, user)?
        .into_iter()
        .map(|summary| (summary.id, summary))
        .collect();
    let has_more = rows.len() > PAGE_SIZE;
    let hits = rows
        .into_iter()
        .take(PAGE_SIZE)
        .map(|(message, conversation, author, at, snippet)| Hit {
            message,
            conversation,
            conversation_title: titles
                .get(&conversation)
                .map(|s| s.title.clone())
                .unwrap_or_default(),
            author,
            at,
            snippet,
        })
        .collect();
    Ok(Results { hits, has_more })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_becomes_quoted_words_the_last_a_prefix() {
        assert_eq!(match_expression("  "), None);
        assert_eq!(match_expression("\"*()-"), None);
        assert_eq!(match_expression("café"), Some("\"café\"*".into()));
        assert_eq!(
            match_expression("NEAR(a b) AND -c\""),
            Some("\"NEAR\" \"a\" \"b\" \"AND\" \"c\"*".into())
        );
        assert_eq!(
            match_expression("one two three four five six seven eight nine")
                .map(|e| e.matches('"').count()),
            Some(16),
            "eight words at most"
        );
    }
}
