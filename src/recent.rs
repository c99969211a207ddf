//! A small map of recently used values, each trusted for a limited time, with a bound on its
//! size: what the session, user and poll-answer caches have in common.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub struct Recent<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
    /// Moves whenever something is forgotten, so that a value read from the database before
    /// that moment is not remembered after it (see `put_fresh`).
    forgets: AtomicU64,
    lifetime: Duration,
    /// Past this many entries the map starts afresh: simpler than eviction, and these caches
    /// refill in one round of requests.
    capacity: usize,
}

impl<K: Hash + Eq, V: Clone> Recent<K, V> {
    pub fn new(lifetime: Duration, capacity: usize) -> Self {
        Recent {
            entries: Mutex::new(HashMap::new()),
            forgets: AtomicU64::new(0),
            lifetime,
            capacity,
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, (Instant, V)>> {
        // A poisoned lock only means a panic elsewhere while holding it; the map is still sound.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let entries = self.entries();
        let (at, value) = entries.get(key)?;
        (at.elapsed() < self.lifetime).then(|| value.clone())
    }

    pub fn put(&self, key: K, value: V) {
        self.insert(&mut self.entries(), key, value);
    }

    fn insert(&self, entries: &mut HashMap<K, (Instant, V)>, key: K, value: V) {
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }

    /// Take this before reading a value from its source, and give it to `put_fresh`.
    pub fn generation(&self) -> u64 {
        self.forgets.load(Ordering::SeqCst)
    }

    /// Remembers a value read while the generation was `read_during`, unless something was
    /// forgotten since: the value may be what was just invalidated. Forgetting more than needed
    /// only costs a read.
    pub fn put_fresh(&self, key: K, value: V, read_during: u64) {
        let mut entries = self.entries();
        if self.generation() == read_during {
            self.insert(&mut entries, key, value);
        }
    }

    pub fn forget<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        let mut entries = self.entries();
        self.forgets.fetch_add(1, Ordering::SeqCst);
        entries.remove(key);
    }

    /// Keeps only the entries for which `keep` is true.
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        let mut entries = self.entries();
        self.forgets.fetch_add(1, Ordering::SeqCst);
        entries.retain(|key, (_, value)| keep(key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_map_stays_bounded() {
        let recent = Recent::new(Duration::from_millis(30), 2);
        recent.put(1, "one");
        assert_eq!(recent.get(&1), Some("one"));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(recent.get(&1), None, "expired");
        recent.put(2, "two");
        recent.put(3, "three");
        recent.put(4, "four");
        assert_eq!(recent.get(&4), Some("four"));
        assert_eq!(recent.get(&2), None, "cleared at capacity");
        recent.retain(|key, _| *key != 4);
        assert_eq!(recent.get(&4), None);
    }

    #[test]
    fn a_value_read_before_a_forget_is_not_remembered() {
        let recent = Recent::new(Duration::from_secs(60), 10);
        let read_during = recent.generation();
        recent.forget(&1);
        recent.put_fresh(1, "stale", read_during);
        assert_eq!(recent.get(&1), None);
        recent.put_fresh(1, "fresh", recent.generation());
        assert_eq!(recent.get(&1), Some("fresh"));
    }
}
