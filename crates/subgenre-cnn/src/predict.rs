//! Prediction with one network: class probabilities, embeddings and classes of model inputs,
//! through the network's engine ([`crate::engine`]).

use burn::{prelude::*, tensor::activation::softmax};

use crate::backend::default_device;
use crate::data::images_tensor;
use crate::engine::cpu::CpuCnn;
use crate::engine::Engine;
pub use crate::engine::ProbsAndEmbeddings;
use crate::error::{CnnError, Result};
use crate::net::Cnn;

/// Class probabilities (softmax of the logits) for each input, computed `batch_size` inputs at
/// a time (0: 64). Each input holds `height * width` values, row-major (see [`Sample`](crate::Sample)).
pub fn predict_proba<P: AsRef<[f32]> + Sync>(
    model: &Cnn,
    inputs: &[P],
    batch_size: usize,
) -> Result<Vec<Vec<f32>>> {
    Ok(forward(model, inputs, batch_size, false)?.0)
}

/// As [`predict_proba`], with each input's embedding ([`Cnn::embed`]) beside its
/// probabilities, from the same forward pass.
pub fn predict_proba_embedded<P: AsRef<[f32]> + Sync>(
    model: &Cnn,
    inputs: &[P],
    batch_size: usize,
) -> Result<ProbsAndEmbeddings> {
    forward(model, inputs, batch_size, true)
}

/// Through the engine the network is on ([`Cnn::engine`]): [`CpuCnn`] (several times faster
/// than burn's tensors on the CPU for a trained network) or burn's tensors.
fn forward<P: AsRef<[f32]> + Sync>(
    model: &Cnn,
    inputs: &[P],
    batch_size: usize,
    embeddings: bool,
) -> Result<ProbsAndEmbeddings> {
    match model.engine() {
        Engine::Cpu => CpuCnn::new(model)?.predict_proba(inputs, batch_size, embeddings),
        Engine::Burn => run_batches(model, inputs, batch_size, embeddings),
    }
}

fn tensor_rows(t: Tensor<2>) -> Result<Vec<Vec<f32>>> {
    let [_, width] = t.dims();
    let values: Vec<f32> = t
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| CnnError::Tensor(format!("{e:?}")))?;
    Ok(values.chunks(width.max(1)).map(<[f32]>::to_vec).collect())
}

/// As [`predict_proba`], always through burn's tensors: the GPU path, and on the CPU the
/// reference that [`CpuCnn`] is tested and timed against (its conv blocks still run on the
/// network's engine).
pub fn predict_proba_burn<P: AsRef<[f32]>>(
    model: &Cnn,
    inputs: &[P],
    batch_size: usize,
) -> Result<Vec<Vec<f32>>> {
    Ok(run_batches(model, inputs, batch_size, false)?.0)
}

pub(crate) fn run_batches<P: AsRef<[f32]>>(
    model: &Cnn,
    inputs: &[P],
    batch_size: usize,
    embeddings: bool,
) -> Result<ProbsAndEmbeddings> {
    let config = model.config();
    let (h, w) = (config.height, config.width);
    for (index, p) in inputs.iter().enumerate() {
        let p = p.as_ref();
        if p.len() != h * w {
            return Err(CnnError::InvalidSample {
                part: "input",
                index,
                reason: format!("{} values, expected {h}x{w} = {}", p.len(), h * w),
            });
        }
    }
    // Inference mode: dropout off, batch norm on its running statistics, no autodiff graph.
    let model = model.valid();
    let device = model
        .devices()
        .first()
        .cloned()
        .unwrap_or_else(default_device);
    let mut probs = Vec::with_capacity(inputs.len());
    let mut embedded = Vec::new();
    for chunk in inputs.chunks(if batch_size == 0 { 64 } else { batch_size }) {
        let slices: Vec<&[f32]> = chunk.iter().map(|p| p.as_ref()).collect();
        let images = images_tensor(&slices, h, w, &device);
        let embedding = model.embed(images);
        if embeddings {
            embedded.extend(tensor_rows(embedding.clone())?);
        }
        probs.extend(tensor_rows(softmax(model.head(embedding), 1))?);
    }
    Ok((probs, embedded))
}

/// The most probable class of each input (see [`predict_proba`]).
pub fn predict<P: AsRef<[f32]> + Sync>(
    model: &Cnn,
    inputs: &[P],
    batch_size: usize,
) -> Result<Vec<usize>> {
    Ok(predict_proba(model, inputs, batch_size)?
        .iter()
        .map(|p| argmax(p))
        .collect())
}

/// The index of the largest value (the first of equals; 0 when empty).
pub fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 {
                (i, v)
            } else {
                best
            }
        })
        .0
}

#[cfg(test)]
mod tests {
    use burn::module::{Param, RunningState};
    use burn::tensor::{Distribution, Tensor};

    use super::*;
    use crate::net::{Arch, CompactPool, ModelConfig};

    /// Batch norm with statistics and scales far from their initial 0 / 1, so a wrong fold
    /// shows.
    fn trained_looking(mut model: Cnn) -> Cnn {
        let device = crate::backend::default_device();
        for block in &mut model.blocks {
            if let Some(norm) = &mut block.norm {
                let [c] = norm.gamma.dims();
                let uniform =
                    |lo, hi| Tensor::<1>::random([c], Distribution::Uniform(lo, hi), &device);
                norm.gamma = Param::from_tensor(uniform(0.5, 1.5));
                norm.beta = Param::from_tensor(uniform(-0.3, 0.3));
                norm.running_mean = RunningState::new(uniform(-0.2, 0.2));
                norm.running_var = RunningState::new(uniform(0.5, 2.0));
            }
        }
        model
    }

    fn inputs(n: usize, h: usize, w: usize) -> Vec<Vec<f32>> {
        // A fixed pseudo-random pattern in [0, 1].
        (0..n)
            .map(|i| {
                (0..h * w)
                    .map(|j| ((i * 7919 + j * 104_729) % 1000) as f32 / 999.0)
                    .collect()
            })
            .collect()
    }

    fn assert_close(ours: &[Vec<f32>], theirs: &[Vec<f32>], tolerance: f32, what: &str) {
        assert_eq!(ours.len(), theirs.len(), "{what}");
        for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
            assert_eq!(a.len(), b.len(), "{what} {i}");
            for (x, y) in a.iter().zip(b) {
                let scale = 1.0f32.max(y.abs());
                assert!((x - y).abs() <= tolerance * scale, "{what} {i}: {x} vs {y}");
            }
        }
    }

    /// Every architecture, odd sizes (pooling that drops a last row or column), stride-1 and
    /// stride-2 pools, 1-, 32- and 64-channel convolution inputs: the same probabilities and
    /// embeddings as burn's forward pass, to float rounding.
    #[test]
    fn equals_the_burn_forward_pass() {
        let device = crate::backend::default_device();
        let mut configs: Vec<ModelConfig> = Arch::ALL
            .iter()
            .map(|&arch| ModelConfig::new(arch, 5, 37, 29))
            .collect();
        configs
            .push(ModelConfig::new(Arch::Compact, 3, 33, 47).with_compact_pool(CompactPool::Both));
        for config in configs {
            device.seed(11);
            let model = trained_looking(config.init(&device).expect("init"));
            let x = inputs(5, config.height, config.width);
            let (probs, embedded) = run_batches(&model, &x, 2, true).expect("burn");
            let cpu = CpuCnn::new(&model).expect("lay out");
            let (our_probs, our_embedded) = cpu.predict_proba(&x, 2, true).expect("cpu");
            let what = format!("{} {}x{}", config.arch, config.height, config.width);
            assert_close(&our_probs, &probs, 1e-5, &format!("{what} probabilities"));
            assert_close(
                &our_embedded,
                &embedded,
                1e-4,
                &format!("{what} embeddings"),
            );
            assert!(
                embedded.iter().flatten().any(|v| *v > 0.0),
                "{what}: a live network"
            );
        }
    }

    #[test]
    fn a_wrong_input_size_is_an_error() {
        let device = crate::backend::default_device();
        let model = ModelConfig::square(Arch::Compact, 3, 32)
            .init(&device)
            .expect("init");
        let cpu = CpuCnn::new(&model).expect("lay out");
        let err = cpu
            .predict_proba(&[vec![0.0; 10]], 0, false)
            .expect_err("10 values");
        assert!(err.to_string().contains("expected 32x32"), "{err}");
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[0.1, 0.5, 0.5, 0.2]), 1);
        assert_eq!(argmax(&[1.0]), 0);
        assert_eq!(argmax(&[]), 0);
    }
}
