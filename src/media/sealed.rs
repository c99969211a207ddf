//! Stored files sealed at rest: STREAM (RustCrypto's `aead-stream`) over XChaCha20-Poly1305, in
//! chunks of 64 KiB, so that a range of a video is served by opening only the chunks it covers,
//! and a file cut short, reordered, or swapped for another is refused rather than served.
//!
//! Layout: `MAGIC`, a random 19-byte nonce prefix, then every chunk's ciphertext and tag. The
//! chunk's index and whether it is the last are in its nonce; the file's stored name is its
//! associated data, so one file put in another's place does not open.

use std::io::{self, Read, Seek, SeekFrom, Write};

use aead_stream::{NewStream, StreamBE32, StreamPrimitive};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};

const MAGIC: &[u8; 8] = b"bavard\x01\x00";
const PREFIX: usize = 19;
const HEADER: u64 = (MAGIC.len() + PREFIX) as u64;
pub const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const SEALED_CHUNK: u64 = (CHUNK + TAG) as u64;

type Stream = StreamBE32<XChaCha20Poly1305>;

/// The key files are sealed with: random, kept in the (encrypted) database.
#[derive(Clone)]
pub struct FileKey([u8; 32]);

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileKey(…)")
    }
}

impl FileKey {
    pub fn from_bytes(bytes: &[u8]) -> Option<FileKey> {
        bytes.try_into().ok().map(FileKey)
    }

    fn stream(&self, prefix: &[u8; PREFIX]) -> Stream {
        let aead = XChaCha20Poly1305::new(&self.0.into());
        Stream::from_aead(aead, &(*prefix).into())
    }
}

fn refused() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "a stored file does not open with the instance's key (damaged, or not sealed)",
    )
}

/// Reads `source` to its end and writes it sealed to `out`, under `name` (the name it is
/// stored as). Answers the plain length.
pub fn seal(
    key: &FileKey,
    name: &str,
    source: &mut dyn Read,
    out: &mut dyn Write,
) -> io::Result<u64> {
    let mut prefix = [0u8; PREFIX];
    getrandom::fill(&mut prefix).map_err(io::Error::other)?;
    let stream = key.stream(&prefix);
    out.write_all(MAGIC)?;
    out.write_all(&prefix)?;
    // A chunk is known to be the last only once the next one comes up empty.
    let mut current = Vec::with_capacity(CHUNK + TAG);
    let mut next = Vec::with_capacity(CHUNK + TAG);
    fill(source, &mut current)?;
    let mut position: u32 = 0;
    let mut total = 0u64;
    loop {
        let last = current.len() < CHUNK || {
            fill(source, &mut next)?;
            next.is_empty()
        };
        total += current.len() as u64;
        stream
            .encrypt_in_place(position, last, name.as_bytes(), &mut current)
            .map_err(|_| io::Error::other("cannot seal a chunk"))?;
        out.write_all(&current)?;
        if last {
            return Ok(total);
        }
        std::mem::swap(&mut current, &mut next);
        position = position
            .checked_add(1)
            .ok_or_else(|| io::Error::other("a file too large to seal"))?;
    }
}

/// Reads up to one chunk into `buffer` (emptied first).
fn fill(source: &mut dyn Read, buffer: &mut Vec<u8>) -> io::Result<()> {
    buffer.clear();
    source.take(CHUNK as u64).read_to_end(buffer)?;
    Ok(())
}

/// Is this the beginning of a sealed file?
pub fn looks_sealed(first_bytes: &[u8]) -> bool {
    first_bytes.starts_with(MAGIC)
}

/// A sealed file opened for reading, with `Read` and `Seek` over its plain bytes. Each chunk
/// is checked as it is read; one that does not open is an `InvalidData` error.
pub struct Unsealed<R> {
    inner: R,
    stream: Stream,
    name: String,
    plain_len: u64,
    chunks: u64,
    position: u64,
    /// The chunk last opened, and its index.
    chunk: Vec<u8>,
    chunk_index: Option<u64>,
}

impl<R: Read + Seek> Unsealed<R> {
    pub fn open(key: &FileKey, name: &str, mut inner: R) -> io::Result<Unsealed<R>> {
        let sealed_len = inner.seek(SeekFrom::End(0))?;
        inner.seek(SeekFrom::Start(0))?;
        let mut header = [0u8; HEADER as usize];
        inner.read_exact(&mut header).map_err(|_| refused())?;
        if !looks_sealed(&header) {
            return Err(refused());
        }
        let mut prefix = [0u8; PREFIX];
        prefix.copy_from_slice(&header[MAGIC.len()..]);
        let body = sealed_len - HEADER;
        let (full, rest) = (body / SEALED_CHUNK, body % SEALED_CHUNK);
        let (chunks, plain_len) = match rest {
            0 if full > 0 => (full, full * CHUNK as u64),
            r if r >= TAG as u64 => (full + 1, full * CHUNK as u64 + r - TAG as u64),
            _ => return Err(refused()),
        };
        Ok(Unsealed {
            inner,
            stream: key.stream(&prefix),
            name: name.to_owned(),
            plain_len,
            chunks,
            position: 0,
            chunk: Vec::with_capacity(CHUNK + TAG),
            chunk_index: None,
        })
    }

    /// The plain length, which is what is served.
    pub fn len(&self) -> u64 {
        self.plain_len
    }

    pub fn is_empty(&self) -> bool {
        self.plain_len == 0
    }

    fn load(&mut self, index: u64) -> io::Result<()> {
        if self.chunk_index == Some(index) {
            return Ok(());
        }
        self.chunk_index = None;
        self.inner
            .seek(SeekFrom::Start(HEADER + index * SEALED_CHUNK))?;
        self.chunk.clear();
        (&mut self.inner)
            .take(SEALED_CHUNK)
            .read_to_end(&mut self.chunk)?;
        let position = u32::try_from(index).map_err(|_| refused())?;
        let last = index + 1 == self.chunks;
        self.stream
            .decrypt_in_place(position, last, self.name.as_bytes(), &mut self.chunk)
            .map_err(|_| refused())?;
        self.chunk_index = Some(index);
        Ok(())
    }
}

impl<R: Read + Seek> Read for Unsealed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.plain_len || buf.is_empty() {
            return Ok(0);
        }
        let index = self.position / CHUNK as u64;
        self.load(index)?;
        let offset = (self.position % CHUNK as u64) as usize;
        let available = &self.chunk[offset..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.position += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Unsealed<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.plain_len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        self.position = target.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "a seek before the start")
        })?;
        Ok(self.position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn key() -> FileKey {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).unwrap();
        FileKey(bytes)
    }

    fn sealed(key: &FileKey, name: &str, plain: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let len = seal(key, name, &mut Cursor::new(plain), &mut out).unwrap();
        assert_eq!(len, plain.len() as u64);
        out
    }

    fn opened(key: &FileKey, name: &str, bytes: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut reader = Unsealed::open(key, name, Cursor::new(bytes))?;
        let mut plain = Vec::new();
        reader.read_to_end(&mut plain)?;
        Ok(plain)
    }

    #[test]
    fn every_length_reads_back_whole_and_hides_its_bytes() {
        let key = key();
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 77] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let bytes = sealed(&key, "f", &plain);
            assert_eq!(
                opened(&key, "f", bytes.clone()).unwrap(),
                plain,
                "length {len}"
            );
            if len >= 16 {
                assert!(
                    !bytes.windows(16).any(|w| w == &plain[..16]),
                    "no plain run of bytes is stored"
                );
            }
        }
    }

    #[test]
    fn a_range_anywhere_reads_what_the_plain_file_holds_there() {
        let key = key();
        let plain: Vec<u8> = (0..(2 * CHUNK + 500))
            .map(|i| (i * 7 % 256) as u8)
            .collect();
        let mut reader = Unsealed::open(&key, "v", Cursor::new(sealed(&key, "v", &plain))).unwrap();
        assert_eq!(reader.len(), plain.len() as u64);
        for start in [0, 5, CHUNK - 3, CHUNK, 2 * CHUNK + 499] {
            reader.seek(SeekFrom::Start(start as u64)).unwrap();
            let mut got = vec![0u8; (plain.len() - start).min(10)];
            reader.read_exact(&mut got).unwrap();
            assert_eq!(got, plain[start..start + got.len()], "from {start}");
        }
    }

    #[test]
    fn a_damaged_cut_swapped_or_foreign_file_is_refused() {
        let key = key();
        let plain = vec![42u8; 2 * CHUNK + 10];
        let good = sealed(&key, "a", &plain);
        let mut flipped = good.clone();
        flipped[HEADER as usize + 100] ^= 1;
        assert!(opened(&key, "a", flipped).is_err(), "a flipped bit");
        let cut = good[..(HEADER + 2 * SEALED_CHUNK) as usize].to_vec();
        assert!(opened(&key, "a", cut).is_err(), "the last chunk dropped");
        assert!(
            opened(&key, "b", good.clone()).is_err(),
            "under another name"
        );
        assert!(opened(&self::key(), "a", good).is_err(), "another key");
        assert!(opened(&key, "a", plain).is_err(), "a plain file");
    }
}
