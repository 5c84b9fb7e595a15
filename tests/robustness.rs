//! No input makes the reader panic: every fixture cut at every length and with bytes changed at
//! random (a fixed-seed generator, so failures repeat) is read, and every record is either
//! counted or reported as skipped.

mod common;

use authsift::input::detect;
use common::testdata;

/// A small deterministic generator (xorshift64*), so that a failing case can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Detects and reads `data` whole and in small chunks, as the pipeline would.
fn read_all(data: &[u8]) {
    let Ok(detected) = detect(data) else { return };
    let whole = detected.shape.read_chunk(&data[detected.body_start..]);
    let mut splitter = detected.shape.splitter(detected.body_start);
    let mut start = detected.body_start;
    let (mut events, mut problems) = (0, 0);
    while start < data.len() {
        let end = splitter.next_cut(data, start + 13).unwrap_or(data.len());
        assert!(end > start && end <= data.len());
        let chunk = detected.shape.read_chunk(&data[start..end]);
        events += chunk.events.len();
        problems += chunk.problems.len();
        start = end;
    }
    // Well-formed input reads the same however it is cut.
    if whole.problems.is_empty() && problems == 0 {
        assert_eq!(events, whole.events.len());
    }
}

const FIXTURES: [&str; 6] = [
    "shapes/events.json",
    "shapes/pages.json",
    "shapes/events.ndjson",
    "shapes/events-admin.csv",
    "shapes/events-camel.csv",
    "shapes/events-hook.json",
];

#[test]
fn every_truncation_is_read_without_panic() {
    for name in FIXTURES {
        let data = std::fs::read(testdata(name)).unwrap();
        for len in 0..data.len() {
            read_all(&data[..len]);
        }
    }
}

#[test]
fn random_corruption_is_read_without_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    const INTERESTING: &[u8] = b"{}[]\",:\\\n\r\x00\xff\xef\xbb\xbf 0aZ";
    for name in FIXTURES {
        let original = std::fs::read(testdata(name)).unwrap();
        for _ in 0..300 {
            let mut data = original.clone();
            for _ in 0..1 + rng.next() % 8 {
                let at = (rng.next() % data.len() as u64) as usize;
                match rng.next() % 3 {
                    0 => data[at] = INTERESTING[(rng.next() % INTERESTING.len() as u64) as usize],
                    1 => {
                        data.remove(at);
                    }
                    _ => data.insert(
                        at,
                        INTERESTING[(rng.next() % INTERESTING.len() as u64) as usize],
                    ),
                }
            }
            read_all(&data);
        }
    }
}
