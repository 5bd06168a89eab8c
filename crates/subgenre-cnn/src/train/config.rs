//! What a training run is given (besides its data) and what it gives back.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{balanced_class_weights, AugmentConfig};
use crate::error::{CnnError, Result};
use crate::net::{Arch, Cnn, ModelConfig};

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
            return Err(CnnError::ClassCountMismatch {
                outputs: k,
                classes: self.classes.len(),
            });
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
        assert!(matches!(
            three.check(),
            Err(CnnError::ClassCountMismatch {
                outputs: 2,
                classes: 3
            })
        ));
    }
}
