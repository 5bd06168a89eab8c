//! `train` and `experiment`: CNNs on a data set's clips, as a grid of (network, mel variant,
//! size, seed). `train` is the grid of one network and input with patience 10, `experiment`
//! the study's grid with patience 5. Every run lives in its own folder under `out/runs`
//! ([`crate::run`]): a killed run resumes after its last epoch, a finished one is reused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;
use subgenre_cnn::{Arch, InputSpec, ModelConfig};
use subgenre_dataset::{Cache, ClassSet};
use subgenre_eval::{group_split, Report, Split};
use subgenre_extract::{InputRoute, MelVariant};

use crate::error::{Result, StudyError};
use crate::inputs::{ClipInput, LabelledInputs};
use crate::options::{Augmentation, InputSize, Schedule};
use crate::progress::{Event, Progress};
use crate::run::{runs_dir, write_report, RunFolder, RunJob};
use crate::DataSource;

/// Which command's defaults and limits apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridKind {
    /// One network and input (patience 10); `final_fit` allowed.
    Train,
    /// The study's grids (patience 5).
    Experiment,
}

/// Where the clips' inputs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClipSource {
    /// Mel-spectrograms of each variant in the plan, by this route.
    Mel(InputRoute),
    /// `DIR/<sample_id>.png` images (the plan's variants only name the runs).
    Images(PathBuf),
}

/// A grid of CNN runs on a data set.
#[derive(Debug, Clone)]
pub struct TrainPlan {
    pub kind: GridKind,
    pub data: DataSource,
    pub classes: ClassSet,
    pub archs: Vec<Arch>,
    pub variants: Vec<MelVariant>,
    pub sizes: Vec<InputSize>,
    pub seeds: Vec<u64>,
    pub source: ClipSource,
    /// A split file used for every seed instead of the grouped split of each seed.
    pub split: Option<PathBuf>,
    pub schedule: Schedule,
    pub augment: Augmentation,
    /// `compact` only: channels of its first block.
    pub channels: usize,
    /// Train on train + test, stop early and score on validation (one model to ship).
    pub final_fit: bool,
    pub jobs: Option<usize>,
    pub out: PathBuf,
}

/// What a grid made.
#[derive(Debug)]
pub struct GridOutcome {
    pub report: Report,
    /// `out/report.json` (written after every run), when any run finished.
    pub report_path: Option<PathBuf>,
    /// (run or input set, reason) of what failed or was left out.
    pub failures: Vec<(String, String)>,
    /// Clips of the data set and of the chosen classes.
    pub clips: usize,
}

impl TrainPlan {
    /// The study's settings for `kind` on the five classes, seeds 42-46 (`experiment`) or 42
    /// (`train`), compact (`train`) or cnn_drop_first (`experiment`) on normal 128.
    pub fn new(kind: GridKind, data: DataSource, out: PathBuf) -> Self {
        let (arch, seeds, patience) = match kind {
            GridKind::Train => (Arch::Compact, vec![42], 10),
            GridKind::Experiment => (Arch::CnnDropFirst, vec![42, 43, 44, 45, 46], 5),
        };
        Self {
            kind,
            data,
            classes: ClassSet::five(),
            archs: vec![arch],
            variants: vec![MelVariant::Normal],
            sizes: vec![InputSize::STUDY],
            seeds,
            source: ClipSource::Mel(InputRoute::Array),
            split: None,
            schedule: Schedule {
                patience,
                ..Schedule::study()
            },
            augment: Augmentation::default(),
            channels: 16,
            final_fit: false,
            jobs: None,
            out,
        }
    }

    /// Every check that needs no data.
    pub fn check(&self) -> Result<()> {
        let empty = |name: &'static str, list_empty: bool| {
            if list_empty {
                Err(StudyError::invalid(name, "is empty"))
            } else {
                Ok(())
            }
        };
        empty("arch", self.archs.is_empty())?;
        empty("variant", self.variants.is_empty())?;
        empty("size", self.sizes.is_empty())?;
        empty("seeds", self.seeds.is_empty())?;
        if self.channels < 1 {
            return Err(StudyError::invalid("channels", "must be at least 1"));
        }
        match self.kind {
            GridKind::Experiment if self.final_fit => {
                return Err(StudyError::invalid(
                    "final",
                    "is for `train` (one model to ship), not `experiment`",
                ))
            }
            GridKind::Train
                if self.archs.len() > 1 || self.variants.len() > 1 || self.sizes.len() > 1 =>
            {
                return Err(StudyError::invalid(
                    "arch",
                    "takes one network (and one variant and size) in `train`; `experiment` runs grids",
                ))
            }
            _ => {}
        }
        // The training settings, on the grid's first network.
        let size = self.sizes[0].get();
        let network = ModelConfig::new(self.archs[0], self.classes.names().len(), size, size)
            .with_compact_channels(self.channels);
        self.schedule
            .check_on(network, self.classes.names().to_vec())
    }

    /// How many runs the grid has.
    pub fn total_runs(&self) -> usize {
        self.archs.len() * self.variants.len() * self.sizes.len() * self.seeds.len()
    }

    fn split_name(&self) -> String {
        match &self.split {
            Some(p) => format!("file:{}", p.display()),
            None => "group".to_string(),
        }
    }

    fn route_name(&self) -> String {
        match &self.source {
            ClipSource::Images(dir) => format!("images:{}", dir.display()),
            ClipSource::Mel(route) => route.name().to_string(),
        }
    }

    /// The settings that decide a run's result besides its key: a finished run is reused
    /// only when they match.
    fn run_params(&self) -> BTreeMap<String, serde_json::Value> {
        let s = &self.schedule;
        let mut params = BTreeMap::from([
            ("lr".to_string(), json!(s.learning_rate)),
            ("batch_size".to_string(), json!(s.batch_size)),
            ("max_epochs".to_string(), json!(s.max_epochs)),
            ("patience".to_string(), json!(s.patience)),
            ("augment".to_string(), json!(self.augment.to_string())),
            ("route".to_string(), json!(self.route_name())),
            ("channels".to_string(), json!(self.channels)),
            ("split".to_string(), json!(self.split_name())),
        ]);
        if self.final_fit {
            params.insert("fit".into(), json!("train+test"));
        }
        params
    }

    /// Train every run of the grid (reusing finished ones), writing `out/report.json` after
    /// each. A failed run is listed in the outcome and the others go on.
    pub fn run(&self, cache: &Cache, progress: &Progress) -> Result<GridOutcome> {
        self.check()?;
        let fixed_split = match &self.split {
            Some(p) => Some(Split::load(p).map_err(|e| StudyError::read(p, e))?),
            None => None,
        };
        let selection = self.data.open()?.select(&self.classes);
        let class_names: Vec<String> = self.classes.names().to_vec();
        if selection.items.is_empty() {
            return Err(StudyError::NothingToDo(format!(
                "no clips of the classes {} in {}",
                class_names.join(", "),
                self.data.name()
            )));
        }
        progress(&Event::Note(&format!(
            "data set {}: {} clips, {} classes",
            self.data.name(),
            selection.items.len(),
            class_names.len()
        )));
        std::fs::create_dir_all(&self.out).map_err(|e| StudyError::io(&self.out, e))?;
        let mut report = Report::new(
            "group",
            &class_names,
            "mel-spectrogram",
            &subgenre_core::version_string(),
        );
        let mut failures = Vec::new();
        let mut report_path = None;
        let total = self.total_runs();
        let threads = self.jobs.unwrap_or(0);
        let mut done = 0;
        for &variant in &self.variants {
            for &size in &self.sizes {
                let input = match &self.source {
                    ClipSource::Mel(route) => ClipInput::Mel {
                        variant,
                        route: *route,
                    },
                    ClipSource::Images(dir) => ClipInput::Images(dir.clone()),
                };
                let inputs = LabelledInputs::from_dataset(
                    &selection,
                    &class_names,
                    &input,
                    size.get(),
                    cache,
                    self.jobs,
                    progress,
                )?;
                for (id, reason) in &inputs.failures {
                    progress(&Event::Skipped { what: id, reason });
                }
                if !inputs.failures.is_empty() {
                    failures.push((
                        format!("{variant} {size}"),
                        format!("{} clips without input, left out", inputs.failures.len()),
                    ));
                }
                let items = inputs.items();
                for &seed in &self.seeds {
                    let split = match &fixed_split {
                        Some(s) => s.clone(),
                        None => group_split(&items, seed)?,
                    };
                    let mut parts = split.indices(&items)?;
                    if self.final_fit {
                        // The test part joins training; the validation part, kept for early
                        // stopping, is the only one left to score.
                        let test = std::mem::take(&mut parts.test);
                        parts.train.extend(test);
                        parts.test = parts.val.clone();
                    }
                    for &arch in &self.archs {
                        done += 1;
                        let key = RunKey {
                            arch,
                            variant,
                            size: size.get(),
                            seed,
                        };
                        let title = key.title();
                        progress(&Event::RunStarted {
                            index: done,
                            total,
                            title: &title,
                            train: parts.train.len(),
                            val: parts.val.len(),
                            scored: parts.test.len(),
                            scored_part: if self.final_fit { "validation" } else { "test" },
                            unit: "clips",
                        });
                        let job = self.job(&key, &inputs, &parts, &class_names, threads);
                        match job.run(progress) {
                            Ok(run) => {
                                progress(&Event::RunFinished { run: &run });
                                report.push_run(run);
                                report_path = Some(write_report(&report, &self.out)?);
                            }
                            Err(e) => {
                                let error = e.to_string();
                                progress(&Event::RunFailed {
                                    name: &key.folder(),
                                    error: &error,
                                });
                                failures.push((key.folder(), error));
                            }
                        }
                    }
                }
            }
        }
        Ok(GridOutcome {
            report,
            report_path,
            failures,
            clips: selection.items.len(),
        })
    }

    fn job<'a>(
        &self,
        key: &RunKey,
        inputs: &'a LabelledInputs,
        parts: &'a subgenre_eval::PartIndices,
        classes: &[String],
        threads: usize,
    ) -> RunJob<'a> {
        let network = ModelConfig::new(key.arch, classes.len(), key.size, key.size)
            .with_compact_channels(self.channels);
        let config = self
            .schedule
            .train_config(network, classes.to_vec(), key.seed, threads)
            .with_augment(self.augment.config());
        let mut input = InputSpec::new(key.variant.name(), key.size);
        input.extra.insert("route".into(), json!(self.route_name()));
        let params = self.run_params();
        // A final fit trained on the test part: no clip is left unseen.
        let test_clips = if self.final_fit { 0 } else { parts.test.len() };
        let mut trained = serde_json::Map::new();
        trained.insert("data".into(), json!(self.data.name()));
        trained.insert("split".into(), json!(params.get("split")));
        trained.insert("train_clips".into(), json!(parts.train.len()));
        trained.insert("val_clips".into(), json!(parts.val.len()));
        trained.insert("test_clips".into(), json!(test_clips));
        if self.final_fit {
            trained.insert(
                "fit".into(),
                json!("train+test parts; early stopping and the scores on the validation part (optimistic)"),
            );
        }
        RunJob {
            folder: RunFolder::new(runs_dir(&self.out).join(key.folder()), params),
            config,
            init: None,
            inputs,
            parts,
            model: key.arch.name().to_string(),
            input,
            title: format!(
                "{} {} {} seed {}",
                key.arch, key.variant, key.size, key.seed
            ),
            scored_on_validation: self.final_fit,
            trained,
            split: None,
        }
    }
}

/// One cell of the grid.
#[derive(Clone, Debug)]
struct RunKey {
    arch: Arch,
    variant: MelVariant,
    size: usize,
    seed: u64,
}

impl RunKey {
    fn folder(&self) -> String {
        format!(
            "{}_{}{}_seed{}",
            self.arch, self.variant, self.size, self.seed
        )
    }

    fn title(&self) -> String {
        format!(
            "{} {} {}x{} seed {}",
            self.arch, self.variant, self.size, self.size, self.seed
        )
    }
}

/// The `out/runs/<arch>_<variant><size>_seed<seed>/model.sgcnn` of a grid's run.
pub fn run_model_path(
    out: &Path,
    arch: Arch,
    variant: MelVariant,
    size: usize,
    seed: u64,
) -> PathBuf {
    let key = RunKey {
        arch,
        variant,
        size,
        seed,
    };
    runs_dir(out).join(key.folder()).join("model.sgcnn")
}
