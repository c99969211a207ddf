//! Real time by long-polling: the hub that parked polls wait on, and the watcher that notices
//! writes from other processes. No SQL strings and no HTML here: the model loads, the views
//! render, the hub only keeps, wakes and hands out.

pub mod answers;
pub mod burst;
pub mod hub;
pub mod plan;
pub mod typing;
pub mod watcher;

pub use answers::{AnswerKey, SharedAnswer, SharedAnswers};
pub use hub::{Collected, Hub, Published};
