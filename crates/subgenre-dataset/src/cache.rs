//! The cache folder for everything derived (the unpacked demo set, feature tables, mel stores,
//! finished training runs). Entries are keyed by a hash of their inputs, so a changed input
//! makes a new entry instead of silently reusing a stale one.

use std::path::{Path, PathBuf};

use crate::error::{DatasetError, Result};

/// A cache root: `--cache DIR`, else `$XDG_CACHE_HOME/subgenre`, else `~/.cache/subgenre`.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// Space used by one kind of entry (a top-level folder of the cache).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CacheUsage {
    pub kind: String,
    pub entries: usize,
    pub bytes: u64,
}

impl Cache {
    pub fn new(explicit: Option<PathBuf>) -> Result<Self> {
        let root = match explicit {
            Some(p) => p,
            None => default_root().ok_or_else(|| DatasetError::NotADataFolder {
                path: PathBuf::from("~/.cache"),
                reason: "no cache folder: set --cache, XDG_CACHE_HOME or HOME".into(),
            })?,
        };
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder for one kind of entry (created on demand).
    pub fn kind_dir(&self, kind: &str) -> Result<PathBuf> {
        let dir = self.root.join(kind);
        std::fs::create_dir_all(&dir).map_err(|source| DatasetError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(dir)
    }

    /// `<root>/<kind>/<key>.<ext>`: where an entry with these inputs lives.
    pub fn entry(&self, kind: &str, key: &CacheKey, ext: &str) -> Result<PathBuf> {
        Ok(self.kind_dir(kind)?.join(format!("{}.{ext}", key.hex())))
    }

    /// Entries and bytes per kind.
    pub fn usage(&self) -> Result<Vec<CacheUsage>> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Ok(out);
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                let n = std::fs::read_dir(&path).map(|d| d.count()).unwrap_or(0);
                out.push(CacheUsage {
                    kind: e.file_name().to_string_lossy().into_owned(),
                    entries: n,
                    bytes: dir_size(&path),
                });
            }
        }
        out.sort_by(|a, b| a.kind.cmp(&b.kind));
        Ok(out)
    }

    /// Remove everything under the cache root; returns the bytes freed.
    pub fn clean(&self) -> Result<u64> {
        if !self.root.exists() {
            return Ok(0);
        }
        let bytes = dir_size(&self.root);
        std::fs::remove_dir_all(&self.root).map_err(|source| DatasetError::Io {
            path: self.root.clone(),
            source,
        })?;
        Ok(bytes)
    }
}

fn default_root() -> Option<PathBuf> {
    let from_env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from_env("XDG_CACHE_HOME")
        .or_else(|| from_env("HOME").map(|h| h.join(".cache")))
        .map(|base| base.join("subgenre"))
}

fn dir_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|d| d.flatten().map(|e| dir_size(&e.path())).sum())
        .unwrap_or(0)
}

/// A stable 64-bit FNV-1a hash of an entry's inputs (stable across Rust versions, unlike
/// `DefaultHasher`, so cache entries survive an upgrade of the toolchain).
#[derive(Debug, Clone, Default)]
pub struct CacheKey(subgenre_core::Fnv1a);

impl CacheKey {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn bytes(mut self, bytes: &[u8]) -> Self {
        // A separator byte, so that ("ab", "c") and ("a", "bc") differ.
        self.0.write(bytes);
        self.0.write(&[0xff]);
        self
    }
    pub fn str(self, s: &str) -> Self {
        self.bytes(s.as_bytes())
    }
    pub fn num(self, v: impl ToString) -> Self {
        self.str(&v.to_string())
    }
    /// A file's identity without reading it: path, size and modification time.
    pub fn file(self, path: &Path) -> Self {
        let meta = std::fs::metadata(path).ok();
        let size = meta.as_ref().map_or(0, |m| m.len());
        let mtime = meta
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        self.str(&path.to_string_lossy()).num(size).num(mtime)
    }
    pub fn hex(&self) -> String {
        self.0.hex()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_with_inputs_and_are_stable() {
        let a = CacheKey::new().str("mel").num(128).hex();
        assert_eq!(a, CacheKey::new().str("mel").num(128).hex());
        assert_ne!(a, CacheKey::new().str("mel").num(256).hex());
        // Field boundaries count: ("ab","c") is not ("a","bc").
        assert_ne!(
            CacheKey::new().str("ab").str("c").hex(),
            CacheKey::new().str("a").str("bc").hex()
        );
    }

    #[test]
    fn usage_and_clean() {
        let dir = tempfile::tempdir().expect("tmp");
        let cache = Cache::new(Some(dir.path().join("c"))).expect("cache");
        let p = cache
            .entry("features", &CacheKey::new().str("x"), "csv")
            .expect("entry");
        std::fs::write(&p, b"12345").expect("write");
        let usage = cache.usage().expect("usage");
        assert_eq!(usage.len(), 1);
        assert_eq!(usage[0].kind, "features");
        assert_eq!(usage[0].bytes, 5);
        assert_eq!(cache.clean().expect("clean"), 5);
        assert!(!cache.root().exists());
    }
}
