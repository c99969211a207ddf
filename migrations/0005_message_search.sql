-- Full-text search over what people wrote: only text messages that are not deleted are in the
-- index, so notices (whose stored body is names, not words anyone wrote), deleted messages and
-- the old text of edited ones are never found. remove_diacritics 2: "cafe" finds "café".
CREATE VIRTUAL TABLE message_search USING fts5(
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO message_search (rowid, body)
    SELECT id, body FROM messages WHERE kind = 'text' AND deleted_at IS NULL;

-- New messages wait here to be indexed in batches (`search::index_pending`): an FTS5 write in
-- each sending transaction cost a fifth of the send throughput, a row here next to nothing.
CREATE TABLE search_pending (
    message_id INTEGER PRIMARY KEY
);

CREATE TRIGGER message_search_insert AFTER INSERT ON messages
    WHEN new.kind = 'text'
BEGIN
    INSERT OR IGNORE INTO search_pending (message_id) VALUES (new.id);
END;

-- Edits and deletions are rare and must never leave old words findable: at once.
CREATE TRIGGER message_search_update AFTER UPDATE OF body, deleted_at ON messages
    WHEN old.kind = 'text'
BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
    INSERT INTO message_search (rowid, body)
        SELECT new.id, new.body WHERE new.deleted_at IS NULL;
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages
    WHEN old.kind = 'text'
BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
    DELETE FROM search_pending WHERE message_id = old.id;
END;
