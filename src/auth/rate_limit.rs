//! How fast passwords may be guessed, and how fast sign-ups may probe for taken usernames.
//!
//! The policy (README, "Login limits"):
//! - Every login attempt counts against its client address: 30 quick tries, then one every 2 s
//!   (an office behind one NAT address has room; a single guessing machine does not).
//! - Only *failed* attempts count against a username: 5, then one more every minute. Once a
//!   username is over that, an attempt is heard only from an address with no failure for that
//!   username in the last 15 minutes, so its owner, typing the right password from their own
//!   address, still gets in while someone else hammers the account, and a guesser gets one try
//!   per fresh address per quarter of an hour.
//! - Sign-ups that answer "this username is taken" count against the address: 10, then one a
//!   minute, so the sign-up form is no fast way to list accounts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// One address may be a whole office behind NAT: more room, but still bounded.
const PER_ADDRESS_BURST: NonZeroU32 = NonZeroU32::new(30).unwrap();
const PER_ADDRESS_PERIOD: Duration = Duration::from_secs(2);
/// Five wrong passwords for one account, then one more a minute: a person who mistypes is not
/// hindered.
const FAILURES_PER_USERNAME: f64 = 5.0;
const FAILURE_FORGOTTEN_AFTER: Duration = Duration::from_secs(60);
/// While a username is over its failures, an address that failed on it waits this long.
const ADDRESS_FAILURE_MEMORY: Duration = Duration::from_secs(15 * 60);
/// Ten "username taken" answers per address, then one a minute.
const TAKEN_ANSWERS_PER_ADDRESS: f64 = 10.0;
const TAKEN_ANSWER_FORGOTTEN_AFTER: Duration = Duration::from_secs(60);
/// Keys unseen for a while are dropped once the tables grow past this, bounding memory.
const FORGET_ABOVE: usize = 10_000;

pub struct LoginLimiter {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    failures: Mutex<Failures>,
}

/// Failed logins: a count per username, when each address last failed on each username, and
/// the "taken" answers given to each address.
#[derive(Default)]
struct Failures {
    by_username: Counts<String>,
    last_by_address: HashMap<(String, IpAddr), Instant>,
    taken_answers: Counts<IpAddr>,
}

/// Counts that drain by one every `forgotten_after`, like a leaky bucket, so nothing needs a
/// timer: after N quick events the next is heard once one has drained, not as soon as the
/// count dips below N; keys whose count has drained are dropped once the table grows past `FORGET_ABOVE`.
struct Counts<K> {
    levels: HashMap<K, (f64, Instant)>,
}

impl<K> Default for Counts<K> {
    fn default() -> Self {
        Counts {
            levels: HashMap::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq> Counts<K> {
    fn level(&self, key: &K, now: Instant, forgotten_after: Duration) -> f64 {
        self.levels
            .get(key)
            .map_or(0.0, |&(level, at)| drained(level, at, now, forgotten_after))
    }

    fn add_one(&mut self, key: K, now: Instant, forgotten_after: Duration) {
        if self.levels.len() > FORGET_ABOVE {
            self.levels
                .retain(|_, &mut (level, at)| drained(level, at, now, forgotten_after) > 0.0);
        }
        let level = self.level(&key, now, forgotten_after);
        self.levels.insert(key, (level + 1.0, now));
    }
}

fn drained(level: f64, at: Instant, now: Instant, forgotten_after: Duration) -> f64 {
    let gone = now.saturating_duration_since(at).as_secs_f64() / forgotten_after.as_secs_f64();
    (level - gone).max(0.0)
}

fn per_period(period: Duration, burst: NonZeroU32) -> Quota {
    Quota::with_period(period)
        .unwrap_or(Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter {
            by_address: RateLimiter::keyed(per_period(PER_ADDRESS_PERIOD, PER_ADDRESS_BURST)),
            failures: Mutex::new(Failures::default()),
        }
    }
}

fn key(username: &str) -> String {
    username.trim().to_lowercase()
}

impl LoginLimiter {
    fn failures(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records an attempt and says whether to check its password at all.
    pub fn allow(&self, address: Option<IpAddr>, username: &str) -> bool {
        if self.by_address.len() > FORGET_ABOVE {
            self.by_address.retain_recent();
        }
        if address.is_some_and(|a| self.by_address.check_key(&a).is_err()) {
            return false;
        }
        let now = Instant::now();
        let username = key(username);
        let failures = self.failures();
        let under_attack = failures
            .by_username
            .level(&username, now, FAILURE_FORGOTTEN_AFTER)
            > FAILURES_PER_USERNAME - 1.0;
        if !under_attack {
            return true;
        }
        let Some(address) = address else {
            return false;
        };
        failures
            .last_by_address
            .get(&(username, address))
            .is_none_or(|at| now.duration_since(*at) >= ADDRESS_FAILURE_MEMORY)
    }

    /// Notes a wrong password (or an unknown username: both look the same from outside).
    pub fn failed(&self, address: Option<IpAddr>, username: &str) {
        let now = Instant::now();
        let username = key(username);
        let mut failures = self.failures();
        if failures.last_by_address.len() > FORGET_ABOVE {
            failures
                .last_by_address
                .retain(|_, at| now.duration_since(*at) < ADDRESS_FAILURE_MEMORY);
        }
        failures
            .by_username
            .add_one(username.clone(), now, FAILURE_FORGOTTEN_AFTER);
        if let Some(address) = address {
            failures.last_by_address.insert((username, address), now);
        }
    }

    /// Whether to hear a sign-up from `address`: refused, whatever the username, once the
    /// address has been told too often that a username is taken (refusing only taken names
    /// would itself say which are taken).
    pub fn allow_signup(&self, address: Option<IpAddr>) -> bool {
        address.is_none_or(|a| {
            self.failures()
                .taken_answers
                .level(&a, Instant::now(), TAKEN_ANSWER_FORGOTTEN_AFTER)
                <= TAKEN_ANSWERS_PER_ADDRESS - 1.0
        })
    }

    /// Notes that a sign-up from `address` was told its username is taken.
    pub fn told_taken(&self, address: Option<IpAddr>) {
        if let Some(address) = address {
            self.failures().taken_answers.add_one(
                address,
                Instant::now(),
                TAKEN_ANSWER_FORGOTTEN_AFTER,
            );
        }
    }
}

/// Posts one webhook may make: a burst of 10, then one every 2 seconds.
pub struct WebhookLimiter(DefaultKeyedRateLimiter<i64>);

impl WebhookLimiter {
    pub fn allow(&self, webhook: i64) -> bool {
        self.0.check_key(&webhook).is_ok()
    }
}

impl Default for WebhookLimiter {
    fn default() -> Self {
        let burst = NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(Duration::from_secs(2)).map_or_else(
            || Quota::per_second(NonZeroU32::MIN),
            |q| q.allow_burst(burst),
        );
        WebhookLimiter(RateLimiter::keyed(quota))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 1)));
    const GUESSER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 2)));

    #[test]
    fn failures_on_a_username_lock_out_the_guesser_but_not_the_owner() {
        let limiter = LoginLimiter::default();
        for _ in 0..5 {
            assert!(limiter.allow(GUESSER, "alice"));
            limiter.failed(GUESSER, "alice");
        }
        assert!(!limiter.allow(GUESSER, "ALICE"), "any case of the name");
        assert!(limiter.allow(OWNER, "alice"), "the owner's own address");
        assert!(
            limiter.allow(GUESSER, "bob"),
            "other accounts are untouched"
        );
    }

    #[test]
    fn successful_logins_do_not_count_against_a_username() {
        let limiter = LoginLimiter::default();
        for _ in 0..20 {
            assert!(limiter.allow(OWNER, "alice"));
        }
    }

    #[test]
    fn while_a_username_is_attacked_each_address_gets_one_wrong_try() {
        let limiter = LoginLimiter::default();
        for _ in 0..5 {
            limiter.failed(GUESSER, "alice");
        }
        assert!(limiter.allow(OWNER, "alice"));
        limiter.failed(OWNER, "alice");
        assert!(!limiter.allow(OWNER, "alice"));
    }

    #[test]
    fn counts_drain_over_time() {
        let now = Instant::now();
        let minute = Duration::from_secs(60);
        assert!((drained(5.0, now - minute * 2, now, minute) - 3.0).abs() < 0.01);
        assert_eq!(drained(1.0, now - minute * 2, now, minute), 0.0);
    }

    #[test]
    fn every_attempt_counts_against_the_address() {
        let limiter = LoginLimiter::default();
        for i in 0..30 {
            assert!(limiter.allow(OWNER, &format!("user{i}")));
        }
        assert!(!limiter.allow(OWNER, "someone"));
    }

    #[test]
    fn taken_username_answers_are_limited_per_address() {
        let limiter = LoginLimiter::default();
        for _ in 0..10 {
            assert!(limiter.allow_signup(OWNER));
            limiter.told_taken(OWNER);
        }
        assert!(!limiter.allow_signup(OWNER));
        assert!(limiter.allow_signup(GUESSER));
    }
}
