//! What a poll answer must say, decided from the published events alone: which messages are
//! appended to the open conversation's log or replaced in it, which list entries move to the
//! top, are redrawn or removed, and which of those need a summary from the database. Pure: no
//! I/O and no HTML, so every rule of the answer is tested here over hand-made events.

use std::sync::Arc;

use super::hub::Published;
use crate::model::conversation::Kind;
use crate::model::event::EventKind;
use crate::model::{ConversationId, MessageId, UserId};

/// A poll's answer, before rendering.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    /// The reader left the open conversation (perhaps in another tab): send the page home.
    pub leave_open: bool,
    /// New messages of the open conversation, in order, for the end of its log.
    pub appended: Vec<&'a Published>,
    /// Edited or deleted messages of the open conversation, replaced where they stand.
    pub replaced: Vec<&'a Published>,
    /// Messages of the open conversation whose reactions changed: only their reactions are
    /// redrawn, so that the log does not read the message out again.
    pub reacted: Vec<&'a Published>,
    /// List entries with a new message, to move to the top, oldest first.
    pub moved: Vec<ConversationId>,
    /// List entries to redraw in place (an edit, a deletion, a read mark moved elsewhere).
    pub redrawn: Vec<ConversationId>,
    /// Conversations the reader is no longer in.
    pub removed: Vec<ConversationId>,
    /// The newest message of the open conversation the reader now sees, for the next poll's
    /// read mark.
    pub newest_read: Option<MessageId>,
    /// The open conversation's latest new message: its list entry is drawn from it, without
    /// a query.
    pub open_latest: Option<&'a Published>,
}

impl Plan<'_> {
    /// The list entries that need a summary from the database: every moved or redrawn one but
    /// the open conversation's, which `open_latest` draws.
    pub fn summaries_to_load(&self, open: Option<ConversationId>) -> Vec<ConversationId> {
        self.moved
            .iter()
            .filter(|c| Some(**c) != open)
            .chain(&self.redrawn)
            .copied()
            .collect()
    }
}

/// Plans the answer for `reader`, whose page has `open` open and showed messages up to `read`,
/// from the events published for them and the conversations whose read mark moved meanwhile.
pub fn plan<'a>(
    events: &'a [Arc<Published>],
    reads: &[ConversationId],
    reader: UserId,
    open: Option<ConversationId>,
    read: Option<MessageId>,
) -> Plan<'a> {
    let mut plan = Plan {
        redrawn: reads.to_vec(),
        newest_read: read,
        ..Plan::default()
    };
    for published in events {
        let id = published.event.conversation;
        let here = open == Some(id);
        if published
            .conversation
            .member_ids
            .binary_search(&reader)
            .is_err()
        {
            if here {
                return Plan {
                    leave_open: true,
                    ..Plan::default()
                };
            }
            plan.removed.push(id);
            continue;
        }
        match published.event.kind {
            EventKind::Message => {
                if here {
                    plan.appended.push(published);
                    plan.newest_read = plan.newest_read.max(Some(published.message.id));
                    plan.open_latest = Some(published);
                }
                plan.moved.retain(|c| *c != id);
                plan.moved.push(id);
            }
            EventKind::Edit | EventKind::Delete => {
                if here {
                    plan.replaced.push(published);
                }
                plan.redrawn.push(id);
            }
            // The list shows no reactions: nothing there changes.
            EventKind::Reaction => {
                if here {
                    plan.reacted.push(published);
                }
            }
        }
    }
    plan.redrawn.sort_unstable();
    plan.redrawn.dedup();
    let (moved, removed) = (&plan.moved, &plan.removed);
    plan.redrawn
        .retain(|c| !moved.contains(c) && !removed.contains(c));
    plan
}

/// Whether the answer is the same for every member waiting at the same cursor, so that one
/// rendering serves them all: only events of the open group, the reader still in it, and no
/// read mark of their own to redraw.
pub fn shareable(
    events: &[Arc<Published>],
    reads: &[ConversationId],
    open: ConversationId,
    reader: UserId,
) -> bool {
    !events.is_empty()
        && reads.is_empty()
        && events.iter().all(|p| {
            p.event.conversation == open
                && p.conversation.kind == Kind::Group
                && p.conversation.member_ids.binary_search(&reader).is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventId;
    use crate::model::event::Event;
    use crate::model::message::{Message, MessageKind};
    use crate::realtime::hub::ConversationInfo;

    const ANN: UserId = UserId(1);
    const BOB: UserId = UserId(2);
    const TEAM: ConversationId = ConversationId(10);
    const OTHER: ConversationId = ConversationId(20);

    fn event(
        id: i64,
        conversation: ConversationId,
        kind: EventKind,
        message: i64,
        members: &[UserId],
    ) -> Arc<Published> {
        let info = Arc::new(ConversationInfo {
            id: conversation,
            kind: Kind::Group,
            title: "Team".into(),
            member_ids: members.to_vec(),
            members: Vec::new(),
            filter_names: String::new(),
        });
        Arc::new(Published::new(
            Event {
                id: EventId(id),
                conversation,
                kind,
                message: MessageId(message),
            },
            Message {
                id: MessageId(message),
                conversation,
                author: None,
                kind: MessageKind::Text,
                body: format!("message {message}"),
                created_at: 0,
                edited: false,
                deleted: false,
                continued: false,
                attachments: Vec::new(),
                reactions: Vec::new(),
                reply: None,
                mentioned: Default::default(),
                bot: None,
            },
            info,
            members.to_vec(),
        ))
    }

    fn ids(published: &[&Published]) -> Vec<i64> {
        published.iter().map(|p| p.message.id.0).collect()
    }

    #[test]
    fn new_messages_of_the_open_conversation_are_appended_and_read() {
        let events = [
            event(1, TEAM, EventKind::Message, 100, &[ANN, BOB]),
            event(2, TEAM, EventKind::Message, 101, &[ANN, BOB]),
        ];
        let plan = plan(&events, &[], ANN, Some(TEAM), Some(MessageId(99)));
        assert_eq!(ids(&plan.appended), [100, 101]);
        assert_eq!(plan.newest_read, Some(MessageId(101)));
        assert_eq!(plan.moved, [TEAM]);
        assert_eq!(plan.open_latest.map(|p| p.message.id), Some(MessageId(101)));
        assert!(
            plan.summaries_to_load(Some(TEAM)).is_empty(),
            "drawn from the event"
        );
    }

    #[test]
    fn other_conversations_move_in_the_list_and_load_their_summary() {
        let events = [
            event(1, OTHER, EventKind::Message, 200, &[ANN, BOB]),
            event(2, TEAM, EventKind::Message, 100, &[ANN, BOB]),
            event(3, OTHER, EventKind::Message, 201, &[ANN, BOB]),
        ];
        let plan = plan(&events, &[], ANN, Some(TEAM), None);
        assert_eq!(plan.moved, [TEAM, OTHER], "the latest activity ends on top");
        assert_eq!(ids(&plan.appended), [100], "only the open one's messages");
        assert_eq!(plan.summaries_to_load(Some(TEAM)), [OTHER]);
    }

    #[test]
    fn edits_replace_in_place_and_redraw_the_entry_once() {
        let events = [
            event(1, TEAM, EventKind::Edit, 100, &[ANN, BOB]),
            event(2, TEAM, EventKind::Delete, 101, &[ANN, BOB]),
            event(3, OTHER, EventKind::Edit, 200, &[ANN, BOB]),
        ];
        let plan = plan(&events, &[OTHER], ANN, Some(TEAM), None);
        assert_eq!(ids(&plan.replaced), [100, 101]);
        assert!(plan.appended.is_empty());
        assert_eq!(plan.redrawn, [TEAM, OTHER], "each once");
        assert_eq!(plan.newest_read, None, "an edit is no new message to read");
    }

    #[test]
    fn a_reaction_updates_its_message_in_place_and_leaves_the_list_alone() {
        let events = [
            event(1, TEAM, EventKind::Reaction, 100, &[ANN, BOB]),
            event(2, OTHER, EventKind::Reaction, 200, &[ANN, BOB]),
        ];
        let plan = plan(&events, &[], ANN, Some(TEAM), Some(MessageId(100)));
        assert_eq!(ids(&plan.reacted), [100], "only the open conversation's");
        assert!(plan.appended.is_empty(), "never a new entry in the log");
        assert!(
            plan.replaced.is_empty(),
            "the message itself is not drawn again"
        );
        assert!(plan.moved.is_empty() && plan.redrawn.is_empty());
        assert_eq!(plan.newest_read, Some(MessageId(100)));
    }

    #[test]
    fn a_moved_entry_is_not_also_redrawn() {
        let events = [
            event(1, OTHER, EventKind::Edit, 200, &[ANN, BOB]),
            event(2, OTHER, EventKind::Message, 201, &[ANN, BOB]),
        ];
        let plan = plan(&events, &[OTHER], ANN, None, None);
        assert_eq!(plan.moved, [OTHER]);
        assert!(plan.redrawn.is_empty());
    }

    #[test]
    fn leaving_removes_the_entry_or_sends_the_open_page_home() {
        let left = [event(1, OTHER, EventKind::Message, 200, &[BOB])];
        let plan_elsewhere = plan(&left, &[], ANN, Some(TEAM), None);
        assert_eq!(plan_elsewhere.removed, [OTHER]);
        assert!(!plan_elsewhere.leave_open);
        let open_left = [event(1, TEAM, EventKind::Message, 100, &[BOB])];
        assert!(plan(&open_left, &[], ANN, Some(TEAM), None).leave_open);
    }

    #[test]
    fn only_an_answer_about_the_open_group_alone_is_shared() {
        let here = [event(1, TEAM, EventKind::Message, 100, &[ANN, BOB])];
        assert!(shareable(&here, &[], TEAM, ANN));
        assert!(
            !shareable(&here, &[OTHER], TEAM, ANN),
            "a read mark of one's own"
        );
        assert!(!shareable(&[], &[], TEAM, ANN), "nothing to share");
        let mixed = [
            event(1, TEAM, EventKind::Message, 100, &[ANN, BOB]),
            event(2, OTHER, EventKind::Message, 200, &[ANN, BOB]),
        ];
        assert!(
            !shareable(&mixed, &[], TEAM, ANN),
            "another conversation's entry differs"
        );
        let left = [event(1, TEAM, EventKind::Message, 100, &[BOB])];
        assert!(!shareable(&left, &[], TEAM, ANN));
    }
}
