//! Mergeable aggregates: each is folded per chunk on a worker and merged in input order, so the
//! result is the same whatever the number of threads or the chunk size.

pub mod agents;
pub mod case;
pub mod coverage;
pub mod search;
pub mod series;
pub mod sources;
pub mod summary;
pub mod targets;
pub mod timeline;

use std::borrow::Borrow;
use std::hash::Hash;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::event::text_hash;
use crate::time::Timestamp;

/// Distinct values (users, IPs), counted by a 64-bit hash of each ([`text_hash`]) rather
/// than kept: they are only ever counted, and a hash takes a few bytes where the text took
/// tens, in every bucket, agent, IP and user that counts them. Two values share a hash with a
/// probability of about n²/2⁶⁵ (n values in one set), which would count them as one.
#[derive(Debug, Clone, Default)]
pub struct DistinctSet(FxHashSet<u64>);

impl DistinctSet {
    pub fn insert(&mut self, value: &str) {
        self.0.insert(text_hash(value.as_bytes()));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn extend(&mut self, later: DistinctSet) {
        self.0.extend(later.0);
    }
}

/// Values by text key, kept in a vector beside an index of the keys. A hash map keeps its
/// values in its slots, up to half of them empty, so large values such as the counts of a
/// source IP cost up to twice their size there, and a few bytes of index each here.
#[derive(Debug)]
pub struct Keyed<V> {
    index: FxHashMap<Box<str>, usize>,
    values: Vec<V>,
}

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed {
            index: FxHashMap::default(),
            values: Vec::new(),
        }
    }
}

impl<V: Default> Keyed<V> {
    /// The value of `key`, a default one added when there is none yet.
    pub fn entry(&mut self, key: &str) -> &mut V {
        let at = match self.index.get(key) {
            Some(&at) => at,
            None => {
                self.index.insert(key.into(), self.values.len());
                self.values.push(V::default());
                self.values.len() - 1
            }
        };
        &mut self.values[at]
    }
}

impl<V> Keyed<V> {
    pub fn get(&self, key: &str) -> Option<&V> {
        self.index.get(key).map(|&at| &self.values[at])
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.values.iter_mut()
    }

    /// Merges `later` into this key by key, with `combine` where both have a key.
    pub fn merge(&mut self, later: Keyed<V>, combine: impl Fn(&mut V, V)) {
        for (key, value) in later {
            match self.index.get(&key) {
                Some(&at) => combine(&mut self.values[at], value),
                None => {
                    self.index.insert(key, self.values.len());
                    self.values.push(value);
                }
            }
        }
    }
}

impl<V> IntoIterator for Keyed<V> {
    type Item = (Box<str>, V);
    type IntoIter = std::iter::Zip<std::vec::IntoIter<Box<str>>, std::vec::IntoIter<V>>;

    /// Keys and values in the order the keys were added.
    fn into_iter(self) -> Self::IntoIter {
        let mut keys: Vec<(usize, Box<str>)> =
            self.index.into_iter().map(|(key, at)| (at, key)).collect();
        keys.sort_unstable_by_key(|(at, _)| *at);
        let keys: Vec<Box<str>> = keys.into_iter().map(|(_, key)| key).collect();
        keys.into_iter().zip(self.values)
    }
}

/// Merges `later` into `earlier` key by key with `combine`.
pub fn merge_maps<K: Eq + Hash, V>(
    earlier: &mut FxHashMap<K, V>,
    later: FxHashMap<K, V>,
    combine: impl Fn(&mut V, V),
) {
    for (key, value) in later {
        match earlier.get_mut(&key) {
            Some(existing) => combine(existing, value),
            None => {
                earlier.insert(key, value);
            }
        }
    }
}

/// The earlier and later of two optional instants.
pub fn min_max<T: Ord + Copy>(range: &mut Option<(T, T)>, other: Option<(T, T)>) {
    if let Some((first, last)) = other {
        *range = Some(match *range {
            Some((f, l)) => (f.min(first), l.max(last)),
            None => (first, last),
        });
    }
}

/// The value seen at the earliest time, ties broken by the smaller value, so that the result
/// does not depend on the order events are merged in.
#[derive(Debug, Clone, PartialEq)]
pub struct Earliest<T>(Option<(Timestamp, T)>);

impl<T> Default for Earliest<T> {
    fn default() -> Self {
        Earliest(None)
    }
}

impl<T: PartialOrd> Earliest<T> {
    /// Keeps `value` when it was seen earlier than the value held; copies it only then.
    pub fn offer<Q>(&mut self, at: Timestamp, value: &Q)
    where
        Q: ?Sized + PartialOrd + ToOwned<Owned = T>,
        T: Borrow<Q>,
    {
        self.offer_with(at, value, Q::to_owned);
    }

    /// As [`Earliest::offer`], with `keep` making the value kept.
    pub fn offer_with<Q>(&mut self, at: Timestamp, value: &Q, keep: impl FnOnce(&Q) -> T)
    where
        Q: ?Sized + PartialOrd,
        T: Borrow<Q>,
    {
        let earlier = match &self.0 {
            None => true,
            Some((held_at, held)) => (at, value) < (*held_at, held.borrow()),
        };
        if earlier {
            self.0 = Some((at, keep(value)));
        }
    }

    /// The same value as `change` gives it back (an equal one, shared), seen at the same time.
    pub fn map(self, change: impl FnOnce(T) -> T) -> Earliest<T> {
        Earliest(self.0.map(|(at, value)| (at, change(value))))
    }

    pub fn merge(&mut self, later: Earliest<T>) {
        if let Some((at, value)) = later.0 {
            let earlier = match &self.0 {
                None => true,
                Some((held_at, held)) => (at, &value) < (*held_at, held),
            };
            if earlier {
                self.0 = Some((at, value));
            }
        }
    }

    pub fn value(&self) -> Option<&T> {
        self.0.as_ref().map(|(_, value)| value)
    }
}
