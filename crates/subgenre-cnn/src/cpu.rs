//! A trained network as plain buffers for inference on the CPU, the same function as
//! [`Cnn::forward`] in eval mode to float rounding.
//!
//! Why: a trained network only runs forward, and it does not need what training needs. Each
//! convolution block becomes matrix products of the (batch-norm-folded) kernel and the image:
//! Winograd's F(2x2, 3x3) from 8 input channels on (`winograd.rs`), else one product
//! with the 3x3 neighbourhoods (`[C_out, C_in * 9] x [C_in * 9, H * W]`); one image at a time
//! on one thread, images spread over the rayon pool, with the bias, ReLU and max pooling
//! fused into one pass over its output; the dense layers run as one product per batch. No
//! tensor graph, no layout changes, no separate passes for batch norm, bias and ReLU.

use rayon::prelude::*;

use crate::error::{CnnError, Result};
use crate::inference::ProbsAndEmbeddings;
use crate::kernels::{im2col_3x3, matmul, pooled};
use crate::model::{Cnn, Features};
use crate::winograd::{self, Winograd3x3, WinogradScratch};

/// One conv block: 3x3 "same" convolution (batch norm folded in), ReLU, "valid" max pooling.
#[derive(Clone, Debug)]
struct Block {
    channels_in: usize,
    channels_out: usize,
    /// `[C_out, C_in * 9]`, row major.
    kernel: Vec<f32>,
    /// The same kernel transformed, where the block has enough input channels for it.
    winograd: Option<Winograd3x3>,
    bias: Vec<f32>,
    pool_kernel: [usize; 2],
    pool_stride: [usize; 2],
}

/// `y = x W + b`, `W` `[inputs, outputs]` row major (burn's layout).
#[derive(Clone, Debug)]
struct Dense {
    inputs: usize,
    outputs: usize,
    weight: Vec<f32>,
    bias: Vec<f32>,
}

/// A [`Cnn`]'s weights laid out for [`CpuCnn::predict_proba`].
#[derive(Clone, Debug)]
pub struct CpuCnn {
    height: usize,
    width: usize,
    blocks: Vec<Block>,
    features: Features,
    hidden: Dense,
    output: Dense,
}

fn values<const D: usize>(t: burn::Tensor<D>, what: &str) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| CnnError::Tensor(format!("{what}: {e:?}")))
}

fn dense(layer: &burn::nn::Linear, what: &str) -> Result<Dense> {
    let [inputs, outputs] = layer.weight.dims();
    let weight = values(layer.weight.val(), what)?;
    let bias = match &layer.bias {
        Some(b) => values(b.val(), what)?,
        None => vec![0.0; outputs],
    };
    Ok(Dense {
        inputs,
        outputs,
        weight,
        bias,
    })
}

impl CpuCnn {
    /// Copy `model`'s weights, folding each batch norm (on its running statistics) into the
    /// convolution before it.
    pub fn new(model: &Cnn) -> Result<Self> {
        let config = model.config();
        if config.height == 0 || config.width == 0 {
            return Err(CnnError::InvalidConfig(format!(
                "a {}x{} input",
                config.height, config.width
            )));
        }
        let mut blocks = Vec::with_capacity(model.blocks.len());
        for (i, block) in model.blocks.iter().enumerate() {
            let what = format!("block {i}");
            let [channels_out, channels_in, kh, kw] = block.conv.weight.dims();
            if [kh, kw] != [3, 3] {
                return Err(CnnError::InvalidConfig(format!(
                    "{what}: a {kh}x{kw} kernel; only 3x3 convolutions are laid out for the CPU"
                )));
            }
            let mut kernel = values(block.conv.weight.val(), &what)?;
            let mut bias = match &block.conv.bias {
                Some(b) => values(b.val(), &what)?,
                None => vec![0.0; channels_out],
            };
            if let Some(norm) = &block.norm {
                let gamma = values(norm.gamma.val(), &what)?;
                let beta = values(norm.beta.val(), &what)?;
                let mean = values(norm.running_mean.value(), &what)?;
                let var = values(norm.running_var.value(), &what)?;
                let k = channels_in * 9;
                for c in 0..channels_out {
                    let scale = gamma[c] / (var[c] + norm.epsilon as f32).sqrt();
                    kernel[c * k..(c + 1) * k]
                        .iter_mut()
                        .for_each(|v| *v *= scale);
                    bias[c] = (bias[c] - mean[c]) * scale + beta[c];
                }
            }
            let winograd = (channels_in >= winograd::MIN_CHANNELS_IN)
                .then(|| Winograd3x3::new(&kernel, channels_out, channels_in))
                .transpose()?;
            blocks.push(Block {
                channels_in,
                channels_out,
                kernel,
                winograd,
                bias,
                pool_kernel: block.pool.kernel_size,
                pool_stride: block.pool.stride,
            });
        }
        Ok(Self {
            height: config.height,
            width: config.width,
            blocks,
            features: model.features,
            hidden: dense(&model.hidden, "hidden layer")?,
            output: dense(&model.output, "output layer")?,
        })
    }

    /// Class probabilities (softmax) of each input (`height * width` values, row major),
    /// `batch_size` inputs at a time (0: 64), and each input's embedding (the hidden layer's
    /// activations, as [`Cnn::embed`]) when `embeddings` is set.
    pub fn predict_proba<P: AsRef<[f32]> + Sync>(
        &self,
        inputs: &[P],
        batch_size: usize,
        embeddings: bool,
    ) -> Result<ProbsAndEmbeddings> {
        let n = self.height * self.width;
        if let Some((index, p)) = inputs
            .iter()
            .enumerate()
            .find(|(_, p)| p.as_ref().len() != n)
        {
            return Err(CnnError::InvalidSample {
                part: "input",
                index,
                reason: format!(
                    "{} values, expected {}x{} = {n}",
                    p.as_ref().len(),
                    self.height,
                    self.width
                ),
            });
        }
        let mut probs = Vec::with_capacity(inputs.len());
        let mut embedded = Vec::new();
        for chunk in inputs.chunks(if batch_size == 0 { 64 } else { batch_size }) {
            let features: Vec<Vec<f32>> = chunk
                .par_iter()
                .map_init(Scratch::default, |scratch, p| {
                    self.features(p.as_ref(), scratch)
                })
                .collect::<Result<_>>()?;
            let rows = features.len();
            let flat: Vec<f32> = features.into_iter().flatten().collect();
            let mut hidden = affine(&self.hidden, &flat, rows)?;
            hidden.iter_mut().for_each(|v| *v = v.max(0.0));
            let logits = affine(&self.output, &hidden, rows)?;
            for row in logits.chunks(self.output.outputs.max(1)) {
                probs.push(softmax(row));
            }
            if embeddings {
                embedded.extend(
                    hidden
                        .chunks(self.hidden.outputs.max(1))
                        .map(<[f32]>::to_vec),
                );
            }
        }
        Ok((probs, embedded))
    }

    /// The conv blocks and the feature pooling of one image: the hidden layer's input.
    fn features(&self, image: &[f32], scratch: &mut Scratch) -> Result<Vec<f32>> {
        let (mut h, mut w) = (self.height, self.width);
        let mut x = image.to_vec();
        for block in &self.blocks {
            let hw = h * w;
            let k = block.channels_in * 9;
            scratch.conv.resize(block.channels_out * hw, 0.0);
            if let Some(winograd) = &block.winograd {
                winograd.conv(&x, [h, w], &mut scratch.conv, &mut scratch.winograd)?;
            } else {
                // A band of output rows at a time, so its neighbourhoods stay in cache while the
                // product reads them.
                let band = (CACHED_VALUES / (k * w)).clamp(1, h);
                for y0 in (0..h).step_by(band) {
                    let rows = y0..(y0 + band).min(h);
                    let columns = rows.len() * w;
                    scratch.cols.resize(k * columns, 0.0);
                    let cols = &mut scratch.cols[..k * columns];
                    im2col_3x3(&x, block.channels_in, [h, w], rows, cols);
                    matmul(
                        &mut scratch.conv[y0 * w..],
                        hw,
                        &block.kernel,
                        cols,
                        [block.channels_out, k, columns],
                    )?;
                }
            }
            let (ph, pw) = (
                pooled(h, block.pool_kernel[0], block.pool_stride[0]),
                pooled(w, block.pool_kernel[1], block.pool_stride[1]),
            );
            let (Some(ph), Some(pw)) = (ph, pw) else {
                return Err(CnnError::InvalidConfig(format!(
                    "a {h}x{w} feature map is smaller than the pool {:?}",
                    block.pool_kernel
                )));
            };
            x = bias_relu_max_pool(&scratch.conv, block, [h, w], [ph, pw]);
            (h, w) = (ph, pw);
        }
        let channels = self.blocks.last().map_or(1, |b| b.channels_out);
        Ok(match self.features {
            Features::Flatten => x,
            Features::MeanTime => x.chunks(w).map(mean).collect(),
            Features::MeanBoth => (0..channels)
                .map(|c| {
                    let plane = &x[c * h * w..(c + 1) * h * w];
                    let rows: Vec<f32> = plane.chunks(w).map(mean).collect();
                    mean(&rows)
                })
                .collect(),
        })
    }
}

/// About this many f32 values of neighbourhoods (256 KiB) are built at a time.
const CACHED_VALUES: usize = 64 * 1024;

/// Per-thread buffers reused from image to image.
#[derive(Default)]
struct Scratch {
    cols: Vec<f32>,
    conv: Vec<f32>,
    winograd: WinogradScratch,
}

fn mean(values: &[f32]) -> f32 {
    values.iter().sum::<f32>() / values.len().max(1) as f32
}

fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|v| v / sum).collect()
}

/// `relu(conv + bias)` max-pooled: pooling the pre-activation and adding the bias after is the
/// same (both are monotone), and touches each output once.
fn bias_relu_max_pool(
    conv: &[f32],
    block: &Block,
    [h, w]: [usize; 2],
    [ph, pw]: [usize; 2],
) -> Vec<f32> {
    let [kh, kw] = block.pool_kernel;
    let [sh, sw] = block.pool_stride;
    let mut out = Vec::with_capacity(block.channels_out * ph * pw);
    let mut pair_max = vec![0.0f32; w];
    for (c, plane) in conv.chunks(h * w).enumerate().take(block.channels_out) {
        let bias = block.bias[c];
        if [kh, kw, sh, sw] == [2, 2, 2, 2] {
            // Every network's usual pool, kept to straight loops the compiler vectorises.
            for py in 0..ph {
                let top = &plane[2 * py * w..(2 * py + 1) * w];
                let bottom = &plane[(2 * py + 1) * w..(2 * py + 2) * w];
                for ((m, a), b) in pair_max.iter_mut().zip(top).zip(bottom) {
                    *m = a.max(*b);
                }
                out.extend(
                    pair_max
                        .chunks_exact(2)
                        .take(pw)
                        .map(|p| (p[0].max(p[1]) + bias).max(0.0)),
                );
            }
            continue;
        }
        for py in 0..ph {
            for px in 0..pw {
                let mut m = f32::NEG_INFINITY;
                for row in plane[py * sh * w..].chunks(w).take(kh) {
                    for &v in &row[px * sw..px * sw + kw] {
                        m = m.max(v);
                    }
                }
                out.push((m + bias).max(0.0));
            }
        }
    }
    out
}

/// `rows` inputs through a dense layer: `[rows, inputs] x [inputs, outputs] + bias`.
fn affine(layer: &Dense, x: &[f32], rows: usize) -> Result<Vec<f32>> {
    let mut y = vec![0.0; rows * layer.outputs];
    matmul(
        &mut y,
        layer.outputs,
        x,
        &layer.weight,
        [rows, layer.inputs, layer.outputs],
    )?;
    for row in y.chunks_mut(layer.outputs.max(1)) {
        for (v, b) in row.iter_mut().zip(&layer.bias) {
            *v += b;
        }
    }
    Ok(y)
}

#[cfg(test)]
mod tests {
    use burn::module::{Param, RunningState};
    use burn::tensor::{Distribution, Tensor};

    use super::*;
    use crate::inference::run_batches;
    use crate::model::{Arch, CompactPool, ModelConfig};

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
}
