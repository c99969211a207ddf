-- Who a message mentions (`model::mention`): a member's unread mentions are counted apart.
CREATE TABLE mentions (
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id      INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, conversation_id, message_id)
) WITHOUT ROWID;
CREATE INDEX mentions_by_message ON mentions(message_id);

-- The same, as the message is drawn: "everyone" and "id:username", separated by spaces.
ALTER TABLE messages ADD COLUMN mentioned TEXT NOT NULL DEFAULT '';
