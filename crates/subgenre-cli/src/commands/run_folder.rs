//! One training run's folder, shared by `train`, `experiment` and `transfer`: burn-train's
//! checkpoints under `training/` while it runs, then `model.sgcnn`, `result.json`,
//! `curves.png` and `confusion.png`. `result.json` is written last: its presence marks the run
//! as finished, and a rerun with the same settings reuses it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use serde_json::json;
use subgenre_cnn::{EpochLog, InputSpec, ModelSpec, Sample, TrainOutcome};
use subgenre_eval::{ClassificationReport, EpochStats, PartIndices, Run};

pub struct RunFolder {
    pub dir: PathBuf,
    /// The settings that decide the result besides the run's name.
    pub params: BTreeMap<String, serde_json::Value>,
}

/// What a finished run is called and what its model takes.
pub struct RunIdentity<'a> {
    pub model: &'a str,
    pub seed: u64,
    pub classes: &'a [String],
    pub input: InputSpec,
    pub title: String,
    /// The scores are of the validation part (a `--final` fit trained on the test part).
    pub scored_on_validation: bool,
}

impl RunFolder {
    pub fn new(dir: PathBuf, params: BTreeMap<String, serde_json::Value>) -> Self {
        Self { dir, params }
    }

    /// Where burn-train keeps its checkpoints.
    pub fn training_dir(&self) -> PathBuf {
        self.dir.join("training")
    }

    fn result_path(&self) -> PathBuf {
        self.dir.join("result.json")
    }

    pub fn model_path(&self) -> PathBuf {
        self.dir.join("model.sgcnn")
    }

    /// The finished run kept here, if any; an error when it was made with other settings.
    pub fn finished(&self) -> Result<Option<Run>> {
        let result_path = self.result_path();
        if !(result_path.is_file() && self.model_path().is_file()) {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&result_path)
            .with_context(|| format!("reading {}", result_path.display()))?;
        let run: Run = serde_json::from_str(&text)
            .with_context(|| format!("reading {}", result_path.display()))?;
        if run.params.as_ref() == Some(&self.params) {
            println!("  finished earlier: {}", result_path.display());
            return Ok(Some(run));
        }
        bail!(
            "{} was trained with other settings ({}); use another --out or delete that folder",
            self.dir.display(),
            serde_json::to_string(&run.params).unwrap_or_default()
        )
    }

    /// Score the trained model on `test`, save it with its spec (`trained` gets the scores
    /// and epochs added), draw its curves and confusion matrix, and mark the run finished.
    pub fn finish(
        &self,
        outcome: &TrainOutcome,
        test: &[Sample],
        jobs: usize,
        id: RunIdentity<'_>,
        mut trained: serde_json::Map<String, serde_json::Value>,
        seconds: f64,
    ) -> Result<Run> {
        let test_pixels: Vec<&[f32]> = test.iter().map(|s| s.pixels.as_slice()).collect();
        let y_true: Vec<usize> = test.iter().map(|s| s.label).collect();
        let y_pred = subgenre_cnn::with_threads(jobs, || {
            subgenre_cnn::predict(&outcome.model, &test_pixels, 64)
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
        run.params = Some(self.params.clone());

        trained.insert("seed".into(), json!(id.seed));
        trained.insert("best_epoch".into(), json!(outcome.best_epoch));
        trained.insert("epochs_run".into(), json!(outcome.epochs_run));
        trained.insert("params".into(), json!(self.params));
        let part = if id.scored_on_validation {
            "val"
        } else {
            "test"
        };
        trained.insert(format!("{part}_weighted_f1"), json!(run.weighted_f1));
        trained.insert(format!("{part}_accuracy"), json!(run.accuracy));
        let spec = ModelSpec::new(&outcome.model, id.classes.to_vec(), id.input)
            .with_trained(serde_json::Value::Object(trained));
        subgenre_cnn::save_model(&self.model_path(), &outcome.model, &spec)?;
        if let Some(history) = &run.history {
            subgenre_eval::learning_curves_png(
                &self.dir.join("curves.png"),
                history,
                run.best_epoch,
                &id.title,
            )?;
        }
        subgenre_eval::confusion_png(
            &self.dir.join("confusion.png"),
            &scores.confusion,
            &id.title,
        )?;
        // The result last: its presence marks the run as finished.
        let text = serde_json::to_vec_pretty(&run)?;
        let result_path = self.result_path();
        subgenre_core::write_atomic(&result_path, &text)
            .with_context(|| format!("writing {}", result_path.display()))?;
        subgenre_cnn::remove_checkpoints(&self.training_dir())?;
        Ok(run)
    }
}

/// Every part of a split must hold something to train, stop early and score.
pub fn check_parts(parts: &PartIndices) -> Result<()> {
    anyhow::ensure!(
        !parts.train.is_empty() && !parts.val.is_empty() && !parts.test.is_empty(),
        "the split leaves a part empty (train {}, validation {}, test {})",
        parts.train.len(),
        parts.val.len(),
        parts.test.len()
    );
    Ok(())
}

/// The per-epoch console line.
pub fn print_epoch(max_epochs: usize) -> impl FnMut(&EpochLog) + Send + 'static {
    move |e: &EpochLog| {
        println!(
            "  epoch {:>2}/{max_epochs}  loss {:.4}  acc {:.4} | val loss {:.4}  acc {:.4}  ({:.1} s)",
            e.epoch, e.train_loss, e.train_acc, e.val_loss, e.val_acc, e.seconds
        );
    }
}

/// Say so when a run picked up from its checkpoints.
pub fn report_resume(outcome: &TrainOutcome) {
    if let Some(from) = outcome.resumed_from {
        println!("  (resumed after epoch {from})");
    }
}
