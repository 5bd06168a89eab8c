//! The learner: the loss, the network's training and validation steps, and one run of
//! burn-train's supervised training with this crate's hooks.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::{
    data::{dataloader::DataLoaderBuilder, dataset::InMemDataset},
    optim::AdamConfig,
    prelude::*,
    tensor::activation::log_softmax,
    train::{
        metric::{AccuracyMetric, LossMetric},
        ClassificationOutput, InferenceStep, Learner, SupervisedTraining, TrainOutput, TrainStep,
    },
};

use super::config::TrainConfig;
use super::hooks::{
    lock, AtomicFileCheckpointer, EpochRecorder, KeepLastAndBest, PatienceStopping, Shared,
    SilentRenderer,
};
use super::run_dir::RunDir;
use crate::data::{CnnBatch, CnnBatcher, Sample};
use crate::error::{CnnError, Result};
use crate::net::Cnn;

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

/// Build the network (fresh, or `init` made trainable), the data loaders and burn-train's
/// supervised training with this crate's hooks, and run it from `resume`'s epoch on.
#[allow(clippy::too_many_arguments)]
pub(super) fn launch(
    config: &TrainConfig,
    init: Option<Cnn>,
    train: Vec<Sample>,
    val: Vec<Sample>,
    train_weights: Option<Vec<f32>>,
    run: &RunDir,
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
        directory: run.checkpoints.clone(),
        name,
    };
    let recorder = EpochRecorder::new(shared.clone());
    let mut training = SupervisedTraining::new(&run.root, train_loader, valid_loader)
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
    use crate::backend::default_device;

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
