//! The resumable step runner of `reproduce`: a finished step is recorded in `OUT/steps.json`
//! with a key of its inputs; a rerun with the same key (and its outputs still there) skips it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use subgenre_dataset::CacheKey;
use subgenre_report::StepRecord;

use crate::error::{Result, StudyError};
use crate::progress::{Event, Progress};

/// What `OUT/steps.json` remembers of a finished step.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Finished {
    key: String,
    seconds: f64,
    detail: String,
}

/// The steps run so far and what the state file says of earlier runs.
pub(crate) struct Pipeline {
    out: PathBuf,
    finished: BTreeMap<String, Finished>,
    pub records: Vec<StepRecord>,
    total_steps: usize,
    progress: Progress,
}

impl Pipeline {
    fn state_path(out: &Path) -> PathBuf {
        out.join("steps.json")
    }

    pub fn open(out: &Path, total_steps: usize, progress: Progress) -> Result<Self> {
        std::fs::create_dir_all(out).map_err(|e| StudyError::io(out, e))?;
        // An unreadable state file only costs a rerun of the steps.
        let finished = std::fs::read(Self::state_path(out))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Ok(Self {
            out: out.to_path_buf(),
            finished,
            records: Vec::new(),
            total_steps,
            progress,
        })
    }

    /// Runs `work` as step `name`, unless `key` (when given) matches a finished run whose
    /// `outputs` still exist. `work` returns a line on what it made. A failure is recorded and
    /// reported; the pipeline goes on with the steps that do not need this one.
    pub fn step(
        &mut self,
        name: &str,
        key: Option<&CacheKey>,
        outputs: &[PathBuf],
        work: impl FnOnce() -> Result<String>,
    ) {
        let progress = self.progress.clone();
        progress(&Event::StepStarted {
            index: self.records.len() + 1,
            total: self.total_steps,
            name,
        });
        if let (Some(key), Some(done)) = (key, self.finished.get(name)) {
            if done.key == key.hex() && outputs.iter().all(|p| p.exists()) {
                progress(&Event::StepCached {
                    name,
                    seconds: done.seconds,
                    detail: &done.detail,
                });
                self.records.push(StepRecord {
                    name: name.to_string(),
                    status: "cached".into(),
                    seconds: done.seconds,
                    detail: done.detail.clone(),
                });
                return;
            }
        }
        let started = Instant::now();
        let result = work().and_then(|detail| match outputs.iter().find(|p| !p.exists()) {
            Some(missing) => Err(StudyError::NothingToDo(format!(
                "it made no {}",
                missing.display()
            ))),
            None => Ok(detail),
        });
        let seconds = started.elapsed().as_secs_f64();
        let (status, detail) = match result {
            Ok(detail) => {
                progress(&Event::StepDone {
                    name,
                    seconds,
                    detail: &detail,
                });
                if let Some(key) = key {
                    self.finished.insert(
                        name.to_string(),
                        Finished {
                            key: key.hex(),
                            seconds,
                            detail: detail.clone(),
                        },
                    );
                    self.save_state();
                }
                ("done", detail)
            }
            Err(e) => {
                let error = e.to_string();
                progress(&Event::StepFailed {
                    name,
                    seconds,
                    error: &error,
                });
                self.finished.remove(name);
                self.save_state();
                ("failed", error)
            }
        };
        self.records.push(StepRecord {
            name: name.to_string(),
            status: status.into(),
            seconds,
            detail,
        });
    }

    fn save_state(&self) {
        let path = Self::state_path(&self.out);
        let written = serde_json::to_vec_pretty(&self.finished)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                subgenre_core::write_atomic(&path, &bytes).map_err(|e| e.to_string())
            });
        if let Err(e) = written {
            (self.progress)(&Event::Note(&format!(
                "warning: could not record the finished steps in {}: {e}",
                path.display()
            )));
        }
    }
}
