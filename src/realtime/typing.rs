//! Who is typing where. Kept in memory only, never written: it matters for a few seconds, and
//! each entry ends by itself when its typist stops asking.
//!
//! Each conversation's state is numbered like renames: a page's poll carries the number it has
//! shown (`typing=`), and is answered when the number moved. A typist renewing their entry every
//! few seconds moves nothing and wakes nobody; a poll that shows someone typing waits no longer
//! than that entry lasts, so that it is the server that ends it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use super::hub::lock;
use crate::model::conversation::Kind;
use crate::model::{ConversationId, UserId};

/// How long "is typing" lasts after the typist's last request. Pages ask every few seconds
/// (`TYPING_EVERY_MS` in app.js, 3 s) while the person types.
pub const LASTS: Duration = Duration::from_secs(6);

/// Above this many members, typing is not shown: in a big group it is noise for everyone, and
/// each start would wake hundreds of polls to say so.
pub const MAX_MEMBERS: usize = 20;

/// Conversations whose state is kept once nobody types there any more: past this, idle ones
/// are forgotten (a page that showed one of them is answered once with nobody typing).
const IDLE_KEPT: usize = 1000;

/// Whether typing is shown in this conversation.
pub fn shown_in(kind: Kind, members: usize) -> bool {
    kind == Kind::Direct || members <= MAX_MEMBERS
}

pub struct Typing {
    conversations: Mutex<HashMap<ConversationId, Typists>>,
    /// Numbers go on from when the process started, so that a number a page carries from
    /// before a restart is not mistaken for a new one.
    last_number: AtomicU64,
}

#[derive(Default)]
struct Typists {
    number: u64,
    who: Vec<Typist>,
}

struct Typist {
    user: UserId,
    name: String,
    until: Instant,
}

/// What a poll learns about typing in the conversation it shows.
#[derive(Debug, PartialEq, Eq)]
pub struct Looked {
    /// The names to show now (the reader left out), when they changed since the poll's number.
    pub changed: Option<Vec<String>>,
    /// The number now.
    pub number: u64,
    /// When the soonest entry ends: a poll waits no longer.
    pub ends: Option<Instant>,
}

impl Default for Typing {
    fn default() -> Self {
        let started_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Typing {
            conversations: Mutex::new(HashMap::new()),
            last_number: AtomicU64::new(started_ms),
        }
    }
}

impl Typing {
    fn next_number(&self) -> u64 {
        self.last_number.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// `user` is typing in `conversation`. True when they were not already: the members'
    /// polls must then be woken to show it.
    pub fn started(
        &self,
        conversation: ConversationId,
        user: UserId,
        name: &str,
        now: Instant,
    ) -> bool {
        let until = now + LASTS;
        let mut conversations = lock(&self.conversations);
        if conversations.len() > IDLE_KEPT {
            conversations.retain(|_, typists| !typists.who.is_empty());
        }
        let typists = conversations.entry(conversation).or_default();
        if let Some(typist) = typists.who.iter_mut().find(|t| t.user == user) {
            typist.until = until;
            return false;
        }
        typists.who.push(Typist {
            user,
            name: name.to_owned(),
            until,
        });
        typists.number = self.next_number();
        true
    }

    /// `user` sent what they typed. Nobody is woken: the message itself wakes the members,
    /// whose answer then carries both.
    pub fn stopped(&self, conversation: ConversationId, user: UserId) {
        let mut conversations = lock(&self.conversations);
        if let Some(typists) = conversations.get_mut(&conversation)
            && let Some(at) = typists.who.iter().position(|t| t.user == user)
        {
            typists.who.remove(at);
            typists.number = self.next_number();
        }
    }

    /// The current number of `conversation`, for a page being drawn, with who types there.
    pub fn shown(&self, conversation: ConversationId, reader: UserId) -> (u64, Vec<String>) {
        let looked = self.look(conversation, reader, None, Instant::now());
        (looked.number, looked.changed.unwrap_or_default())
    }

    /// What a reader of `conversation` who has shown `seen` should learn. Entries past their
    /// time end here.
    pub fn look(
        &self,
        conversation: ConversationId,
        reader: UserId,
        seen: Option<u64>,
        now: Instant,
    ) -> Looked {
        let mut conversations = lock(&self.conversations);
        let Some(typists) = conversations.get_mut(&conversation) else {
            return Looked {
                changed: (seen.is_some_and(|n| n != 0)).then(Vec::new),
                number: 0,
                ends: None,
            };
        };
        let before = typists.who.len();
        typists.who.retain(|t| t.until > now);
        if typists.who.len() != before {
            typists.number = self.next_number();
        }
        let changed = (seen != Some(typists.number)).then(|| {
            typists
                .who
                .iter()
                .filter(|t| t.user != reader)
                .map(|t| t.name.clone())
                .collect()
        });
        Looked {
            changed,
            number: typists.number,
            ends: typists.who.iter().map(|t| t.until).min(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEAM: ConversationId = ConversationId(7);
    const ANN: UserId = UserId(1);
    const BOB: UserId = UserId(2);

    #[test]
    fn an_entry_is_shown_to_the_others_renewed_silently_and_ends_by_itself() {
        let typing = Typing::default();
        let start = Instant::now();
        let (shown, nobody) = typing.shown(TEAM, BOB);
        assert!(nobody.is_empty());
        assert!(typing.started(TEAM, ANN, "Ann", start), "a start wakes");
        let first = typing.look(TEAM, BOB, Some(shown), start);
        assert_eq!(first.changed, Some(vec!["Ann".to_owned()]));
        assert_eq!(
            typing.look(TEAM, ANN, Some(shown), start).changed,
            Some(Vec::new()),
            "the typist does not see themselves"
        );

        let later = start + Duration::from_secs(4);
        assert!(
            !typing.started(TEAM, ANN, "Ann", later),
            "a renewal wakes nobody"
        );
        let renewed = typing.look(TEAM, BOB, Some(first.number), later);
        assert_eq!(renewed.changed, None, "nothing new to show");
        assert_eq!(renewed.ends, Some(later + LASTS), "but it lasts longer");

        let ended = typing.look(TEAM, BOB, Some(first.number), later + LASTS);
        assert_eq!(ended.changed, Some(Vec::new()), "it ended by itself");
        assert_eq!(ended.ends, None);
    }

    #[test]
    fn sending_ends_typing_and_a_number_from_before_a_restart_is_answered_once() {
        let (typing, now) = (Typing::default(), Instant::now());
        typing.started(TEAM, ANN, "Ann", now);
        let shown = typing.look(TEAM, BOB, None, now).number;
        typing.stopped(TEAM, ANN);
        assert_eq!(
            typing.look(TEAM, BOB, Some(shown), now).changed,
            Some(Vec::new())
        );

        let restarted = Typing::default();
        assert_eq!(
            restarted.look(TEAM, BOB, Some(shown), now).changed,
            Some(Vec::new()),
            "a page that showed someone typing is told nobody is"
        );
        assert_eq!(restarted.look(TEAM, BOB, Some(0), now).changed, None);
    }
}
