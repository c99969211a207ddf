//! Files sent with messages: what they are, who may fetch them, and how much each person
//! stores. The bytes themselves are `media`'s; this module only knows their rows.

use std::collections::HashMap;

use super::{ConversationId, MessageId, UserId};
use crate::db::{self, Conn, Row};
use crate::error::AppError;

/// Files one message may carry.
pub const MAX_PER_MESSAGE: usize = 10;

/// The kinds of file Bavard knows how to recognise from their bytes; `--upload-types` picks
/// which of them people may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    Jpeg,
    Png,
    Gif,
    Webp,
    Pdf,
    Zip,
    Mp4,
    Text,
}

impl FileKind {
    pub const ALL: [FileKind; 8] = [
        FileKind::Jpeg,
        FileKind::Png,
        FileKind::Gif,
        FileKind::Webp,
        FileKind::Pdf,
        FileKind::Zip,
        FileKind::Mp4,
        FileKind::Text,
    ];

    pub fn code(self) -> &'static str {
        self.extensions()[0]
    }

    pub fn from_code(code: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The file-name endings that say this kind; the first is the usual one.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Jpeg => &["jpg", "jpeg"],
            FileKind::Png => &["png"],
            FileKind::Gif => &["gif"],
            FileKind::Webp => &["webp"],
            FileKind::Pdf => &["pdf"],
            FileKind::Zip => &["zip"],
            FileKind::Mp4 => &["mp4", "m4v"],
            FileKind::Text => &["txt"],
        }
    }

    pub fn from_extension(extension: &str) -> Option<FileKind> {
        let extension = extension.to_ascii_lowercase();
        FileKind::ALL
            .into_iter()
            .find(|k| k.extensions().contains(&extension.as_str()))
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Gif => "image/gif",
            FileKind::Webp => "image/webp",
            FileKind::Pdf => "application/pdf",
            FileKind::Zip => "application/zip",
            FileKind::Mp4 => "video/mp4",
            FileKind::Text => "text/plain; charset=utf-8",
        }
    }

    /// Shown inline as a picture, with a thumbnail; everything else is offered as a download.
    pub fn is_image(self) -> bool {
        matches!(
            self,
            FileKind::Jpeg | FileKind::Png | FileKind::Gif | FileKind::Webp
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub id: i64,
    pub message: MessageId,
    pub name: String,
    pub kind: FileKind,
    pub size: u64,
    /// Images only: the thumbnail's width and height.
    pub thumb: Option<(u32, u32)>,
}

/// A file checked and stored, waiting for its message to be written (`message::post`).
pub struct NewAttachment {
    pub stored_as: String,
    pub name: String,
    pub kind: FileKind,
    pub size: u64,
    pub dimensions: Option<(u32, u32)>,
    pub thumb: Option<(u32, u32)>,
}

const COLUMNS: &str = "a.id, a.message_id, a.name, a.kind, a.size, a.thumb_width, a.thumb_height";

fn from_row(row: &Row<'_>) -> Result<Attachment, db::Error> {
    let kind: String = row.get(3)?;
    let side = |index| -> Result<Option<u32>, db::Error> {
        Ok(row
            .get::<Option<i64>>(index)?
            .and_then(|n| u32::try_from(n).ok()))
    };
    let thumb = side(5)?.zip(side(6)?);
    Ok(Attachment {
        id: row.get(0)?,
        message: row.get(1)?,
        name: row.get(2)?,
        // A kind this version no longer knows is offered as a plain download.
        kind: FileKind::from_code(&kind).unwrap_or(FileKind::Zip),
        size: row.get::<i64>(4)?.max(0) as u64,
        thumb,
    })
}

/// Adds a message's files inside the caller's write transaction.
pub(crate) fn insert(
    conn: &Conn,
    message: MessageId,
    uploader: UserId,
    files: &[NewAttachment],
) -> Result<(), AppError> {
    for file in files {
        conn.execute(
            "INSERT INTO attachments (message_id, uploader_id, stored_as, name, kind, size,
                                      width, height, thumb_width, thumb_height)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            &[
                &message,
                &uploader,
                &file.stored_as,
                &file.name,
                &file.kind.code(),
                &(file.size as i64),
                &file.dimensions.map(|d| i64::from(d.0)),
                &file.dimensions.map(|d| i64::from(d.1)),
                &file.thumb.map(|t| i64::from(t.0)),
                &file.thumb.map(|t| i64::from(t.1)),
            ],
        )?;
    }
    conn.execute(
        "UPDATE messages SET files = ?2 WHERE id = ?1",
        &[&message, &(files.len() as i64)],
    )?;
    Ok(())
}

/// The files of the messages of `conversation` between `first` and `last`, by message.
pub(crate) fn of_messages(
    conn: &Conn,
    conversation: ConversationId,
    first: MessageId,
    last: MessageId,
) -> Result<HashMap<MessageId, Vec<Attachment>>, AppError> {
    let mut by_message: HashMap<MessageId, Vec<Attachment>> = HashMap::new();
    for attachment in conn.query_map(
        &format!(
            "SELECT {COLUMNS} FROM attachments a JOIN messages m ON m.id = a.message_id
             WHERE a.message_id BETWEEN ?2 AND ?3 AND m.conversation_id = ?1 ORDER BY a.id"
        ),
        &[&conversation, &first, &last],
        from_row,
    )? {
        by_message
            .entry(attachment.message)
            .or_default()
            .push(attachment);
    }
    Ok(by_message)
}

/// A file as its download needs it: where its bytes are, and what to call them.
pub struct Stored {
    pub attachment: Attachment,
    pub stored_as: String,
}

/// The file, if `user` is a member of the conversation it was sent in: a file of a
/// conversation one is not (or no longer) in does not exist for them.
pub fn find_for_member(
    conn: &Conn,
    conversation: ConversationId,
    id: i64,
    user: UserId,
) -> Result<Option<Stored>, AppError> {
    Ok(conn.query_opt(
        &format!(
            "SELECT {COLUMNS}, a.stored_as FROM attachments a
             JOIN messages m ON m.id = a.message_id
             JOIN memberships mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?3
             WHERE a.id = ?2 AND m.conversation_id = ?1 AND m.deleted_at IS NULL"
        ),
        &[&conversation, &id, &user],
        |row| {
            Ok(Stored {
                attachment: from_row(row)?,
                stored_as: row.get(7)?,
            })
        },
    )?)
}

/// Removes a message's files from the database inside the caller's transaction, and says which
/// stored files to delete once it commits.
pub(crate) fn remove_of_message(conn: &Conn, message: MessageId) -> Result<Vec<String>, AppError> {
    let stored: Vec<String> = conn.query_map(
        "DELETE FROM attachments WHERE message_id = ?1 RETURNING stored_as",
        &[&message],
        |row| row.get(0),
    )?;
    conn.execute("UPDATE messages SET files = 0 WHERE id = ?1", &[&message])?;
    Ok(stored)
}

/// The stored names of every file and whether each has a thumbnail: what a backup copies and
/// what `bavard check` expects to find.
pub fn stored_names(conn: &Conn) -> Result<Vec<(String, bool)>, AppError> {
    let names = conn.query_map(
        "SELECT stored_as, thumb_width IS NOT NULL FROM attachments",
        &[],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok(names)
}

/// Bytes of files `user` has sent and that are still there: what counts against their quota.
pub fn stored_by(conn: &Conn, user: UserId) -> Result<u64, AppError> {
    let total: i64 = conn.query_row(
        "SELECT CAST(coalesce(sum(size), 0) AS BIGINT) FROM attachments WHERE uploader_id = ?1",
        &[&user],
        |r| r.get(0),
    )?;
    Ok(total.max(0) as u64)
}

/// What the usage page shows a person.
#[derive(Debug, PartialEq, Eq)]
pub struct Usage {
    pub messages_sent: u64,
    pub files_sent: u64,
    pub bytes_sent: u64,
    pub files_received: u64,
    pub bytes_received: u64,
}

pub fn usage(conn: &Conn, user: UserId) -> Result<Usage, AppError> {
    let messages_sent: i64 = conn.query_row(
        "SELECT count(*) FROM messages
             WHERE author_id = ?1 AND kind = 'text' AND deleted_at IS NULL",
        &[&user],
        |r| r.get(0),
    )?;
    let (files_sent, bytes_sent): (i64, i64) = conn.query_row(
        "SELECT count(*), CAST(coalesce(sum(size), 0) AS BIGINT) FROM attachments WHERE uploader_id = ?1",
        &[&user],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    // Received: sent by someone else in a conversation the person is in now. From the
    // attachments, which are few, rather than from every message of the person's conversations.
    let (files_received, bytes_received): (i64, i64) = conn.query_row(
        "SELECT count(*), CAST(coalesce(sum(a.size), 0) AS BIGINT)
             FROM attachments a
             JOIN messages m ON m.id = a.message_id
             JOIN memberships mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?1
             WHERE a.uploader_id IS DISTINCT FROM ?1",
        &[&user],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let count = |n: i64| n.max(0) as u64;
    Ok(Usage {
        messages_sent: count(messages_sent),
        files_sent: count(files_sent),
        bytes_sent: count(bytes_sent),
        files_received: count(files_received),
        bytes_received: count(bytes_received),
    })
}

/// The whole instance, for administrators.
#[derive(Debug, PartialEq, Eq)]
pub struct Totals {
    pub messages: u64,
    pub files: u64,
    pub file_bytes: u64,
    pub accounts: u64,
}

pub fn totals(conn: &Conn) -> Result<Totals, AppError> {
    let (messages, files, file_bytes, accounts): (i64, i64, i64, i64) = conn.query_row(
        "SELECT (SELECT count(*) FROM messages WHERE kind = 'text' AND deleted_at IS NULL),
                    (SELECT count(*) FROM attachments),
                    (SELECT CAST(coalesce(sum(size), 0) AS BIGINT) FROM attachments),
                    (SELECT count(*) FROM users)",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let count = |n: i64| n.max(0) as u64;
    Ok(Totals {
        messages: count(messages),
        files: count(files),
        file_bytes: count(file_bytes),
        accounts: count(accounts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_a_kind_whatever_their_case_and_codes_round_trip() {
        assert_eq!(FileKind::from_extension("JPEG"), Some(FileKind::Jpeg));
        assert_eq!(FileKind::from_extension("svg"), None);
        for kind in FileKind::ALL {
            assert_eq!(FileKind::from_code(kind.code()), Some(kind));
        }
    }
}
