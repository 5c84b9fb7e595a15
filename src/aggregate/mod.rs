//! Mergeable aggregates: each is folded per chunk on a worker and merged in input order, so the
//! result is the same whatever the number of threads or the chunk size.

pub mod agents;
pub mod search;
pub mod summary;
pub mod timeline;

use std::hash::Hash;

use rustc_hash::{FxHashMap, FxHashSet};

/// Distinct values, stored once each.
pub type DistinctSet = FxHashSet<Box<str>>;

/// Adds `value` to `set` without allocating when it is already there.
pub fn insert_distinct(set: &mut DistinctSet, value: &str) {
    if !set.contains(value) {
        set.insert(value.into());
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
