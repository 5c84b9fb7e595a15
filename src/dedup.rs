//! The fingerprints of the events read so far, for leaving out the events that overlapping
//! exports repeat (see [`crate::event::Event::fingerprint`]).
//!
//! This is the one structure whose size follows the number of events, so it is built for
//! memory rather than kept in one hash table, which holds 10 to 21 bytes per fingerprint and
//! half as much again while it doubles. New fingerprints gather in a small hash set; when that
//! holds a sixteenth as many as the rest, they are sorted and merged into one sorted array, in
//! place from its end. The array is grouped by the top 16 bits of each fingerprint, with the
//! start of each group kept aside, so it holds only the low 48 bits: about 6 bytes per
//! fingerprint with no doubling, and a lookup starts where the value would stand in its group
//! if the group were evenly spread, which random fingerprints nearly are.

use rustc_hash::FxHashSet;

use crate::prefetch::prefetch;

/// Fewest fingerprints gathered before they are merged into the sorted array.
const SMALLEST_BATCH: usize = 1 << 16;
/// The leading bits that choose a fingerprint's group; the array keeps the others.
const GROUP_BITS: u32 = 16;
const GROUPS: usize = 1 << GROUP_BITS;
const LOW_BITS: u32 = 64 - GROUP_BITS;

/// The low 48 bits of a fingerprint, in three 16-bit words so that it takes 6 bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Low([u16; 3]);

impl Low {
    fn of(fingerprint: u64) -> Low {
        Low([0, 16, 32].map(|shift| (fingerprint >> shift) as u16))
    }

    fn value(self) -> u64 {
        let [a, b, c] = self.0.map(u64::from);
        a | b << 16 | c << 32
    }
}

fn group_of(fingerprint: u64) -> usize {
    (fingerprint >> LOW_BITS) as usize
}

/// Where `fingerprint` stands in `lows`, one group of the sorted array: the first place whose
/// value is not below its low bits. Fingerprints are uniformly spread, so the search starts
/// from a guess of that place ([`guess`]) and steps to it, a few places on average, within the
/// cache line the guess fetched.
fn lower_bound(lows: &[Low], fingerprint: u64) -> usize {
    if lows.is_empty() {
        return 0;
    }
    let target = Low::of(fingerprint).value();
    let mut at = guess(lows.len(), fingerprint);
    if lows[at].value() < target {
        at += 1;
        while at < lows.len() && lows[at].value() < target {
            at += 1;
        }
    } else {
        while at > 0 && lows[at - 1].value() >= target {
            at -= 1;
        }
    }
    at
}

/// Where in a group of `len` fingerprints `fingerprint` would stand if the group's values were
/// spread evenly: its low bits' fraction of their range, times `len` (below `len` when it is
/// not 0).
fn guess(len: usize, fingerprint: u64) -> usize {
    let fraction = (fingerprint << GROUP_BITS) >> 32;
    ((fraction * len as u64) >> 32) as usize
}

#[derive(Debug, Default)]
pub struct FingerprintSet {
    /// Every fingerprint not in `recent`, ascending, without its group bits.
    sorted: Vec<Low>,
    /// `sorted[starts[g]..starts[g + 1]]` holds the fingerprints whose top bits are `g`; empty
    /// until the first merge.
    starts: Vec<usize>,
    recent: FxHashSet<u64>,
}

impl FingerprintSet {
    /// Whether each of `fingerprints` was added before (merged or not). Reading only, so that
    /// workers can ask it in parallel for a batch before the batch's fingerprints are added in
    /// order. The array is far larger than the CPU's caches, so each lookup would wait on
    /// memory twice (group start, then the group): the group start of a fingerprint a few
    /// places ahead, and the group of a nearer one, are fetched while the current one is
    /// looked up.
    pub fn contains_all(&self, fingerprints: &[u64]) -> Vec<bool> {
        const START_AHEAD: usize = 16;
        const GROUP_AHEAD: usize = 8;
        let merged = !self.starts.is_empty();
        let mut found = Vec::with_capacity(fingerprints.len());
        for (i, &fingerprint) in fingerprints.iter().enumerate() {
            if merged {
                if let Some(&ahead) = fingerprints.get(i + START_AHEAD) {
                    prefetch(self.starts.as_ptr().wrapping_add(group_of(ahead)));
                }
                if let Some(&ahead) = fingerprints.get(i + GROUP_AHEAD)
                    && let Some(group) = self.group(ahead)
                {
                    let at = group.start + guess(group.len(), ahead);
                    prefetch(self.sorted.as_ptr().wrapping_add(at));
                }
            }
            found.push(self.contains_merged(fingerprint) || self.recent.contains(&fingerprint));
        }
        found
    }

    /// Where the group of `fingerprint` lies in the sorted array.
    fn group(&self, fingerprint: u64) -> Option<std::ops::Range<usize>> {
        let group = group_of(fingerprint);
        match self.starts.get(group..group + 2) {
            Some(&[from, to]) => Some(from..to),
            _ => None,
        }
    }

    /// True when `fingerprint` is in the sorted array.
    fn contains_merged(&self, fingerprint: u64) -> bool {
        let Some(group) = self.group(fingerprint) else {
            return false;
        };
        let lows = &self.sorted[group];
        lows.get(lower_bound(lows, fingerprint))
            .is_some_and(|low| *low == Low::of(fingerprint))
    }

    /// Adds a fingerprint that [`FingerprintSet::contains_all`] did not find; false when it
    /// was added since the last merge.
    pub fn insert_unmerged(&mut self, fingerprint: u64) -> bool {
        self.recent.insert(fingerprint)
    }

    /// Merges the fingerprints added since the last merge once there are enough of them.
    pub fn merge_if_due(&mut self) {
        if self.recent.len() >= SMALLEST_BATCH.max(self.sorted.len() / 16) {
            self.merge_recent();
        }
    }

    /// Sorts the gathered fingerprints into the array, merging from the back so that the
    /// array is never held twice, then moves each group's start past the fingerprints added
    /// before it.
    fn merge_recent(&mut self) {
        let mut fresh: Vec<u64> = self.recent.drain().collect();
        fresh.sort_unstable();
        if self.starts.is_empty() {
            self.starts = vec![0; GROUPS + 1];
        }
        let old = self.sorted.len();
        self.sorted.reserve_exact(fresh.len());
        self.sorted.resize(old + fresh.len(), Low::default());
        // From the largest new fingerprint down: the old ones above it move up in one copy,
        // and it goes just below them. `sorted[..kept]` are the old ones not moved yet.
        let mut kept = old;
        for (added, &newest) in fresh.iter().enumerate().rev() {
            let group = group_of(newest);
            let from = self.starts[group].min(kept);
            let until = self.starts[group + 1].min(kept);
            let above = from + lower_bound(&self.sorted[from..until], newest);
            self.sorted.copy_within(above..kept, above + added + 1);
            self.sorted[above + added] = Low::of(newest);
            kept = above;
        }
        let mut fresh_before = 0;
        for (group, start) in self.starts.iter_mut().enumerate() {
            while fresh
                .get(fresh_before)
                .is_some_and(|&f| group_of(f) < group)
            {
                fresh_before += 1;
            }
            *start += fresh_before;
        }
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
        let full: Vec<u64> = (0..GROUPS)
            .flat_map(|group| {
                let members = &set.sorted[set.starts[group]..set.starts[group + 1]];
                members
                    .iter()
                    .map(move |low| ((group as u64) << LOW_BITS) | low.value())
            })
            .collect();
        assert_eq!(full.len(), set.sorted.len());
        assert!(full.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn a_repeat_within_one_batch_is_caught() {
        let mut set = FingerprintSet::default();
        assert_eq!(insert_batch(&mut set, &[7, 8, 7]), [true, true, false]);
        assert_eq!(insert_batch(&mut set, &[8, 9]), [false, true]);
    }
}
