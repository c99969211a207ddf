-- Read marks that moved, for the other nodes' tabs (SQLite's 0018).
ALTER TABLE cache_invalidations ADD COLUMN read_conversation_id BIGINT;
ALTER TABLE cache_invalidations ADD COLUMN origin BIGINT;
