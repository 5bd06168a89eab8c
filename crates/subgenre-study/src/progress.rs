//! What long study operations report as they go: one event type for every operation, given
//! to a callback, so that the command line draws bars and prints lines and Python logs.

use std::path::Path;
use std::sync::Arc;

use subgenre_cnn::EpochLog;
use subgenre_eval::Run;

/// One thing that happened.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A counted task started (`mels`: mel-spectrograms; `inputs`: model inputs).
    TaskStarted {
        task: &'static str,
        total: usize,
    },
    /// One item of the task is done.
    TaskAdvanced {
        task: &'static str,
    },
    TaskFinished {
        task: &'static str,
    },
    /// An item was left out (a clip without input, an empty class folder, ...).
    Skipped {
        what: &'a str,
        reason: &'a str,
    },
    /// Something the user should know (a settings note, a replaced report).
    Note(&'a str),
    /// Run `index` (1-based) of `total` starts: `title` says which, then the parts' sizes in
    /// `unit`s; `scored_part` is `test`, or `validation` for a final fit.
    RunStarted {
        index: usize,
        total: usize,
        title: &'a str,
        train: usize,
        val: usize,
        scored: usize,
        scored_part: &'static str,
        unit: &'static str,
    },
    /// The run was finished earlier with the same settings: its result is reused.
    RunReused {
        result: &'a Path,
    },
    /// The run continues from its checkpoints.
    Resumed {
        after_epoch: usize,
    },
    Epoch {
        log: &'a EpochLog,
        max_epochs: usize,
    },
    RunFinished {
        run: &'a Run,
    },
    RunFailed {
        name: &'a str,
        error: &'a str,
    },
    /// A `reproduce` step starts (`index` 1-based of `total`).
    StepStarted {
        index: usize,
        total: usize,
        name: &'a str,
    },
    StepCached {
        name: &'a str,
        seconds: f64,
        detail: &'a str,
    },
    StepDone {
        name: &'a str,
        seconds: f64,
        detail: &'a str,
    },
    StepFailed {
        name: &'a str,
        seconds: f64,
        error: &'a str,
    },
    /// A classic-model run of a `reproduce` step finished.
    ModelDone {
        seed: u64,
        model: &'a str,
        weighted_f1: f64,
    },
}

/// The callback: shared, because training calls it from burn-train's worker thread.
pub type Progress = Arc<dyn Fn(&Event<'_>) + Send + Sync>;

/// A callback that ignores everything.
pub fn silent() -> Progress {
    Arc::new(|_| {})
}
