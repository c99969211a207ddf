-- Each server keeps the sessions and accounts it has read in memory. Every change to those
-- rows, by any process (a second app process, an operator's `bavard` command), is noted here
-- by triggers; each server's watcher reads the new notes every 200 ms and forgets what they
-- name, so a revocation or a profile change made elsewhere applies at once. Notes older than a
-- day are pruned.

CREATE TABLE cache_invalidations (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL DEFAULT (unixepoch()),
    session_key TEXT,
    user_id     INTEGER
);

CREATE TRIGGER session_changed AFTER UPDATE OF user_id, state ON sessions
BEGIN
    INSERT INTO cache_invalidations (session_key) VALUES (old.key);
END;

CREATE TRIGGER session_deleted AFTER DELETE ON sessions
BEGIN
    INSERT INTO cache_invalidations (session_key) VALUES (old.key);
END;

CREATE TRIGGER user_changed AFTER UPDATE ON users
BEGIN
    INSERT INTO cache_invalidations (user_id) VALUES (old.id);
END;
