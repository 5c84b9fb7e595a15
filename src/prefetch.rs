//! Hints that ask the CPU to start loading memory before it is read. Reading an export is
//! bound by memory as much as by parsing: the bytes of a mapped file are touched once, in
//! order, but the records are walked field by field and values are stepped over, a pattern the
//! CPU's own prefetcher follows poorly (it stops at every 4 KiB page). Hints change no result.

/// How far ahead of the record being read its input is fetched: a record or two.
const READ_AHEAD: usize = 4096;
/// Pages as the CPU's prefetcher sees them (it stops at every 4 KiB boundary), and as the
/// kernel maps and releases them.
pub const PAGE: usize = 4096;
/// Cache lines asked for at the start of each page ahead. The CPU's prefetcher follows a page
/// once a few of its lines have been asked for, but does not cross into the next one; asking
/// for every line of the page instead kept more loads in flight than the core holds, and NDJSON
/// and JSON arrays read 6% to 7% slower.
const LINES_PER_PAGE: usize = 4;

/// Asks the CPU to start loading the cache line at `at`; any address will do.
pub fn prefetch<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address; SSE is part of every x86-64 CPU.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// Keeps the input [`READ_AHEAD`] bytes ahead of a reader on its way to the CPU.
#[derive(Debug, Default)]
pub struct ReadAhead {
    /// Where the next page to ask for starts, as an offset into the data.
    fetched: usize,
}

impl ReadAhead {
    /// Called as the reader reaches `pos` in `data`, going forwards.
    pub fn reached(&mut self, data: &[u8], pos: usize) {
        let until = (pos + READ_AHEAD).min(data.len());
        let start = data.as_ptr();
        let mut at = self.fetched.max(pos);
        at += (PAGE - start.wrapping_add(at) as usize % PAGE) % PAGE;
        while at < until {
            for line in 0..LINES_PER_PAGE {
                prefetch(start.wrapping_add(at + line * 64));
            }
            at += PAGE;
        }
        self.fetched = at;
    }
}
