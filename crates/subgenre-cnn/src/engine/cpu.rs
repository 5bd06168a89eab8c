//! A trained network as plain buffers for inference on the CPU, the same function as
//! [`crate::Cnn::forward`] in eval mode to float rounding.
//!
//! Why: a trained network only runs forward, and it does not need what training needs. Each
//! convolution block becomes matrix products of the (batch-norm-folded) kernel and the image:
//! Winograd's F(2x2, 3x3) from 8 input channels on (`engine/winograd`), else one product
//! with the 3x3 neighbourhoods (`[C_out, C_in * 9] x [C_in * 9, H * W]`); one image at a time
//! on one thread, images spread over the rayon pool, with the bias, ReLU and max pooling
//! fused into one pass over its output; the dense layers run as one product per batch. No
//! tensor graph, no layout changes, no separate passes for batch norm, bias and ReLU.
//!
//! The buffers come from the network ([`crate::net`] lays a [`crate::Cnn`] out with
//! [`CpuCnn::new`]); this module knows only layers.

use rayon::prelude::*;

use super::kernels::{im2col_3x3, matmul, pooled};
use super::winograd::{self, Winograd3x3, WinogradScratch};
use super::ProbsAndEmbeddings;
use crate::error::{CnnError, Result};

/// What the classifier head does with the last conv block's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Features {
    /// All values, flattened.
    Flatten,
    /// The mean over time of each channel's bands.
    MeanTime,
    /// The mean of each channel.
    MeanBoth,
}

/// One conv block's weights: 3x3 "same" convolution (batch norm folded in), then ReLU and
/// "valid" max pooling.
#[derive(Clone, Debug)]
pub(crate) struct ConvLayer {
    pub channels_in: usize,
    pub channels_out: usize,
    /// `[C_out, C_in * 9]`, row major.
    pub kernel: Vec<f32>,
    pub bias: Vec<f32>,
    pub pool_kernel: [usize; 2],
    pub pool_stride: [usize; 2],
}

/// One conv block as the engine runs it.
#[derive(Clone, Debug)]
struct Block {
    layer: ConvLayer,
    /// The same kernel transformed, where the block has enough input channels for it.
    winograd: Option<Winograd3x3>,
}

/// `y = x W + b`, `W` `[inputs, outputs]` row major (burn's layout).
#[derive(Clone, Debug)]
pub(crate) struct Dense {
    pub inputs: usize,
    pub outputs: usize,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// A network's weights laid out for [`CpuCnn::predict_proba`]: conv blocks, the feature
/// pooling, a hidden dense layer with ReLU (the embedding) and the output layer.
#[derive(Clone, Debug)]
pub struct CpuCnn {
    height: usize,
    width: usize,
    blocks: Vec<Block>,
    features: Features,
    hidden: Dense,
    output: Dense,
}

impl CpuCnn {
    /// The engine's network from its layers, for `[height, width]` inputs.
    pub(crate) fn from_layers(
        [height, width]: [usize; 2],
        convs: Vec<ConvLayer>,
        features: Features,
        hidden: Dense,
        output: Dense,
    ) -> Result<Self> {
        let blocks = convs
            .into_iter()
            .map(|layer| {
                let winograd = (layer.channels_in >= winograd::MIN_CHANNELS_IN)
                    .then(|| Winograd3x3::new(&layer.kernel, layer.channels_out, layer.channels_in))
                    .transpose()?;
                Ok(Block { layer, winograd })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            height,
            width,
            blocks,
            features,
            hidden,
            output,
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
        for Block {
            layer: block,
            winograd,
        } in &self.blocks
        {
            let hw = h * w;
            let k = block.channels_in * 9;
            scratch.conv.resize(block.channels_out * hw, 0.0);
            if let Some(winograd) = winograd {
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
                return Err(CnnError::CpuEngine(format!(
                    "a {h}x{w} feature map is smaller than the pool {:?}",
                    block.pool_kernel
                )));
            };
            x = bias_relu_max_pool(&scratch.conv, block, [h, w], [ph, pw]);
            (h, w) = (ph, pw);
        }
        let channels = self.blocks.last().map_or(1, |b| b.layer.channels_out);
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
    block: &ConvLayer,
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
