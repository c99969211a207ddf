//! Message search: what a person typed, as words for the FTS5 index (migrations 0005, 0006 and
//! 0016) or PostgreSQL's tsvector (its migration 0003), and the messages they may read that
//! contain them.

use std::collections::HashMap;

use super::conversation::{self, Summary};
use super::{ConversationId, MessageId, UserId};
use crate::db::{self, Conn, Engine, Row};
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
    /// The title of the conversation searched, as the searcher sees it.
    pub within_title: Option<String>,
}

/// The FTS5 query for what a person typed: every word must appear, the last one as a prefix
/// (results follow the typing) once it has two characters: the index keeps prefixes of two to
/// four (migration 0006), and a one-letter prefix would be most of the index. Each word is
/// quoted, so that quotes, `*`, `NEAR`, `AND`, `-` or parentheses are words like any other and
/// never FTS syntax. None when nothing searchable is left.
pub fn match_expression(typed: &str) -> Option<String> {
    // Words are letters and digits only, so nothing in them needs escaping.
    query_of_words(typed, |word, prefix| {
        format!("\"{word}\"{}", if prefix { "*" } else { "" })
    })
    .map(|words| words.join(" "))
}

/// The same words as a PostgreSQL tsquery, under the same rules; its text search configuration
/// takes accents and case off as FTS5's tokenizer does.
fn tsquery(typed: &str) -> Option<String> {
    query_of_words(typed, |word, prefix| {
        format!("{word}{}", if prefix { ":*" } else { "" })
    })
    .map(|words| words.join(" & "))
}

/// Each word typed (letters and digits), as `write` puts it, told whether it is the prefix.
fn query_of_words(typed: &str, write: impl Fn(&str, bool) -> String) -> Option<Vec<String>> {
    let words: Vec<&str> = typed
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(MAX_WORDS)
        .collect();
    let last = words.len().checked_sub(1)?;
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, word)| write(word, i == last && word.chars().count() >= MIN_PREFIX_CHARS))
            .collect(),
    )
}

const MIN_PREFIX_CHARS: usize = 2;

/// Messages up to this many characters are their own snippet on PostgreSQL.
const SHORT_BODY: usize = 120;

/// Beyond this many conversations the index is not told which ones (the membership join alone
/// filters): an OR of that many words costs FTS5 more than it spares.
const MAX_CONVERSATION_WORDS: usize = 200;

/// The FTS5 query for `words` (from `match_expression`) in what people wrote, only among the
/// messages of `conversations` unless that is empty (or too long to be worth naming). The index
/// knows each message's conversation as the word `c<id>` in its second column (migration
/// 0016): FTS5 then skips the messages of every other conversation itself.
pub fn in_conversations(words: &str, conversations: &[ConversationId]) -> String {
    if conversations.is_empty() || conversations.len() > MAX_CONVERSATION_WORDS {
        return format!("body : ({words})");
    }
    let within: Vec<String> = conversations
        .iter()
        .map(|id| format!("\"c{}\"", id.0))
        .collect();
    format!(
        "body : ({words}) AND conversation : ({})",
        within.join(" OR ")
    )
}

/// Indexes the messages sent since the last time, in one transaction: the watcher calls it every
/// second, and every search first, so that a search always finds what was just sent.
pub fn index_pending(conn: &Conn) -> Result<(), AppError> {
    let pending = conn.query_opt("SELECT 1 FROM search_pending LIMIT 1", &[], |_| Ok(()))?;
    if pending.is_none() {
        return Ok(());
    }
    if conn.engine() == Engine::Postgres {
        // One statement, so that what it indexes is exactly what it took from the queue, even
        // while other nodes send (or index) meanwhile.
        conn.execute(
            "WITH taken AS (DELETE FROM search_pending RETURNING message_id)
             INSERT INTO message_search (message_id, conversation_id, document)
             SELECT m.id, m.conversation_id, search_document(m.body,
                    (SELECT string_agg(name, ' ') FROM attachments WHERE message_id = m.id))
             FROM taken JOIN messages m ON m.id = taken.message_id
             WHERE m.kind = 'text' AND m.deleted_at IS NULL
             ON CONFLICT (message_id) DO UPDATE SET document = EXCLUDED.document",
            &[],
        )?;
        return Ok(());
    }
    conn.write(|tx| {
        {
            // One rowid at a time: FTS5 before SQLite 3.53 (SQLCipher's) does not take
            // `rowid IN (subquery)` as a lookup, and scanned the whole index once per pending row.
            let pending: Vec<i64> =
                tx.query_map("SELECT message_id FROM search_pending", &[], |r| r.get(0))?;
            for id in pending {
                tx.execute("DELETE FROM message_search WHERE rowid = ?1", &[&id])?;
            }
        }
        tx.execute_batch(
            "INSERT INTO message_search (rowid, body, conversation)
                 SELECT m.id, m.body || coalesce((SELECT ' ' || group_concat(name, ' ')
                                                  FROM attachments WHERE message_id = m.id), ''),
                        'c' || m.conversation_id
                 FROM search_pending p JOIN messages m ON m.id = p.message_id
                 WHERE m.kind = 'text' AND m.deleted_at IS NULL;
             DELETE FROM search_pending;",
        )?;
        Ok(())
    })
}

/// The newest messages `user` may read that match `typed`, in every conversation they are in or
/// only in `within` (of which they must be a member: NotFound otherwise). Page 1 is the newest.
pub fn messages(
    conn: &Conn,
    user: UserId,
    typed: &str,
    within: Option<ConversationId>,
    page: usize,
) -> Result<Results, AppError> {
    // The searcher's conversations: their titles, and whether `within` is one of them.
    let titles: HashMap<ConversationId, Summary> = conversation::list_for(conn, user)?
        .into_iter()
        .map(|summary| (summary.id, summary))
        .collect();
    let within_title = match within {
        Some(id) => Some(titles.get(&id).ok_or(AppError::NotFound)?.title.clone()),
        None => None,
    };
    let engine = conn.engine();
    let query = match engine {
        Engine::Sqlite => match_expression(typed),
        Engine::Postgres => tsquery(typed),
    };
    let Some(query) = query else {
        return Ok(Results {
            hits: Vec::new(),
            has_more: false,
            within_title,
        });
    };
    index_pending(conn)?;
    let offset = page.saturating_sub(1).saturating_mul(PAGE_SIZE);
    let rows = match engine {
        Engine::Sqlite => fts5_hits(conn, &query, user, within, offset, &titles)?,
        Engine::Postgres => tsvector_hits(conn, &query, user, within, offset)?,
    };
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
    Ok(Results {
        hits,
        has_more,
        within_title,
    })
}

/// One page of hits from FTS5 (and one more, to tell whether there is more).
fn fts5_hits(
    conn: &Conn,
    words: &str,
    user: UserId,
    within: Option<ConversationId>,
    offset: usize,
    titles: &HashMap<ConversationId, Summary>,
) -> Result<Vec<HitRow>, AppError> {
    let anywhere = in_conversations(words, &[]);
    let candidates = (offset + PAGE_SIZE + 1) * CANDIDATES_PER_HIT;
    // First the newest matches anywhere (up to `candidates` of them: finding where they end
    // walks them once more, a cost that shows on two common words), each checked against the
    // searcher's memberships; the page usually fills from the first few. Naming the searcher's
    // conversations to FTS5 instead costs it about a tenth of a millisecond per conversation
    // before the first row, which a person in fifty groups would pay on every keystroke. Only
    // when the newest matches are mostly other people's (a common word in a large conversation
    // the searcher is not in) is the index told where to look, and it skips the others'
    // messages itself.
    let oldest_candidate: Option<i64> = conn.query_opt(
        "SELECT rowid FROM message_search WHERE message_search MATCH ?1
             ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
        &[&anywhere, &((candidates - 1) as i64)],
        |r| r.get(0),
    )?;
    let mut rows = page_of_hits(conn, &anywhere, user, within, offset, oldest_candidate)?;
    let page_filled = rows.len() > PAGE_SIZE;
    if oldest_candidate.is_some() && !page_filled {
        let searched: Vec<ConversationId> = match within {
            Some(id) => vec![id],
            None => titles.keys().copied().collect(),
        };
        let narrowed = in_conversations(words, &searched);
        rows = page_of_hits(conn, &narrowed, user, within, offset, None)?;
    }
    Ok(rows)
}

/// One page of hits from PostgreSQL's index (and one more). ts_headline's parser takes `<…>`
/// for markup and leaves it out of the snippet: a message's "<b>" must stay text, so "<" goes
/// through it as a control character (which bodies never keep) and comes back after. A short
/// message is shown whole, as FTS5's sixteen-word snippet shows it: the fragments ts_headline
/// picks end at the last word, and leave out numbers after it.
///
/// The planner cannot tell a common word from a rare one well enough to choose between the
/// two ways of finding the newest matches, and each is ruinous in the other's case (measured
/// on 100,000 messages): walking the message ids back and testing each document stops after
/// a page of a common word (0.4 ms) but reads everything for a rare one (30–65 ms); the words'
/// index finds a rare word at once (under 1 ms) but hands over every message with a common
/// one, to be sorted (100 ms, and 500 ms when joined before sorting). So the walk goes first,
/// over the newest `RECENT_MESSAGES` only, and the words' index serves what it leaves unfound.
fn tsvector_hits(
    conn: &Conn,
    query: &str,
    user: UserId,
    within: Option<ConversationId>,
    offset: usize,
) -> Result<Vec<HitRow>, AppError> {
    let recent =
        format!("s.message_id >= (SELECT max(message_id) FROM message_search) - {RECENT_MESSAGES}");
    // Each pass hides from the planner the index it must not use: `IS TRUE` the words' index
    // (a statement planned once for every word would otherwise take it for the walk too), and
    // `+ 0` the order of the message ids.
    let passes = [
        (
            recent.as_str(),
            "(s.document @@ q.query) IS TRUE",
            "s.message_id",
        ),
        ("TRUE", "s.document @@ q.query", "s.message_id + 0"),
    ];
    let mut rows = Vec::new();
    for (among, matching, order) in passes {
        rows = conn.query_map(
            &format!(
                "WITH hits AS (
                     SELECT s.message_id, q.query
                     FROM to_tsquery('bavard', ?1) AS q(query)
                     JOIN message_search s ON {matching}
                     JOIN memberships mb ON mb.conversation_id = s.conversation_id
                                         AND mb.user_id = ?2
                     WHERE {among} AND (?3::BIGINT IS NULL OR s.conversation_id = ?3)
                     ORDER BY {order} DESC
                     LIMIT {} OFFSET ?4)
                 SELECT m.id, m.conversation_id, u.display_name, m.created_at,
                        replace(ts_headline('bavard', replace(m.body, '<', chr(14)), hits.query,
                                            'StartSel=' || chr(1) || ',StopSel=' || chr(2)
                                            || CASE WHEN length(m.body) <= {SHORT_BODY}
                                               THEN ',HighlightAll=true'
                                               ELSE ',MaxWords=16,MinWords=8,MaxFragments=1'
                                               END),
                                chr(14), '<')
                 FROM hits
                 JOIN messages m ON m.id = hits.message_id
                 LEFT JOIN users u ON u.id = m.author_id
                 WHERE m.deleted_at IS NULL
                 ORDER BY m.id DESC",
                PAGE_SIZE + 1
            ),
            &[&query, &user, &within, &(offset as i64)],
            hit_row,
        )?;
        // A full page among the newest is the page: every match after it is older.
        if rows.len() > PAGE_SIZE {
            break;
        }
    }
    Ok(rows)
}

/// How many of the newest messages (of everyone's) PostgreSQL's search walks first.
const RECENT_MESSAGES: i64 = 2048;

/// How many of the newest matches anywhere are checked against the searcher's memberships, per
/// hit wanted, before the index is told which conversations to look in.
const CANDIDATES_PER_HIT: usize = 100;

type HitRow = (MessageId, ConversationId, Option<String>, i64, String);

/// A hit as both engines' queries give it: message, conversation, author, time, snippet.
fn hit_row(row: &Row<'_>) -> Result<HitRow, db::Error> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

/// One page of the matches of `expression` that `user` may read (newest first, from `offset`,
/// one more than a page to tell whether there is more), among the rowids from `oldest` up.
fn page_of_hits(
    conn: &Conn,
    expression: &str,
    user: UserId,
    within: Option<ConversationId>,
    offset: usize,
    oldest: Option<i64>,
) -> Result<Vec<HitRow>, AppError> {
    let rows = conn.query_map(
        &format!(
            "SELECT m.id, m.conversation_id, u.display_name, m.created_at,
                snippet(message_search, 0, char(1), char(2), '…', 16)
         -- CROSS JOIN keeps the index as the outer loop whatever the planner guesses (SQLite
         -- 3.51, SQLCipher's, put memberships first and matched every message one by one).
         FROM message_search
         CROSS JOIN messages m ON m.id = message_search.rowid
         CROSS JOIN memberships mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?2
         LEFT JOIN users u ON u.id = m.author_id
         WHERE message_search MATCH ?1 AND message_search.rowid >= ?5 AND m.deleted_at IS NULL
               AND (?3 IS NULL OR m.conversation_id = ?3)
         -- The index walks its rowids newest first and stops at the page's end; ordering by
         -- m.id would make SQLite sort every match of a common word.
         ORDER BY message_search.rowid DESC
         LIMIT {} OFFSET ?4",
            PAGE_SIZE + 1
        ),
        &[
            &expression,
            &user,
            &within,
            &(offset as i64),
            &oldest.unwrap_or(0),
        ],
        hit_row,
    )?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Whatever is typed, FTS5 takes the query: quotes, stars, NEAR, column filters, carets
    // and any Unicode are words to it, never syntax.
    #[test]
    fn any_typed_text_makes_a_query_fts5_accepts() {
        let conn = crate::db::memory();
        let syntax = "[\"*()\\-:^+{}. a-zA-Z0-9éß漢NEARANDORNOT]{0,40}";
        proptest::proptest!(|(typed in proptest::prop_oneof![proptest::arbitrary::any::<String>(), syntax])| {
            let words = match_expression(&typed);
            let narrowed = words.as_deref().map(|words| in_conversations(words, &[ConversationId(1)]));
            for expression in [words.clone(), narrowed].into_iter().flatten() {
                let ran = conn.query_map(
                    "SELECT rowid FROM message_search WHERE message_search MATCH ?1",
                    &[&expression],
                    |r| r.get::<i64>(0),
                );
                proptest::prop_assert!(ran.is_ok(), "{typed:?} → {expression:?}: {ran:?}");
            }
        });
    }

    fn found(conn: &Conn, word: &str) -> Vec<i64> {
        conn.query_map(
            "SELECT rowid FROM message_search WHERE message_search MATCH ?1",
            &[&word],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn the_index_follows_sends_edits_and_deletions_whatever_the_order() {
        let conn = crate::db::memory();
        conn.execute_batch(
            "INSERT INTO conversations (id, kind, title, created_at, last_activity)
                 VALUES (1, 'group', 'G', 0, 0);
             INSERT INTO messages (id, conversation_id, kind, body, created_at) VALUES
                 (1, 1, 'text', 'apple pie', 0),
                 (2, 1, 'text', 'banana bread', 0),
                 (3, 1, 'text', 'cherry tart', 0);
             UPDATE messages SET body = 'apricot pie', edited_at = 1 WHERE id = 1;
             UPDATE messages SET body = '', deleted_at = 1 WHERE id = 2;",
        )
        .unwrap();
        index_pending(&conn).unwrap();
        assert_eq!(found(&conn, "apricot"), vec![1]);
        assert!(
            found(&conn, "apple").is_empty(),
            "edited before it was indexed"
        );
        assert!(
            found(&conn, "banana").is_empty(),
            "deleted before it was indexed"
        );
        conn.execute_batch(
            "UPDATE messages SET body = 'plum tart', edited_at = 2 WHERE id = 3;
             DELETE FROM messages WHERE id = 1;",
        )
        .unwrap();
        assert_eq!(found(&conn, "tart"), vec![3], "an edit applies at once");
        assert!(found(&conn, "cherry").is_empty());
        assert!(found(&conn, "apricot").is_empty());
        index_pending(&conn).unwrap();
        assert_eq!(found(&conn, "plum"), vec![3]);
    }

    #[test]
    fn a_search_looks_only_in_the_conversations_given_and_only_at_what_was_written() {
        let conn = crate::db::memory();
        conn.execute_batch(
            "INSERT INTO conversations (id, kind, title, created_at, last_activity)
                 VALUES (1, 'group', 'Mine', 0, 0), (2, 'group', 'Theirs', 0, 0);
             INSERT INTO messages (id, conversation_id, kind, body, created_at) VALUES
                 (1, 1, 'text', 'tea at four', 0),
                 (2, 2, 'text', 'tea at five', 0),
                 (3, 2, 'text', 'see c1 for the minutes', 0);",
        )
        .unwrap();
        index_pending(&conn).unwrap();
        let mine = [ConversationId(1)];
        let search = |typed: &str, within: &[ConversationId]| {
            found(
                &conn,
                &in_conversations(&match_expression(typed).unwrap(), within),
            )
        };
        assert_eq!(search("tea", &mine), vec![1]);
        assert_eq!(
            search("tea", &[ConversationId(2), ConversationId(1)]),
            vec![1, 2]
        );
        assert!(
            search("c1", &mine).is_empty(),
            "typing a conversation's index word finds only messages that say it"
        );
        assert_eq!(search("c1", &[ConversationId(2)]), vec![3]);
        conn.execute_batch("UPDATE messages SET body = 'tea at six', edited_at = 1 WHERE id = 2")
            .unwrap();
        assert_eq!(
            search("six", &[ConversationId(2)]),
            vec![2],
            "an edited message stays in its conversation"
        );
        let many: Vec<ConversationId> = (1..=MAX_CONVERSATION_WORDS as i64 + 1)
            .map(ConversationId)
            .collect();
        assert_eq!(
            search("tea", &many),
            vec![1, 2],
            "past the limit the index is not told the conversations; memberships still are"
        );
    }

    // The searcher's one message is older than thousands of others' with the same word: more
    // than the memberships are asked about before the index is told where to look.
    #[test]
    fn a_match_behind_many_of_other_peoples_is_still_found() {
        for conn in crate::db::testing::engines() {
            conn.execute_batch(
                "INSERT INTO users (id, username, display_name, search_text, password_hash, created_at)
                     VALUES (1, 'ann', 'Ann', 'ann', '', 0), (2, 'bob', 'Bob', 'bob', '', 0);
                 INSERT INTO conversations (id, kind, title, created_at, last_activity)
                     VALUES (1, 'group', 'Ann''s', 0, 0), (2, 'group', 'Bob''s', 0, 0);
                 INSERT INTO memberships (conversation_id, user_id, joined_at) VALUES (1, 1, 0), (2, 2, 0);
                 INSERT INTO messages (conversation_id, author_id, kind, body, created_at)
                     VALUES (1, 1, 'text', 'tea at four', 0);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
                 INSERT INTO messages (conversation_id, author_id, kind, body, created_at)
                     SELECT 2, 2, 'text', 'tea again ' || i, i FROM n;",
            )
            .unwrap();
            let ann = messages(&conn, UserId(1), "tea", None, 1).unwrap();
            assert_eq!(
                ann.hits.iter().map(|hit| hit.message).collect::<Vec<_>>(),
                vec![MessageId(1)]
            );
            assert!(!ann.has_more);
            let bob = messages(&conn, UserId(2), "tea", None, 2).unwrap();
            assert_eq!(bob.hits.len(), PAGE_SIZE, "the second page of Bob's own");
            assert_eq!(bob.hits[0].message, MessageId(3001 - PAGE_SIZE as i64));
            assert!(
                bob.hits
                    .iter()
                    .all(|hit| hit.conversation == ConversationId(2))
            );
        }
    }

    // One test for both engines' indexes: what a person finds must not depend on which one the
    // instance runs on.
    #[test]
    fn both_engines_find_the_same_messages_for_what_is_typed() {
        for conn in crate::db::testing::engines() {
            conn.execute_batch(
                "INSERT INTO users (id, username, display_name, search_text, password_hash, created_at)
                     VALUES (1, 'ann', 'Ann', 'ann', '', 0), (2, 'bob', 'Bob', 'bob', '', 0);
                 INSERT INTO conversations (id, kind, title, created_at, last_activity)
                     VALUES (1, 'group', 'Both', 0, 0), (2, 'group', 'Bob''s', 0, 0);
                 INSERT INTO memberships (conversation_id, user_id, joined_at)
                     VALUES (1, 1, 0), (1, 2, 0), (2, 2, 0);
                 INSERT INTO messages (id, conversation_id, author_id, kind, body, created_at, deleted_at)
                     VALUES (1, 1, 2, 'text', 'Crème brûlée at noon', 1, NULL),
                            (2, 1, 2, 'text', 'the e-mail from ann@example.com', 2, NULL),
                            (3, 1, 2, 'text', 'deleted tea', 3, 4),
                            (4, 2, 2, 'text', 'crème for Bob only', 5, NULL),
                            (5, 1, 1, 'text', 'Tarte TATIN', 6, NULL),
                            (6, 1, 1, 'created', 'creme', 7, NULL);",
            )
            .unwrap();
            let found = |typed: &str| -> Vec<i64> {
                let results = messages(&conn, UserId(1), typed, None, 1).unwrap();
                results.hits.iter().map(|hit| hit.message.0).collect()
            };
            assert_eq!(found("CREME"), [1], "{:?}: case and accents", conn.engine());
            assert_eq!(found("brû"), [1], "the last word is a prefix");
            assert!(found("n").is_empty(), "one letter is a word, not a prefix");
            assert_eq!(found("example"), [2], "punctuation separates words");
            assert_eq!(found("mail ann"), [2], "every word");
            assert!(found("tea").is_empty(), "deleted");
            assert_eq!(found("tatin"), [5]);
            let hit = messages(&conn, UserId(1), "creme", None, 1).unwrap();
            assert!(
                hit.hits[0].snippet.contains("\u{1}Crème\u{2}"),
                "{:?}: the matched word is marked: {:?}",
                conn.engine(),
                hit.hits[0].snippet
            );
            conn.execute(
                "UPDATE messages SET body = 'Tarte aux pommes', edited_at = 8 WHERE id = 5",
                &[],
            )
            .unwrap();
            assert_eq!(found("pommes"), [5], "an edit is found");
            assert!(found("tatin").is_empty(), "and what it replaced is not");
        }
    }

    #[test]
    fn typed_text_becomes_quoted_words_the_last_a_prefix() {
        assert_eq!(match_expression("  "), None);
        assert_eq!(match_expression("\"*()-"), None);
        assert_eq!(match_expression("café"), Some("\"café\"*".into()));
        assert_eq!(
            match_expression("tea c"),
            Some("\"tea\" \"c\"".into()),
            "one letter is a word, not a prefix of most of the index"
        );
        assert_eq!(
            match_expression("NEAR(a b) AND -cd\""),
            Some("\"NEAR\" \"a\" \"b\" \"AND\" \"cd\"*".into())
        );
        assert_eq!(
            match_expression("one two three four five six seven eight nine")
                .map(|e| e.matches('"').count()),
            Some(16),
            "eight words at most"
        );
    }
}
