//! Whole poll answers shared by many polls: the members of a group waiting at the same cursor
//! get the very same bytes when a message arrives, rendered once and compressed once.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use actix_web::web::Bytes;

use crate::i18n::Lang;
use crate::model::{ConversationId, EventId, MessageId};
use crate::recent::Recent;

/// Recent shared answers, by what they depend on.
pub struct SharedAnswers(Recent<AnswerKey, Arc<SharedAnswer>>);

/// One answer, and its gzip form made by the first poll that asks for it. Browsers accept
/// gzip, and compressing the same answer once per poll cost more than everything else in a
/// fan-out (actix compresses bodies over 1 KB on the blocking pool: a hop per poll).
pub struct SharedAnswer {
    plain: Bytes,
    gzip: OnceLock<Option<Bytes>>,
}

impl SharedAnswer {
    pub fn new(plain: Bytes) -> SharedAnswer {
        SharedAnswer {
            plain,
            gzip: OnceLock::new(),
        }
    }

    pub fn plain(&self) -> Bytes {
        self.plain.clone()
    }

    /// None only if compressing failed (then the plain answer is sent).
    pub fn gzip(&self) -> Option<Bytes> {
        self.gzip
            .get_or_init(|| {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                encoder.write_all(&self.plain).ok()?;
                encoder.finish().ok().map(Bytes::from)
            })
            .clone()
    }
}

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
    /// The latest rename seen, which the next poll's URL carries.
    pub names: u64,
    /// The typing number of the conversation, which the next poll's URL carries too.
    pub typing: u64,
    pub lang: Lang,
    pub delay_ms: u64,
}

/// Answers kept; past this the cache starts afresh (a new message makes old ones useless).
const SHARED_ANSWERS: usize = 256;
/// An answer is asked for by everyone waiting within moments of the message; after that it
/// only takes room.
const SHARED_ANSWER_LIFETIME: std::time::Duration = std::time::Duration::from_secs(60);

impl SharedAnswers {
    pub fn get(&self, key: &AnswerKey) -> Option<Arc<SharedAnswer>> {
        self.0.get(key)
    }

    pub fn put(&self, key: AnswerKey, answer: Arc<SharedAnswer>) {
        self.0.put(key, answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gzip_form_decodes_to_the_answer_and_is_made_once() {
        let answer = SharedAnswer::new(Bytes::from("<li>hello</li>".repeat(200)));
        let first = answer.gzip().unwrap();
        assert!(first.len() < answer.plain().len() / 10);
        let mut decoded = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&first[..]), &mut decoded)
            .unwrap();
        assert_eq!(decoded.as_bytes(), &answer.plain()[..]);
        assert_eq!(
            answer.gzip().unwrap().as_ptr(),
            first.as_ptr(),
            "the same bytes"
        );
    }
}
