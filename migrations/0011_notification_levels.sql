-- What a conversation may ask its member's attention for (`conversation::Notify`): every
-- message, mentions only, or nothing. Unread counts are kept whatever it is.
ALTER TABLE memberships ADD COLUMN notify TEXT NOT NULL DEFAULT 'all'
    CHECK (notify IN ('all', 'mentions', 'none'));
