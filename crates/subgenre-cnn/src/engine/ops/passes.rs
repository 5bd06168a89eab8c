//! The passes behind [`super::CpuTrainOps`] on Flex's tensors: the 3x3 convolution forward
//! (alone, or with the ReLU and pooling fused in) and backward, and the ReLU + pooling alone.

use std::borrow::Cow;
use std::sync::Arc;

use burn::backend::flex::FlexTensor;
use burn::tensor::{Shape, TensorData};
use rayon::prelude::*;

use crate::engine::kernels::{
    add_plane_sums, add_row_dots, col2im_3x3_add, gemm_into, im2col_3x3, pooled,
    relu_max_pool_plane, relu_max_pool_plane_backward, MatRef, Pool,
};
use crate::engine::winograd::{self, Winograd3x3, WinogradKernelGradient, WinogradScratch};

/// A tensor's values as contiguous f32 (borrowed when they already are).
pub(super) fn f32_values(t: &FlexTensor) -> Cow<'_, [f32]> {
    if let Some(values) = t.as_slice::<f32>() {
        return Cow::Borrowed(values);
    }
    let data = t.clone().into_data().convert::<f32>();
    Cow::Owned(data.try_into_vec::<f32>().expect("converted to f32 above"))
}

fn tensor(values: Vec<f32>, shape: [usize; 4]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, Shape::from(shape)))
}

fn dims4(t: &FlexTensor) -> [usize; 4] {
    let dims = t.layout().shape().as_slice();
    let mut out = [1; 4];
    // Flex tensors here are always 4-D (images, kernels) or 1-D (bias); the bias is not asked.
    for (o, d) in out.iter_mut().rev().zip(dims.iter().rev()) {
        *o = *d;
    }
    out
}

pub(super) fn conv3x3_forward(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
) -> FlexTensor {
    let conv = Conv3x3::new(x, weight, bias);
    let [batch, _, h, w] = conv.input;
    let mut y = vec![0.0f32; batch * conv.output_len()];
    y.par_chunks_mut(conv.output_len())
        .zip(conv.xs.par_chunks(conv.input_len()))
        .for_each_init(ConvScratch::default, |scratch, (yb, xb)| {
            conv.image(xb, yb, scratch)
        });
    tensor(y, [batch, conv.channels_out, h, w])
}

/// [`conv3x3_forward`] then [`relu_max_pool_forward`], image by image: each image's
/// convolution output lives in a per-thread buffer, pooled right after.
pub(super) fn conv3x3_relu_max_pool_forward(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    pool: Pool,
) -> (FlexTensor, PoolSources) {
    let conv = Conv3x3::new(x, weight, bias);
    let [batch, _, h, w] = conv.input;
    let ph = pooled(h, pool.kernel[0], pool.stride[0]).unwrap_or(0);
    let pw = pooled(w, pool.kernel[1], pool.stride[1]).unwrap_or(0);
    let per_image = conv.channels_out * ph * pw;
    let (mut y, mut from) = (
        vec![0.0f32; batch * per_image],
        vec![0u32; batch * per_image],
    );
    if per_image > 0 {
        y.par_chunks_mut(per_image)
            .zip(from.par_chunks_mut(per_image))
            .zip(conv.xs.par_chunks(conv.input_len()))
            .for_each_init(ConvScratch::default, |scratch, ((yb, fb), xb)| {
                let mut out = std::mem::take(&mut scratch.out);
                out.resize(conv.output_len(), 0.0);
                conv.image(xb, &mut out, scratch);
                let planes = out.chunks(h * w).zip(yb.chunks_mut(ph * pw));
                for ((plane, o), f) in planes.zip(fb.chunks_mut(ph * pw)) {
                    relu_max_pool_plane(plane, [h, w], pool, o, f);
                }
                scratch.out = out;
            });
    }
    let sources = PoolSources {
        from: Arc::new(from),
        input: [batch, conv.channels_out, h, w],
        output: [batch, conv.channels_out, ph, pw],
    };
    (tensor(y, sources.output), sources)
}

/// A 3x3 "same" convolution's operands, read once per batch.
struct Conv3x3<'a> {
    /// `[B, C_in, H, W]`.
    input: [usize; 4],
    channels_out: usize,
    xs: Cow<'a, [f32]>,
    weights: Cow<'a, [f32]>,
    bias: Cow<'a, [f32]>,
    winograd: Option<Winograd3x3>,
}

impl<'a> Conv3x3<'a> {
    fn new(x: &'a FlexTensor, weight: &'a FlexTensor, bias: &'a FlexTensor) -> Self {
        let input = dims4(x);
        let channels_out = dims4(weight)[0];
        let weights = f32_values(weight);
        let winograd = (input[1] >= winograd::MIN_CHANNELS_IN)
            .then(|| Winograd3x3::new(&weights, channels_out, input[1]))
            .transpose()
            .expect("conv3x3: shapes checked by the caller");
        Self {
            input,
            channels_out,
            xs: f32_values(x),
            weights,
            bias: f32_values(bias),
            winograd,
        }
    }

    fn input_len(&self) -> usize {
        self.input[1] * self.input[2] * self.input[3]
    }

    fn output_len(&self) -> usize {
        self.channels_out * self.input[2] * self.input[3]
    }

    /// One image's convolution, bias added: `xb` `[C_in, H, W]` -> `yb` `[C_out, H, W]`.
    fn image(&self, xb: &[f32], yb: &mut [f32], scratch: &mut ConvScratch) {
        let [_, channels_in, h, w] = self.input;
        let (hw, k) = (h * w, channels_in * 9);
        if let Some(winograd) = &self.winograd {
            winograd
                .conv(xb, [h, w], yb, &mut scratch.winograd)
                .expect("conv3x3: shapes checked by the caller");
        } else {
            scratch.cols.resize(k * hw, 0.0);
            im2col_3x3(xb, channels_in, [h, w], 0..h, &mut scratch.cols);
            gemm_into(
                yb,
                hw,
                MatRef::row_major(&self.weights, self.channels_out, k),
                MatRef::row_major(&scratch.cols, k, hw),
                false,
            )
            .expect("conv3x3: shapes checked by the caller");
        }
        for (row, b) in yb.chunks_mut(hw).zip(self.bias.iter()) {
            row.iter_mut().for_each(|v| *v += b);
        }
    }
}

/// Per-thread buffers of a convolution, reused from image to image.
#[derive(Default)]
struct ConvScratch {
    cols: Vec<f32>,
    winograd: WinogradScratch,
    /// One image's convolution output, where it is pooled at once.
    out: Vec<f32>,
}

/// Up to this many kernel values per output channel (`C_in * 9`), the kernel gradient is summed
/// as dot products (`add_row_dots`) rather than through gemm: the first block's backward (1 -> 32
/// channels at 128x128, cnn_drop_first, one core) took 1.0 s an epoch instead of 1.9 s.
const SMALL_KERNEL_GRADIENT: usize = 27;

/// Images per unit of parallel work in the backward pass (a fixed number, not one per thread:
/// see `conv3x3_backward`).
const IMAGES_PER_GROUP: usize = 4;

/// The three gradients of a [`conv3x3_forward`]; the input's only when asked.
pub(super) struct Conv3x3Grads {
    pub(super) x: Option<FlexTensor>,
    pub(super) weight: FlexTensor,
    pub(super) bias: FlexTensor,
}

/// Where a convolution's output gradient comes from.
#[derive(Clone, Copy)]
pub(super) enum OutputGrad<'a> {
    /// As it is, `[B, C_out, H, W]`.
    Dense(&'a [f32]),
    /// The fused block's: rebuilt image by image, in a per-thread buffer, from the pooling's
    /// gradient (`[B, C_out, H', W']`) and where each maximum came from. The batch's is never
    /// stored (as large as the convolution's output).
    Pooled {
        grad: &'a [f32],
        sources: &'a PoolSources,
    },
}

impl OutputGrad<'_> {
    /// Image `image`'s output gradient (`out_len` values), rebuilt in `buffer` if need be.
    fn image<'b>(self, image: usize, out_len: usize, buffer: &'b mut Vec<f32>) -> &'b [f32]
    where
        Self: 'b,
    {
        match self {
            OutputGrad::Dense(gs) => &gs[image * out_len..][..out_len],
            OutputGrad::Pooled { grad, sources } => {
                let [_, channels, ph, pw] = sources.output;
                let (plane, pooled_len) = (ph * pw, channels * ph * pw);
                buffer.clear();
                buffer.resize(out_len, 0.0);
                let pooled = grad[image * pooled_len..][..pooled_len].chunks(plane.max(1));
                let from = sources.from[image * pooled_len..][..pooled_len].chunks(plane.max(1));
                let planes = buffer.chunks_mut(out_len / channels.max(1));
                for ((dst, g), f) in planes.zip(pooled).zip(from) {
                    relu_max_pool_plane_backward(g, f, dst);
                }
                buffer
            }
        }
    }
}

pub(super) fn conv3x3_backward(
    x: &FlexTensor,
    weight: &FlexTensor,
    grad: &FlexTensor,
    want_x: bool,
) -> Conv3x3Grads {
    let gs = f32_values(grad);
    conv3x3_backward_from(x, weight, OutputGrad::Dense(&gs), want_x)
}

pub(super) fn conv3x3_backward_from(
    x: &FlexTensor,
    weight: &FlexTensor,
    output_grad: OutputGrad<'_>,
    want_x: bool,
) -> Conv3x3Grads {
    let [batch, channels_in, h, w] = dims4(x);
    let channels_out = dims4(weight)[0];
    let (xs, ws) = (f32_values(x), f32_values(weight));
    let (hw, k) = (h * w, channels_in * 9);
    let mut dx = if want_x {
        vec![0.0f32; batch * channels_in * hw]
    } else {
        Vec::new()
    };
    let (out_len, in_len) = (channels_out * hw, channels_in * hw);
    // The input gradient is the adjoint convolution of the output gradient.
    let adjoint = (want_x && channels_out >= winograd::MIN_CHANNELS_IN)
        .then(|| Winograd3x3::adjoint_of(&ws, channels_out, channels_in))
        .transpose()
        .expect("conv3x3 backward: shapes checked by the caller");
    // The kernel and bias gradients of a fixed group of images each, summed group by group in
    // order: the same float sums whatever the thread count, so training stays deterministic.
    // Winograd's kernel gradient wherever the forward pass took Winograd's route.
    let winograd_weight = channels_in >= winograd::MIN_CHANNELS_IN;
    // Group `g` holds images `g * IMAGES_PER_GROUP..`, `xs` theirs.
    let group = |g: usize, xs: &[f32], mut dxs: Option<&mut [f32]>| {
        let mut db = vec![0.0f32; channels_out];
        // `dW^T` (`[C_in * 9, C_out]`) on the neighbourhoods' route.
        let mut dw_t = vec![0.0f32; if winograd_weight { 0 } else { channels_out * k }];
        let mut dw_winograd =
            winograd_weight.then(|| WinogradKernelGradient::new(channels_out, channels_in));
        let needs_cols = !winograd_weight || (dxs.is_some() && adjoint.is_none());
        let mut cols = vec![0.0f32; if needs_cols { k * hw } else { 0 }];
        let mut scratch = WinogradScratch::default();
        let mut rebuilt = Vec::new();
        for (i, xb) in xs.chunks(in_len).enumerate() {
            let gb = output_grad.image(g * IMAGES_PER_GROUP + i, out_len, &mut rebuilt);
            if let Some(dw) = dw_winograd.as_mut() {
                dw.add(xb, gb, [h, w], &mut scratch)
                    .expect("conv3x3 backward: shapes checked by the caller");
            } else {
                im2col_3x3(xb, channels_in, [h, w], 0..h, &mut cols);
                if k <= SMALL_KERNEL_GRADIENT {
                    add_row_dots(&cols, gb, hw, &mut dw_t);
                } else {
                    gemm_into(
                        &mut dw_t,
                        channels_out,
                        MatRef::row_major(&cols, k, hw),
                        MatRef::row_major(gb, channels_out, hw).t(),
                        true,
                    )
                    .expect("conv3x3 backward: shapes checked by the caller");
                }
            }
            add_plane_sums(&mut db, gb, hw);
            let Some(dxs) = dxs.as_deref_mut() else {
                continue;
            };
            let dx = &mut dxs[i * in_len..][..in_len];
            if let Some(adjoint) = &adjoint {
                adjoint
                    .conv(gb, [h, w], dx, &mut scratch)
                    .expect("conv3x3 backward: shapes checked by the caller");
            } else {
                // The neighbourhoods' gradient, kernel^T x output gradient, reuses `cols`.
                gemm_into(
                    &mut cols,
                    hw,
                    MatRef::row_major(&ws, channels_out, k).t(),
                    MatRef::row_major(gb, channels_out, hw),
                    false,
                )
                .expect("conv3x3 backward: shapes checked by the caller");
                col2im_3x3_add(&cols, channels_in, [h, w], dx);
            }
        }
        // `[C_out, C_in * 9]` either way.
        let dw = match dw_winograd {
            Some(dw) => dw.finish(),
            None => transpose(&dw_t, k, channels_out),
        };
        (dw, db)
    };
    let inputs = xs.par_chunks(IMAGES_PER_GROUP * in_len).enumerate();
    let groups: Vec<(Vec<f32>, Vec<f32>)> = if want_x {
        inputs
            .zip(dx.par_chunks_mut(IMAGES_PER_GROUP * in_len))
            .map(|((g, x), dx)| group(g, x, Some(dx)))
            .collect()
    } else {
        inputs.map(|(g, x)| group(g, x, None)).collect()
    };
    let mut groups = groups.into_iter();
    let (mut dw, mut db) = groups
        .next()
        .unwrap_or_else(|| (vec![0.0; channels_out * k], vec![0.0; channels_out]));
    for (dw2, db2) in groups {
        dw.iter_mut().zip(&dw2).for_each(|(a, b)| *a += b);
        db.iter_mut().zip(&db2).for_each(|(a, b)| *a += b);
    }
    Conv3x3Grads {
        x: want_x.then(|| tensor(dx, [batch, channels_in, h, w])),
        weight: tensor(dw, [channels_out, channels_in, 3, 3]),
        bias: FlexTensor::from_data(TensorData::new(db, Shape::from([channels_out]))),
    }
}

/// `[rows, cols]` row major -> `[cols, rows]` row major.
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for (r, row) in values.chunks(cols).enumerate() {
        for (c, v) in row.iter().enumerate() {
            out[c * rows + r] = *v;
        }
    }
    out
}

/// What a pooling's backward needs: where each output came from in its input plane.
#[derive(Clone, Debug)]
pub struct PoolSources {
    from: Arc<Vec<u32>>,
    input: [usize; 4],
    output: [usize; 4],
}

pub(super) fn relu_max_pool_forward(x: &FlexTensor, pool: Pool) -> (FlexTensor, PoolSources) {
    let [batch, channels, h, w] = dims4(x);
    let ph = pooled(h, pool.kernel[0], pool.stride[0]).unwrap_or(0);
    let pw = pooled(w, pool.kernel[1], pool.stride[1]).unwrap_or(0);
    let xs = f32_values(x);
    let planes = batch * channels;
    let (mut y, mut from) = (vec![0.0f32; planes * ph * pw], vec![0u32; planes * ph * pw]);
    if ph * pw > 0 {
        y.par_chunks_mut(ph * pw)
            .zip(from.par_chunks_mut(ph * pw))
            .zip(xs.par_chunks(h * w))
            .for_each(|((out, f), plane)| relu_max_pool_plane(plane, [h, w], pool, out, f));
    }
    let sources = PoolSources {
        from: Arc::new(from),
        input: [batch, channels, h, w],
        output: [batch, channels, ph, pw],
    };
    (tensor(y, sources.output), sources)
}

pub(super) fn relu_max_pool_backward(grad: &FlexTensor, sources: &PoolSources) -> FlexTensor {
    let [_, _, h, w] = sources.input;
    let [batch, channels, ph, pw] = sources.output;
    let gs = f32_values(grad);
    let mut dx = vec![0.0f32; batch * channels * h * w];
    if ph * pw > 0 {
        dx.par_chunks_mut(h * w)
            .zip(gs.par_chunks(ph * pw))
            .zip(sources.from.par_chunks(ph * pw))
            .for_each(|((plane, g), f)| relu_max_pool_plane_backward(g, f, plane));
    }
    tensor(dx, sources.input)
}
