-- Reactions: one row per person, message and emoji (`model::reaction::ReactionKind::code`).
CREATE TABLE reactions (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id      INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    UNIQUE (message_id, user_id, kind)
);
-- A page of messages reads its reactions by one range of this index.
CREATE INDEX reactions_by_message ON reactions(conversation_id, message_id);

-- How many reactions a message has, so that a page looks for them only when one has some.
ALTER TABLE messages ADD COLUMN reactions INTEGER NOT NULL DEFAULT 0;

-- The event log learns the kind 'reaction'. SQLite cannot change a CHECK in place: the table
-- is rebuilt, keeping every id and the AUTOINCREMENT counter, so that no cursor is reused.
CREATE TABLE events_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('message', 'edit', 'delete', 'reaction')),
    message_id      INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE
);
INSERT INTO events_new (id, conversation_id, kind, message_id)
    SELECT id, conversation_id, kind, message_id FROM events;
INSERT OR REPLACE INTO sqlite_sequence (name, seq)
    SELECT 'events_new', seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_by_conversation ON events(conversation_id, id);
