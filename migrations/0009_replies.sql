-- The message a message answers, quoted above it. NULL once that one is gone for good; a
-- deleted (tombstoned) one stays, and the quote says it was deleted.
ALTER TABLE messages ADD COLUMN reply_to INTEGER REFERENCES messages(id) ON DELETE SET NULL;
