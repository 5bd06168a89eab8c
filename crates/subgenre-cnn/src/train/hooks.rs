//! The learner's hooks: what burn-train calls during a run to report each epoch, decide
//! when to stop and which checkpoints to keep, write checkpoints, and render (nothing).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use burn::{
    tensor::Bytes,
    train::{
        checkpoint::{
            Checkpoint, Checkpointer, CheckpointerError, CheckpointingAction, CheckpointingStrategy,
        },
        logger::{EvaluationProgressLogger, MetricLogger, TrainingProgressLogger},
        metric::{
            store::{Aggregate, EpochSummary, EventStoreClient, MetricsUpdate, Split},
            MetricDefinition, MetricId, NumericEntry,
        },
        renderer::{
            EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
            MetricsRendererTraining,
        },
        EarlyStoppingStrategy, LearnerSummary,
    },
};

use super::config::EpochLog;

const LOSS: &str = "Loss";
const ACCURACY: &str = "Accuracy";

type EpochCallback = Box<dyn FnMut(&EpochLog) + Send>;

/// The run's state shared by the hooks: the history that the logger writes and the strategies
/// read.
pub(super) struct Shared {
    pub history: Vec<EpochLog>,
    pub history_path: PathBuf,
    pub on_epoch: EpochCallback,
    pub epoch_started: Instant,
    pub write_error: Option<String>,
}

pub(super) fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    match shared.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The epoch with the lowest validation loss among `history` up to `until` (the first one on
/// ties, as Keras; NaN never counts as an improvement).
pub(super) fn best_epoch(history: &[EpochLog], until: usize) -> Option<usize> {
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
pub(super) fn patience_exhausted(history: &[EpochLog], epoch: usize, patience: usize) -> bool {
    patience > 0 && best_epoch(history, epoch).is_some_and(|b| epoch - b >= patience)
}

/// Collects the final per-epoch metric values burn-train computes, answers the event store's
/// queries (also for epochs before a resume), and reports each finished epoch.
pub(super) struct EpochRecorder {
    shared: Arc<Mutex<Shared>>,
    names: HashMap<MetricId, String>,
    /// (metric name, split, epoch) -> entries logged during that epoch.
    entries: HashMap<(String, Split, usize), Vec<NumericEntry>>,
}

impl EpochRecorder {
    pub(super) fn new(shared: Arc<Mutex<Shared>>) -> Self {
        Self {
            shared,
            names: HashMap::new(),
            entries: HashMap::new(),
        }
    }
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
pub(super) struct PatienceStopping {
    pub shared: Arc<Mutex<Shared>>,
    pub patience: usize,
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
pub(super) struct KeepLastAndBest {
    pub shared: Arc<Mutex<Shared>>,
    pub kept: BTreeSet<usize>,
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
pub(super) struct AtomicFileCheckpointer {
    pub directory: PathBuf,
    pub name: &'static str,
}

pub(super) fn checkpoint_path(directory: &Path, name: &str, epoch: usize) -> PathBuf {
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
pub(super) struct SilentRenderer;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
