-- Every conversation list carries, for its filter box, the names of each conversation's first
-- 20 members (by id, joined by U+001F; `conversation::FILTER_MEMBERS`). Read on every page,
-- for every conversation of the reader, they were two thirds of the list's query for someone in
-- a dozen large groups. They change only when members come, go or change their name: kept here,
-- and brought up to date by these triggers.
ALTER TABLE conversations ADD COLUMN member_names TEXT NOT NULL DEFAULT '';

-- The one definition of those names; asked for one conversation, it reads only that one's.
CREATE VIEW first_member_names AS
SELECT c.id AS conversation_id, coalesce((
    SELECT group_concat(name, char(31)) FROM (
        SELECT u.display_name AS name FROM memberships mm JOIN users u ON u.id = mm.user_id
        WHERE mm.conversation_id = c.id ORDER BY mm.user_id LIMIT 20)), '') AS names
FROM conversations c;

UPDATE conversations SET member_names =
    (SELECT names FROM first_member_names WHERE conversation_id = conversations.id);

-- Only someone among the first 20 changes the names: a group of thousands is made without
-- reading its names thousands of times.
CREATE TRIGGER member_names_after_join AFTER INSERT ON memberships
WHEN (SELECT count(*) FROM (SELECT 1 FROM memberships
      WHERE conversation_id = NEW.conversation_id AND user_id < NEW.user_id LIMIT 20)) < 20
BEGIN
    UPDATE conversations SET member_names =
        (SELECT names FROM first_member_names WHERE conversation_id = NEW.conversation_id)
    WHERE id = NEW.conversation_id;
END;

CREATE TRIGGER member_names_after_leaving AFTER DELETE ON memberships
WHEN (SELECT count(*) FROM (SELECT 1 FROM memberships
      WHERE conversation_id = OLD.conversation_id AND user_id < OLD.user_id LIMIT 20)) < 20
BEGIN
    UPDATE conversations SET member_names =
        (SELECT names FROM first_member_names WHERE conversation_id = OLD.conversation_id)
    WHERE id = OLD.conversation_id;
END;

CREATE TRIGGER member_names_after_rename AFTER UPDATE OF display_name ON users
WHEN NEW.display_name IS NOT OLD.display_name
BEGIN
    UPDATE conversations SET member_names =
        (SELECT names FROM first_member_names WHERE conversation_id = conversations.id)
    WHERE id IN (SELECT conversation_id FROM memberships WHERE user_id = NEW.id);
END;
