-- Conversations, their members, messages, and the event log that long-polling clients follow.

CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('direct', 'group')),
    title         TEXT    NOT NULL DEFAULT '',
    -- "smaller id:larger id" for direct conversations, so that a pair has at most one.
    direct_pair   TEXT    UNIQUE,
    created_at    INTEGER NOT NULL,
    last_activity INTEGER NOT NULL
);
CREATE INDEX conversations_by_activity ON conversations(last_activity);

CREATE TABLE memberships (
    conversation_id      INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id              INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    joined_at            INTEGER NOT NULL,
    last_read_message_id INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships(user_id, conversation_id);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    -- NULL: written by the instance itself (the welcome message).
    author_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    -- 'text' is what people write; the others are notices (joined, left, renamed, …) whose
    -- wording comes from the catalog in the reader's language.
    kind            TEXT    NOT NULL DEFAULT 'text',
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    edited_at       INTEGER,
    deleted_at      INTEGER
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);

-- Every change a member must see, in commit order. Its id is the long-poll cursor:
-- AUTOINCREMENT so that an id is never reused, even after the newest row is deleted.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('message', 'edit', 'delete')),
    message_id      INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE
);
CREATE INDEX events_by_conversation ON events(conversation_id, id);
