//! What long study operations report as they go: one event type for every operation, given
//! to a callback, so that the command line draws bars and prints lines and Python logs.

use std::path::Path;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use subgenre_cnn::EpochLog;
use subgenre_eval::Run;

/// One thing that happened. Serialises as one JSON object with an `"event"` key naming the
/// variant in snake case (`"epoch"`, `"run_finished"`, ...) beside its fields (what the
/// Python package gives its progress callables): a `Note` as `{"text"}`, an `Epoch` with the
/// epoch's numbers in place of `log`, a `RunFinished` with the run's `model`, `seed`,
/// `weighted_f1`, `macro_f1` and `accuracy`.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
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
    #[serde(serialize_with = "note_json")]
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
        #[serde(flatten)]
        log: &'a EpochLog,
        max_epochs: usize,
    },
    RunFinished {
        #[serde(flatten, serialize_with = "run_scores_json")]
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

fn note_json<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Note<'a> {
        text: &'a str,
    }
    Note { text }.serialize(s)
}

fn run_scores_json<S: Serializer>(run: &Run, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct RunScores<'a> {
        model: &'a str,
        seed: u64,
        weighted_f1: f64,
        macro_f1: f64,
        accuracy: f64,
    }
    RunScores {
        model: &run.model,
        seed: run.seed,
        weighted_f1: run.weighted_f1,
        macro_f1: run.macro_f1,
        accuracy: run.accuracy,
    }
    .serialize(s)
}

/// The callback: shared, because training calls it from burn-train's worker thread.
pub type Progress = Arc<dyn Fn(&Event<'_>) + Send + Sync>;

/// A callback that ignores everything.
pub fn silent() -> Progress {
    Arc::new(|_| {})
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn events_serialise_as_tagged_objects() {
        let json = |e: Event<'_>| serde_json::to_value(&e).expect("json");
        assert_eq!(
            json(Event::TaskStarted {
                task: "mels",
                total: 3
            }),
            json!({"event": "task_started", "task": "mels", "total": 3})
        );
        assert_eq!(
            json(Event::Note("hello")),
            json!({"event": "note", "text": "hello"})
        );
        assert_eq!(
            json(Event::RunReused {
                result: Path::new("a/result.json")
            }),
            json!({"event": "run_reused", "result": "a/result.json"})
        );
        let log = EpochLog {
            epoch: 2,
            train_loss: 0.5,
            train_acc: 0.75,
            val_loss: 0.25,
            val_acc: 0.5,
            seconds: 1.5,
        };
        assert_eq!(
            json(Event::Epoch {
                log: &log,
                max_epochs: 9
            }),
            json!({"event": "epoch", "epoch": 2, "max_epochs": 9, "train_loss": 0.5,
                "train_acc": 0.75, "val_loss": 0.25, "val_acc": 0.5, "seconds": 1.5})
        );
        let run = Run {
            model: "compact".into(),
            seed: 42,
            accuracy: 0.5,
            macro_f1: 0.25,
            weighted_f1: 0.375,
            per_class: subgenre_eval::PerClass(Vec::new()),
            confusion: Vec::new(),
            fit_seconds: 1.0,
            variant: None,
            size: Some(64),
            best_epoch: Some(2),
            epochs_run: Some(3),
            train_seconds: None,
            history: None,
            params: None,
        };
        assert_eq!(
            json(Event::RunFinished { run: &run }),
            json!({"event": "run_finished", "model": "compact", "seed": 42,
                "weighted_f1": 0.375, "macro_f1": 0.25, "accuracy": 0.5})
        );
    }
}
