//! What the inputs cover in time: each input's span, the gaps no input covers, the periods two
//! or more inputs cover, and the duplicates removed. Worked out from the per-file reports after
//! the run, so that a responder can see whether the exports they were handed leave holes.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::pipeline::FileReport;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// The earliest and latest event of any input.
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Each input in the order read.
    pub inputs: Vec<InputSpan>,
    /// Time between one input's last event and the next input's first, when no input has
    /// events in it: a missing export, or a quiet period.
    pub gaps: Vec<Gap>,
    /// Periods that two or more inputs cover, with those inputs.
    pub overlaps: Vec<Overlap>,
    /// Events read more than once (same uuid and time) and counted once.
    pub duplicates: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputSpan {
    pub path: String,
    /// The input's first and last event, duplicates included; `null` when it had none.
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub events: u64,
    pub duplicates: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub start: Timestamp,
    pub end: Timestamp,
    /// The input whose last event starts the gap, and the one whose first event ends it.
    pub after: String,
    pub before: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overlap {
    pub start: Timestamp,
    pub end: Timestamp,
    pub inputs: Vec<String>,
}

impl Coverage {
    pub fn of(files: &[FileReport]) -> Coverage {
        let inputs: Vec<InputSpan> = files
            .iter()
            .map(|f| InputSpan {
                path: f.name.clone(),
                first: f.first,
                last: f.last,
                events: f.events,
                duplicates: f.duplicates,
            })
            .collect();
        // (first, last, index) of the inputs that have events, by time.
        let mut spans: Vec<(Timestamp, Timestamp, usize)> = files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((f.first?, f.last?, i)))
            .collect();
        spans.sort();
        Coverage {
            first: spans.iter().map(|s| s.0).min(),
            last: spans.iter().map(|s| s.1).max(),
            gaps: gaps(&spans, files),
            overlaps: overlaps(&spans, files),
            duplicates: files.iter().map(|f| f.duplicates).sum(),
            inputs,
        }
    }
}

/// `spans` sorted by start.
fn gaps(spans: &[(Timestamp, Timestamp, usize)], files: &[FileReport]) -> Vec<Gap> {
    let mut gaps = Vec::new();
    let mut covered: Option<(Timestamp, usize)> = None;
    for &(first, last, i) in spans {
        if let Some((until, by)) = covered
            && first > until
        {
            gaps.push(Gap {
                start: until,
                end: first,
                after: files[by].name.clone(),
                before: files[i].name.clone(),
            });
        }
        if covered.is_none_or(|(until, _)| last > until) {
            covered = Some((last, i));
        }
    }
    gaps
}

/// A sweep over the span ends: an overlap opens when a second input is open and closes when
/// fewer than two are. Spans are closed intervals, so inputs that share an instant overlap.
fn overlaps(spans: &[(Timestamp, Timestamp, usize)], files: &[FileReport]) -> Vec<Overlap> {
    // Starts sort before ends at the same instant.
    let mut points: Vec<(Timestamp, bool, usize)> = spans
        .iter()
        .flat_map(|&(first, last, i)| [(first, false, i), (last, true, i)])
        .collect();
    points.sort();
    let mut open: BTreeSet<usize> = BTreeSet::new();
    let mut current: Option<(Timestamp, BTreeSet<usize>)> = None;
    let mut overlaps = Vec::new();
    for (t, is_end, i) in points {
        if is_end {
            open.remove(&i);
            if open.len() < 2
                && let Some((start, inputs)) = current.take()
            {
                overlaps.push(Overlap {
                    start,
                    end: t,
                    inputs: inputs.iter().map(|&i| files[i].name.clone()).collect(),
                });
            }
        } else {
            open.insert(i);
            if open.len() >= 2 {
                match &mut current {
                    Some((_, inputs)) => {
                        inputs.insert(i);
                    }
                    None => current = Some((t, open.clone())),
                }
            }
        }
    }
    overlaps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, first: i64, last: i64, duplicates: u64) -> FileReport {
        FileReport {
            name: name.into(),
            first: Some(Timestamp(first)),
            last: Some(Timestamp(last)),
            events: 1,
            duplicates,
            ..FileReport::default()
        }
    }

    #[test]
    fn gaps_and_overlaps_between_inputs() {
        let files = [
            file("c", 50, 60, 0),
            file("a", 0, 10, 0),
            file("b", 5, 20, 3),
            file("d", 55, 70, 1),
            file("e", 58, 59, 0),
            FileReport {
                name: "broken".into(),
                error: Some("not an Okta export".into()),
                ..FileReport::default()
            },
        ];
        let coverage = Coverage::of(&files);
        assert_eq!(
            (coverage.first, coverage.last, coverage.duplicates),
            (Some(Timestamp(0)), Some(Timestamp(70)), 4)
        );
        assert_eq!(
            coverage.gaps,
            [Gap {
                start: Timestamp(20),
                end: Timestamp(50),
                after: "b".into(),
                before: "c".into()
            }]
        );
        let overlaps: Vec<(i64, i64, Vec<String>)> = coverage
            .overlaps
            .into_iter()
            .map(|o| (o.start.0, o.end.0, o.inputs))
            .collect();
        assert_eq!(
            overlaps,
            [
                (5, 10, vec!["a".into(), "b".into()]),
                (55, 60, vec!["c".into(), "d".into(), "e".into()]),
            ]
        );
        assert_eq!(coverage.inputs.len(), 6);
        assert_eq!(coverage.inputs[5].first, None);
    }

    #[test]
    fn inputs_sharing_an_instant_overlap_and_leave_no_gap() {
        let coverage = Coverage::of(&[file("a", 0, 10, 0), file("b", 10, 20, 1)]);
        assert!(coverage.gaps.is_empty());
        assert_eq!(coverage.overlaps.len(), 1);
        assert_eq!(
            (coverage.overlaps[0].start, coverage.overlaps[0].end),
            (Timestamp(10), Timestamp(10))
        );
    }
}
