-- Files sent with messages, and profile pictures. The bytes live under the data folder
-- (`files/`, `avatars/`), named by `stored_as`, a random key: never by what the sender called
-- them. `name` is what the sender called the file, made safe to show (`media::display_name`).
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    -- NULL once the uploader's account is gone; the file stays with the conversation.
    uploader_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    stored_as    TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL,
    -- What the content is (`attachment::FileKind::code`), decided from the bytes.
    kind         TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    -- Images only: the picture's size, and its thumbnail's (`stored_as` + '.thumb').
    width        INTEGER,
    height       INTEGER,
    thumb_width  INTEGER,
    thumb_height INTEGER
);
CREATE INDEX attachments_by_message ON attachments(message_id);
-- The quota and the usage page add up one person's files.
CREATE INDEX attachments_by_uploader ON attachments(uploader_id);

-- How many files a message has, so that loading a page of messages looks for attachments
-- only when one of them has some.
ALTER TABLE messages ADD COLUMN files INTEGER NOT NULL DEFAULT 0;

-- The key of the person's picture (`avatars/<key>-<size>.jpg`); NULL: their initials.
ALTER TABLE users ADD COLUMN avatar TEXT;

-- The search index again, with prefix indexes: what is typed is searched as it is typed, the
-- last word as a prefix, and without them a short prefix merged the lists of every word it
-- begins (80 ms for a four-letter prefix over a million messages, 200 ms for two letters;
-- under 8 ms with them, for an index two thirds larger). It also holds attachments' names.
DROP TABLE message_search;
CREATE VIRTUAL TABLE message_search USING fts5(
    body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);
INSERT INTO message_search (rowid, body)
    SELECT id, body FROM messages WHERE kind = 'text' AND deleted_at IS NULL;
DELETE FROM search_pending;

DROP TRIGGER message_search_update;
CREATE TRIGGER message_search_update AFTER UPDATE OF body, deleted_at ON messages
    WHEN old.kind = 'text'
BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
    INSERT INTO message_search (rowid, body)
        SELECT new.id, new.body || coalesce((SELECT ' ' || group_concat(name, ' ')
                                             FROM attachments WHERE message_id = new.id), '')
        WHERE new.deleted_at IS NULL;
END;
