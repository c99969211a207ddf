//! Login attempts limited per client address and per username, so that guessing passwords is
//! slow whether the attacker spreads over accounts or over addresses.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Five quick tries for one account, then one a minute: a person who mistypes is not hindered.
const PER_USERNAME_BURST: NonZeroU32 = NonZeroU32::new(5).unwrap();
const PER_USERNAME_PERIOD: Duration = Duration::from_secs(60);
/// One address may be a whole office behind NAT: more room, but still bounded.
const PER_ADDRESS_BURST: NonZeroU32 = NonZeroU32::new(30).unwrap();
const PER_ADDRESS_PERIOD: Duration = Duration::from_secs(2);
/// Keys unseen for a while are dropped once the tables grow past this, bounding memory.
const FORGET_ABOVE: usize = 10_000;

pub struct LoginLimiter {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_username: DefaultKeyedRateLimiter<String>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter {
            by_address: RateLimiter::keyed(
                Quota::with_period(PER_ADDRESS_PERIOD)
                    .unwrap_or(Quota::per_second(NonZeroU32::MIN))
                    .allow_burst(PER_ADDRESS_BURST),
            ),
            by_username: RateLimiter::keyed(
                Quota::with_period(PER_USERNAME_PERIOD)
                    .unwrap_or(Quota::per_minute(NonZeroU32::MIN))
                    .allow_burst(PER_USERNAME_BURST),
            ),
        }
    }
}

impl LoginLimiter {
    /// Records an attempt; false when either the address or the username is over its limit.
    pub fn allow(&self, address: Option<IpAddr>, username: &str) -> bool {
        if self.by_username.len() > FORGET_ABOVE {
            self.by_username.retain_recent();
        }
        if self.by_address.len() > FORGET_ABOVE {
            self.by_address.retain_recent();
        }
        let address_ok = address.is_none_or(|a| self.by_address.check_key(&a).is_ok());
        let username_ok = self
            .by_username
            .check_key(&username.trim().to_lowercase())
            .is_ok();
        address_ok && username_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_is_blocked_after_five_quick_tries_whatever_the_case() {
        let limiter = LoginLimiter::default();
        let here = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..5 {
            assert!(limiter.allow(here, "alice"));
        }
        assert!(!limiter.allow(here, "ALICE"));
        assert!(limiter.allow(here, "bob"));
    }
}
