-- A member's read mark moved in one process (a page opened the conversation, or a batch of
-- polls' reads was written): every other process (a second app process under Passenger,
-- another node on PostgreSQL) redraws the badges of that member's tabs it holds. Such a note
-- names the member in user_id and the conversation here; `origin` is the process that wrote
-- it, which has told its own tabs already.
ALTER TABLE cache_invalidations ADD COLUMN read_conversation_id INTEGER;
ALTER TABLE cache_invalidations ADD COLUMN origin INTEGER;
