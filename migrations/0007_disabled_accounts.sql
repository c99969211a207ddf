-- An administrator may disable an account: its sessions are deleted in the same transaction,
-- its logins refused, and its messages stay. NULL: the account is active.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
