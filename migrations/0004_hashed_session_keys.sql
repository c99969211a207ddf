-- Sessions are now stored under a hash of the key their cookie carries, so that a copy of the
-- database does not hand out live sessions. Rows stored under the plain key can no longer be
-- found; remove them, which signs everyone out once.

DELETE FROM sessions;
