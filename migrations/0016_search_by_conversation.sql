-- The search index again, now knowing each message's conversation as a word ('c' || id) in a
-- second column. When the newest matches are mostly other people's, a search asks FTS5 for the
-- searcher's conversations, so a common word in a large conversation the searcher is not in is
-- skipped inside the index, instead of matching
-- every one of its messages and having the membership join reject them one by one (100 ms at
-- p99 for an outsider of a 100,000-message conversation). Memberships stay the rule:
-- `search::messages` still joins them; this column only spares work.
DROP TABLE message_search;
CREATE VIRTUAL TABLE message_search USING fts5(
    body,
    conversation,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);
INSERT INTO message_search (rowid, body, conversation)
    SELECT m.id,
           m.body || coalesce((SELECT ' ' || group_concat(name, ' ')
                               FROM attachments WHERE message_id = m.id), ''),
           'c' || m.conversation_id
    FROM messages m WHERE m.kind = 'text' AND m.deleted_at IS NULL;
DELETE FROM search_pending;

DROP TRIGGER message_search_update;
CREATE TRIGGER message_search_update AFTER UPDATE OF body, deleted_at ON messages
    WHEN old.kind = 'text'
BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
    INSERT INTO message_search (rowid, body, conversation)
        SELECT new.id,
               new.body || coalesce((SELECT ' ' || group_concat(name, ' ')
                                     FROM attachments WHERE message_id = new.id), ''),
               'c' || new.conversation_id
        WHERE new.deleted_at IS NULL;
END;
