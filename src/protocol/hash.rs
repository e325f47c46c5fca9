//! The document hash (rule H-1): KOReader's `util.partialMD5`, which BookLore's
//! library scan reproduces. MD5 over up to twelve 1 KiB samples at offsets 0,
//! 1 KiB, 4 KiB, 16 KiB, … 1 GiB, stopping at the first offset at or past end
//! of file; the last sample is truncated, never padded.

use md5::{Digest, Md5};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes in one sample.
pub const SAMPLE_LEN: u64 = 1024;

/// The sample offsets, in reading order: 0, then `1024 << 2i` for i = 0..=10.
pub fn sample_offsets() -> impl Iterator<Item = u64> {
    std::iter::once(0).chain((0..=10).map(|i| SAMPLE_LEN << (2 * i)))
}

/// Hash anything seekable (a file, an in-memory cursor).
pub fn partial_md5_reader<R: Read + Seek>(mut reader: R) -> std::io::Result<String> {
    let len = reader.seek(SeekFrom::End(0))?;
    let mut md5 = Md5::new();
    let mut buf = [0u8; SAMPLE_LEN as usize];
    for offset in sample_offsets() {
        if offset >= len {
            break;
        }
        reader.seek(SeekFrom::Start(offset))?;
        let want = SAMPLE_LEN.min(len - offset) as usize;
        reader.read_exact(&mut buf[..want])?;
        md5.update(&buf[..want]);
    }
    Ok(hex::encode(md5.finalize()))
}

/// Hash a file on disk. Anything but a regular file (a directory, a FIFO that
/// would block on open) is refused with an error rather than read.
pub fn partial_md5_file(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let file = std::fs::File::open(path)?;
    partial_md5_reader(file)
}

/// Hash bytes in memory.
pub fn partial_md5_bytes(bytes: &[u8]) -> String {
    partial_md5_reader(std::io::Cursor::new(bytes)).expect("reading a cursor cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_koreaders() {
        let v: Vec<u64> = sample_offsets().collect();
        assert_eq!(v.len(), 12);
        assert_eq!(&v[..4], &[0, 1024, 4096, 16384]);
        assert_eq!(*v.last().unwrap(), 1 << 30);
    }

    #[test]
    fn empty_file_is_md5_of_nothing() {
        assert_eq!(partial_md5_bytes(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn small_file_is_plain_md5() {
        // Under 1 KiB only the first sample exists, so it equals a plain MD5.
        assert_eq!(
            partial_md5_bytes(b"abc"),
            "900150983cd24fb0d6963f7d28e17f72"
        );
    }
}
