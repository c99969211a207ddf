-- A counter that moves whenever a session row is deleted (logout, password change, expiry
-- clean-up, a deleted account), by any process. Servers cache sessions they have read and drop
-- that cache when the counter moves, so a revocation made elsewhere applies within moments.

CREATE TABLE session_revocations (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO session_revocations (id, generation) VALUES (1, 0);

CREATE TRIGGER session_revoked AFTER DELETE ON sessions
BEGIN
    UPDATE session_revocations SET generation = generation + 1 WHERE id = 1;
END;
