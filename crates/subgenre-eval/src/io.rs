//! Atomic file writing: write a temporary file in the target's folder, then rename it.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// The folder a file is written in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to `path` atomically: readers see the old file or the new
/// one, never a half-written one. The folder must exist.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".subgenre-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io_err(path))?;
    tmp.write_all(bytes).map_err(io_err(path))?;
    tmp.as_file().sync_all().map_err(io_err(path))?;
    tmp.persist(path).map_err(|e| Error::Io {
        path: path.to_owned(),
        source: e.error,
    })?;
    Ok(())
}

/// Serialises `value` as pretty JSON (with a final newline) and writes it atomically.
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_and_leave_no_temporaries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.json");
        write_json_atomic(&path, &vec![1, 2, 3]).expect("write");
        write_json_atomic(&path, &vec![4]).expect("rewrite");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "[\n  4\n]\n");
        let names: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(names.len(), 1);
        let missing = dir.path().join("no/such/dir/a.json");
        assert!(matches!(
            write_atomic(&missing, b"x"),
            Err(Error::Io { .. })
        ));
    }
}
