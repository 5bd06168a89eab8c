//! One training run and its folder, shared by `train`, `experiment` and `transfer`:
//! burn-train's checkpoints under `training/` while it runs, then `model.sgcnn`,
//! `result.json`, `curves.png` and `confusion.png` (and `split.json` when asked).
//! `result.json` is written last: its presence marks the run as finished, and a rerun with the
//! same settings reuses it, with or without its model (the study grid's results are kept
//! without their 34-126 MB models; a rerun reuses their scores instead of training again).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};
use subgenre_cnn::{Cnn, InputSpec, ModelSpec, Sample, TrainConfig, TrainOutcome};
use subgenre_eval::{ClassificationReport, EpochStats, PartIndices, Run, Split};

use crate::error::{Result, StudyError};
use crate::inputs::LabelledInputs;
use crate::progress::{Event, Progress};

/// A run's folder and the settings that decide its result besides its name.
pub struct RunFolder {
    pub dir: PathBuf,
    pub params: BTreeMap<String, Value>,
}

impl RunFolder {
    pub fn new(dir: PathBuf, params: BTreeMap<String, Value>) -> Self {
        Self { dir, params }
    }

    /// Where burn-train keeps its checkpoints.
    pub fn training_dir(&self) -> PathBuf {
        self.dir.join("training")
    }

    pub fn result_path(&self) -> PathBuf {
        self.dir.join("result.json")
    }

    pub fn model_path(&self) -> PathBuf {
        self.dir.join("model.sgcnn")
    }

    /// The finished run kept here, if any (its `result.json`; the model may have been removed
    /// since); an error when it was made with other settings.
    pub fn finished(&self) -> Result<Option<Run>> {
        let result_path = self.result_path();
        if !result_path.is_file() {
            return Ok(None);
        }
        let text =
            std::fs::read_to_string(&result_path).map_err(|e| StudyError::read(&result_path, e))?;
        let run: Run =
            serde_json::from_str(&text).map_err(|e| StudyError::read(&result_path, e))?;
        if run.params.as_ref() == Some(&self.params) {
            return Ok(Some(run));
        }
        Err(StudyError::OtherSettings {
            dir: self.dir.clone(),
            params: serde_json::to_string(&run.params).unwrap_or_default(),
        })
    }
}

/// Everything one run needs: what it trains, on which parts, and what its model records.
pub struct RunJob<'a> {
    pub folder: RunFolder,
    pub config: TrainConfig,
    /// Starting weights (transfer), or `None` for fresh ones.
    pub init: Option<Cnn>,
    pub inputs: &'a LabelledInputs,
    pub parts: &'a PartIndices,
    /// The run's model name in reports (`compact`, `transfer:compact`).
    pub model: String,
    pub input: InputSpec,
    /// For plots: `compact normal 128 seed 42`.
    pub title: String,
    /// The scores are of the validation part (a final fit trained on the test part).
    pub scored_on_validation: bool,
    /// The model's training record, less what the run adds (seed, epochs, scores, params).
    pub trained: serde_json::Map<String, Value>,
    /// Saved as `split.json` beside the model when given.
    pub split: Option<&'a Split>,
}

impl RunJob<'_> {
    /// Train (or reuse the finished run), score the scored part, save the model with its
    /// spec, draw its curves and confusion matrix, and mark the run finished.
    pub fn run(self, progress: &Progress) -> Result<Run> {
        let folder = &self.folder;
        if let Some(run) = folder.finished()? {
            progress(&Event::RunReused {
                result: &folder.result_path(),
            });
            return Ok(run);
        }
        check_parts(self.parts)?;
        self.config.check()?;
        let train = self.inputs.samples(&self.parts.train);
        let val = self.inputs.samples(&self.parts.val);
        let scored = self.inputs.samples(&self.parts.test);
        let threads = self.config.threads;
        let max_epochs = self.config.max_epochs;
        let on_epoch = {
            let progress = progress.clone();
            move |log: &subgenre_cnn::EpochLog| progress(&Event::Epoch { log, max_epochs })
        };
        let started = Instant::now();
        let training_dir = folder.training_dir();
        let outcome = subgenre_cnn::with_threads(threads, || {
            subgenre_cnn::train_from(&self.config, self.init, train, val, &training_dir, on_epoch)
        })
        .map_err(|source| StudyError::Training {
            dir: folder.dir.clone(),
            source,
        })?;
        if let Some(after_epoch) = outcome.resumed_from {
            progress(&Event::Resumed { after_epoch });
        }
        if let Some(split) = self.split {
            let path = folder.dir.join("split.json");
            split.save(&path)?;
        }
        finish(
            folder,
            &outcome,
            &scored,
            threads,
            Identity {
                model: &self.model,
                seed: self.config.seed,
                classes: &self.config.classes,
                input: self.input,
                title: &self.title,
                scored_on_validation: self.scored_on_validation,
            },
            self.trained,
            started.elapsed().as_secs_f64(),
        )
    }
}

struct Identity<'a> {
    model: &'a str,
    seed: u64,
    classes: &'a [String],
    input: InputSpec,
    title: &'a str,
    scored_on_validation: bool,
}

/// Score the trained model on `scored`, save it with its spec (`trained` gets the scores and
/// epochs added), draw its curves and confusion matrix, and write `result.json` last.
#[allow(clippy::too_many_arguments)]
fn finish(
    folder: &RunFolder,
    outcome: &TrainOutcome,
    scored: &[Sample],
    threads: usize,
    id: Identity<'_>,
    mut trained: serde_json::Map<String, Value>,
    seconds: f64,
) -> Result<Run> {
    let pixels: Vec<&[f32]> = scored.iter().map(|s| s.pixels.as_slice()).collect();
    let y_true: Vec<usize> = scored.iter().map(|s| s.label).collect();
    let y_pred = subgenre_cnn::with_threads(threads, || {
        subgenre_cnn::predict(&outcome.model, &pixels, 64)
    })?;
    let scores = ClassificationReport::new(&y_true, &y_pred, id.classes)?;
    let mut run = Run::new(id.model, id.seed, &scores, seconds);
    run.variant = Some(id.input.variant.clone());
    run.size = Some(id.input.size as u32);
    run.best_epoch = Some(outcome.best_epoch as u32);
    run.epochs_run = Some(outcome.epochs_run as u32);
    run.train_seconds = Some(outcome.train_seconds);
    run.history = Some(
        outcome
            .history
            .iter()
            .map(|e| EpochStats {
                epoch: e.epoch as u32,
                train_loss: e.train_loss,
                train_accuracy: e.train_acc,
                val_loss: e.val_loss,
                val_accuracy: e.val_acc,
            })
            .collect(),
    );
    run.params = Some(folder.params.clone());

    trained.insert("seed".into(), json!(id.seed));
    trained.insert("best_epoch".into(), json!(outcome.best_epoch));
    trained.insert("epochs_run".into(), json!(outcome.epochs_run));
    trained.insert("params".into(), json!(folder.params));
    let part = if id.scored_on_validation {
        "val"
    } else {
        "test"
    };
    trained.insert(format!("{part}_weighted_f1"), json!(run.weighted_f1));
    trained.insert(format!("{part}_accuracy"), json!(run.accuracy));
    let spec = ModelSpec::new(&outcome.model, id.classes.to_vec(), id.input)
        .with_trained(Value::Object(trained));
    subgenre_cnn::save_model(&folder.model_path(), &outcome.model, &spec)?;
    if let Some(history) = &run.history {
        subgenre_eval::learning_curves_png(
            &folder.dir.join("curves.png"),
            history,
            run.best_epoch,
            id.title,
        )?;
    }
    subgenre_eval::confusion_png(
        &folder.dir.join("confusion.png"),
        &scores.confusion,
        id.title,
    )?;
    // The result last: its presence marks the run as finished.
    let text = serde_json::to_vec_pretty(&run).map_err(StudyError::json("the run's result"))?;
    let result_path = folder.result_path();
    subgenre_core::write_atomic(&result_path, &text)
        .map_err(|e| StudyError::io(&result_path, e))?;
    subgenre_cnn::remove_checkpoints(&folder.training_dir())?;
    Ok(run)
}

/// Every part of a split must hold something to train, stop early and score.
pub fn check_parts(parts: &PartIndices) -> Result<()> {
    if parts.train.is_empty() || parts.val.is_empty() || parts.test.is_empty() {
        return Err(StudyError::NothingToDo(format!(
            "the split leaves a part empty (train {}, validation {}, test {})",
            parts.train.len(),
            parts.val.len(),
            parts.test.len()
        )));
    }
    Ok(())
}

/// The runs' folder of a plan's output folder.
pub fn runs_dir(out: &Path) -> PathBuf {
    out.join("runs")
}

/// `OUT/report.json`, pushed a run at a time (so a stopped grid keeps what it finished).
pub(crate) fn write_report(report: &subgenre_eval::Report, out: &Path) -> Result<PathBuf> {
    let path = out.join("report.json");
    report.write_json(&path)?;
    Ok(path)
}
