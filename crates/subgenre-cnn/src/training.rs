//! Training through burn-train's `SupervisedTraining` learner: Adam, class-weighted cross
//! entropy, accuracy and loss metrics, a checkpoint every epoch (resumable), early stopping on
//! validation loss, and the best epoch's weights restored at the end.
//!
//! What burn-train does not do by itself, and this module adds:
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

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use burn::{
    data::{dataloader::DataLoaderBuilder, dataset::InMemDataset},
    optim::AdamConfig,
    prelude::*,
    store::ModuleRecord,
    tensor::{activation::log_softmax, Bytes},
    train::{
        checkpoint::{
            Checkpoint, Checkpointer, CheckpointerError, CheckpointingAction, CheckpointingStrategy,
        },
        logger::{EvaluationProgressLogger, MetricLogger, TrainingProgressLogger},
        metric::{
            store::{Aggregate, EpochSummary, EventStoreClient, MetricsUpdate, Split},
            AccuracyMetric, LossMetric, MetricDefinition, MetricId, NumericEntry,
        },
        renderer::{
            EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
            MetricsRendererTraining,
        },
        ClassificationOutput, EarlyStoppingStrategy, InferenceStep, Learner, LearnerSummary,
        SupervisedTraining, TrainOutput, TrainStep,
    },
};
use serde::{Deserialize, Serialize};

use crate::backend::{default_device, with_threads};
use crate::data::{
    balanced_class_weights, check_samples, AugmentConfig, CnnBatch, CnnBatcher, Sample,
};
use crate::error::{CnnError, Result};
use crate::model::{Arch, Cnn, ModelConfig};

/// Adam's settings (Keras' defaults: `epsilon` 1e-7, not burn's 1e-5).
#[derive(Config, Debug, PartialEq)]
pub struct OptimizerConfig {
    /// The learning rate.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Adam's epsilon.
    #[config(default = 1e-7)]
    pub epsilon: f32,
}

/// Everything a training run needs besides its data, nested as burn's examples nest it: the
/// network, the optimizer, then the loop's own settings. `TrainConfig::new(model, classes)`
/// gives the study's settings: Adam at 1e-3, batch 64, up to 50 epochs, patience 10, balanced
/// class weights, seed 42, no augmentation. [`TrainConfig::check`] says what is wrong with a
/// configuration before any work; training calls it first.
#[derive(Config, Debug)]
pub struct TrainConfig {
    /// The network (for a transfer run: the base network with its new head).
    pub model: ModelConfig,
    /// Class names; a sample's label indexes this list.
    pub classes: Vec<String>,
    /// Adam's settings.
    #[config(default = "OptimizerConfig::new()")]
    pub optimizer: OptimizerConfig,
    /// Samples per batch.
    #[config(default = 64)]
    pub batch_size: usize,
    /// The most epochs to run.
    #[config(default = 50)]
    pub max_epochs: usize,
    /// Stop after this many epochs without a lower validation loss (0: never stop early).
    #[config(default = 10)]
    pub patience: usize,
    /// Seeds the weights, dropout, shuffling and augmentation.
    #[config(default = 42)]
    pub seed: u64,
    /// Weight the loss by balanced class weights `n / (k * count_c)` of the training data.
    #[config(default = true)]
    pub balanced_class_weights: bool,
    /// Explicit class weights (one per class); override `balanced_class_weights`.
    pub class_weights: Option<Vec<f32>>,
    /// CPU threads for the backend's kernels (0: one per core).
    #[config(default = 0)]
    pub threads: usize,
    /// Training-time augmentation (off by default).
    #[config(default = "AugmentConfig::new()")]
    pub augment: AugmentConfig,
    /// Keep the first N conv blocks frozen (transfer learning).
    #[config(default = 0)]
    pub freeze_blocks: usize,
}

impl TrainConfig {
    /// The study's settings for `arch` on square `size` inputs and these classes.
    pub fn square(arch: Arch, size: usize, classes: Vec<String>) -> Self {
        Self::new(ModelConfig::new(arch, classes.len(), size, size), classes)
    }

    /// Every check that needs no data: the network builds, its head matches the classes,
    /// the loop's numbers are usable. Errors name the setting.
    pub fn check(&self) -> Result<()> {
        let invalid = |name, reason: String| Err(CnnError::InvalidSetting { name, reason });
        self.model.validate()?;
        let k = self.model.num_classes;
        if k != self.classes.len() {
            return Err(CnnError::InvalidConfig(format!(
                "the network has {k} outputs but {} classes are named",
                self.classes.len()
            )));
        }
        if self.batch_size == 0 {
            return invalid("batch_size", "must be at least 1".into());
        }
        if self.max_epochs == 0 {
            return invalid("max_epochs", "must be at least 1".into());
        }
        let lr = self.optimizer.learning_rate;
        if !lr.is_finite() || lr <= 0.0 {
            return invalid("learning_rate", format!("{lr} is not positive"));
        }
        let epsilon = self.optimizer.epsilon;
        if !epsilon.is_finite() || epsilon <= 0.0 {
            return invalid("epsilon", format!("{epsilon} is not positive"));
        }
        let blocks = self.model.arch.conv_blocks();
        if self.freeze_blocks > blocks {
            return invalid(
                "freeze_blocks",
                format!(
                    "{}: {} has {blocks} conv blocks",
                    self.freeze_blocks, self.model.arch
                ),
            );
        }
        if let Some(weights) = &self.class_weights {
            if weights.len() != k || weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
                return invalid(
                    "class_weights",
                    format!("needs {k} finite non-negative values, got {weights:?}"),
                );
            }
        }
        Ok(())
    }

    /// The class weights the loss will use for these training labels.
    pub fn class_weights_for(&self, labels: &[usize]) -> Option<Vec<f32>> {
        match (&self.class_weights, self.balanced_class_weights) {
            (Some(w), _) => Some(w.clone()),
            (None, true) => Some(balanced_class_weights(labels, self.classes.len())),
            (None, false) => None,
        }
    }
}

/// One epoch's numbers (accuracies as fractions in [0, 1]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean (class-weighted) training loss.
    pub train_loss: f64,
    /// Training accuracy.
    pub train_acc: f64,
    /// Mean validation loss (unweighted).
    pub val_loss: f64,
    /// Validation accuracy.
    pub val_acc: f64,
    /// Wall-clock seconds of the epoch (training, validation and checkpointing).
    pub seconds: f64,
}

/// What a training run returns.
#[derive(Debug)]
pub struct TrainOutcome {
    /// The network with the best epoch's weights, ready for inference.
    pub model: Cnn,
    /// The epoch with the lowest validation loss.
    pub best_epoch: usize,
    /// Epochs run in total (including those before a resume).
    pub epochs_run: usize,
    /// Every epoch's numbers.
    pub history: Vec<EpochLog>,
    /// Seconds of training in total (sum of the epochs, including those before a resume).
    pub train_seconds: f64,
    /// The epoch this run resumed after, when it continued from a checkpoint.
    pub resumed_from: Option<usize>,
    /// Whether early stopping ended the run before `max_epochs`.
    pub stopped_early: bool,
}

// ---------------------------------------------------------------------------------------------
// Loss and the learner's steps.

/// `mean_i(w_i * -sum_c(t_ic * log_softmax(logits)_ic))`: Keras' sample-weighted categorical
/// cross entropy with the `sum_over_batch_size` reduction.
pub(crate) fn weighted_cross_entropy(
    logits: Tensor<2>,
    soft_targets: Tensor<2>,
    weights: Tensor<1>,
) -> Tensor<1> {
    let [batch, _] = logits.dims();
    let per_sample = (log_softmax(logits, 1) * soft_targets)
        .sum_dim(1)
        .reshape([batch]);
    (per_sample * weights).mean().neg()
}

impl TrainStep for Cnn {
    type Input = CnnBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: CnnBatch) -> TrainOutput<ClassificationOutput> {
        let logits = self.forward(batch.images);
        let loss = weighted_cross_entropy(logits.clone(), batch.soft_targets, batch.weights);
        let grads = loss.backward();
        TrainOutput::new(
            self,
            grads,
            ClassificationOutput::new(loss, logits, batch.targets),
        )
    }
}

impl InferenceStep for Cnn {
    type Input = CnnBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: CnnBatch) -> ClassificationOutput {
        let logits = self.forward(batch.images);
        let loss = weighted_cross_entropy(logits.clone(), batch.soft_targets, batch.weights);
        ClassificationOutput::new(loss, logits, batch.targets)
    }
}

// ---------------------------------------------------------------------------------------------
// Shared run state: the history that the logger writes and the strategies read.

const LOSS: &str = "Loss";
const ACCURACY: &str = "Accuracy";
const HISTORY_FILE: &str = "history.json";
const RUN_FILE: &str = "run.json";
const CHECKPOINT_DIR: &str = "checkpoint";
const CHECKPOINT_KINDS: [&str; 3] = ["model", "optim", "scheduler"];

type EpochCallback = Box<dyn FnMut(&EpochLog) + Send>;

struct Shared {
    history: Vec<EpochLog>,
    history_path: PathBuf,
    on_epoch: EpochCallback,
    epoch_started: Instant,
    write_error: Option<String>,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    match shared.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The epoch with the lowest validation loss among `history` up to `until` (the first one on
/// ties, as Keras; NaN never counts as an improvement).
fn best_epoch(history: &[EpochLog], until: usize) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for e in history.iter().filter(|e| e.epoch <= until) {
        match best {
            None => best = Some((e.epoch, e.val_loss)),
            Some((_, v)) if e.val_loss < v => best = Some((e.epoch, e.val_loss)),
            _ => {}
        }
    }
    best.map(|(e, _)| e)
}

/// Keras' EarlyStopping: stop once `patience` epochs have passed without improvement.
fn patience_exhausted(history: &[EpochLog], epoch: usize, patience: usize) -> bool {
    patience > 0 && best_epoch(history, epoch).is_some_and(|b| epoch - b >= patience)
}

/// Collects the final per-epoch metric values burn-train computes, answers the event store's
/// queries (also for epochs before a resume), and reports each finished epoch.
struct EpochRecorder {
    shared: Arc<Mutex<Shared>>,
    names: HashMap<MetricId, String>,
    /// (metric name, split, epoch) -> entries logged during that epoch.
    entries: HashMap<(String, Split, usize), Vec<NumericEntry>>,
}

impl EpochRecorder {
    fn value(&self, name: &str, split: &Split, epoch: usize) -> Option<f64> {
        let entries = self
            .entries
            .get(&(name.to_string(), split.clone(), epoch))?;
        if let Some(NumericEntry::Final(v)) = entries.last() {
            return Some(*v);
        }
        let (sum, n) = entries.iter().fold((0.0, 0usize), |(s, n), e| match e {
            NumericEntry::Value(v) => (s + v, n + 1),
            NumericEntry::Aggregated {
                aggregated_value,
                count,
            } => (s + aggregated_value * *count as f64, n + count),
            NumericEntry::Final(v) => (s + v, n + 1),
        });
        (n > 0).then(|| sum / n as f64)
    }
}

impl MetricLogger for EpochRecorder {
    fn log(&mut self, update: MetricsUpdate, epoch: usize, split: &Split) {
        for numeric in update.entries_numeric {
            let (Some(name), Some(entry)) = (
                self.names.get(&numeric.entry.metric_id),
                numeric.numeric_entry,
            ) else {
                continue;
            };
            self.entries
                .entry((name.clone(), split.clone(), epoch))
                .or_default()
                .push(entry);
        }
    }

    fn read_numeric(
        &mut self,
        name: &str,
        epoch: usize,
        split: &Split,
    ) -> std::result::Result<Vec<NumericEntry>, String> {
        if let Some(entries) = self.entries.get(&(name.to_string(), split.clone(), epoch)) {
            return Ok(entries.clone());
        }
        let shared = lock(&self.shared);
        let Some(log) = shared.history.iter().find(|e| e.epoch == epoch) else {
            return Ok(Vec::new());
        };
        let value = match (name, split) {
            (LOSS, Split::Train) => log.train_loss,
            (LOSS, Split::Valid) => log.val_loss,
            (ACCURACY, Split::Train) => 100.0 * log.train_acc,
            (ACCURACY, Split::Valid) => 100.0 * log.val_acc,
            _ => return Ok(Vec::new()),
        };
        Ok(vec![NumericEntry::Final(value)])
    }

    fn log_metric_definition(&mut self, definition: MetricDefinition) {
        self.names
            .insert(definition.metric_id.clone(), definition.name.to_string());
    }

    fn log_epoch_summary(&mut self, summary: EpochSummary) {
        if summary.split != Split::Valid {
            return;
        }
        let epoch = summary.epoch_number;
        let get = |name: &str, split: Split| self.value(name, &split, epoch).unwrap_or(f64::NAN);
        let mut log = EpochLog {
            epoch,
            train_loss: get(LOSS, Split::Train),
            train_acc: get(ACCURACY, Split::Train) / 100.0,
            val_loss: get(LOSS, Split::Valid),
            val_acc: get(ACCURACY, Split::Valid) / 100.0,
            seconds: 0.0,
        };
        // Entries of older epochs are no longer needed: the history answers for them.
        self.entries.retain(|k, _| k.2 >= epoch);
        let mut shared = lock(&self.shared);
        log.seconds = shared.epoch_started.elapsed().as_secs_f64();
        shared.epoch_started = Instant::now();
        shared.history.retain(|e| e.epoch < epoch);
        shared.history.push(log.clone());
        let json = serde_json::to_vec_pretty(&shared.history);
        let written = json.map_err(|e| e.to_string()).and_then(|bytes| {
            subgenre_core::write_atomic(&shared.history_path, &bytes).map_err(|e| e.to_string())
        });
        if let Err(e) = written {
            shared.write_error = Some(format!("{}: {e}", shared.history_path.display()));
        }
        (shared.on_epoch)(&log);
    }
}

/// Keras' EarlyStopping on validation loss, computed from the shared history so that a resumed
/// run remembers the epochs before it.
#[derive(Clone)]
struct PatienceStopping {
    shared: Arc<Mutex<Shared>>,
    patience: usize,
}

impl EarlyStoppingStrategy for PatienceStopping {
    fn should_stop(&mut self, epoch: usize, store: &EventStoreClient) -> bool {
        // The query goes through the event store's queue after this epoch's events, so the
        // recorder has seen the epoch once it returns.
        let _ = store.find_metric(LOSS, epoch, Aggregate::Mean, &Split::Valid);
        let shared = lock(&self.shared);
        patience_exhausted(&shared.history, epoch, self.patience)
    }
}

/// Save every epoch; keep the last two (the newest may be cut short by a kill while its three
/// files are written by three threads) and the best; delete the rest.
struct KeepLastAndBest {
    shared: Arc<Mutex<Shared>>,
    kept: BTreeSet<usize>,
}

impl CheckpointingStrategy for KeepLastAndBest {
    fn checkpointing(
        &mut self,
        epoch: usize,
        store: &EventStoreClient,
    ) -> Vec<CheckpointingAction> {
        let _ = store.find_metric(LOSS, epoch, Aggregate::Mean, &Split::Valid);
        let best = best_epoch(&lock(&self.shared).history, epoch).unwrap_or(epoch);
        let mut actions = vec![CheckpointingAction::Save];
        self.kept.insert(epoch);
        let keep = |e: usize| e == best || e + 1 >= epoch;
        for e in self
            .kept
            .iter()
            .copied()
            .filter(|&e| !keep(e))
            .collect::<Vec<_>>()
        {
            actions.push(CheckpointingAction::Delete(e));
            self.kept.remove(&e);
        }
        actions
    }
}

/// burn-train's file checkpointer, but each file appears whole or not at all.
struct AtomicFileCheckpointer {
    directory: PathBuf,
    name: &'static str,
}

fn checkpoint_path(directory: &Path, name: &str, epoch: usize) -> PathBuf {
    directory.join(format!("{name}-{epoch}.bpk"))
}

impl<R: Checkpoint> Checkpointer<R> for AtomicFileCheckpointer {
    fn save(&self, epoch: usize, record: R) -> std::result::Result<(), CheckpointerError> {
        let bytes = record
            .checkpoint_into_bytes()
            .map_err(CheckpointerError::Record)?;
        subgenre_core::write_atomic(&checkpoint_path(&self.directory, self.name, epoch), &bytes)
            .map_err(CheckpointerError::IOError)
    }

    fn restore(&self, epoch: usize) -> std::result::Result<R, CheckpointerError> {
        let bytes = std::fs::read(checkpoint_path(&self.directory, self.name, epoch))
            .map_err(CheckpointerError::IOError)?;
        R::checkpoint_from_bytes(Bytes::from_bytes_vec(bytes)).map_err(CheckpointerError::Record)
    }

    fn delete(&self, epoch: usize) -> std::result::Result<(), CheckpointerError> {
        let path = checkpoint_path(&self.directory, self.name, epoch);
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(CheckpointerError::IOError(e))
            }
            _ => Ok(()),
        }
    }
}

/// A renderer that shows nothing: the epoch lines come from the `on_epoch` callback.
struct SilentRenderer;

impl MetricsRendererTraining for SilentRenderer {
    fn update_train(&mut self, _state: MetricState) {}
    fn update_valid(&mut self, _state: MetricState) {}
    fn on_train_end(
        &mut self,
        _summary: Option<LearnerSummary>,
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        Ok(())
    }
}

impl MetricsRendererEvaluation for SilentRenderer {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
    fn on_test_end(
        &mut self,
        _summary: Option<LearnerSummary>,
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        Ok(())
    }
}

impl TrainingProgressLogger for SilentRenderer {
    fn start(&mut self, _: usize, _: usize, _: Option<usize>, _: Option<&str>) {}
    fn update_epoch(&mut self, _: usize) {}
    fn start_split(&mut self, _: &str, _: usize) {}
    fn update_split(&mut self, _: usize) {}
    fn end_split(&mut self) {}
    fn end(&mut self) {}
    fn log_event_training(&mut self, _: String) {}
}

impl EvaluationProgressLogger for SilentRenderer {
    fn start_global_progress(&mut self, _: usize) {}
    fn start_test(&mut self, _: &str, _: usize) {}
    fn update_test_progress(&mut self, _: usize) {}
    fn end_test(&mut self) {}
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _: String) {}
}

impl MetricsRenderer for SilentRenderer {
    fn manual_close(&mut self) {}
    fn register_metric(&mut self, _definition: MetricDefinition) {}
}

// ---------------------------------------------------------------------------------------------
// The run folder: what identifies a run, what can be resumed.

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct RunIdentity {
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

fn identity(
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

// ---------------------------------------------------------------------------------------------
// The entry points.

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
/// `config.classes.len()`; `config.freeze_blocks` keeps its first blocks fixed.
pub fn train_from(
    config: &TrainConfig,
    init: Option<Cnn>,
    train: Vec<Sample>,
    val: Vec<Sample>,
    artifact_dir: &Path,
    on_epoch: impl FnMut(&EpochLog) + Send + 'static,
) -> Result<TrainOutcome> {
    // Check everything that could fail on user input before any work.
    config.check()?;
    let model_config = config.model.clone();
    if let Some(m) = &init {
        if *m.config() != model_config {
            return Err(CnnError::InvalidConfig(format!(
                "the initial network ({:?}) is not the configured one ({model_config:?})",
                m.config()
            )));
        }
    }
    let (h, w, k) = (
        model_config.height,
        model_config.width,
        model_config.num_classes,
    );
    if train.is_empty() || val.is_empty() {
        return Err(CnnError::InvalidConfig(
            "training and validation data must not be empty".into(),
        ));
    }
    check_samples(&train, "train", h, w, k)?;
    check_samples(&val, "validation", h, w, k)?;

    // The run folder: identity, history, checkpoints.
    std::fs::create_dir_all(artifact_dir).map_err(|e| CnnError::io(artifact_dir, e))?;
    let checkpoint_dir = artifact_dir.join(CHECKPOINT_DIR);
    std::fs::create_dir_all(&checkpoint_dir).map_err(|e| CnnError::io(&checkpoint_dir, e))?;
    let run = identity(config, init.as_ref().map(|m| m.config()), &train, &val)?;
    let run_path = artifact_dir.join(RUN_FILE);
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
                path: artifact_dir.to_path_buf(),
                reason: reason.into(),
            });
        }
    }
    subgenre_core::write_atomic(&run_path, &serde_json::to_vec_pretty(&run)?)
        .map_err(|e| CnnError::io(&run_path, e))?;

    let history_path = artifact_dir.join(HISTORY_FILE);
    let mut history: Vec<EpochLog> = match std::fs::read(&history_path) {
        Ok(bytes) => serde_json::from_slice(&bytes)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(CnnError::io(&history_path, e)),
    };
    let complete = complete_checkpoints(&checkpoint_dir);
    let resume = history
        .iter()
        .map(|e| e.epoch)
        .filter(|e| complete.contains(e))
        .max();
    history.retain(|e| resume.is_some_and(|r| e.epoch <= r));
    let mut keep = BTreeSet::new();
    if let Some(r) = resume {
        keep.insert(r);
        if complete.contains(&(r.saturating_sub(1))) {
            keep.insert(r - 1);
        }
        if let Some(b) = best_epoch(&history, r) {
            keep.insert(b);
        }
    }
    prune_checkpoints(&checkpoint_dir, &keep)?;

    let device = default_device();
    let finished = resume.is_some_and(|r| {
        r >= config.max_epochs || patience_exhausted(&history, r, config.patience)
    });
    let train_weights =
        config.class_weights_for(&train.iter().map(|s| s.label).collect::<Vec<_>>());

    if !finished {
        let shared = Arc::new(Mutex::new(Shared {
            history: history.clone(),
            history_path: history_path.clone(),
            on_epoch: Box::new(on_epoch),
            epoch_started: Instant::now(),
            write_error: None,
        }));
        let run_shared = shared.clone();
        let run_device = device.clone();
        let outcome = with_threads(config.threads, move || {
            catch_unwind(AssertUnwindSafe(move || {
                launch(
                    config,
                    init,
                    train,
                    val,
                    train_weights,
                    &checkpoint_dir,
                    artifact_dir,
                    run_shared,
                    resume,
                    keep,
                    &run_device,
                )
            }))
        });
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic in the learner".into());
                return Err(CnnError::Training(message));
            }
        }
        let shared = lock(&shared);
        if let Some(e) = &shared.write_error {
            return Err(CnnError::Training(format!(
                "could not write the history: {e}"
            )));
        }
        history = shared.history.clone();
    }

    let epochs_run = history.iter().map(|e| e.epoch).max().unwrap_or(0);
    let best = best_epoch(&history, epochs_run)
        .ok_or_else(|| CnnError::Training("no epoch finished".into()))?;
    let model = load_checkpoint_model(
        &artifact_dir.join(CHECKPOINT_DIR),
        best,
        &model_config,
        &device,
    )?;
    Ok(TrainOutcome {
        model,
        best_epoch: best,
        epochs_run,
        train_seconds: history.iter().map(|e| e.seconds).sum(),
        stopped_early: epochs_run < config.max_epochs,
        history,
        resumed_from: resume,
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

#[allow(clippy::too_many_arguments)]
fn launch(
    config: &TrainConfig,
    init: Option<Cnn>,
    train: Vec<Sample>,
    val: Vec<Sample>,
    train_weights: Option<Vec<f32>>,
    checkpoint_dir: &Path,
    artifact_dir: &Path,
    shared: Arc<Mutex<Shared>>,
    resume: Option<usize>,
    kept: BTreeSet<usize>,
    device: &Device,
) -> Result<()> {
    let (h, w, k) = (
        config.model.height,
        config.model.width,
        config.classes.len(),
    );
    let autodiff = device.clone().autodiff();
    device.seed(config.seed);
    autodiff.seed(config.seed);

    let model = match init {
        Some(m) => m.train().fork(&autodiff),
        None => config.model.init(&autodiff)?,
    };
    let model = model.freeze_blocks(config.freeze_blocks);

    let train_loader = DataLoaderBuilder::new(CnnBatcher::training(
        h,
        w,
        k,
        train_weights,
        &config.augment,
        config.seed,
    ))
    .batch_size(config.batch_size)
    .shuffle(config.seed)
    .set_device(device.clone())
    .build(InMemDataset::new(train));
    let valid_loader = DataLoaderBuilder::new(CnnBatcher::plain(h, w, k))
        .batch_size(config.batch_size)
        .set_device(device.clone())
        .build(InMemDataset::new(val));

    let checkpointer = |name| AtomicFileCheckpointer {
        directory: checkpoint_dir.to_path_buf(),
        name,
    };
    let recorder = EpochRecorder {
        shared: shared.clone(),
        names: HashMap::new(),
        entries: HashMap::new(),
    };
    let mut training = SupervisedTraining::new(artifact_dir, train_loader, valid_loader)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .with_metric_logger(recorder)
        .with_custom_checkpointers(
            checkpointer("model"),
            checkpointer("optim"),
            checkpointer("scheduler"),
        )
        .with_checkpointing_strategy(KeepLastAndBest {
            shared: shared.clone(),
            kept,
        })
        .num_epochs(config.max_epochs)
        .renderer(Box::new(SilentRenderer))
        .with_application_logger(None);
    if config.patience > 0 {
        training = training.early_stopping(PatienceStopping {
            shared: shared.clone(),
            patience: config.patience,
        });
    }
    if let Some(epoch) = resume {
        training = training.checkpoint(epoch);
    }
    let optimizer = AdamConfig::new()
        .with_epsilon(config.optimizer.epsilon)
        .init();
    lock(&shared).epoch_started = Instant::now();
    let result = training.launch(Learner::new(
        model,
        optimizer,
        config.optimizer.learning_rate,
    ));
    if let Some(error) = result.error {
        return Err(CnnError::Training(error.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_names_its_bad_setting() {
        let good = TrainConfig::square(Arch::Compact, 64, vec!["a".into(), "b".into()]);
        assert!(good.check().is_ok());
        let name = |c: TrainConfig| match c.check() {
            Err(CnnError::InvalidSetting { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(name(good.clone().with_max_epochs(0)), "max_epochs");
        assert_eq!(name(good.clone().with_batch_size(0)), "batch_size");
        assert_eq!(name(good.clone().with_freeze_blocks(9)), "freeze_blocks");
        assert_eq!(
            name(good.clone().with_class_weights(Some(vec![1.0]))),
            "class_weights"
        );
        let lr = good
            .clone()
            .with_optimizer(OptimizerConfig::new().with_learning_rate(f64::NAN));
        assert_eq!(name(lr), "learning_rate");
        let mut three = good;
        three.classes.push("c".into());
        assert!(matches!(three.check(), Err(CnnError::InvalidConfig(_))));
    }

    fn log(epoch: usize, val_loss: f64) -> EpochLog {
        EpochLog {
            epoch,
            train_loss: 1.0,
            train_acc: 0.5,
            val_loss,
            val_acc: 0.5,
            seconds: 1.0,
        }
    }

    #[test]
    fn best_epoch_and_patience_follow_keras() {
        let h: Vec<EpochLog> = [1.0, 0.8, 0.9, 0.8, 0.85, 0.95]
            .iter()
            .enumerate()
            .map(|(i, &v)| log(i + 1, v))
            .collect();
        // Ties keep the first; improvement must be strict.
        assert_eq!(best_epoch(&h, 6), Some(2));
        assert!(!patience_exhausted(&h, 5, 4));
        assert!(patience_exhausted(&h, 6, 4));
        assert!(!patience_exhausted(&h, 6, 0), "patience 0 never stops");
        let nan = vec![log(1, 1.0), log(2, f64::NAN)];
        assert_eq!(best_epoch(&nan, 2), Some(1));
    }

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

    #[test]
    fn weighted_loss_matches_keras_reduction() {
        let device = default_device();
        let logits = Tensor::<2>::from_data([[2.0, 0.0], [0.0, 1.0]], &device);
        let soft = Tensor::<2>::from_data([[1.0, 0.0], [1.0, 0.0]], &device);
        let weights = Tensor::<1>::from_data([0.5, 2.0], &device);
        let loss: f32 = weighted_cross_entropy(logits, soft, weights).into_scalar();
        let ce = |a: f32, b: f32| -(a - (a.exp() + b.exp()).ln());
        let expected = (0.5 * ce(2.0, 0.0) + 2.0 * ce(0.0, 1.0)) / 2.0;
        assert!((loss - expected).abs() < 1e-5, "{loss} vs {expected}");
    }
}
