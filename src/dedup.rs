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

/// Where events were read: a part of an input that can be read again.
pub trait Source: Copy + PartialEq {
    /// Whether `self` comes right after `earlier` in the same input.
    fn follows(&self, earlier: &Self) -> bool;
}

/// The window of an event published at `t`.
pub fn window_of(t: Timestamp) -> i64 {
    t.0.div_euclid(WINDOW_MS)
}

/// The fingerprints of one window of event time.
#[derive(Debug)]
struct Window<S> {
    /// Merged fingerprints, ascending.
    sorted: Vec<u64>,
    /// Fingerprints added since the last merge.
    recent: FxHashSet<u64>,
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
            sorted: Vec::new(),
            recent: FxHashSet::default(),
            sources: Some(Vec::new()),
            stretches: 0,
            evicted: false,
            touched: 0,
        }
    }
}

impl<S> Window<S> {
    fn contains(&self, fingerprint: u64) -> bool {
        self.sorted.binary_search(&fingerprint).is_ok() || self.recent.contains(&fingerprint)
    }

    /// Sorts the gathered fingerprints into the array, merging from the back so that the
    /// array is never held twice.
    fn merge(&mut self) {
        let mut fresh: Vec<u64> = self.recent.drain().collect();
        fresh.sort_unstable();
        let old = self.sorted.len();
        self.sorted.reserve_exact(fresh.len());
        self.sorted.resize(old + fresh.len(), 0);
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

#[derive(Debug)]
pub struct FingerprintSet<S> {
    windows: FxHashMap<i64, Window<S>>,
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
        window.recent.extend(fingerprints);
        window.merge();
        window.evicted = false;
        window.sources = None;
        window.touched = self.batch;
    }

    /// Whether each of `fingerprints`, of an event in the window at the same place in
    /// `windows`, was added before. Reading only, so that workers can ask it in parallel for
    /// a batch before the batch's fingerprints are added in order.
    pub fn contains_all(&self, fingerprints: &[u64], windows: &[i64]) -> Vec<bool> {
        let mut current: Option<(i64, Option<&Window<S>>)> = None;
        fingerprints
            .iter()
            .zip(windows)
            .map(|(&fingerprint, &w)| {
                let window = match current {
                    Some((at, window)) if at == w => window,
                    _ => {
                        let window = self.windows.get(&w);
                        current = Some((w, window));
                        window
                    }
                };
                window.is_some_and(|window| window.contains(fingerprint))
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
                    sources.push(source);
                    self.sources_noted += 1;
                } else {
                    window.sources = None;
                }
            }
            (Some(_), None) => window.sources = None,
            _ => {}
        }
        !earlier && window.recent.insert(fingerprint)
    }

    /// Ends a batch: merges what gathered in each window once it is a sixteenth as large as
    /// the window, then evicts the windows left untouched for [`COLD_BATCHES`] batches, or
    /// merges in full those that are kept.
    pub fn end_batch(&mut self) {
        self.batch += 1;
        let batch = self.batch;
        let evicting = self.sources_read_again * 2 <= self.sources_noted;
        for window in self.windows.values_mut() {
            if window.evicted {
                continue;
            }
            if batch - window.touched > COLD_BATCHES {
                if evicting && window.sources.is_some() {
                    window.sorted = Vec::new();
                    window.recent = FxHashSet::default();
                    window.evicted = true;
                } else if !window.recent.is_empty() {
                    window.merge();
                    window.sorted.shrink_to_fit();
                }
            } else if window.recent.len() >= SMALLEST_MERGE.max(window.sorted.len() / 16) {
                window.merge();
            }
        }
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
        assert!(!window.evicted && window.recent.is_empty());
        assert_eq!(window.sorted.len(), 10_000);
        assert!(window.sorted.windows(2).all(|pair| pair[0] < pair[1]));
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
        let mut set = FingerprintSet::default();
        // Source 0 holds hours 0 and 1, source 1 hours 1 and 2, source 2 hour 3.
        add_batch(&mut set, &[(10, 0), (11, 1)], Some(0), &never);
        add_batch(&mut set, &[(12, 1), (13, 2)], Some(1), &never);
        for _ in 0..=COLD_BATCHES {
            add_batch(&mut set, &[(14, 3)], Some(2), &never);
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
    fn merging_keeps_every_fingerprint_in_order() {
        let mut window: Window<usize> = Window::default();
        for round in 0..5u64 {
            window
                .recent
                .extend((0..3_000).map(|i| spread(i * 5 + round)));
            window.merge();
        }
        assert_eq!(window.sorted.len(), 15_000);
        assert!(window.sorted.windows(2).all(|pair| pair[0] < pair[1]));
        assert!((0..15_000).all(|i| window.contains(spread(i))));
    }
}
