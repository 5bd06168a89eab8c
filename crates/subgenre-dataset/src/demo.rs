//! The bundled demo set: 30 real clips of the study (6 per five-class label, each from its own
//! track), embedded in the binary and unpacked into the cache on first use, so every command
//! has a default data set on a fresh clone or after `cargo install`.

use std::path::PathBuf;

use crate::cache::{Cache, CacheKey};
use crate::error::{DatasetError, Result};

include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));

/// Name of the default data set in messages and reports.
pub const DEMO_NAME: &str = "demo (bundled)";

/// Files of the embedded demo set: (relative path, bytes).
pub fn files() -> &'static [(&'static str, &'static [u8])] {
    DEMO_FILES
}

/// Unpack the demo set into the cache (once per content) and return its data folder.
pub fn unpack(cache: &Cache) -> Result<PathBuf> {
    let key = DEMO_FILES
        .iter()
        .fold(CacheKey::new(), |k, (name, bytes)| k.str(name).bytes(bytes));
    let parent = cache.kind_dir("demo")?;
    let dir = parent.join(key.hex());
    if dir.join(crate::dataset::LABELS_FILE).is_file() {
        return Ok(dir);
    }
    if DEMO_FILES.is_empty() {
        return Err(DatasetError::NotADataFolder {
            path: dir,
            reason: "this build has no embedded demo set".into(),
        });
    }
    let io = |path: PathBuf| move |source| DatasetError::Io { path, source };
    // Unpack beside the final folder, then rename: a killed run leaves no half set.
    let tmp = parent.join(format!(".{}.{}.tmp", key.hex(), std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    for (name, bytes) in DEMO_FILES {
        let path = tmp.join(name);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(io(p.to_owned()))?;
        }
        std::fs::write(&path, bytes).map_err(io(path.clone()))?;
    }
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => Ok(dir),
        // Another process unpacked it first: use theirs.
        Err(_) if dir.join(crate::dataset::LABELS_FILE).is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dir)
        }
        Err(source) => Err(DatasetError::Io { path: dir, source }),
    }
}
