-- An edit re-indexes its message at once (0003); the watcher of another node may have indexed
-- it between the trigger's DELETE and its INSERT, which then found the row there. The new words
-- replace whatever is there.
CREATE OR REPLACE FUNCTION search_reindex_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.kind = 'text' THEN
        DELETE FROM message_search WHERE message_id = OLD.id;
        IF NEW.deleted_at IS NULL THEN
            INSERT INTO message_search (message_id, conversation_id, document)
            VALUES (NEW.id, NEW.conversation_id, search_document(NEW.body,
                    (SELECT string_agg(name, ' ') FROM attachments WHERE message_id = NEW.id)))
            ON CONFLICT (message_id) DO UPDATE SET document = EXCLUDED.document;
        END IF;
    END IF;
    RETURN NULL;
END $$;
