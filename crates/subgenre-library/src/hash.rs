//! Telling files apart by content, and by size and mtime without reading them.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::UNIX_EPOCH;

use subgenre_core::Fnv1a;

/// FNV-1a 64 of the whole file (tags included).
///
/// The whole file, not a sample of blocks, so that any change of content changes the hash;
/// reading it costs about what decoding it for analysis does, and a scan reads only new or
/// changed files. Tags count too: tagging through [`crate::tag`] stores the new hash, so a
/// rescan does not take a tagged file for a changed one. FNV is not collision-proof, but a
/// hash match only ever moves a track whose old file is gone, with the same size.
pub fn content_hash(path: &Path) -> io::Result<u64> {
    subgenre_audio::walk::regular_file(path)?;
    let mut file = File::open(path)?;
    let mut hasher = Fnv1a::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finish());
        }
        hasher.write(&buf[..n]);
    }
}

/// Size in bytes and modification time (ns since the Unix epoch; before it, negative).
pub(crate) fn size_and_mtime(path: &Path) -> io::Result<(u64, i64)> {
    let meta = subgenre_audio::walk::regular_file(path)?;
    let modified = meta.modified()?;
    let ns = match modified.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_nanos()).unwrap_or(i64::MAX),
    };
    Ok((meta.len(), ns))
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
