//! One signal per card, fed from one shared source.
//!
//! A signal's subscribers are an ordered set, and a memo that re-runs
//! leaves and rejoins it, at a cost that grows with the set. When each of
//! 500 cards and their connections read the whole document, one keystroke
//! woke thousands of readers of one signal and cost O(readers²): over
//! 100 ms in a 500-step flow. [`PerKey`] compares the source's values key by
//! key in one place and sets only the signals whose value changed, so an
//! edit wakes the cards it touched and nothing else.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use leptos::prelude::*;

type Source<K, V> = Arc<dyn Fn() -> HashMap<K, V> + Send + Sync>;

/// Per-key signals over a source that computes every key's value. A key
/// the source leaves out reads as `None`.
pub(crate) struct PerKey<K: 'static, V: 'static> {
    signals: StoredValue<HashMap<K, ArcRwSignal<Option<V>>>>,
    /// The source's last values, for signals made after it ran; `None`
    /// until first needed (on the server, effects never run).
    latest: StoredValue<Option<HashMap<K, V>>>,
    source: StoredValue<Source<K, V>>,
}

impl<K: 'static, V: 'static> Clone for PerKey<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: 'static, V: 'static> Copy for PerKey<K, V> {}

impl<K, V> PerKey<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + PartialEq + Send + Sync + 'static,
{
    /// Follows `source` (a tracked computation of every key's value).
    pub fn new(source: impl Fn() -> HashMap<K, V> + Send + Sync + 'static) -> Self {
        let source: Source<K, V> = Arc::new(source);
        let keyed = PerKey {
            signals: StoredValue::new(HashMap::new()),
            latest: StoredValue::new(None),
            source: StoredValue::new(source.clone()),
        };
        Effect::new(move |_| keyed.apply(source()));
        keyed
    }

    /// Takes the source's new values: sets the signals whose value
    /// changed, and only those.
    fn apply(&self, values: HashMap<K, V>) {
        // Changes are collected first and set after, outside the map.
        // A key the source leaves out keeps its signal, set to `None`: its
        // readers stay subscribed to it (a connection that is not selected
        // now may be later, a deleted step may come back with undo).
        let changed: Vec<_> = self.signals.with_value(|signals| {
            signals
                .iter()
                .filter_map(|(key, signal)| {
                    let value = values.get(key);
                    signal
                        .with_untracked(|old| old.as_ref() != value)
                        .then(|| (signal.clone(), value.cloned()))
                })
                .collect()
        });
        self.latest.set_value(Some(values));
        for (signal, value) in changed {
            signal.set(value);
        }
    }

    /// What the effect does when the source changes, for tests (effects
    /// do not run natively).
    #[cfg(test)]
    fn refresh(&self) {
        self.apply(untrack(|| self.source.with_value(|f| f())));
    }

    fn signal(&self, key: &K) -> ArcRwSignal<Option<V>> {
        if let Some(s) = self.signals.with_value(|m| m.get(key).cloned()) {
            return s;
        }
        if self.latest.with_value(Option::is_none) {
            let values = untrack(|| self.source.with_value(|f| f()));
            self.latest.set_value(Some(values));
        }
        let value = self
            .latest
            .with_value(|l| l.as_ref().and_then(|l| l.get(key).cloned()));
        let signal = ArcRwSignal::new(value);
        self.signals
            .try_update_value(|m| m.entry(key.clone()).or_insert(signal.clone()).clone())
            .unwrap_or(signal)
    }

    /// The value of `key` (tracked: the caller re-runs when it changes).
    pub fn get(&self, key: &K) -> Option<V> {
        self.signal(key).get()
    }

    /// Reads the value of `key` in place (tracked).
    pub fn with<T>(&self, key: &K, f: impl FnOnce(Option<&V>) -> T) -> T {
        self.signal(key).with(|v| f(v.as_ref()))
    }

    /// Whether the source has `key` (tracked).
    pub fn has(&self, key: &K) -> bool {
        self.signal(key).with(Option::is_some)
    }
}

/// The keys of `keys`, as a set for [`PerKey`].
pub(crate) fn set_of<K: Hash + Eq>(keys: impl IntoIterator<Item = K>) -> HashMap<K, ()> {
    keys.into_iter().map(|k| (k, ())).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn a_change_wakes_only_the_readers_of_the_keys_it_changes() {
        let owner = Owner::new();
        owner.set();
        let source = RwSignal::new(HashMap::from([("a", 1), ("b", 2)]));
        let keyed = PerKey::new(move || source.get());
        let runs = Arc::new(AtomicUsize::new(0));
        let b = {
            let runs = runs.clone();
            Memo::new(move |_| {
                runs.fetch_add(1, Ordering::SeqCst);
                keyed.get(&"b")
            })
        };
        let a = Memo::new(move |_| keyed.get(&"a"));
        assert_eq!((a.get(), b.get()), (Some(1), Some(2)));
        assert_eq!(runs.load(Ordering::SeqCst), 1);

        source.update(|m| {
            m.insert("a", 10);
        });
        keyed.refresh();
        assert_eq!((a.get(), b.get()), (Some(10), Some(2)));
        assert_eq!(runs.load(Ordering::SeqCst), 1, "b's reader did not re-run");

        // A key that goes reads as nothing; one that comes reads its value,
        // also for a reader made before the source had it.
        let c = Memo::new(move |_| keyed.get(&"c"));
        assert_eq!(c.get(), None);
        source.update(|m| {
            m.remove("a");
            m.insert("c", 3);
        });
        keyed.refresh();
        assert_eq!((a.get(), b.get(), c.get()), (None, Some(2), Some(3)));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(keyed.has(&"b") && !keyed.has(&"a"));

        // A key that stays out while the source changes, then comes (a
        // connection selected after another one was), reaches its readers.
        let d = Memo::new(move |_| keyed.get(&"d"));
        assert_eq!(d.get(), None);
        source.update(|m| {
            m.insert("b", 20);
        });
        keyed.refresh();
        assert_eq!((b.get(), d.get()), (Some(20), None));
        source.update(|m| {
            m.insert("d", 4);
        });
        keyed.refresh();
        assert_eq!(d.get(), Some(4));
    }

    #[test]
    fn without_effects_a_reader_gets_the_source_s_value() {
        // On the server effects never run: the first reader computes.
        let owner = Owner::new();
        owner.set();
        let keyed = PerKey::new(|| set_of(["x", "y"]));
        assert!(keyed.has(&"x") && keyed.has(&"y") && !keyed.has(&"z"));
    }
}
