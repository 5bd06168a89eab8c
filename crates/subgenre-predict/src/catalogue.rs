//! Catalogue-scale prediction as plain array jobs: deterministic shards of a file list, and a
//! JSON-lines journal that a killed job resumes from without losing or repeating a track.

use std::collections::HashSet;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::{PredictError, Result};
use subgenre_audio::walk::{Skipped, Walker};

/// The `index`-th of `count` parts of a file list (`I/N` on the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

impl Shard {
    pub fn new(index: usize, count: usize) -> Result<Self> {
        if count == 0 || index >= count {
            return Err(PredictError::InvalidOption {
                name: "shard",
                value: format!("{index}/{count}"),
                reason: "must be I/N with N at least 1 and I from 0 to N-1",
            });
        }
        Ok(Self { index, count })
    }

    /// Whether the file whose path relative to its root is `key` belongs to this shard: by
    /// FNV-1a of the key, so the parts never overlap, cover every file, and do not depend on
    /// the machine, the mount point or the order of the list.
    pub fn holds(&self, key: &str) -> bool {
        (subgenre_core::Fnv1a::of(key.as_bytes()).finish() % self.count as u64) as usize
            == self.index
    }
}

impl FromStr for Shard {
    type Err = PredictError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || PredictError::InvalidOption {
            name: "shard",
            value: s.to_string(),
            reason: "must be I/N, e.g. 0/4",
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index = i.trim().parse().map_err(|_| bad())?;
        let count = n.trim().parse().map_err(|_| bad())?;
        Self::new(index, count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The audio files under `paths` (files as given, folders walked recursively, sorted; see
/// [`subgenre_audio::walk`]), each with its shard key: its path relative to the folder given
/// (`/`-separated), or its file name when the file itself was given; and the paths the walk
/// skipped.
pub fn keyed_audio_files(paths: &[PathBuf]) -> (Vec<(PathBuf, String)>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut walker = Walker::audio();
    for root in paths {
        for file in walker.add(root) {
            let rel = if root.is_dir() {
                file.strip_prefix(root).unwrap_or(&file).to_path_buf()
            } else {
                PathBuf::from(file.file_name().unwrap_or(file.as_os_str()))
            };
            let key = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((file, key));
        }
    }
    (out, walker.into_skipped())
}

/// One line per finished file, appended as each finishes: a track object, or
/// `{"path", "error"}` ([`crate::batch::journal_line`]).
pub struct Journal {
    file: File,
    path: PathBuf,
}

/// What a journal already holds.
#[derive(Debug, Default)]
pub struct JournalState {
    /// Paths with a line (failed ones too).
    pub done: HashSet<String>,
    /// Of those, the ones whose line is an error.
    pub failed: HashSet<String>,
    /// Whether a half-written last line (left by a kill) was dropped.
    pub dropped_partial_line: bool,
}

impl Journal {
    /// Open (or create) `path` for appending. With `resume`, read what it holds first: a last
    /// line without its newline, or not JSON, is cut off; every other line's `path` is done.
    pub fn open(path: &Path, resume: bool) -> std::io::Result<(Self, JournalState)> {
        let mut state = JournalState::default();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        if resume {
            let mut keep = 0u64;
            let mut reader = BufReader::new(&file);
            let mut line = String::new();
            loop {
                line.clear();
                let n = reader.read_line(&mut line)?;
                if n == 0 {
                    break;
                }
                let complete = line.ends_with('\n');
                let value: Option<serde_json::Value> = serde_json::from_str(line.trim()).ok();
                match (complete, value) {
                    (true, Some(v)) => {
                        if let Some(p) = v.get("path").and_then(|p| p.as_str()) {
                            if v.get("error").is_some_and(|e| !e.is_null()) {
                                state.failed.insert(p.to_string());
                            }
                            state.done.insert(p.to_string());
                        }
                        keep += n as u64;
                    }
                    _ => {
                        state.dropped_partial_line = true;
                        break;
                    }
                }
            }
            if state.dropped_partial_line {
                file.set_len(keep)?;
                file.seek(std::io::SeekFrom::End(0))?;
            }
        }
        Ok((
            Self {
                file,
                path: path.to_path_buf(),
            },
            state,
        ))
    }

    /// Append one line (a JSON object without newlines) with a single write, so a kill
    /// leaves either the whole line or a partial one that [`Journal::open`] cuts off.
    pub fn append(&mut self, value: &serde_json::Value) -> std::io::Result<()> {
        let mut line = serde_json::to_string(value).map_err(std::io::Error::other)?;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.flush()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_a_list_without_overlap() {
        let keys: Vec<String> = (0..200)
            .map(|i| format!("artist{}/track{i}.mp3", i % 7))
            .collect();
        let shards: Vec<Shard> = (0..3).map(|i| Shard::new(i, 3).expect("shard")).collect();
        for key in &keys {
            assert_eq!(shards.iter().filter(|s| s.holds(key)).count(), 1, "{key}");
        }
        let sizes: Vec<usize> = shards
            .iter()
            .map(|s| keys.iter().filter(|k| s.holds(k)).count())
            .collect();
        assert!(sizes.iter().all(|&n| n > 40), "{sizes:?}");
        assert_eq!("2/3".parse::<Shard>().expect("parse"), shards[2]);
        for bad in ["3/3", "0/0", "1", "a/b", "-1/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_half_written_line_is_cut_off_on_resume() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("out.jsonl");
        std::fs::write(
            &path,
            "{\"path\":\"a.mp3\",\"label\":\"tekno\"}\n{\"path\":\"b.mp3\",\"error\":\"empty\"}\n{\"path\":\"c.m",
        )
        .expect("write");
        let (mut journal, state) = Journal::open(&path, true).expect("open");
        assert!(state.dropped_partial_line);
        assert_eq!(state.done.len(), 2);
        assert!(state.failed.contains("b.mp3"));
        journal
            .append(&serde_json::json!({"path": "c.mp3", "label": "bouncy"}))
            .expect("append");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 3);
        assert!(text.ends_with('\n'), "{text}");
        let last: serde_json::Value =
            serde_json::from_str(text.lines().last().unwrap_or_default()).expect("json");
        assert_eq!(last["path"], "c.mp3");
    }
}
