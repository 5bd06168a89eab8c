//! Output files appear whole or not at all: write to a temporary file beside the target, flush,
//! then rename over it, so a killed run never leaves half a model or half a CSV.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Write `bytes` to `path` atomically (creating parent folders).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Let `fill` write the file's content through a buffered writer; on success the file replaces
/// `path` in one rename, on failure the temporary file is removed and `path` is untouched.
pub fn write_atomic_with<E>(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<io::Error>,
{
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let tmp = temp_path(path);
    let result = (|| {
        let file = File::create(&tmp)?;
        let mut writer = BufWriter::new(file);
        fill(&mut writer)?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `dir/.name.<pid>.<n>.tmp`: hidden, unique per process and call, same filesystem as the target.
fn temp_path(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_file_and_replaces_old() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sub/out.csv");
        write_atomic(&p, b"first").expect("write");
        write_atomic(&p, b"second").expect("write");
        assert_eq!(fs::read(&p).expect("read"), b"second");
        let leftovers: Vec<_> = fs::read_dir(p.parent().expect("parent"))
            .expect("ls")
            .collect();
        assert_eq!(leftovers.len(), 1, "no temp files left");
    }

    #[test]
    fn failure_leaves_old_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("model.bin");
        write_atomic(&p, b"good").expect("write");
        let r: Result<(), io::Error> = write_atomic_with(&p, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("killed"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read(&p).expect("read"), b"good");
        assert_eq!(fs::read_dir(dir.path()).expect("ls").count(), 1);
    }
}
