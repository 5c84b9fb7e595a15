//! The fingerprints of the events read so far, for leaving out the events that overlapping
//! exports repeat (see [`crate::event::Event::fingerprint`]).
//!
//! This is the one structure that could grow with the input, so it is kept by event time. A
//! repeated event has the time of its first copy, so fingerprints are held by hour of
//! `published` ([`window_of`]) and an event is looked up among those of its hour alone.
//! Exports are written in time order, so the hours behind the reader stop being asked about:
//! an hour left untouched for [`COLD_BATCHES`] batches is dropped from memory (evicted), and
//! only the chunks its events were read from are kept. Should a later event fall in it after
//! all (an overlapping export, an unordered one), the caller reads its fingerprints again from
//! those chunks ([`FingerprintSet::evicted`], [`FingerprintSet::restore`]), and the hour stays
//! in memory from then on. Hours that eviction would not serve are kept from the start: read
//! from scattered chunks (an unordered input) or from what cannot be read again. The answers
//! are those of a set that kept every fingerprint; for inputs in time order, the memory follows
//! the hours being read rather than the whole input.
//!
//! Within an hour, new fingerprints gather in a small hash set and are merged now and then
//! into a sorted array, which holds 8 bytes per fingerprint where a hash set holds 10 to 21.
//!
//! An hour costs a few hundred bytes of its own, more than a handful of fingerprints. So an
//! hour with at most [`MOST_SETTLED`] events, once cold, is neither evicted nor kept as an
//! hour but settled: its fingerprints join one array shared by all such hours, and the hour
//! is remembered as settled. Sparse inputs (years of events, a few an hour) then hold 16 bytes
//! an event (its hour and fingerprint) and the hour, rather than an hour's bookkeeping per
//! event.

use std::hash::Hash;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::time::Timestamp;

/// The span of event time whose fingerprints are kept together: an hour.
const WINDOW_MS: i64 = 3_600_000;
/// Batches an hour may go without an event before it is evicted.
const COLD_BATCHES: u64 = 2;
/// Fewest fingerprints gathered in a window before they are merged into its sorted array.
const SMALLEST_MERGE: usize = 1 << 12;
/// Most chunks remembered for reading a window again; one read from more is kept instead.
const MOST_SOURCES: usize = 1 << 10;
/// Most stretches of consecutive chunks a window may be read from and still be evicted. In
/// time order, an hour is one stretch of an input, or a few where exports overlap; an hour
/// read from here and there is an unordered input, whose hours are kept.
const MOST_STRETCHES: usize = 4;
/// Most fingerprints a cold window may hold to be settled rather than evicted or kept: at 16
/// bytes each in the settled set, about what a window's own bookkeeping takes.
const MOST_SETTLED: usize = 16;

/// Where events were read: a part of an input that can be read again.
pub trait Source: Copy + PartialEq {
    /// Whether `self` comes right after `earlier` in the same input.
    fn follows(&self, earlier: &Self) -> bool;
}

/// A fingerprint in the settled set: its window in the high half, so that equal fingerprints
/// of two windows stay apart.
fn settled_key(window: i64, fingerprint: u64) -> u128 {
    u128::from(window as u64) << 64 | u128::from(fingerprint)
}

/// The window of an event published at `t`.
pub fn window_of(t: Timestamp) -> i64 {
    t.0.div_euclid(WINDOW_MS)
}

/// A set of numbers held mostly as a sorted array: 8 bytes a `u64` where a hash set holds 10
/// to 21. New numbers gather in a small hash set and are merged into the array now and then.
#[derive(Debug, Default)]
struct PackedSet<T> {
    /// Merged numbers, ascending.
    sorted: Vec<T>,
    /// Numbers added since the last merge.
    recent: FxHashSet<T>,
}

impl<T: Copy + Default + Ord + Hash> PackedSet<T> {
    fn contains(&self, number: T) -> bool {
        self.sorted.binary_search(&number).is_ok() || self.recent.contains(&number)
    }

    fn len(&self) -> usize {
        self.sorted.len() + self.recent.len()
    }

    /// Adds `number`; false if it was among the recent ones already.
    fn insert(&mut self, number: T) -> bool {
        self.recent.insert(number)
    }

    /// Merges what gathered once it is a sixteenth as large as the array, or at least
    /// [`SMALLEST_MERGE`].
    fn merge_if_grown(&mut self) {
        if self.recent.len() >= SMALLEST_MERGE.max(self.sorted.len() / 16) {
            self.merge();
        }
    }

    /// Sorts the gathered numbers into the array, merging from the back so that the array is
    /// never held twice.
    fn merge(&mut self) {
        let mut fresh: Vec<T> = self.recent.drain().collect();
        fresh.sort_unstable();
        let old = self.sorted.len();
        self.sorted.reserve_exact(fresh.len());
        self.sorted.resize(old + fresh.len(), T::default());
        let (mut kept, mut added) = (old, fresh.len());
        while added > 0 {
            let newest = fresh[added - 1];
            if kept > 0 && self.sorted[kept - 1] > newest {
                self.sorted[kept + added - 1] = self.sorted[kept - 1];
                kept -= 1;
            } else {
                self.sorted[kept + added - 1] = newest;
                added -= 1;
            }
        }
        self.recent.shrink_to_fit();
    }
}

impl<T: Copy + Default + Ord + Hash> Extend<T> for PackedSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, numbers: I) {
        self.recent.extend(numbers);
    }
}

/// The fingerprints of one window of event time.
#[derive(Debug)]
struct Window<S> {
    fingerprints: PackedSet<u64>,
    /// Where the window's events were read (`S`, a chunk of an input), in reading order, so
    /// that its fingerprints can be read again once evicted; `None` once the window is kept
    /// for good: read again once already, read from a source that cannot be read again
    /// (standard input), from more than [`MOST_SOURCES`] or in more than [`MOST_STRETCHES`].
    sources: Option<Vec<S>>,
    /// Stretches of consecutive `sources`.
    stretches: usize,
    evicted: bool,
    /// The batch that last added to the window.
    touched: u64,
}

impl<S> Default for Window<S> {
    fn default() -> Self {
        Window {
            fingerprints: PackedSet::default(),
            sources: Some(Vec::new()),
            stretches: 0,
            evicted: false,
            touched: 0,
        }
    }
}

#[derive(Debug)]
pub struct FingerprintSet<S> {
    windows: FxHashMap<i64, Window<S>>,
    /// The fingerprints of the settled windows, all together and kept for good, each with its
    /// window ([`settled_key`]): an event is a repeat only of one in its own window.
    settled: PackedSet<u128>,
    /// The windows whose fingerprints are in `settled`, as `u64`: a window settled may be
    /// added to again, and then has fingerprints in both.
    settled_windows: PackedSet<u64>,
    /// Batches counted so far ([`FingerprintSet::end_batch`]).
    batch: u64,
    /// Sources noted for windows, and sources handed back to be read again: windows are
    /// evicted only while the second is at most half the first, so that an input whose
    /// order defeats eviction costs at most half as much reading again.
    sources_noted: usize,
    sources_read_again: usize,
}

impl<S> Default for FingerprintSet<S> {
    fn default() -> Self {
        FingerprintSet {
            windows: FxHashMap::default(),
            settled: PackedSet::default(),
            settled_windows: PackedSet::default(),
            batch: 0,
            sources_noted: 0,
            sources_read_again: 0,
        }
    }
}

impl<S: Source> FingerprintSet<S> {
    /// The evicted windows among `windows`, each with the sources to read its fingerprints
    /// from again; every one must be [restored](FingerprintSet::restore) before asking
    /// [`FingerprintSet::contains_all`] about events in it.
    pub fn evicted(&self, windows: impl IntoIterator<Item = i64>) -> Vec<(i64, Vec<S>)> {
        let mut wanted: Vec<i64> = windows
            .into_iter()
            .filter(|w| self.windows.get(w).is_some_and(|window| window.evicted))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        wanted
            .into_iter()
            .filter_map(|w| {
                let window = self.windows.get(&w)?;
                Some((w, window.sources.clone().unwrap_or_default()))
            })
            .collect()
    }

    /// Every evicted window read from any source `of`, to restore as those of
    /// [`FingerprintSet::evicted`]; the other windows read from such a source are kept from
    /// now on, so that none of them is read from it again.
    pub fn evicted_from(&mut self, of: impl Fn(&S) -> bool) -> Vec<(i64, Vec<S>)> {
        let mut evicted = Vec::new();
        for (&w, window) in &mut self.windows {
            let Some(sources) = &window.sources else {
                continue;
            };
            if !sources.iter().any(&of) {
                continue;
            }
            if window.evicted {
                evicted.push((w, sources.clone()));
            } else {
                window.sources = None;
            }
        }
        evicted.sort_unstable_by_key(|&(w, _)| w);
        evicted
    }

    /// Puts back the fingerprints of an evicted window, read again from its sources; the
    /// window is kept from now on.
    pub fn restore(&mut self, window: i64, fingerprints: impl IntoIterator<Item = u64>) {
        let window = self.windows.entry(window).or_default();
        // Counted once per window put back, however often it was asked for.
        self.sources_read_again += window.sources.as_ref().map_or(0, Vec::len);
        window.fingerprints.extend(fingerprints);
        window.fingerprints.merge();
        window.evicted = false;
        window.sources = None;
        window.touched = self.batch;
    }

    /// Whether each of `fingerprints`, of an event in the window at the same place in
    /// `windows`, was added before. Reading only, so that workers can ask it in parallel for
    /// a batch before the batch's fingerprints are added in order.
    pub fn contains_all(&self, fingerprints: &[u64], windows: &[i64]) -> Vec<bool> {
        let mut current: Option<(i64, Option<&Window<S>>, bool)> = None;
        fingerprints
            .iter()
            .zip(windows)
            .map(|(&fingerprint, &w)| {
                let (window, settled) = match current {
                    Some((at, window, settled)) if at == w => (window, settled),
                    _ => {
                        let window = self.windows.get(&w);
                        let settled = self.settled_windows.contains(w as u64);
                        current = Some((w, window, settled));
                        (window, settled)
                    }
                };
                window.is_some_and(|window| window.fingerprints.contains(fingerprint))
                    || settled && self.settled.contains(settled_key(w, fingerprint))
            })
            .collect()
    }

    /// Adds the fingerprint of an event in `window`, read from `source` (`None`: a source
    /// that cannot be read again), which [`FingerprintSet::contains_all`] found (`earlier`)
    /// or not; false when it is a repeat, found or added since.
    pub fn add(&mut self, fingerprint: u64, window: i64, earlier: bool, source: Option<S>) -> bool {
        let batch = self.batch;
        let window = self.windows.entry(window).or_default();
        window.touched = batch;
        match (&mut window.sources, source) {
            (Some(sources), Some(source)) if sources.last() != Some(&source) => {
                if !sources.last().is_some_and(|last| source.follows(last)) {
                    window.stretches += 1;
                }
                if sources.len() < MOST_SOURCES && window.stretches <= MOST_STRETCHES {
                    if sources.capacity() == 0 {
                        // Most windows of a sparse input are read from one chunk.
                        sources.reserve_exact(1);
                    }
                    sources.push(source);
                    self.sources_noted += 1;
                } else {
                    window.sources = None;
                }
            }
            (Some(_), None) => window.sources = None,
            _ => {}
        }
        !earlier && window.fingerprints.insert(fingerprint)
    }

    /// Ends a batch: merges what gathered in each window once it is a sixteenth as large as
    /// the window, then settles the small windows left untouched for [`COLD_BATCHES`] batches
    /// and evicts the others, or merges in full those that are kept.
    pub fn end_batch(&mut self) {
        self.batch += 1;
        let batch = self.batch;
        let evicting = self.sources_read_again * 2 <= self.sources_noted;
        let (settled, settled_windows) = (&mut self.settled, &mut self.settled_windows);
        self.windows.retain(|&w, window| {
            if window.evicted {
                return true;
            }
            let fingerprints = &mut window.fingerprints;
            if batch - window.touched <= COLD_BATCHES {
                fingerprints.merge_if_grown();
            } else if fingerprints.len() <= MOST_SETTLED {
                let all = fingerprints.sorted.iter().chain(&fingerprints.recent);
                settled.extend(all.map(|&fingerprint| settled_key(w, fingerprint)));
                if !settled_windows.contains(w as u64) {
                    settled_windows.insert(w as u64);
                }
                return false;
            } else if evicting && window.sources.is_some() {
                *fingerprints = PackedSet::default();
                window.evicted = true;
            } else if !fingerprints.recent.is_empty() {
                fingerprints.merge();
                fingerprints.sorted.shrink_to_fit();
            }
            true
        });
        self.settled.merge_if_grown();
        self.settled_windows.merge_if_grown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Source for usize {
        fn follows(&self, earlier: &Self) -> bool {
            *self == earlier + 1
        }
    }

    /// Adds fingerprints the way the pipeline does, a batch at a time: restores the evicted
    /// windows the batch falls in from `read_again`, asks which were added before, then adds
    /// them in order.
    fn add_batch(
        set: &mut FingerprintSet<usize>,
        batch: &[(u64, i64)],
        source: Option<usize>,
        read_again: &impl Fn(usize, i64) -> Vec<u64>,
    ) -> Vec<bool> {
        for (window, sources) in set.evicted(batch.iter().map(|&(_, w)| w)) {
            let fingerprints: Vec<u64> = sources
                .iter()
                .flat_map(|&s| read_again(s, window))
                .collect();
            set.restore(window, fingerprints);
        }
        let (fingerprints, windows): (Vec<u64>, Vec<i64>) = batch.iter().copied().unzip();
        let earlier = set.contains_all(&fingerprints, &windows);
        let new = batch
            .iter()
            .zip(earlier)
            .map(|(&(f, w), earlier)| set.add(f, w, earlier, source))
            .collect();
        set.end_batch();
        new
    }

    fn spread(i: u64) -> u64 {
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    #[test]
    fn windows_are_hours_of_event_time() {
        assert_eq!(window_of(Timestamp(0)), 0);
        assert_eq!(window_of(Timestamp(3_599_999)), 0);
        assert_eq!(window_of(Timestamp(3_600_000)), 1);
        assert_eq!(window_of(Timestamp(-1)), -1);
    }

    /// Batches that each hold an hour, read in time order and then again: the hours behind
    /// are evicted and read back when asked about, and every answer is that of a plain set.
    #[test]
    fn evicted_windows_read_again_give_the_answers_of_a_full_set() {
        let hours = 10i64;
        let per_hour = 5_000u64;
        // Source `h` is the batch of hour `h`: its events are (spread(i), h) for i in h's range.
        let events_of = |h: usize| -> Vec<(u64, i64)> {
            (h as u64 * per_hour..(h as u64 + 1) * per_hour)
                .map(|i| (spread(i), h as i64))
                .collect()
        };
        let reads = std::cell::Cell::new(0);
        let read_again = |source: usize, window: i64| {
            reads.set(reads.get() + 1);
            events_of(source)
                .into_iter()
                .filter(|&(_, w)| w == window)
                .map(|(f, _)| f)
                .collect()
        };
        let mut set = FingerprintSet::default();
        for h in 0..hours as usize {
            assert!(
                add_batch(&mut set, &events_of(h), Some(h), &read_again)
                    .iter()
                    .all(|&new| new)
            );
        }
        let evicted = set.windows.values().filter(|w| w.evicted).count();
        assert_eq!(evicted, hours as usize - COLD_BATCHES as usize);
        assert_eq!(reads.get(), 0);
        // Every event again, hour 3 first, with new ones in between: only the new are new.
        for h in [3, 0, 1, 2, 4, 5, 6, 7, 8, 9] {
            let mut batch = events_of(h);
            batch.push((spread(1 << 40) + h as u64, h as i64));
            let new = add_batch(&mut set, &batch, Some(h), &read_again);
            assert_eq!(new.iter().filter(|&&n| n).count(), 1, "hour {h}");
            assert!(new[batch.len() - 1]);
        }
        // The last hours too were evicted while the first were read again.
        assert_eq!(reads.get(), hours as usize);
        // Read once again, the windows are kept for good.
        assert!(
            set.windows
                .values()
                .all(|w| !w.evicted && w.sources.is_none())
        );
    }

    /// A source that cannot be read again keeps its window in memory, merged once cold.
    #[test]
    fn a_window_read_from_what_cannot_be_read_again_is_kept() {
        let never = |_: usize, _: i64| -> Vec<u64> { unreachable!("nothing is evicted") };
        let mut set = FingerprintSet::default();
        let first: Vec<(u64, i64)> = (0..10_000).map(|i| (spread(i), 7)).collect();
        assert!(
            add_batch(&mut set, &first, None, &never)
                .iter()
                .all(|&new| new)
        );
        for _ in 0..COLD_BATCHES {
            add_batch(&mut set, &[(1, 8)], None, &never);
        }
        let window = &set.windows[&7];
        assert!(!window.evicted && window.fingerprints.recent.is_empty());
        let sorted = &window.fingerprints.sorted;
        assert_eq!(sorted.len(), 10_000);
        assert!(sorted.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(
            add_batch(&mut set, &first, None, &never)
                .iter()
                .all(|&new| !new)
        );
    }

    /// Asked for every window of a source, the set hands back the evicted ones and keeps the
    /// others, so that none is read from that source again.
    #[test]
    fn every_window_of_a_source_is_restored_or_kept_at_once() {
        let never = |_: usize, _: i64| -> Vec<u64> { Vec::new() };
        // Enough events in each hour that it is evicted rather than settled.
        let events = |hours: &[i64]| -> Vec<(u64, i64)> {
            let count = MOST_SETTLED as u64 + 1;
            let events = hours
                .iter()
                .map(|&h| (0..count).map(move |i| (spread(i), h)));
            events.flatten().collect()
        };
        let mut set = FingerprintSet::default();
        // Source 0 holds hours 0 and 1, source 1 hours 1 and 2, source 2 hour 3.
        add_batch(&mut set, &events(&[0, 1]), Some(0), &never);
        add_batch(&mut set, &events(&[1, 2]), Some(1), &never);
        for _ in 0..=COLD_BATCHES {
            add_batch(&mut set, &events(&[3]), Some(2), &never);
        }
        // Hours 0, 1 and 2 are evicted, hour 3 is not.
        let evicted: Vec<i64> = set
            .evicted_from(|&s| s == 1)
            .iter()
            .map(|(w, _)| *w)
            .collect();
        assert_eq!(evicted, [1, 2]);
        assert_eq!(set.evicted_from(|&s| s == 2), []);
        assert!(set.windows[&3].sources.is_none());
        assert!(set.windows[&0].sources.is_some());
    }

    /// Hours with a few events each (years of a small tenant, forged dates) are settled once
    /// cold: their fingerprints are kept together and the hours leave the map, and an hour
    /// settled and then added to again, evicted and read back, still knows every event.
    #[test]
    fn sparse_windows_are_settled_and_still_known() {
        // Batch `b` holds windows 100b..100b+100, two events each, read from source `b`.
        let events_of = |b: usize| -> Vec<(u64, i64)> {
            (0..200u64)
                .map(|i| {
                    (
                        spread(b as u64 * 1_000 + i),
                        (b * 100) as i64 + (i / 2) as i64,
                    )
                })
                .collect()
        };
        // Source 50 holds 40 more events of window 0, settled by then.
        let late: Vec<(u64, i64)> = (0..40).map(|i| (spread(1 << 30 | i), 0)).collect();
        let read_again = |source: usize, window: i64| -> Vec<u64> {
            let events = if source == 50 {
                late.clone()
            } else {
                events_of(source)
            };
            events
                .iter()
                .filter(|e| e.1 == window)
                .map(|e| e.0)
                .collect()
        };
        let mut set = FingerprintSet::default();
        for b in 0..10 {
            let new = add_batch(&mut set, &events_of(b), Some(b), &read_again);
            assert!(new.iter().all(|&new| new));
        }
        assert_eq!(set.windows.len(), 100 * COLD_BATCHES as usize);
        assert_eq!(set.settled.len(), 2 * 100 * (10 - COLD_BATCHES as usize));
        assert!(set.settled_windows.contains(0) && !set.settled_windows.contains(999));
        assert!(
            add_batch(&mut set, &late, Some(50), &read_again)
                .iter()
                .all(|&new| new)
        );
        for b in 11..12 + COLD_BATCHES as usize {
            add_batch(&mut set, &[(spread(b as u64), 5_000)], Some(b), &read_again);
        }
        assert!(set.windows[&0].evicted);
        // Every event again, and one new in window 0: only that one is new.
        let mut again: Vec<(u64, i64)> = (0..10).flat_map(events_of).collect();
        again.extend(&late);
        again.push((spread(1 << 31), 0));
        let new = add_batch(&mut set, &again, Some(60), &read_again);
        assert_eq!(new.iter().filter(|&&new| new).count(), 1);
        assert!(new[again.len() - 1]);
    }

    /// Settled windows share one set, but an event is a repeat only of one in its own window,
    /// even where two windows' events share a fingerprint (a forged uuid can make them).
    #[test]
    fn settled_windows_keep_equal_fingerprints_apart() {
        let never = |_: usize, _: i64| -> Vec<u64> { unreachable!("nothing is evicted") };
        let mut set = FingerprintSet::default();
        assert_eq!(
            add_batch(&mut set, &[(7, 0), (8, 5)], Some(0), &never),
            [true, true]
        );
        for b in 1..=COLD_BATCHES as usize + 1 {
            add_batch(&mut set, &[(b as u64, 99)], Some(b), &never);
        }
        assert!(!set.windows.contains_key(&0) && !set.windows.contains_key(&5));
        assert_eq!(
            add_batch(&mut set, &[(7, 5), (8, 0), (7, 0), (8, 5)], Some(9), &never),
            [true, true, false, false]
        );
    }

    #[test]
    fn a_repeat_within_one_batch_is_caught() {
        let never = |_: usize, _: i64| -> Vec<u64> { Vec::new() };
        let mut set = FingerprintSet::default();
        assert_eq!(
            add_batch(&mut set, &[(7, 0), (8, 0), (7, 0), (7, 1)], Some(0), &never),
            [true, true, false, true]
        );
        assert_eq!(
            add_batch(&mut set, &[(8, 0), (9, 0)], Some(1), &never),
            [false, true]
        );
    }

    #[test]
    fn merging_keeps_every_number_in_order() {
        let mut set = PackedSet::default();
        for round in 0..5u64 {
            set.extend((0..3_000).map(|i| spread(i * 5 + round)));
            set.merge();
        }
        assert_eq!(set.sorted.len(), 15_000);
        assert!(set.sorted.windows(2).all(|pair| pair[0] < pair[1]));
        assert!((0..15_000).all(|i| set.contains(spread(i))));
        assert!(!set.contains(spread(15_000)));
    }
}
