//! How long a page woken by news waits before its next poll.
//!
//! One message to a big group wakes every open tab of its members at once. Each woken page
//! polls again after a pause (CometD's "interval" advice), so that its re-poll does not take
//! the cores from the answers still being written to the others. A fixed pause fits one burst
//! size only: with 10,000 tabs on one core the answers took longer than the pause, and the
//! re-polls of the first answered came back while the last still waited. So the pause also
//! covers what is left of the burst, at the pace its answers have gone so far: on a fast host
//! or in a small group it is the least pause, on a slow host or in a big group it grows, and
//! the re-polls come back after the burst.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::hub::lock;

/// The pause after news when the burst is over: long enough for a fan-out to a thousand
/// waiting polls on a small host, short enough that a message sent right after another still
/// shows within a fraction of a second.
pub const LEAST_PAUSE: Duration = Duration::from_millis(150);
/// A message sent right after a burst shows within at most this more than the least pause.
const MOST_EXTRA: Duration = Duration::from_secs(1);
/// Pauses are whole steps of this (the nearest), so that a burst's answers stay few and
/// shared: the pause is written into the answer (see `AnswerKey`).
const STEP: Duration = Duration::from_millis(50);
/// The first answers of a burst get the least pause: until this many are written their pace
/// says more about waking up than about writing (the first comes milliseconds after the news,
/// the next microseconds after it).
const PACE_SAMPLE: usize = 16;
/// Past this, a burst whose answers were not all counted (a poll woken while it was answering
/// anyway, a client gone) is over.
const FORGOTTEN_AFTER: Duration = Duration::from_secs(2);

/// The polls woken by the latest news and not answered yet, and how fast they are answered.
pub struct Burst {
    current: Mutex<Current>,
}

struct Current {
    /// The latest news.
    started: Instant,
    /// The first answer since the latest news: the pace is measured from there, so that a
    /// quiet spell between two messages, or the moment polls take to wake, is not taken for
    /// slow answers.
    first_answer: Option<Instant>,
    woken: usize,
    answered: usize,
}

impl Default for Burst {
    fn default() -> Self {
        Burst {
            current: Mutex::new(Current {
                started: Instant::now(),
                first_answer: None,
                woken: 0,
                answered: 0,
            }),
        }
    }
}

impl Burst {
    /// News woke `polls` parked polls. Polls woken earlier and still unanswered hold their
    /// place: those of the same people are among `polls` again (they are still parked), so
    /// the burst counts the larger of the two, never their sum.
    pub fn woke(&self, polls: usize) {
        self.woke_at(polls, Instant::now());
    }

    fn woke_at(&self, polls: usize, now: Instant) {
        if polls == 0 {
            return;
        }
        let mut current = lock(&self.current);
        let left = if now.duration_since(current.started) > FORGOTTEN_AFTER {
            0
        } else {
            current.woken.saturating_sub(current.answered)
        };
        *current = Current {
            started: now,
            first_answer: None,
            woken: polls.max(left),
            answered: 0,
        };
    }

    /// Counts one woken poll as answered, and says how long its page should wait before the
    /// next poll.
    pub fn answered(&self) -> Duration {
        self.answered_at(Instant::now())
    }

    fn answered_at(&self, now: Instant) -> Duration {
        let mut current = lock(&self.current);
        current.answered += 1;
        let first = *current.first_answer.get_or_insert(now);
        if current.answered <= PACE_SAMPLE {
            return LEAST_PAUSE;
        }
        pause(
            now.saturating_duration_since(first),
            current.answered - 1,
            current.woken.saturating_sub(current.answered),
        )
    }
}

/// The least pause, plus the time the `left` polls still to answer will take at the pace of
/// the `answered` ones written over `elapsed`, to the nearest step and bounded.
fn pause(elapsed: Duration, answered: usize, left: usize) -> Duration {
    let per_answer = elapsed / u32::try_from(answered.max(1)).unwrap_or(u32::MAX);
    let rest = per_answer
        .saturating_mul(u32::try_from(left).unwrap_or(u32::MAX))
        .min(MOST_EXTRA);
    let steps = (rest + STEP / 2).as_millis() / STEP.as_millis();
    LEAST_PAUSE + STEP * u32::try_from(steps).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const US: Duration = Duration::from_micros(1);

    /// Answers `count` polls `every` apart from `from`; the pause told to each.
    fn answer(burst: &Burst, from: Instant, every: Duration, count: u32) -> Vec<Duration> {
        (0..count)
            .map(|i| burst.answered_at(from + every * i))
            .collect()
    }

    #[test]
    fn the_last_answers_of_a_burst_and_lone_ones_get_the_least_pause() {
        assert_eq!(pause(40 * MS, 1000, 0), LEAST_PAUSE);
        assert_eq!(pause(Duration::ZERO, 1, 0), LEAST_PAUSE);
    }

    #[test]
    fn early_answers_wait_for_what_is_left_of_the_burst_at_its_pace() {
        // 1,000 of 10,000 answered in 20 ms: the 9,000 left take about 180 ms more.
        assert_eq!(pause(20 * MS, 1000, 9000), LEAST_PAUSE + 200 * MS);
        // Half-way through, at the same pace.
        assert_eq!(pause(100 * MS, 5000, 5000), LEAST_PAUSE + 100 * MS);
        // Less than half a step left adds nothing: a thousand tabs keep the least pause.
        assert_eq!(pause(20 * MS, 1000, 1000), LEAST_PAUSE);
        assert_eq!(pause(30 * MS, 1000, 1000), LEAST_PAUSE + 50 * MS);
    }

    #[test]
    fn a_slow_host_never_makes_a_page_wait_more_than_a_second_extra() {
        assert_eq!(
            pause(Duration::from_secs(5), 10, 100_000),
            LEAST_PAUSE + MOST_EXTRA
        );
    }

    #[test]
    fn the_pace_is_taken_from_the_answers_not_from_the_wait_before_the_first() {
        let burst = Burst::default();
        let news = Instant::now();
        burst.woke_at(10_000, news);
        // The first answer comes 5 ms after the news, the others 20 µs apart.
        let pauses = answer(&burst, news + 5 * MS, 20 * US, 10_000);
        assert!(pauses[..PACE_SAMPLE].iter().all(|p| *p == LEAST_PAUSE));
        // The 1,001st: 9,000 left at 20 µs each.
        assert_eq!(pauses[1000], LEAST_PAUSE + 200 * MS);
        assert!(
            pauses[PACE_SAMPLE..].windows(2).all(|w| w[0] >= w[1]),
            "the earlier, the longer"
        );
        assert_eq!(pauses[9999], LEAST_PAUSE);
    }

    #[test]
    fn news_arriving_while_a_burst_is_answered_joins_it() {
        let burst = Burst::default();
        let news = Instant::now();
        burst.woke_at(100, news);
        answer(&burst, news, MS, 50);
        // The same 100 people's polls: the 50 not answered yet are among them.
        burst.woke_at(100, news + 50 * MS);
        let pauses = answer(&burst, news + 50 * MS, MS, 100);
        assert_eq!(pauses[20], LEAST_PAUSE + 100 * MS, "79 left at 1 ms each");
        assert_eq!(pauses[99], LEAST_PAUSE, "the hundredth is the last");
        // Once answered, the next news starts afresh.
        burst.woke_at(1, news + 200 * MS);
        assert_eq!(burst.answered_at(news + 200 * MS), LEAST_PAUSE);
    }

    #[test]
    fn a_quiet_spell_between_two_messages_is_not_taken_for_slow_answers() {
        let burst = Burst::default();
        let first = Instant::now();
        burst.woke_at(1000, first);
        answer(&burst, first, 10 * US, 20);
        // A second later, with 980 of the first burst's polls never counted as answered.
        let second = first + 1000 * MS;
        burst.woke_at(1000, second);
        let pauses = answer(&burst, second, 10 * US, 1000);
        assert!(pauses.iter().all(|p| *p == LEAST_PAUSE), "{pauses:?}");
    }

    #[test]
    fn polls_left_unanswered_for_long_are_forgotten() {
        let burst = Burst::default();
        let first = Instant::now();
        burst.woke_at(10_000, first);
        answer(&burst, first, MS, 20);
        let later = first + FORGOTTEN_AFTER + MS;
        burst.woke_at(20, later);
        let pauses = answer(&burst, later, MS, 20);
        assert!(pauses.iter().all(|p| *p == LEAST_PAUSE), "{pauses:?}");
    }
}
