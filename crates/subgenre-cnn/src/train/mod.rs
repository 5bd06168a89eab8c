//! Training through burn-train's `SupervisedTraining` learner: Adam, class-weighted cross
//! entropy, accuracy and loss metrics, a checkpoint every epoch (resumable), early stopping on
//! validation loss, and the best epoch's weights restored at the end.
//!
//! What burn-train does not do by itself, and this module adds (the learner's hooks in
//! `hooks.rs`, the run folder in `run_dir.rs`):
//! - **Per-epoch lines.** The terminal renderer shows no metric values; a [`MetricLogger`] here
//!   collects each epoch's final train/validation loss and accuracy, appends them to
//!   `history.json` (atomically) and calls the caller's `on_epoch` callback. The renderer is
//!   replaced by a silent one.
//! - **Best weights.** Early stopping only stops; the best epoch (lowest validation loss, as
//!   Keras' `restore_best_weights`) is loaded from its checkpoint after training.
//! - **Resume that keeps its memory.** Early stopping and the checkpoint strategy read the
//!   history (restored from `history.json` on resume) rather than state that a restart would
//!   lose; checkpoint files are written atomically, so a killed run never leaves a half file
//!   that looks complete.
//!
//! Determinism: a run is repeatable for a given seed on the CPU backend (weights, dropout,
//! shuffling and augmentation are all seeded), with two limits from burn: Flex keeps one
//! process-wide random generator, so only one training at a time per process is repeatable;
//! and a resumed run restarts the shuffling and dropout streams at the resume point, so it
//! matches an uninterrupted run only up to the resume.
//!
//! Loss semantics follow Keras: training loss is `mean_i(w[y_i] * CE_i)` (class weights as
//! `class_weight`, divided by the batch size, not by the sum of weights as burn's
//! `CrossEntropyLoss` does); validation loss is unweighted.

mod config;
mod hooks;
mod learner;
mod run_dir;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::prelude::*;

pub use config::{EpochLog, OptimizerConfig, TrainConfig, TrainOutcome};
use hooks::{best_epoch, lock, Shared};
use run_dir::{identity, Resume, RunDir, CHECKPOINT_DIR};

use crate::backend::{default_device, with_threads};
use crate::data::{check_samples, Sample};
use crate::error::{CnnError, Result};
use crate::net::Cnn;

/// Train `config.model` from scratch on `train`, validating on `val` after every epoch, with
/// checkpoints in `artifact_dir/checkpoint` (rerunning on the same folder resumes after the
/// last complete epoch). `on_epoch` is called once per finished epoch (from a burn-train worker
/// thread). Returns the best epoch's network.
pub fn train(
    config: &TrainConfig,
    train: Vec<Sample>,
    val: Vec<Sample>,
    artifact_dir: &Path,
    on_epoch: impl FnMut(&EpochLog) + Send + 'static,
) -> Result<TrainOutcome> {
    train_from(config, None, train, val, artifact_dir, on_epoch)
}

/// As [`train`], starting from `init`'s weights instead of fresh ones (transfer learning: pass
/// a loaded model after [`crate::replace_head`]). `init`'s class count must equal
/// `config.classes.len()`; `config.freeze_blocks` keeps its first blocks fixed. `init` keeps
/// its engine ([`Cnn::with_engine`]).
pub fn train_from(
    config: &TrainConfig,
    init: Option<Cnn>,
    train: Vec<Sample>,
    val: Vec<Sample>,
    artifact_dir: &Path,
    on_epoch: impl FnMut(&EpochLog) + Send + 'static,
) -> Result<TrainOutcome> {
    check_inputs(config, init.as_ref(), &train, &val)?;
    let run = identity(config, init.as_ref().map(Cnn::config), &train, &val)?;
    let run_dir = RunDir::claim(artifact_dir, &run)?;
    let resume = run_dir.resume()?;
    let resumed_from = resume.after;
    let device = default_device();
    let history = if resume.finished(config) {
        resume.history
    } else {
        run_learner(
            config, init, train, val, &run_dir, resume, on_epoch, &device,
        )?
    };
    reload_best(config, &run_dir, history, resumed_from, &device)
}

/// Everything that could fail on user input, checked before any work.
fn check_inputs(
    config: &TrainConfig,
    init: Option<&Cnn>,
    train: &[Sample],
    val: &[Sample],
) -> Result<()> {
    config.check()?;
    let model_config = &config.model;
    if let Some(m) = init {
        if m.config() != model_config {
            return Err(CnnError::InitialNetwork {
                initial: Box::new(m.config().clone()),
                configured: Box::new(model_config.clone()),
            });
        }
    }
    if train.is_empty() || val.is_empty() {
        return Err(CnnError::EmptyData);
    }
    let (h, w, k) = (
        model_config.height,
        model_config.width,
        model_config.num_classes,
    );
    check_samples(train, "train", h, w, k)?;
    check_samples(val, "validation", h, w, k)
}

/// Run burn-train's learner from `resume` on, on `config.threads` threads. A panic in the
/// learner is an error ([`CnnError::Training`]), as is a history that could not be written.
/// Returns the whole history.
#[allow(clippy::too_many_arguments)]
fn run_learner(
    config: &TrainConfig,
    init: Option<Cnn>,
    train: Vec<Sample>,
    val: Vec<Sample>,
    run_dir: &RunDir,
    resume: Resume,
    on_epoch: impl FnMut(&EpochLog) + Send + 'static,
    device: &Device,
) -> Result<Vec<EpochLog>> {
    let train_weights =
        config.class_weights_for(&train.iter().map(|s| s.label).collect::<Vec<_>>());
    let shared = Arc::new(Mutex::new(Shared {
        history: resume.history,
        history_path: run_dir.history_path(),
        on_epoch: Box::new(on_epoch),
        epoch_started: Instant::now(),
        write_error: None,
    }));
    let run_shared = shared.clone();
    let run_device = device.clone();
    let outcome = with_threads(config.threads, move || {
        catch_unwind(AssertUnwindSafe(move || {
            learner::launch(
                config,
                init,
                train,
                val,
                train_weights,
                run_dir,
                run_shared,
                resume.after,
                resume.kept,
                &run_device,
            )
        }))
    });
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(panic) => return Err(CnnError::Training(panic_message(panic.as_ref()))),
    }
    let shared = lock(&shared);
    if let Some(e) = &shared.write_error {
        return Err(CnnError::Training(format!(
            "could not write the history: {e}"
        )));
    }
    Ok(shared.history.clone())
}

/// What a panic says, when it says it in text.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic in the learner".into())
}

/// The run's outcome: the best epoch of `history` reloaded from its checkpoint.
fn reload_best(
    config: &TrainConfig,
    run_dir: &RunDir,
    history: Vec<EpochLog>,
    resumed_from: Option<usize>,
    device: &Device,
) -> Result<TrainOutcome> {
    let epochs_run = history.iter().map(|e| e.epoch).max().unwrap_or(0);
    let best = best_epoch(&history, epochs_run)
        .ok_or_else(|| CnnError::Training("no epoch finished".into()))?;
    let model = run_dir.load_model(best, &config.model, device)?;
    Ok(TrainOutcome {
        model,
        best_epoch: best,
        epochs_run,
        train_seconds: history.iter().map(|e| e.seconds).sum(),
        stopped_early: epochs_run < config.max_epochs,
        history,
        resumed_from,
    })
}

/// Delete a run's checkpoints (`artifact_dir/checkpoint`), keeping `run.json` and
/// `history.json`. For after the best model has been saved elsewhere: a run folder without
/// checkpoints trains from scratch if `train` is called on it again.
pub fn remove_checkpoints(artifact_dir: &Path) -> Result<()> {
    let dir = artifact_dir.join(CHECKPOINT_DIR);
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CnnError::io(&dir, e)),
        _ => Ok(()),
    }
}
