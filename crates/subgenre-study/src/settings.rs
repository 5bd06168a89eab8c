//! The settings of `train`/`experiment` and `transfer` as the front ends take them (the
//! command line's flags, the Python functions' keywords): each is one value that both build,
//! turned into its checked plan here, so the mapping of arguments to a plan lives once.

use std::path::PathBuf;
use std::str::FromStr;

use subgenre_cnn::Arch;
use subgenre_dataset::ClassSet;
use subgenre_extract::image::Interpolation;
use subgenre_extract::{InputRoute, MelVariant};

use crate::error::{Result, StudyError};
use crate::evaluate::ScoredPart;
use crate::options::{Augmentation, InputSize, Schedule};
use crate::train::{ClipSource, GridKind, TrainPlan};
use crate::transfer::{TransferPlan, TransferSource};
use crate::DataSource;

/// The choices of a grid of CNN runs, names as given (each list item one name), checked and
/// parsed by [`TrainSettings::into_plan`].
#[derive(Debug, Clone)]
pub struct TrainSettings {
    pub kind: GridKind,
    pub data: DataSource,
    pub out: PathBuf,
    /// `five`, `all` or a comma-separated list of classes.
    pub classes: String,
    /// Networks (one for `train`).
    pub archs: Vec<String>,
    /// Mel variants: `normal`, `low`.
    pub variants: Vec<String>,
    /// Square input sizes in pixels.
    pub sizes: Vec<String>,
    pub seeds: Vec<u64>,
    /// `array` or `study-png` (unused with `images`).
    pub route: String,
    /// Read `<sample_id>.png` images from this folder instead of the audio.
    pub images: Option<PathBuf>,
    /// A split file for every seed.
    pub split: Option<PathBuf>,
    /// `None`: the kind's (10 for `train`, 5 for `experiment`).
    pub patience: Option<usize>,
    pub epochs: usize,
    pub lr: f64,
    pub batch_size: usize,
    /// `none`, `spec`, `mixup` or `spec+mixup`.
    pub augment: String,
    /// compact only: channels of the first block.
    pub channels: usize,
    pub final_fit: bool,
    pub jobs: Option<usize>,
}

/// Each item of `items` parsed, a bad one named by the setting and its text.
fn parsed<T: FromStr>(name: &'static str, items: &[String]) -> Result<Vec<T>>
where
    T::Err: std::fmt::Display,
{
    items
        .iter()
        .map(|s| {
            s.trim()
                .parse::<T>()
                .map_err(|e| StudyError::invalid(name, format!("`{s}`: {e}")))
        })
        .collect()
}

impl TrainSettings {
    /// The command line's defaults: compact on normal 128, seed 42, 50 epochs at 1e-3,
    /// batch 64, no augmentation, the five classes.
    pub fn new(kind: GridKind, data: DataSource, out: PathBuf) -> Self {
        Self {
            kind,
            data,
            out,
            classes: "five".into(),
            archs: vec![Arch::Compact.name().into()],
            variants: vec![MelVariant::Normal.name().into()],
            sizes: vec![InputSize::STUDY.to_string()],
            seeds: vec![42],
            route: InputRoute::Array.name().into(),
            images: None,
            split: None,
            patience: None,
            epochs: 50,
            lr: 1e-3,
            batch_size: 64,
            augment: "none".into(),
            channels: 16,
            final_fit: false,
            jobs: None,
        }
    }

    /// The plan these settings describe, checked ([`TrainPlan::check`]).
    pub fn into_plan(self) -> Result<TrainPlan> {
        let mut plan = TrainPlan::new(self.kind, self.data, self.out);
        plan.classes = ClassSet::parse(&self.classes)
            .map_err(|e| StudyError::invalid("classes", e.to_string()))?;
        plan.archs = parsed::<Arch>("arch", &self.archs)?;
        plan.variants = parsed::<MelVariant>("variant", &self.variants)?;
        plan.sizes = self
            .sizes
            .iter()
            .map(|s| s.parse::<InputSize>())
            .collect::<Result<_>>()?;
        plan.seeds = self.seeds;
        plan.source = match self.images {
            Some(dir) => ClipSource::Images(dir),
            None => ClipSource::Mel(
                self.route
                    .parse::<InputRoute>()
                    .map_err(|e| StudyError::invalid("route", e.to_string()))?,
            ),
        };
        plan.split = self.split;
        if let Some(patience) = self.patience {
            plan.schedule.patience = patience;
        }
        plan.schedule.max_epochs = self.epochs;
        plan.schedule.learning_rate = self.lr;
        plan.schedule.batch_size = self.batch_size;
        plan.augment = self.augment.parse::<Augmentation>()?;
        plan.channels = self.channels;
        plan.final_fit = self.final_fit;
        plan.jobs = self.jobs;
        plan.check()?;
        Ok(plan)
    }
}

/// The choices of `transfer`, made into a [`TransferPlan`] by
/// [`TransferSettings::into_plan`].
#[derive(Debug, Clone)]
pub struct TransferSettings {
    pub base: PathBuf,
    pub out: PathBuf,
    /// Class folders of images; exactly one of `images` and `audio`.
    pub images: Option<PathBuf>,
    /// Class folders of audio files.
    pub audio: Option<PathBuf>,
    /// How images are resized to the base model's input.
    pub resize: Interpolation,
    pub seeds: Vec<u64>,
    pub freeze: usize,
    pub scratch: bool,
    pub split_seed: u64,
    pub vary_split: bool,
    pub batch_size: usize,
    pub epochs: usize,
    pub patience: usize,
    pub lr: f64,
    pub jobs: Option<usize>,
}

impl TransferSettings {
    /// The study's GTZAN step's settings (as [`TransferPlan::new`]), no folder chosen yet.
    pub fn new(base: PathBuf, out: PathBuf) -> Self {
        let defaults = TransferPlan::new(
            base.clone(),
            TransferSource::Audio(PathBuf::new()),
            out.clone(),
        );
        Self {
            base,
            out,
            images: None,
            audio: None,
            resize: Interpolation::Linear,
            seeds: defaults.seeds,
            freeze: defaults.freeze,
            scratch: defaults.scratch,
            split_seed: defaults.split_seed,
            vary_split: defaults.vary_split,
            batch_size: defaults.schedule.batch_size,
            epochs: defaults.schedule.max_epochs,
            patience: defaults.schedule.patience,
            lr: defaults.schedule.learning_rate,
            jobs: defaults.jobs,
        }
    }

    /// The plan these settings describe, checked ([`TransferPlan::check`]).
    pub fn into_plan(self) -> Result<TransferPlan> {
        let source = match (self.images, self.audio) {
            (Some(dir), None) => TransferSource::Images {
                dir,
                resize: self.resize,
            },
            (None, Some(dir)) => TransferSource::Audio(dir),
            _ => return Err(StudyError::invalid("images", "or audio: give exactly one")),
        };
        let mut plan = TransferPlan::new(self.base, source, self.out);
        plan.seeds = self.seeds;
        plan.freeze = self.freeze;
        plan.scratch = self.scratch;
        plan.split_seed = self.split_seed;
        plan.vary_split = self.vary_split;
        plan.schedule = Schedule {
            learning_rate: self.lr,
            batch_size: self.batch_size,
            max_epochs: self.epochs,
            patience: self.patience,
        };
        plan.jobs = self.jobs;
        plan.check()?;
        Ok(plan)
    }
}

impl ScoredPart {
    /// The part `evaluate`'s choices name: `all` (every clip), else a split file, else a
    /// seed's split, else the split the model was trained on. A split file and a seed
    /// together are an error.
    pub fn choose(split: Option<PathBuf>, seed: Option<u64>, all: bool) -> Result<Self> {
        Ok(match (split, seed, all) {
            (_, _, true) => ScoredPart::All,
            (Some(_), Some(_), false) => {
                return Err(StudyError::invalid(
                    "split",
                    "and seed each choose the part: give one",
                ))
            }
            (Some(path), None, false) => ScoredPart::SplitFile(path),
            (None, Some(seed), false) => ScoredPart::Seed(seed),
            (None, None, false) => ScoredPart::Trained,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> DataSource {
        DataSource {
            root: "unused".into(),
            is_demo: false,
        }
    }

    fn train() -> TrainSettings {
        TrainSettings::new(GridKind::Train, data(), "out".into())
    }

    #[test]
    fn train_settings_become_the_plan_they_name() {
        let mut s = train();
        s.archs = vec!["cnn_main".into()];
        s.sizes = vec!["64".into()];
        s.route = "study-png".into();
        s.augment = "spec".into();
        s.epochs = 3;
        let plan = s.into_plan().expect("plan");
        assert_eq!(plan.archs, [Arch::CnnMain]);
        assert_eq!(plan.sizes, [InputSize::new(64).expect("size")]);
        assert_eq!(plan.source, ClipSource::Mel(InputRoute::StudyPng));
        assert_eq!(plan.schedule.max_epochs, 3);
        assert_eq!(plan.schedule.patience, 10, "train's own patience");
        assert!(plan.augment.spec_augment);

        let mut s = TrainSettings::new(GridKind::Experiment, data(), "out".into());
        s.images = Some("pngs".into());
        s.patience = Some(2);
        let plan = s.into_plan().expect("plan");
        assert_eq!(plan.source, ClipSource::Images("pngs".into()));
        assert_eq!(plan.schedule.patience, 2);
    }

    #[test]
    fn a_bad_train_setting_is_named() {
        let bad = |edit: fn(&mut TrainSettings)| {
            let mut s = train();
            edit(&mut s);
            s.into_plan().expect_err("bad").to_string()
        };
        assert!(bad(|s| s.archs = vec!["resnet".into()]).starts_with("arch `resnet`"));
        assert!(bad(|s| s.variants = vec!["high".into()]).starts_with("variant `high`"));
        assert!(bad(|s| s.sizes = vec!["4".into()]).starts_with("size "));
        assert!(bad(|s| s.augment = "flip".into()).contains("flip"));
        assert!(bad(|s| s.route = "svg".into()).starts_with("route "));
        assert!(bad(|s| s.classes = "dubstep".into()).contains("dubstep"));
        assert_eq!(bad(|s| s.archs = Vec::new()), "arch is empty");
        assert!(bad(|s| s.archs = vec!["compact".into(), "cnn_main".into()]).contains("experiment"));
    }

    #[test]
    fn transfer_settings_take_one_folder() {
        let mut s = TransferSettings::new("base.sgcnn".into(), "out".into());
        assert!(s.clone().into_plan().is_err());
        s.images = Some("imgs".into());
        s.resize = Interpolation::Area;
        s.epochs = 7;
        let plan = s.clone().into_plan().expect("plan");
        assert_eq!(
            plan.source,
            TransferSource::Images {
                dir: "imgs".into(),
                resize: Interpolation::Area
            }
        );
        assert_eq!(
            (plan.schedule.max_epochs, plan.schedule.batch_size),
            (7, 32)
        );
        s.audio = Some("audio".into());
        assert!(s.into_plan().is_err());
    }

    #[test]
    fn the_scored_part_is_chosen_once() {
        assert_eq!(
            ScoredPart::choose(None, None, false).expect("ok"),
            ScoredPart::Trained
        );
        assert_eq!(
            ScoredPart::choose(None, Some(3), false).expect("ok"),
            ScoredPart::Seed(3)
        );
        assert_eq!(
            ScoredPart::choose(Some("s".into()), Some(3), true).expect("ok"),
            ScoredPart::All
        );
        assert!(ScoredPart::choose(Some("s".into()), Some(3), false).is_err());
    }
}
