//! Typed settings shared by the plans: input sizes, augmentations, the `reproduce` grid.

use std::fmt;
use std::str::FromStr;

use subgenre_cnn::AugmentConfig;

use crate::error::{Result, StudyError};

/// The side of a square model input, in pixels: 16 to 1024.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InputSize(usize);

impl InputSize {
    pub const MIN: usize = 16;
    pub const MAX: usize = 1024;
    /// The study's 128 x 128.
    pub const STUDY: InputSize = InputSize(128);

    pub fn new(pixels: usize) -> Result<Self> {
        if (Self::MIN..=Self::MAX).contains(&pixels) {
            Ok(Self(pixels))
        } else {
            Err(StudyError::invalid(
                "size",
                format!(
                    "{pixels} is out of range: sizes run from {} to {} pixels",
                    Self::MIN,
                    Self::MAX
                ),
            ))
        }
    }

    pub fn get(self) -> usize {
        self.0
    }
}

impl FromStr for InputSize {
    type Err = StudyError;
    fn from_str(s: &str) -> Result<Self> {
        let n = s
            .trim()
            .parse()
            .map_err(|_| StudyError::invalid("size", format!("`{s}` is not a number")))?;
        Self::new(n)
    }
}

impl fmt::Display for InputSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Training-time augmentation: SpecAugment masks, mixup (alpha 0.2), both, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Augmentation {
    pub spec_augment: bool,
    pub mixup: bool,
}

impl Augmentation {
    /// Mixup's Beta(alpha, alpha).
    pub const MIXUP_ALPHA: f64 = 0.2;

    pub fn config(self) -> AugmentConfig {
        let mut config = AugmentConfig::new();
        config.spec_augment = self.spec_augment;
        if self.mixup {
            config.mixup_alpha = Self::MIXUP_ALPHA;
        }
        config
    }
}

impl FromStr for Augmentation {
    type Err = StudyError;
    /// `none`, `spec`, `mixup` or `spec+mixup`.
    fn from_str(s: &str) -> Result<Self> {
        let mut augmentation = Augmentation::default();
        for part in s.split('+').map(str::trim) {
            match part {
                "none" => {}
                "spec" => augmentation.spec_augment = true,
                "mixup" => augmentation.mixup = true,
                other => {
                    return Err(StudyError::invalid(
                        "augment",
                        format!("`{other}` is not none, spec, mixup or spec+mixup"),
                    ))
                }
            }
        }
        Ok(augmentation)
    }
}

impl fmt::Display for Augmentation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.spec_augment, self.mixup) {
            (false, false) => "none",
            (true, false) => "spec",
            (false, true) => "mixup",
            (true, true) => "spec+mixup",
        })
    }
}

/// How much of the study's CNN grid `reproduce` trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grid {
    /// compact and cnn_drop_first on normal 128.
    #[default]
    Quick,
    /// The study's whole grid.
    Study,
}

impl Grid {
    pub fn name(self) -> &'static str {
        match self {
            Grid::Quick => "quick",
            Grid::Study => "study",
        }
    }
}

impl FromStr for Grid {
    type Err = StudyError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "quick" => Ok(Grid::Quick),
            "study" => Ok(Grid::Study),
            other => Err(StudyError::invalid(
                "grid",
                format!("`{other}` is not quick or study"),
            )),
        }
    }
}

impl fmt::Display for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A training setting's error, named as the plans (and the command line) name it.
pub(crate) fn setting_error(e: subgenre_cnn::CnnError) -> StudyError {
    match e {
        subgenre_cnn::CnnError::InvalidSetting { name, reason } => {
            let name = match name {
                "max_epochs" => "epochs",
                "learning_rate" => "lr",
                "freeze_blocks" => "freeze",
                other => other,
            };
            StudyError::Invalid { name, reason }
        }
        other => other.into(),
    }
}

/// The optimizer and loop settings every plan shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub learning_rate: f64,
    pub batch_size: usize,
    pub max_epochs: usize,
    /// Epochs without a lower validation loss before stopping (0: never).
    pub patience: usize,
}

impl Schedule {
    /// The study's: Adam at 1e-3, batch 64, 50 epochs, patience 5 (its grid).
    pub fn study() -> Self {
        Self {
            learning_rate: 1e-3,
            batch_size: 64,
            max_epochs: 50,
            patience: 5,
        }
    }

    /// These settings checked on `model` (by `TrainConfig::check`, the one place that
    /// checks them), errors named as the plans name the settings.
    pub fn check_on(&self, model: subgenre_cnn::ModelConfig, classes: Vec<String>) -> Result<()> {
        self.train_config(model, classes, 0, 0)
            .check()
            .map_err(setting_error)
    }

    /// These settings on a network and its classes.
    pub fn train_config(
        &self,
        model: subgenre_cnn::ModelConfig,
        classes: Vec<String>,
        seed: u64,
        threads: usize,
    ) -> subgenre_cnn::TrainConfig {
        subgenre_cnn::TrainConfig::new(model, classes)
            .with_optimizer(
                subgenre_cnn::OptimizerConfig::new().with_learning_rate(self.learning_rate),
            )
            .with_batch_size(self.batch_size)
            .with_max_epochs(self.max_epochs)
            .with_patience(self.patience)
            .with_seed(seed)
            .with_threads(threads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked() {
        assert_eq!("128".parse::<InputSize>().expect("ok").get(), 128);
        assert!("15".parse::<InputSize>().is_err());
        assert!("1025".parse::<InputSize>().is_err());
        assert!("big".parse::<InputSize>().is_err());
    }

    #[test]
    fn augmentations_read_and_print_back() {
        for text in ["none", "spec", "mixup", "spec+mixup"] {
            assert_eq!(text.parse::<Augmentation>().expect("ok").to_string(), text);
        }
        assert!("noise".parse::<Augmentation>().is_err());
        let both: Augmentation = "spec+mixup".parse().expect("ok");
        assert!(both.config().spec_augment);
        assert_eq!(both.config().mixup_alpha, Augmentation::MIXUP_ALPHA);
    }

    #[test]
    fn a_schedule_names_its_bad_setting_as_the_plans_do() {
        let model = || subgenre_cnn::ModelConfig::square(subgenre_cnn::Arch::Compact, 2, 64);
        let classes = || vec!["a".to_string(), "b".to_string()];
        let mut s = Schedule::study();
        assert!(s.check_on(model(), classes()).is_ok());
        s.learning_rate = 0.0;
        let e = s
            .check_on(model(), classes())
            .expect_err("an error")
            .to_string();
        assert!(e.starts_with("lr "), "{e}");
        s = Schedule::study();
        s.max_epochs = 0;
        assert_eq!(
            s.check_on(model(), classes())
                .expect_err("an error")
                .to_string(),
            "epochs must be at least 1"
        );
    }
}
