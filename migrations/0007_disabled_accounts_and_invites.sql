-- An administrator may disable an account: its sessions are deleted in the same transaction,
-- its logins refused, and its messages stay. NULL: the account is active.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;

-- One-time sign-up links an administrator hands out, for instances whose registration is
-- closed. Known by a hash of the link's key, like sessions: a copy of the database gives away
-- no usable link.
CREATE TABLE invites (
    key_hash   TEXT    PRIMARY KEY,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    used_at    INTEGER
) WITHOUT ROWID;
