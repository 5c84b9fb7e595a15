//! Sliding windows over event time: a window ends at each record and reaches back at most the
//! window's width, so an attack split across a clock boundary is seen whole. Windows that meet a
//! detection's thresholds and overlap are merged into one episode, which becomes one finding.

use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::ops::Range;

use crate::detect::records::{Record, Table, TextId};
use crate::detect::{Context, Detection, Finding, Key, plural, span};

/// Running counts over the records inside a window.
pub trait Tally {
    fn add(&mut self, record: &Record);
    fn remove(&mut self, record: &Record);
    /// The window meets the detection's thresholds.
    fn met(&self) -> bool;
}

/// A window that is met when at least `needed` users fall in `band`: the tally of the
/// single-address spray and stuffing detections.
struct UsersInBand {
    band: Band,
    needed: usize,
}

impl Tally for UsersInBand {
    fn add(&mut self, record: &Record) {
        if let Some(user) = record.user {
            self.band.add(user);
        }
    }
    fn remove(&mut self, record: &Record) {
        if let Some(user) = record.user {
            self.band.remove(user);
        }
    }
    fn met(&self) -> bool {
        self.band.users >= self.needed
    }
}

/// The findings of the single-address spray and stuffing detections: per client IP, episodes
/// of `failures` within `width` ms where at least `needed` users fall in `band`, described as
/// "N {what} against M users from IP in T".
pub fn users_in_band_per_ip<'r>(
    context: &Context<'r>,
    detection: &'static Detection,
    failures: impl IntoIterator<Item = &'r Record>,
    width: i64,
    band: impl Fn() -> Band,
    needed: usize,
    what: &str,
) -> Vec<Finding> {
    let table = context.table;
    let by_ip = group_by(failures, table, |r| table.ip_id(r));
    keyed_episodes(&by_ip, width, || UsersInBand {
        band: band(),
        needed,
    })
    .into_iter()
    .map(|(ip, attempts)| {
        let finding = Finding::new(detection, Key::ip(ip), attempts.iter().copied(), table);
        let users = finding.users.len();
        let details = format!(
            "{} {what} against {} from {ip} in {}",
            attempts.len(),
            plural(users, "user"),
            span(finding.start, finding.end)
        );
        finding
            .count("attempts", attempts.len())
            .count("users", users)
            .details(details)
    })
    .collect()
}

/// Slides a window over `records` (time-sorted): it ends at each record in turn and reaches
/// back over the records at most `width` ms older; `visit` sees the tally of each window and
/// the window's range of indices.
fn slide<T: Tally>(
    records: &[&Record],
    width: i64,
    tally: &mut T,
    mut visit: impl FnMut(&T, Range<usize>),
) {
    let mut left = 0;
    for (right, record) in records.iter().enumerate() {
        tally.add(record);
        while record
            .published()
            .0
            .saturating_sub(records[left].published().0)
            > width
        {
            tally.remove(records[left]);
            left += 1;
        }
        visit(tally, left..right + 1);
    }
}

/// The episodes of `records` (time-sorted) in which some window of at most `width` ms met the
/// thresholds: ranges of indices, each the union of overlapping windows that met them.
pub fn episodes<T: Tally>(records: &[&Record], width: i64, tally: &mut T) -> Vec<Range<usize>> {
    let mut found: Vec<Range<usize>> = Vec::new();
    slide(records, width, tally, |tally, window| {
        if tally.met() {
            match found.last_mut() {
                Some(last) if window.start < last.end => last.end = window.end,
                _ => found.push(window),
            }
        }
    });
    found
}

/// The largest `measure` of a window of at most `width` ms over `records` (time-sorted): what
/// an episode's figures say when they must describe one window, not the whole episode.
pub fn peak<T: Tally>(
    records: &[&Record],
    width: i64,
    tally: &mut T,
    measure: impl Fn(&T) -> usize,
) -> usize {
    let mut most = 0;
    slide(records, width, tally, |tally, _| {
        most = most.max(measure(tally));
    });
    most
}

/// `records` grouped by a key (records without one are left out), each group in time order when
/// `records` are, to be looked up by key.
pub fn index_by<'r, K: Hash + Eq>(
    records: impl IntoIterator<Item = &'r Record>,
    key: impl Fn(&'r Record) -> Option<K>,
) -> FxHashMap<K, Vec<&'r Record>> {
    let mut groups: FxHashMap<K, Vec<&Record>> = FxHashMap::default();
    for record in records {
        if let Some(k) = key(record) {
            groups.entry(k).or_default().push(record);
        }
    }
    groups
}

/// As [`index_by`] with a text key, in key order. The groups are sorted once, not kept in order
/// record by record: a sign-in log holds far more records than keys.
pub fn group_by_text<'r>(
    records: impl IntoIterator<Item = &'r Record>,
    key: impl Fn(&'r Record) -> Option<&'r str>,
) -> BTreeMap<&'r str, Vec<&'r Record>> {
    index_by(records, key).into_iter().collect()
}

/// As [`group_by_text`], keyed by the id of the text (a user or an IP): the record holds the
/// id, where the text would be looked up in the table and hashed for every record.
pub fn group_by<'r>(
    records: impl IntoIterator<Item = &'r Record>,
    table: &'r Table,
    key: impl Fn(&'r Record) -> Option<TextId>,
) -> BTreeMap<&'r str, Vec<&'r Record>> {
    index_by(records, key)
        .into_iter()
        .filter_map(|(id, group)| Some((table.text(Some(id))?, group)))
        .collect()
}

/// The episodes of every group, in key order: the key and the records of each episode.
pub fn keyed_episodes<'r, T: Tally>(
    groups: &BTreeMap<&'r str, Vec<&'r Record>>,
    width: i64,
    new_tally: impl Fn() -> T,
) -> Vec<(&'r str, Vec<&'r Record>)> {
    groups
        .iter()
        .flat_map(|(key, records)| {
            episodes(records, width, &mut new_tally())
                .into_iter()
                .map(move |range| (*key, records[range].to_vec()))
        })
        .collect()
}

/// How many times each value occurs in the window.
#[derive(Debug, Default)]
pub struct Distinct(FxHashMap<TextId, u64>);

impl Distinct {
    pub fn add(&mut self, value: TextId) -> u64 {
        let count = self.0.entry(value).or_insert(0);
        *count += 1;
        *count
    }

    /// Returns the count left after removing one occurrence, `None` when there was none.
    pub fn remove(&mut self, value: TextId) -> Option<u64> {
        let count = self.0.get_mut(&value)?;
        *count -= 1;
        let left = *count;
        if left == 0 {
            self.0.remove(&value);
        }
        Some(left)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn max(&self) -> u64 {
        self.0.values().copied().max().unwrap_or(0)
    }
}

/// Attempts per user, counting the users whose attempts in the window lie in `min..=max` and
/// their attempts. A user above the band drops out of the count rather than vetoing the window:
/// one account hammered beside a spray is a brute force, not a reason to miss the spray.
#[derive(Debug)]
pub struct Band {
    per_user: Distinct,
    min: u64,
    max: u64,
    /// Users whose attempts lie in the band.
    pub users: usize,
    /// The attempts of those users.
    pub attempts: u64,
}

impl Band {
    pub fn new(min: u64, max: u64) -> Band {
        Band {
            per_user: Distinct::default(),
            min,
            max,
            users: 0,
            attempts: 0,
        }
    }

    /// Any number of attempts per user: counts distinct users.
    pub fn any() -> Band {
        Band::new(1, u64::MAX)
    }

    fn change(&mut self, before: u64, after: u64) {
        let in_band = |n: u64| n >= self.min && n <= self.max;
        if in_band(before) {
            self.users -= 1;
            self.attempts -= before;
        }
        if in_band(after) {
            self.users += 1;
            self.attempts += after;
        }
    }

    pub fn add(&mut self, user: TextId) {
        let after = self.per_user.add(user);
        self.change(after - 1, after);
    }

    pub fn remove(&mut self, user: TextId) {
        if let Some(after) = self.per_user.remove(user) {
            self.change(after + 1, after);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::{at, fail, text};

    /// Meets when the window holds at least `n` records.
    struct AtLeast(usize, usize);

    impl Tally for AtLeast {
        fn add(&mut self, _: &Record) {
            self.1 += 1;
        }
        fn remove(&mut self, _: &Record) {
            self.1 -= 1;
        }
        fn met(&self) -> bool {
            self.1 >= self.0
        }
    }

    #[test]
    fn windows_slide_over_event_time_and_merge_when_they_overlap() {
        let records: Vec<Record> = [0, 50, 100, 119, 400, 401, 900]
            .iter()
            .map(|s| fail(at(*s), "a@example.com", "192.0.2.1"))
            .collect();
        let refs: Vec<&Record> = records.iter().collect();
        // Two within 60 s: 0+50, 50+100, 100+119 overlap and merge; 400+401 is apart.
        assert_eq!(
            episodes(&refs, 60_000, &mut AtLeast(2, 0)),
            vec![0..4, 4..6]
        );
        // Three within 69 s: 50, 100, 119 (the width is inclusive); nothing at 68.999 s.
        assert_eq!(episodes(&refs, 69_000, &mut AtLeast(3, 0)), vec![1..4]);
        assert!(episodes(&refs, 68_999, &mut AtLeast(3, 0)).is_empty());
    }

    #[test]
    fn band_counts_users_within_their_limits() {
        let (a, b) = (text("a").unwrap(), text("b").unwrap());
        let mut band = Band::new(2, 3);
        band.add(a);
        assert_eq!((band.users, band.attempts), (0, 0));
        band.add(a);
        band.add(b);
        assert_eq!((band.users, band.attempts), (1, 2));
        band.add(a);
        band.add(a);
        assert_eq!((band.users, band.attempts), (0, 0));
        band.remove(a);
        band.remove(b);
        assert_eq!((band.users, band.attempts), (1, 3));
        band.remove(b);
        assert_eq!((band.users, band.attempts), (1, 3));
    }
}
