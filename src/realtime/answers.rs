//! Whole poll answers shared by many polls: the members of a group waiting at the same cursor
//! get the very same bytes when a message arrives, rendered once.

use actix_web::web::Bytes;

use crate::i18n::Lang;
use crate::model::{ConversationId, EventId, MessageId};
use crate::recent::Recent;

/// Recent shared answers, by what they depend on.
pub struct SharedAnswers(Recent<AnswerKey, Bytes>);

impl Default for SharedAnswers {
    fn default() -> Self {
        SharedAnswers(Recent::new(SHARED_ANSWER_LIFETIME, SHARED_ANSWERS))
    }
}

/// Everything an answer depends on when it has no part of its own for the reader.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AnswerKey {
    pub conversation: ConversationId,
    pub after: EventId,
    pub next: EventId,
    pub read: Option<MessageId>,
    pub lang: Lang,
    pub delay_ms: u64,
}

/// Answers kept; past this the cache starts afresh (a new message makes old ones useless).
const SHARED_ANSWERS: usize = 256;
/// An answer is asked for by everyone waiting within moments of the message; after that it
/// only takes room.
const SHARED_ANSWER_LIFETIME: std::time::Duration = std::time::Duration::from_secs(60);

impl SharedAnswers {
    pub fn get(&self, key: &AnswerKey) -> Option<Bytes> {
        self.0.get(key)
    }

    pub fn put(&self, key: AnswerKey, body: Bytes) {
        self.0.put(key, body);
    }
}
