//! Where export bytes come from: files (memory-mapped), gzip files and standard input (read as
//! streams on a separate thread so decompression overlaps parsing), and directories walked in
//! sorted order.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::Mmap;
use sha2::{Digest, Sha256};

use crate::input::gunzip::Gunzip;
use crate::prefetch::{PAGE, ReadAhead};

/// One input named on the command line, or found below a directory named there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPath {
    File(PathBuf),
    Stdin,
}

impl InputPath {
    /// How the input is named in reports.
    pub fn display(&self) -> String {
        match self {
            InputPath::File(path) => path.display().to_string(),
            InputPath::Stdin => "<stdin>".into(),
        }
    }
}

/// Expands the paths given on the command line: `-` is standard input, a directory stands for
/// every file below it (sorted by path, so runs are repeatable). A path that cannot be read is
/// returned with the reason, to be reported by name while the others are still read.
pub fn expand(paths: &[PathBuf]) -> Vec<Result<InputPath, (String, String)>> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Ok(InputPath::Stdin));
        } else {
            walk(path, &mut inputs);
        }
    }
    inputs
}

fn walk(path: &Path, inputs: &mut Vec<Result<InputPath, (String, String)>>) {
    let name = path.display().to_string();
    match std::fs::metadata(path) {
        Err(error) => inputs.push(Err((name, describe_io(&error)))),
        Ok(meta) if meta.is_dir() => match std::fs::read_dir(path) {
            Err(error) => inputs.push(Err((name, describe_io(&error)))),
            Ok(entries) => {
                let mut children: Vec<PathBuf> =
                    entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                children.sort();
                for child in children {
                    walk(&child, inputs);
                }
            }
        },
        Ok(_) => inputs.push(Ok(InputPath::File(path.to_path_buf()))),
    }
}

/// An I/O error in words, without the `(os error N)` suffix.
pub fn describe_io(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_string(),
                None => text,
            }
        }
    }
}

/// The bytes of one opened input.
pub enum Opened {
    /// A plain file mapped into memory (or read, when it is too small or cannot be mapped).
    Mapped(Mapped),
    /// A gzip file or standard input: read block by block.
    Stream(Box<dyn Read + Send>),
}

pub enum Mapped {
    Map(Mmap),
    Bytes(Vec<u8>),
}

impl Mapped {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Mapped::Map(map) => map,
            Mapped::Bytes(bytes) => bytes,
        }
    }

    /// Lets the kernel drop the pages of `start..end` from this process's resident memory once
    /// they have been read, so that a multi-gigabyte export is read in bounded memory. The
    /// pages stay in the page cache, and touching them again simply maps them back in.
    pub fn release(&self, start: usize, end: usize) {
        let Mapped::Map(map) = self else { return };
        let first = start.div_ceil(PAGE) * PAGE;
        let last = (end / PAGE) * PAGE;
        if last > first {
            // SAFETY: the mapping is a read-only view of a file, so dropping its pages loses
            // nothing: a later access re-reads the same bytes from the file. An error only
            // means the memory stays resident.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, first, last - first)
            };
        }
    }

    /// SHA-256 of the bytes, releasing them as it goes. The hash asks for each page ahead of
    /// time, as the readers do: left to the CPU's own prefetcher, which stops at every page,
    /// it waits on memory for a third of its time (1 GB: 0.9 s of CPU instead of 0.6 s).
    pub fn sha256(&self) -> String {
        const BLOCK: usize = 8 << 20;
        let data = self.bytes();
        let mut hash = Sha256::new();
        let mut ahead = ReadAhead::default();
        for (i, block) in data.chunks(BLOCK).enumerate() {
            let start = i * BLOCK;
            for (j, page) in block.chunks(PAGE).enumerate() {
                ahead.reached(data, start + j * PAGE);
                hash.update(page);
            }
            self.release(start, start + block.len());
        }
        hex_digest(hash)
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An opened input: its bytes, whether it is gzip, and how many raw bytes it holds.
pub struct Source {
    pub opened: Opened,
    pub gzip: bool,
    /// Raw (compressed) bytes read so far, for progress and the file size of streams.
    pub raw_read: Arc<AtomicU64>,
    /// SHA-256 of the raw bytes, filled in by the stream reader as it goes.
    pub raw_hash: Option<Arc<std::sync::Mutex<Sha256>>>,
}

impl Source {
    pub fn open(input: &InputPath, hash: bool) -> io::Result<Source> {
        let raw_read = Arc::new(AtomicU64::new(0));
        let raw_hash = hash.then(|| Arc::new(std::sync::Mutex::new(Sha256::new())));
        match input {
            InputPath::File(path) => {
                let mut file = File::open(path)?;
                let len = file.metadata()?.len();
                let mut head = [0u8; 2];
                let got = file.read(&mut head)?;
                file.seek(io::SeekFrom::Start(0))?;
                if head[..got] == GZIP_MAGIC {
                    // Streamed, not mapped: only the decompressed blocks need to be in memory.
                    let reader = Counting {
                        inner: file,
                        read: raw_read.clone(),
                        hash: raw_hash.clone(),
                    };
                    return Ok(Source {
                        opened: Opened::Stream(Box::new(gunzip(reader))),
                        gzip: true,
                        raw_read,
                        raw_hash,
                    });
                }
                // SAFETY: the evidence file is opened read-only; authsift never writes to its
                // inputs, and a concurrent writer would at worst change the bytes parsed.
                let mapped = if len == 0 {
                    Mapped::Bytes(Vec::new())
                } else {
                    match unsafe { Mmap::map(&file) } {
                        Ok(map) => {
                            let _ = map.advise(memmap2::Advice::Sequential);
                            Mapped::Map(map)
                        }
                        Err(_) => {
                            let mut bytes = Vec::new();
                            (&file).read_to_end(&mut bytes)?;
                            Mapped::Bytes(bytes)
                        }
                    }
                };
                raw_read.store(mapped.bytes().len() as u64, Ordering::Relaxed);
                Ok(Source {
                    opened: Opened::Mapped(mapped),
                    gzip: false,
                    raw_read,
                    raw_hash,
                })
            }
            InputPath::Stdin => {
                let mut stdin = io::stdin().lock();
                let mut head = [0u8; 2];
                let mut got = 0;
                while got < 2 {
                    match stdin.read(&mut head[got..])? {
                        0 => break,
                        n => got += n,
                    }
                }
                drop(stdin);
                let head = head[..got].to_vec();
                let gzip = head == GZIP_MAGIC;
                let reader = Counting {
                    inner: io::Cursor::new(head).chain(io::stdin()),
                    read: raw_read.clone(),
                    hash: raw_hash.clone(),
                };
                let opened: Box<dyn Read + Send> = if gzip {
                    Box::new(gunzip(reader))
                } else {
                    Box::new(reader)
                };
                Ok(Source {
                    opened: Opened::Stream(opened),
                    gzip,
                    raw_read,
                    raw_hash,
                })
            }
        }
    }
}

/// A gzip decompressor over `reader`, read in pieces of 64 KiB.
pub fn gunzip<R: Read>(reader: R) -> Gunzip<io::BufReader<R>> {
    Gunzip::new(io::BufReader::with_capacity(1 << 16, reader))
}

/// Counts (and optionally hashes) the raw bytes a stream reader consumes.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
    hash: Option<Arc<std::sync::Mutex<Sha256>>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(hash) = &self.hash
            && let Ok(mut hash) = hash.lock()
        {
            hash.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// The size and (with `hash`) SHA-256 of the file at `path`, read whole: the custody facts of
/// a compressed file whose decompression stopped before its end.
pub fn file_facts(path: &Path, hash: bool) -> io::Result<(u64, Option<String>)> {
    let mut file = File::open(path)?;
    if !hash {
        return Ok((file.metadata()?.len(), None));
    }
    let mut digest = Sha256::new();
    let mut block = vec![0u8; 1 << 16];
    let mut len = 0u64;
    loop {
        match file.read(&mut block) {
            Ok(0) => return Ok((len, Some(hex_digest(digest)))),
            Ok(n) => {
                digest.update(&block[..n]);
                len += n as u64;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// Lower-case hex of a SHA-256 digest.
pub fn hex_digest(hash: Sha256) -> String {
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash walks the bytes page by page within blocks; every way a length can fall
    /// against those boundaries gives the digest of the bytes taken whole.
    #[test]
    fn sha256_of_mapped_bytes_is_the_digest_of_the_whole() {
        const BLOCK: usize = 8 << 20;
        for len in [0, 1, 4095, 4096, 4097, BLOCK - 1, BLOCK, BLOCK + 4097] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let expected = hex_digest(Sha256::new_with_prefix(&bytes));
            assert_eq!(Mapped::Bytes(bytes).sha256(), expected, "{len} bytes");
        }
        assert_eq!(
            Mapped::Bytes(b"abc".to_vec()).sha256(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
