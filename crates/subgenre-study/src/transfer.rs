//! `transfer`: fine-tune a trained CNN on another labelled set (the study's GTZAN step, or
//! anyone's own music), or train its network from scratch on the same split and budget.
//!
//! The data are class folders: images (read grey as OpenCV's `imread` does and resized to
//! the base model's input) or audio files of any length (cut into the 8 s windows that
//! `subgenre predict` classifies). Every run lives in `out/runs/<mode>_<arch>_seed<S>/` as a
//! training run does; `out/report.json` holds the runs of both modes.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::json;
use subgenre_cnn::{InputSpec, ModelConfig, SavedModel};
use subgenre_eval::{group_split, random_split, ConfusionMatrix, Report, Run, Split, SplitItem};
use subgenre_extract::image::Interpolation;
use subgenre_extract::{InputRoute, MelVariant};

use crate::error::{Result, StudyError};
use crate::inputs::{LabelledInputs, AUDIO_HOP_S};
use crate::options::{setting_error, Schedule};
use crate::progress::{Event, Progress};
use crate::run::{runs_dir, write_report, RunFolder, RunJob};

/// What the class folders hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferSource {
    /// Images, resized to the base model's input by `resize`.
    Images { dir: PathBuf, resize: Interpolation },
    /// Audio files, made into the base model's own (mel-spectrogram) inputs.
    Audio(PathBuf),
}

impl TransferSource {
    fn dir(&self) -> &Path {
        match self {
            TransferSource::Images { dir, .. } | TransferSource::Audio(dir) => dir,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            TransferSource::Images { .. } => "images",
            TransferSource::Audio(_) => "audio",
        }
    }

    /// What one input is.
    pub fn unit(&self) -> &'static str {
        match self {
            TransferSource::Images { .. } => "images",
            TransferSource::Audio(_) => "windows",
        }
    }
}

/// Fine-tuning (or training from scratch) runs on class folders.
#[derive(Debug, Clone)]
pub struct TransferPlan {
    /// The trained model whose network (and, unless `scratch`, weights) is the start.
    pub base: PathBuf,
    pub source: TransferSource,
    pub seeds: Vec<u64>,
    /// Keep the first N conv blocks fixed.
    pub freeze: usize,
    /// Train the base network from fresh weights instead.
    pub scratch: bool,
    /// The split's seed for every run, unless `vary_split` (then each run's seed).
    pub split_seed: u64,
    pub vary_split: bool,
    pub schedule: Schedule,
    pub jobs: Option<usize>,
    pub out: PathBuf,
}

/// What the runs made.
#[derive(Debug)]
pub struct TransferOutcome {
    /// `out/report.json`: this call's runs and the other mode's kept from earlier calls.
    pub report: Report,
    pub report_path: Option<PathBuf>,
    /// This call's finished runs.
    pub runs: Vec<Run>,
    /// `transfer:<arch>` or `scratch:<arch>`.
    pub model_name: String,
    /// The confusion matrix of this call's runs summed, when any finished.
    pub confusion_png: Option<PathBuf>,
    /// Files left out of the inputs, and runs that failed: (what, reason).
    pub input_failures: Vec<(String, String)>,
    pub run_failures: Vec<(String, String)>,
}

impl TransferPlan {
    /// The study's GTZAN step from `base` on image folders: seeds 42-46, split seed 42,
    /// batch 32, patience 10, up to 50 epochs.
    pub fn new(base: PathBuf, source: TransferSource, out: PathBuf) -> Self {
        Self {
            base,
            source,
            seeds: vec![42, 43, 44, 45, 46],
            freeze: 0,
            scratch: false,
            split_seed: 42,
            vary_split: false,
            schedule: Schedule {
                batch_size: 32,
                patience: 10,
                ..Schedule::study()
            },
            jobs: None,
            out,
        }
    }

    /// Every check that needs neither the base model nor the data (the training settings are
    /// checked on the base's network once it is loaded).
    pub fn check(&self) -> Result<()> {
        if self.seeds.is_empty() {
            return Err(StudyError::invalid("seeds", "is empty"));
        }
        if self.scratch && self.freeze > 0 {
            return Err(StudyError::invalid(
                "freeze",
                "keeps pretrained blocks fixed; with scratch there are none",
            ));
        }
        Ok(())
    }

    fn mode(&self) -> &'static str {
        if self.scratch {
            "scratch"
        } else {
            "transfer"
        }
    }

    /// Load the base model and the inputs, then train every seed's run.
    pub fn run(&self, progress: &Progress) -> Result<TransferOutcome> {
        self.check()?;
        let base =
            subgenre_cnn::load_model(&self.base).map_err(|e| StudyError::read(&self.base, e))?;
        let network = base.spec.network.clone();
        let size = base.spec.input.size;
        if network.height != size || network.width != size {
            return Err(StudyError::read(
                &self.base,
                format!(
                    "the network takes {}x{} inputs but the model's input is {size}x{size}",
                    network.height, network.width
                ),
            ));
        }
        let arch = network.arch;
        self.schedule
            .train_config(network.clone(), base.spec.classes.clone(), 0, 0)
            .with_freeze_blocks(self.freeze)
            .check()
            .map_err(setting_error)?;
        let dir = self.source.dir();
        let (inputs, input_spec, features) = match &self.source {
            TransferSource::Images { resize, .. } => {
                let inputs =
                    LabelledInputs::from_image_folders(dir, size, *resize, self.jobs, progress)?;
                let mut spec = InputSpec::new("image", size);
                spec.extra
                    .insert("route".into(), json!(format!("images:{}", dir.display())));
                spec.extra.insert("gray".into(), json!("opencv-imread"));
                spec.extra.insert("resize".into(), json!(resize.name()));
                let features = format!(
                    "images {}: grey as cv2.imread, {resize} resize to {size}x{size}",
                    dir.display()
                );
                (inputs, spec, features)
            }
            TransferSource::Audio(_) => {
                let (variant, route) = audio_input(&base, &self.base)?;
                let inputs = LabelledInputs::from_audio_folders(
                    dir, variant, route, size, self.jobs, progress,
                )?;
                // The base model's input, unchanged: `subgenre predict` makes the same windows.
                let features = format!(
                    "audio {}: {variant} mel-spectrograms ({route}), 8 s windows every {AUDIO_HOP_S} s, {size}x{size}",
                    dir.display(),
                );
                (inputs, base.spec.input.clone(), features)
            }
        };
        for (what, reason) in &inputs.failures {
            progress(&Event::Skipped { what, reason });
        }
        let k = inputs.classes.len();
        let mode = self.mode();
        let model_name = format!("{mode}:{arch}");
        let mut new_network: ModelConfig = network.clone();
        new_network.num_classes = k;
        let params = self.params(&new_network, &input_spec)?;

        std::fs::create_dir_all(&self.out).map_err(|e| StudyError::io(&self.out, e))?;
        let mut report = self.report_keeping_other_mode(&inputs, &features, &model_name, progress);
        let unit = self.source.unit();
        progress(&Event::Note(&format!(
            "{} {}: {} {unit} from {} files, {k} classes ({}); base {} ({arch}, {size}x{size}, {} classes)",
            self.source.kind(),
            dir.display(),
            inputs.len(),
            inputs.files,
            inputs.per_class(),
            self.base.display(),
            base.spec.classes.len(),
        )));
        let s = &self.schedule;
        progress(&Event::Note(&format!(
            "{mode}: {} run(s) of {} epochs at most, patience {}, batch {}, lr {}{} on {} (jobs {})",
            self.seeds.len(),
            s.max_epochs,
            s.patience,
            s.batch_size,
            s.learning_rate,
            if self.freeze > 0 {
                format!(", first {} blocks frozen", self.freeze)
            } else {
                String::new()
            },
            subgenre_cnn::backend_name(),
            self.jobs.map_or("all".to_string(), |n| n.to_string()),
        )));

        let fixed_split = if self.vary_split {
            None
        } else {
            Some(self.make_split(&inputs, self.split_seed)?)
        };
        let threads = self.jobs.unwrap_or(0);
        let items = inputs.items();
        let mut runs = Vec::new();
        let mut run_failures = Vec::new();
        let mut report_path = None;
        for (i, &seed) in self.seeds.iter().enumerate() {
            let split_seed = if self.vary_split {
                seed
            } else {
                self.split_seed
            };
            let split = match &fixed_split {
                Some(s) => s.clone(),
                None => self.make_split(&inputs, seed)?,
            };
            let parts = split.indices(&items)?;
            let folder = format!(
                "{mode}_{arch}{}_seed{seed}",
                if self.freeze > 0 {
                    format!("_freeze{}", self.freeze)
                } else {
                    String::new()
                }
            );
            let title = format!("{mode} {arch} {size}x{size} seed {seed}");
            progress(&Event::RunStarted {
                index: i + 1,
                total: self.seeds.len(),
                title: &title,
                train: parts.train.len(),
                val: parts.val.len(),
                scored: parts.test.len(),
                scored_part: "test",
                unit,
            });
            let mut run_params = params.clone();
            run_params.insert("split".into(), json!(self.split_name(split_seed)));
            let init = if self.scratch {
                None
            } else {
                // The new layer's weights come from the device's generator: seed it first.
                subgenre_cnn::default_device().seed(seed);
                Some(subgenre_cnn::replace_head(base.model.clone(), k)?)
            };
            let config = s
                .train_config(new_network.clone(), inputs.classes.clone(), seed, threads)
                .with_freeze_blocks(self.freeze);
            let job = RunJob {
                trained: self.trained_record(&base, &run_params, &parts),
                folder: RunFolder::new(runs_dir(&self.out).join(&folder), run_params),
                config,
                init,
                inputs: &inputs,
                parts: &parts,
                model: model_name.clone(),
                input: input_spec.clone(),
                title: format!("{model_name} seed {seed}"),
                scored_on_validation: false,
                split: Some(&split),
            };
            match job.run(progress) {
                Ok(run) => {
                    progress(&Event::RunFinished { run: &run });
                    report.push_run(run.clone());
                    report_path = Some(write_report(&report, &self.out)?);
                    runs.push(run);
                }
                Err(e) => {
                    let error = e.to_string();
                    progress(&Event::RunFailed {
                        name: &folder,
                        error: &error,
                    });
                    run_failures.push((folder, error));
                }
            }
        }
        let confusion_png = if runs.is_empty() {
            None
        } else {
            let png = self.out.join(format!("confusion_{mode}.png"));
            let cm = summed_confusion(&runs, &inputs.classes);
            subgenre_eval::confusion_png(
                &png,
                &cm,
                &format!("{model_name}, {} run(s) summed", runs.len()),
            )?;
            Some(png)
        };
        Ok(TransferOutcome {
            report,
            report_path,
            runs,
            model_name,
            confusion_png,
            input_failures: inputs.failures,
            run_failures,
        })
    }

    fn params(
        &self,
        network: &ModelConfig,
        input: &InputSpec,
    ) -> Result<BTreeMap<String, serde_json::Value>> {
        let json_of = |v: serde_json::Result<serde_json::Value>| {
            v.map_err(StudyError::json("the run's settings"))
        };
        let s = &self.schedule;
        let mut params = BTreeMap::from([
            ("mode".to_string(), json!(self.mode())),
            (
                "network".to_string(),
                json_of(serde_json::to_value(network))?,
            ),
            (
                "source".to_string(),
                json!(format!(
                    "{}:{}",
                    self.source.kind(),
                    self.source.dir().display()
                )),
            ),
            ("input".to_string(), json_of(serde_json::to_value(input))?),
            ("freeze".to_string(), json!(self.freeze)),
            ("lr".to_string(), json!(s.learning_rate)),
            ("batch_size".to_string(), json!(s.batch_size)),
            ("max_epochs".to_string(), json!(s.max_epochs)),
            ("patience".to_string(), json!(s.patience)),
        ]);
        if matches!(self.source, TransferSource::Audio(_)) {
            params.insert("hop_s".into(), json!(AUDIO_HOP_S));
        }
        if !self.scratch {
            let bytes = std::fs::read(&self.base).map_err(|e| StudyError::read(&self.base, e))?;
            params.insert(
                "base".into(),
                json!(format!("fnv64:{}", subgenre_core::Fnv1a::of(&bytes).hex())),
            );
        }
        Ok(params)
    }

    /// The report to add this call's runs to: the earlier one when it is of the same data
    /// and split (keeping the other mode's runs), else a new one.
    fn report_keeping_other_mode(
        &self,
        inputs: &LabelledInputs,
        features: &str,
        model_name: &str,
        progress: &Progress,
    ) -> Report {
        let protocol = match (&self.source, self.vary_split) {
            (TransferSource::Images { .. }, false) => {
                format!("stratified 70/15/15, split seed {}", self.split_seed)
            }
            (TransferSource::Images { .. }, true) => {
                "stratified 70/15/15, split seed = run seed".to_string()
            }
            (TransferSource::Audio(_), false) => {
                format!("group by file, split seed {}", self.split_seed)
            }
            (TransferSource::Audio(_), true) => "group by file, split seed = run seed".to_string(),
        };
        let mut report = Report::new(
            &protocol,
            &inputs.classes,
            features,
            &subgenre_core::version_string(),
        );
        let path = self.out.join("report.json");
        if path.is_file() {
            match Report::load(&path) {
                Ok(old)
                    if old.classes == report.classes
                        && old.protocol == report.protocol
                        && old.features == report.features =>
                {
                    for r in old.runs.into_iter().filter(|r| r.model != model_name) {
                        report.push_run(r);
                    }
                }
                _ => progress(&Event::Note(&format!(
                    "{} is from other data or another split; it is replaced",
                    path.display()
                ))),
            }
        }
        report
    }

    fn trained_record(
        &self,
        base: &SavedModel,
        params: &BTreeMap<String, serde_json::Value>,
        parts: &subgenre_eval::PartIndices,
    ) -> serde_json::Map<String, serde_json::Value> {
        let spec = &base.spec;
        let trained = json!({
            "data": self.source.dir().display().to_string(),
            "mode": params.get("mode"),
            "base": if self.scratch { serde_json::Value::Null } else { json!({
                "path": self.base.display().to_string(),
                "arch": spec.arch.name(),
                "classes": spec.classes,
                "data": spec.trained.get("data"),
                "weights": params.get("base"),
            }) },
            "split": params.get("split"),
            "train_inputs": parts.train.len(),
            "val_inputs": parts.val.len(),
            "test_inputs": parts.test.len(),
        });
        trained.as_object().cloned().unwrap_or_default()
    }

    /// Stratified 70/15/15 (as scikit-learn's `train_test_split(test_size=0.3,
    /// stratify=y)`, then half of that for test) for images; the CNN split grouped by file for
    /// audio windows.
    fn make_split(&self, inputs: &LabelledInputs, seed: u64) -> Result<Split> {
        let items = inputs.items();
        Ok(match self.source {
            TransferSource::Images { .. } => {
                let first = random_split(&items, 0.3, seed, true)?;
                let ids: HashSet<&str> = first.test.iter().map(String::as_str).collect();
                let temp: Vec<SplitItem<'_>> = items
                    .iter()
                    .filter(|i| ids.contains(i.sample_id))
                    .copied()
                    .collect();
                let second = random_split(&temp, 0.5, seed, true)?;
                Split {
                    seed,
                    train: first.train,
                    val: second.train,
                    test: second.test,
                }
            }
            TransferSource::Audio(_) => group_split(&items, seed)?,
        })
    }

    fn split_name(&self, seed: u64) -> String {
        match self.source {
            TransferSource::Images { .. } => format!("stratified-70/15/15:seed{seed}"),
            TransferSource::Audio(_) => format!("group-by-file:seed{seed}"),
        }
    }
}

/// The mel variant and route of a model trained on audio, as `subgenre predict` reads them.
fn audio_input(base: &SavedModel, path: &Path) -> Result<(MelVariant, InputRoute)> {
    let input = &base.spec.input;
    let variant: MelVariant = input.variant.parse().map_err(|_| {
        StudyError::read(
            path,
            format!(
                "its input `{}` is not a mel variant (normal or low), so it cannot take audio",
                input.variant
            ),
        )
    })?;
    let route = match input.extra.get("route").and_then(|v| v.as_str()) {
        None | Some("array") => InputRoute::Array,
        Some("study-png") => InputRoute::StudyPng,
        Some(other) => {
            return Err(StudyError::read(
                path,
                format!("it was trained on `{other}`, not on audio, so it cannot take audio"),
            ))
        }
    };
    Ok((variant, route))
}

fn summed_confusion(runs: &[Run], classes: &[String]) -> ConfusionMatrix {
    let k = classes.len();
    let mut counts = vec![vec![0u64; k]; k];
    for run in runs {
        for (row, r) in counts.iter_mut().zip(&run.confusion) {
            for (c, v) in row.iter_mut().zip(r) {
                *c += v;
            }
        }
    }
    ConfusionMatrix {
        classes: classes.to_vec(),
        counts,
    }
}
