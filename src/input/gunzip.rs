//! Decompressing gzip input (any number of members, one after another).
//!
//! flate2's readers drop what the failing call had decompressed when the data turns out
//! corrupt: up to hundreds of kilobytes of good records before the fault, and how much
//! depends on how the input arrived (a pipe delivers it in varying pieces). This reader hands
//! on everything decompressed before a failure and reports the failure on the next read, so a
//! broken file is read up to the fault, the same way whatever the pieces.

use std::io::{self, BufRead, Read};

use flate2::{Decompress, FlushDecompress, Status};

/// zlib's largest window, as gzip writers use.
const WINDOW_BITS: u8 = 15;

pub struct Gunzip<R> {
    inner: R,
    inflate: Decompress,
    /// A member ended: the next byte, if any, starts another.
    between_members: bool,
    /// The data handed on so far ends where a member ended, checksum and all.
    at_member_end: bool,
    /// The failure after the bytes last handed on.
    failed: Option<io::Error>,
}

impl<R: BufRead> Gunzip<R> {
    pub fn new(inner: R) -> Gunzip<R> {
        Gunzip {
            inner,
            inflate: Decompress::new_gzip(WINDOW_BITS),
            between_members: false,
            at_member_end: false,
            failed: None,
        }
    }
}

impl<R> Gunzip<R> {
    /// The failure to report, of `kind` unless the data handed on is whole regardless: it
    /// ended with a member (what follows is no gzip member, or one cut before any data), or
    /// only its checksum failed. Those are [`io::ErrorKind::Other`], so that a reader knows
    /// the last record it holds was not cut.
    fn failure(&self, kind: io::ErrorKind, message: Option<&str>) -> io::Error {
        let checksum = matches!(
            message,
            Some("incorrect data check" | "incorrect length check")
        );
        let kind = if self.at_member_end || checksum {
            io::ErrorKind::Other
        } else {
            kind
        };
        let text = match message {
            Some(message) => format!("corrupt gzip data ({message})"),
            None => "incomplete deflate stream".to_string(),
        };
        io::Error::new(kind, text)
    }
}

/// Whether `error`, from a [`Gunzip`], may have cut the last record read before it.
pub fn may_have_cut(error: &io::Error) -> bool {
    error.kind() != io::ErrorKind::Other
}

impl<R: BufRead> Read for Gunzip<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(failed) = self.failed.take() {
            return Err(failed);
        }
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let input = self.inner.fill_buf()?;
            let at_end = input.is_empty();
            if self.between_members {
                if at_end {
                    return Ok(0);
                }
                self.inflate = Decompress::new_gzip(WINDOW_BITS);
                self.between_members = false;
            }
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let flush = if at_end {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let status = self.inflate.decompress(input, out, flush);
            let consumed = (self.inflate.total_in() - in_before) as usize;
            let produced = (self.inflate.total_out() - out_before) as usize;
            self.inner.consume(consumed);
            if produced > 0 {
                self.at_member_end = false;
            }
            match status {
                Ok(Status::StreamEnd) => {
                    self.between_members = true;
                    self.at_member_end = true;
                    if produced > 0 {
                        return Ok(produced);
                    }
                }
                Ok(_) if produced > 0 => return Ok(produced),
                Ok(_) if at_end => return Err(self.failure(io::ErrorKind::UnexpectedEof, None)),
                Ok(_) => {}
                Err(error) => {
                    let error = self.failure(io::ErrorKind::InvalidData, error.message());
                    if produced == 0 {
                        return Err(error);
                    }
                    self.failed = Some(error);
                    return Ok(produced);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    /// Reads all of `compressed`, its input handed over `piece` bytes at a time: what came
    /// out, and the failure that ended it.
    fn read_all(compressed: &[u8], piece: usize) -> (Vec<u8>, Option<String>) {
        let reader = io::BufReader::with_capacity(piece, compressed);
        let mut gunzip = Gunzip::new(reader);
        let mut out = Vec::new();
        let mut block = [0u8; 1000];
        loop {
            match gunzip.read(&mut block) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&block[..n]),
                Err(error) => return (out, Some(error.to_string())),
            }
        }
    }

    fn text(lines: usize) -> Vec<u8> {
        (0..lines)
            .flat_map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", i * 7919).into_bytes())
            .collect()
    }

    #[test]
    fn members_one_after_another_read_as_one() {
        let (first, second) = (text(300), text(50));
        let mut compressed = gzip(&first);
        compressed.extend(gzip(&second));
        let (out, failed) = read_all(&compressed, 64);
        assert_eq!(failed, None);
        assert_eq!(out, [first, second].concat());
    }

    #[test]
    fn a_cut_file_gives_all_it_holds_then_fails() {
        let data = text(2000);
        let compressed = gzip(&data);
        let cut = &compressed[..compressed.len() / 2];
        let (out, failed) = read_all(cut, 4096);
        assert_eq!(failed.as_deref(), Some("incomplete deflate stream"));
        assert!(out.len() > data.len() / 3, "{} bytes", out.len());
        assert_eq!(out[..], data[..out.len()]);
    }

    /// A fault in the data: what comes out before it is the same however the input arrives,
    /// and is the start of the original data up to the fault.
    #[test]
    fn a_corrupt_file_gives_the_same_bytes_before_the_fault_in_any_pieces() {
        let data = text(4000);
        let mut compressed = gzip(&data);
        let at = compressed.len() / 2;
        compressed[at] ^= 0xff;
        compressed[at + 1] ^= 0x55;
        let (whole, failed) = read_all(&compressed, 1 << 16);
        assert!(failed.is_some_and(|f| f.starts_with("corrupt gzip data")));
        for piece in [1, 7, 100, 4096] {
            assert_eq!(read_all(&compressed, piece).0, whole, "pieces of {piece}");
        }
        // Before the fault the data is the original's; the fault itself may garble a little.
        let common = whole.iter().zip(&data).take_while(|(a, b)| a == b).count();
        assert!(common > data.len() / 4, "{common} bytes before the fault");
    }

    /// Reads all of `compressed` and returns whether its failure may have cut the data.
    fn may_cut(compressed: &[u8]) -> bool {
        let mut gunzip = Gunzip::new(compressed);
        let mut out = Vec::new();
        let failure = gunzip.read_to_end(&mut out).unwrap_err();
        may_have_cut(&failure)
    }

    #[test]
    fn only_a_failure_inside_the_data_may_have_cut_it() {
        let data = text(300);
        let whole = gzip(&data);
        // Cut inside the data, and inside the trailer after it: either may have cut a record.
        assert!(may_cut(&whole[..whole.len() / 2]));
        assert!(may_cut(&whole[..whole.len() - 4]));
        // Zero padding, text, or a member cut in its header after a whole member: the data
        // before is whole.
        for after in [&[0u8; 16][..], b"junk", &[0x1f, 0x8b]] {
            assert!(!may_cut(&[&whole[..], after].concat()), "{after:?}");
        }
        // A checksum that fails: the data came out whole, if altered.
        let mut bad_check = whole.clone();
        let crc = bad_check.len() - 8;
        bad_check[crc] ^= 1;
        assert!(!may_cut(&bad_check));
    }

    #[test]
    fn a_wrong_checksum_fails_after_the_data() {
        let data = text(100);
        let mut compressed = gzip(&data);
        let crc = compressed.len() - 8;
        compressed[crc] ^= 1;
        let (out, failed) = read_all(&compressed, 512);
        assert_eq!(out, data);
        assert_eq!(
            failed.as_deref(),
            Some("corrupt gzip data (incorrect data check)")
        );
    }
}
