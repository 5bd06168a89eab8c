//! The run folder: what identifies a run (`run.json`), its history (`history.json`) and its
//! checkpoints (`checkpoint/`), and what can be resumed from them.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use burn::{prelude::*, store::ModuleRecord, tensor::Bytes};
use serde::{Deserialize, Serialize};

use super::config::{EpochLog, TrainConfig};
use super::hooks::{best_epoch, checkpoint_path, patience_exhausted};
use crate::data::Sample;
use crate::error::{CnnError, Result};
use crate::net::{Cnn, ModelConfig};

const HISTORY_FILE: &str = "history.json";
const RUN_FILE: &str = "run.json";
pub(super) const CHECKPOINT_DIR: &str = "checkpoint";
const CHECKPOINT_KINDS: [&str; 3] = ["model", "optim", "scheduler"];

/// A run's folder, claimed for one run.
pub(super) struct RunDir {
    pub root: PathBuf,
    /// `root/checkpoint`.
    pub checkpoints: PathBuf,
}

/// Where a run stands in its folder: the epochs finished and checkpointed so far.
pub(super) struct Resume {
    /// The history up to the resume point (empty for a fresh run).
    pub history: Vec<EpochLog>,
    /// The last epoch with complete checkpoints and a history entry, if any.
    pub after: Option<usize>,
    /// The checkpoints kept: the resume point, the one before it, and the best so far.
    pub kept: BTreeSet<usize>,
}

impl Resume {
    /// Whether the run had already ended (all epochs run, or patience exhausted).
    pub fn finished(&self, config: &TrainConfig) -> bool {
        self.after.is_some_and(|r| {
            r >= config.max_epochs || patience_exhausted(&self.history, r, config.patience)
        })
    }
}

impl RunDir {
    /// Create `root` and its checkpoint folder, refuse a folder that holds another run
    /// ([`CnnError::ArtifactMismatch`]), and record `run` in it.
    pub fn claim(root: &Path, run: &RunIdentity) -> Result<Self> {
        std::fs::create_dir_all(root).map_err(|e| CnnError::io(root, e))?;
        let checkpoints = root.join(CHECKPOINT_DIR);
        std::fs::create_dir_all(&checkpoints).map_err(|e| CnnError::io(&checkpoints, e))?;
        let run_path = root.join(RUN_FILE);
        if run_path.exists() {
            let text = std::fs::read(&run_path).map_err(|e| CnnError::io(&run_path, e))?;
            let previous: RunIdentity = serde_json::from_slice(&text)?;
            let reason = if previous.config != run.config {
                Some("configuration differs")
            } else if previous.init != run.init {
                Some("base network differs")
            } else if previous.data != run.data {
                Some("data differs")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(CnnError::ArtifactMismatch {
                    path: root.to_path_buf(),
                    reason: reason.into(),
                });
            }
        }
        subgenre_core::write_atomic(&run_path, &serde_json::to_vec_pretty(run)?)
            .map_err(|e| CnnError::io(&run_path, e))?;
        Ok(Self {
            root: root.to_path_buf(),
            checkpoints,
        })
    }

    /// `history.json`, which the epoch logger rewrites after every epoch.
    pub fn history_path(&self) -> PathBuf {
        self.root.join(HISTORY_FILE)
    }

    /// The resume point: the newest epoch both in the history and with all its checkpoint
    /// files. The history after it is dropped, and the checkpoints not kept are deleted.
    pub fn resume(&self) -> Result<Resume> {
        let history_path = self.history_path();
        let mut history: Vec<EpochLog> = match std::fs::read(&history_path) {
            Ok(bytes) => serde_json::from_slice(&bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(CnnError::io(&history_path, e)),
        };
        let complete = complete_checkpoints(&self.checkpoints);
        let after = history
            .iter()
            .map(|e| e.epoch)
            .filter(|e| complete.contains(e))
            .max();
        history.retain(|e| after.is_some_and(|r| e.epoch <= r));
        let mut kept = BTreeSet::new();
        if let Some(r) = after {
            kept.insert(r);
            if complete.contains(&(r.saturating_sub(1))) {
                kept.insert(r - 1);
            }
            if let Some(b) = best_epoch(&history, r) {
                kept.insert(b);
            }
        }
        prune_checkpoints(&self.checkpoints, &kept)?;
        Ok(Resume {
            history,
            after,
            kept,
        })
    }

    /// The network saved at `epoch`.
    pub fn load_model(&self, epoch: usize, config: &ModelConfig, device: &Device) -> Result<Cnn> {
        load_checkpoint_model(&self.checkpoints, epoch, config, device)
    }
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub(super) struct RunIdentity {
    /// The configuration, less what may change between a run and its resumption.
    config: serde_json::Value,
    /// The base network's configuration, for transfer runs.
    init: Option<serde_json::Value>,
    data: DataFingerprint,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct DataFingerprint {
    train: usize,
    val: usize,
    /// FNV-1a over labels and pixel bits, as hex.
    hash: String,
}

fn fingerprint(train: &[Sample], val: &[Sample]) -> DataFingerprint {
    let mut h = subgenre_core::Fnv1a::new();
    let mut eat = |v: u64| h.write(&v.to_le_bytes());
    for s in train.iter().chain(val) {
        eat(s.label as u64);
        for p in &s.pixels {
            eat(u64::from(p.to_bits()));
        }
    }
    DataFingerprint {
        train: train.len(),
        val: val.len(),
        hash: h.hex(),
    }
}

pub(super) fn identity(
    config: &TrainConfig,
    init: Option<&ModelConfig>,
    train: &[Sample],
    val: &[Sample],
) -> Result<RunIdentity> {
    let mut value = serde_json::to_value(config)?;
    if let Some(map) = value.as_object_mut() {
        for key in ["threads", "max_epochs", "patience"] {
            map.remove(key);
        }
    }
    Ok(RunIdentity {
        config: value,
        init: init.map(serde_json::to_value).transpose()?,
        data: fingerprint(train, val),
    })
}

/// The epochs that have all three checkpoint files.
fn complete_checkpoints(dir: &Path) -> BTreeSet<usize> {
    let mut per_epoch: HashMap<usize, usize> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some((_, epoch)) = parse_checkpoint_name(&name) {
                *per_epoch.entry(epoch).or_default() += 1;
            }
        }
    }
    per_epoch
        .into_iter()
        .filter(|&(_, n)| n == CHECKPOINT_KINDS.len())
        .map(|(e, _)| e)
        .collect()
}

fn parse_checkpoint_name(name: &str) -> Option<(&'static str, usize)> {
    let stem = name.strip_suffix(".bpk")?;
    CHECKPOINT_KINDS.iter().find_map(|kind| {
        let epoch = stem.strip_prefix(kind)?.strip_prefix('-')?.parse().ok()?;
        Some((*kind, epoch))
    })
}

/// Remove checkpoint files of epochs not in `keep` (and stale temporary files).
fn prune_checkpoints(dir: &Path, keep: &BTreeSet<usize>) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = match parse_checkpoint_name(&name) {
            Some((_, epoch)) => !keep.contains(&epoch),
            None => name.starts_with('.') && name.ends_with(".tmp"),
        };
        if stale {
            std::fs::remove_file(entry.path()).map_err(|e| CnnError::io(entry.path(), e))?;
        }
    }
    Ok(())
}

fn load_checkpoint_model(
    dir: &Path,
    epoch: usize,
    config: &ModelConfig,
    device: &Device,
) -> Result<Cnn> {
    let path = checkpoint_path(dir, "model", epoch);
    let bytes = std::fs::read(&path).map_err(|e| CnnError::io(&path, e))?;
    let bad = |reason: String| CnnError::BadModelFile {
        path: path.clone(),
        reason,
    };
    let record =
        ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| bad(e.to_string()))?;
    config
        .init(device)?
        .try_load_record(record)
        .map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_names_parse() {
        assert_eq!(parse_checkpoint_name("model-12.bpk"), Some(("model", 12)));
        assert_eq!(parse_checkpoint_name("optim-3.bpk"), Some(("optim", 3)));
        assert_eq!(
            parse_checkpoint_name("scheduler-1.bpk"),
            Some(("scheduler", 1))
        );
        assert_eq!(parse_checkpoint_name("model-x.bpk"), None);
        assert_eq!(parse_checkpoint_name("other-1.bpk"), None);
    }
}
