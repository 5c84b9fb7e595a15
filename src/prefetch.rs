//! Hints that ask the CPU to start loading memory before it is read. Reading an export is
//! bound by memory as much as by parsing: the bytes of a mapped file are touched once, in
//! order, but the records are walked field by field and values are stepped over, a pattern the
//! CPU's own prefetcher follows poorly (it stops at every 4 KiB page). Hints change no result.

/// How far ahead of the record being read its input is fetched: a record or two.
const READ_AHEAD: usize = 4096;

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
    /// Where the next cache line to ask for starts.
    fetched: usize,
}

impl ReadAhead {
    /// Called as the reader reaches `pos` in `data`, going forwards.
    pub fn reached(&mut self, data: &[u8], pos: usize) {
        let until = (pos + READ_AHEAD).min(data.len());
        let mut at = self.fetched.max(pos);
        while at < until {
            prefetch(data.as_ptr().wrapping_add(at));
            at += 64;
        }
        self.fetched = at;
    }
}
