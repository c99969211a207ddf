-- Web Push (RFC 8030): each browser a person turned notifications on in, with the keys its
-- payloads are encrypted to (RFC 8291), and how far the sender has gone through the events.
CREATE TABLE push_subscriptions (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint   TEXT    NOT NULL UNIQUE,
    p256dh     BLOB    NOT NULL,
    auth       BLOB    NOT NULL,
    -- The browser, as its user agent names it, for the person's list.
    label      TEXT    NOT NULL,
    -- The address of the page it was made on: VAPID's contact (`sub`) for its push service.
    contact    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions(user_id);

-- One row: the newest event the sender has looked at. It starts at the newest event there is,
-- so that turning Web Push on never sends old messages.
CREATE TABLE push_progress (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_event INTEGER NOT NULL
);
INSERT INTO push_progress (id, last_event) SELECT 1, COALESCE(MAX(id), 0) FROM events;
