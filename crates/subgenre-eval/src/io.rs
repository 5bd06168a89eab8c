//! Atomic file writing: write a temporary file in the target's folder, then rename it.

use std::path::Path;

use serde::Serialize;

use crate::error::{EvalError, Result};

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> EvalError + '_ {
    move |source| EvalError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `bytes` to `path` atomically (creating missing folders): readers see the old file or
/// the new one, never a half-written one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    subgenre_core::write_atomic(path, bytes).map_err(io_err(path))
}

/// Serialises `value` as pretty JSON (with a final newline) and writes it atomically.
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(|source| EvalError::Json {
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
        // A file where a folder should be: the error names the path.
        let blocked = dir.path().join("a.json/b.json");
        match write_atomic(&blocked, b"x") {
            Err(EvalError::Io { path, .. }) => assert_eq!(path, blocked),
            other => panic!("expected an I/O error, got {other:?}"),
        }
    }
}
