-- Incoming webhooks: a secret address that posts into a conversation as a named bot. Only a
-- hash of the secret is kept (it is shown once, when made).
CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    secret_hash     TEXT    NOT NULL,
    created_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX webhooks_by_conversation ON webhooks(conversation_id);

-- The bot's name on a message a webhook posted (its author_id is NULL).
ALTER TABLE messages ADD COLUMN bot TEXT;
