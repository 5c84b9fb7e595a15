//! The fingerprints of the events read so far, for leaving out the events that overlapping
//! exports repeat (see [`crate::event::Event::fingerprint`]).
//!
//! This is the one structure whose size follows the number of events, so it is built for
//! memory rather than kept in one hash table, which holds 10 to 21 bytes per fingerprint and
//! half as much again while it doubles. New fingerprints gather in a small hash set; when that
//! holds an eighth as many as the rest, they are sorted and merged into one sorted array, in
//! place from its end, and an index of where each range of leading bits starts is rebuilt.
//! That is about 11 bytes per fingerprint with no doubling, and a lookup reads one index slot
//! and a few neighbouring fingerprints.

use rustc_hash::FxHashSet;

use crate::prefetch::prefetch;

/// Fewest fingerprints gathered before they are merged into the sorted array.
const SMALLEST_BATCH: usize = 1 << 16;
/// Average fingerprints per index slot: a lookup scans about this many, within a cache line.
const PER_SLOT: usize = 8;

#[derive(Debug, Default)]
pub struct FingerprintSet {
    /// Every fingerprint not in `recent`, ascending.
    sorted: Vec<u64>,
    /// `sorted[index[slot]..index[slot + 1]]` holds the fingerprints whose top `index_bits`
    /// bits are `slot`; empty until the first merge.
    index: Vec<usize>,
    index_bits: u32,
    recent: FxHashSet<u64>,
}

impl FingerprintSet {
    /// True when `fingerprint` is in the sorted array.
    fn contains_merged(&self, fingerprint: u64) -> bool {
        if self.index.is_empty() {
            return false;
        }
        let slot = (fingerprint >> (64 - self.index_bits)) as usize;
        match (self.index.get(slot), self.index.get(slot + 1)) {
            (Some(&from), Some(&to)) => self.sorted[from..to].contains(&fingerprint),
            _ => false,
        }
    }

    /// Whether each of `fingerprints` was added before (merged or not). Reading only, so that
    /// workers can ask it in parallel for their chunks before the batch's fingerprints are
    /// added in order. The sorted array is far larger than the CPU's caches, so each lookup
    /// would wait on memory twice (index, then array): the index slot of a fingerprint a few
    /// places ahead, and the array range of a nearer one, are fetched while the current one
    /// is compared.
    pub fn contains_all(&self, fingerprints: &[u64]) -> Vec<bool> {
        const INDEX_AHEAD: usize = 16;
        const ARRAY_AHEAD: usize = 8;
        let slot = |fingerprint: u64| (fingerprint >> (64 - self.index_bits)) as usize;
        let indexed = !self.index.is_empty();
        let mut found = Vec::with_capacity(fingerprints.len());
        for (i, &fingerprint) in fingerprints.iter().enumerate() {
            if indexed {
                if let Some(&ahead) = fingerprints.get(i + INDEX_AHEAD) {
                    prefetch(self.index.as_ptr().wrapping_add(slot(ahead)));
                }
                if let Some(&ahead) = fingerprints.get(i + ARRAY_AHEAD)
                    && let Some(&from) = self.index.get(slot(ahead))
                {
                    prefetch(self.sorted.as_ptr().wrapping_add(from));
                }
            }
            found.push(self.contains_merged(fingerprint) || self.recent.contains(&fingerprint));
        }
        found
    }

    /// Adds a fingerprint that [`FingerprintSet::contains_all`] did not find; false when it
    /// was added since the last merge.
    pub fn insert_unmerged(&mut self, fingerprint: u64) -> bool {
        self.recent.insert(fingerprint)
    }

    /// Merges the fingerprints added since the last merge once there are enough of them.
    pub fn merge_if_due(&mut self) {
        if self.recent.len() >= SMALLEST_BATCH.max(self.sorted.len() / 8) {
            self.merge_recent();
        }
    }

    /// Sorts the gathered fingerprints into the array, merging from the back so that the
    /// array is never held twice.
    fn merge_recent(&mut self) {
        let mut fresh: Vec<u64> = self.recent.drain().collect();
        fresh.sort_unstable();
        let old = self.sorted.len();
        self.sorted.reserve_exact(fresh.len());
        self.sorted.resize(old + fresh.len(), 0);
        let (mut kept, mut added) = (old, fresh.len());
        // Which side the next value comes from is a coin toss for random fingerprints, so it
        // is chosen without a branch the CPU would mispredict half the time.
        while kept > 0 && added > 0 {
            let (old_value, new_value) = (self.sorted[kept - 1], fresh[added - 1]);
            let take_old = old_value > new_value;
            self.sorted[kept + added - 1] = if take_old { old_value } else { new_value };
            kept -= usize::from(take_old);
            added -= usize::from(!take_old);
        }
        self.sorted[..added].copy_from_slice(&fresh[..added]);
        self.rebuild_index();
    }

    fn rebuild_index(&mut self) {
        self.index_bits = (self.sorted.len() / PER_SLOT).max(2).ilog2();
        let slots = 1usize << self.index_bits;
        self.index.clear();
        self.index.reserve_exact(slots + 1);
        let mut at = 0;
        for slot in 0..slots {
            while self
                .sorted
                .get(at)
                .is_some_and(|&f| ((f >> (64 - self.index_bits)) as usize) < slot)
            {
                at += 1;
            }
            self.index.push(at);
        }
        self.index.push(self.sorted.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adds values the way the pipeline does: a batch at a time, checked against the merged
    /// array first.
    fn insert_batch(set: &mut FingerprintSet, batch: &[u64]) -> Vec<bool> {
        let merged = set.contains_all(batch);
        let new = batch
            .iter()
            .zip(merged)
            .map(|(&f, merged)| !merged && set.insert_unmerged(f))
            .collect();
        set.merge_if_due();
        new
    }

    #[test]
    fn each_fingerprint_is_new_once_across_merges() {
        let mut set = FingerprintSet::default();
        // A spread of values (an odd multiplier), the extremes, and values sharing top bits.
        let values: Vec<u64> = (1..400_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .chain([0, 1, u64::MAX, u64::MAX - 1, 1 << 63, (1 << 63) + 1])
            .collect();
        for batch in values.chunks(5_000) {
            assert!(insert_batch(&mut set, batch).iter().all(|new| *new));
        }
        assert!(!set.sorted.is_empty(), "merged at least once");
        // Again, in batches that repeat values within themselves too.
        for batch in values.chunks(3_000) {
            let doubled: Vec<u64> = batch.iter().chain(batch).copied().collect();
            assert!(insert_batch(&mut set, &doubled).iter().all(|new| !*new));
        }
        assert_eq!(set.sorted.len() + set.recent.len(), values.len());
        assert!(set.sorted.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn a_repeat_within_one_batch_is_caught() {
        let mut set = FingerprintSet::default();
        assert_eq!(insert_batch(&mut set, &[7, 8, 7]), [true, true, false]);
        assert_eq!(insert_batch(&mut set, &[8, 9]), [false, true]);
    }
}
