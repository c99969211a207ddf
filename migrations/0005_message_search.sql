-- Full-text search over what people wrote. An external-content FTS5 index over `messages`:
-- only text messages that are not deleted are in it, so notices (whose stored body is names,
-- not words anyone wrote), deleted messages and the old text of edited ones are never found.
-- remove_diacritics 2: "cafe" finds "café", and "Noël" finds "noel".
CREATE VIRTUAL TABLE message_search USING fts5(
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO message_search (rowid, body)
    SELECT id, body FROM messages WHERE kind = 'text' AND deleted_at IS NULL;

-- External content: the index must be told the old text of every row it holds when it goes.
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
    WHEN new.kind = 'text' AND new.deleted_at IS NULL
BEGIN
    INSERT INTO message_search (rowid, body) VALUES (new.id, new.body);
END;

CREATE TRIGGER message_search_update AFTER UPDATE OF body, deleted_at ON messages
    WHEN old.kind = 'text'
BEGIN
    INSERT INTO message_search (message_search, rowid, body)
        SELECT 'delete', old.id, old.body WHERE old.deleted_at IS NULL;
    INSERT INTO message_search (rowid, body)
        SELECT new.id, new.body WHERE new.deleted_at IS NULL;
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages
    WHEN old.kind = 'text' AND old.deleted_at IS NULL
BEGIN
    INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', old.id, old.body);
END;
