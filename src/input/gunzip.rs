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
    /// The failure after the bytes last handed on.
    failed: Option<io::Error>,
}

impl<R: BufRead> Gunzip<R> {
    pub fn new(inner: R) -> Gunzip<R> {
        Gunzip {
            inner,
            inflate: Decompress::new_gzip(WINDOW_BITS),
            between_members: false,
            failed: None,
        }
    }
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
            match status {
                Ok(Status::StreamEnd) => {
                    self.between_members = true;
                    if produced > 0 {
                        return Ok(produced);
                    }
                }
                Ok(_) if produced > 0 => return Ok(produced),
                Ok(_) if at_end => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "incomplete deflate stream",
                    ));
                }
                Ok(_) => {}
                Err(error) => {
                    let error = io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "corrupt gzip data ({})",
                            error.message().unwrap_or("invalid data")
                        ),
                    );
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
