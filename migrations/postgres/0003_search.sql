-- Message search: what SQLite's FTS5 index does (migrations 0005, 0006, 0016), with a tsvector
-- per message. The same words are found on both engines: everything but letters and digits
-- separates words, case and accents do not count (unaccent), and nothing is stemmed.

CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH CONFIGURATION bavard (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION bavard
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part,
                      numword, numhword, hword_numpart
    WITH unaccent, simple;

-- What a message is found by: its text and its files' names, as words only (PostgreSQL's
-- parser would otherwise keep "ann@example.com" or a URL as one word, which FTS5 splits).
CREATE FUNCTION search_document(body TEXT, files TEXT) RETURNS tsvector
    LANGUAGE SQL IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('bavard',
                       regexp_replace(body || ' ' || coalesce(files, ''), '[^[:alnum:]]+', ' ', 'g'));

CREATE TABLE message_search (
    message_id      BIGINT   PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    conversation_id BIGINT   NOT NULL,
    document        tsvector NOT NULL
);
CREATE INDEX message_search_words ON message_search USING gin (document);

-- Messages to (re)index: written in the sending transaction, indexed in a batch by the watcher
-- and before every search (`search::index_pending`), as on SQLite.
CREATE TABLE search_pending (
    message_id BIGINT PRIMARY KEY
);

CREATE FUNCTION search_note_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'text' THEN
        INSERT INTO search_pending (message_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION search_note_pending();

-- An edit or a deletion applies to the index at once.
CREATE FUNCTION search_reindex_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.kind = 'text' THEN
        DELETE FROM message_search WHERE message_id = OLD.id;
        IF NEW.deleted_at IS NULL THEN
            INSERT INTO message_search (message_id, conversation_id, document)
            VALUES (NEW.id, NEW.conversation_id, search_document(NEW.body,
                    (SELECT string_agg(name, ' ') FROM attachments WHERE message_id = NEW.id)));
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER message_search_update AFTER UPDATE OF body, deleted_at ON messages
    FOR EACH ROW EXECUTE FUNCTION search_reindex_changed();

CREATE FUNCTION search_forget_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM search_pending WHERE message_id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION search_forget_deleted();
