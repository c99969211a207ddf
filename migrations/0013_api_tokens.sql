-- Tokens for the HTTP API (`/api/…`, `Authorization: Bearer …`): per person, shown once, known
-- here only by a hash, revocable.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    token_hash TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id);
