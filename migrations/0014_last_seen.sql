-- When the person last had Bavard open (a poll), written at most once a minute.
ALTER TABLE users ADD COLUMN last_seen_at INTEGER;
