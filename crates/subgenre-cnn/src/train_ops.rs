//! The conv block's two heavy operations on the CPU, with their own forward and backward
//! passes: a 3x3 "same" convolution and a fused ReLU + "valid" max pooling, as a burn backend
//! extension of Flex (and of Autodiff over Flex, where training records them).
//!
//! Why: on Flex, a convolution goes through a generic im2col with per-element bounds checks, its
//! backward through burn's default (a transposed convolution for the input, another convolution
//! for the weights), and max pooling through a generic kernel that recomputes window bounds for
//! every output. Here each image's convolution, its input gradient and its kernel gradient run
//! by Winograd's F(2x2, 3x3) from 8 input channels on (`winograd.rs`: 16 small gemm
//! products per band of tiles), and the thin first block as one `[C_out, C_in * 9] x
//! [C_in * 9, H * W]` product with the image's neighbourhoods (backward: kernel^T x output
//! gradient, scattered back; output gradient x neighbourhoods^T); the pooling is one pass that
//! remembers where each maximum came from, so its backward is one scatter.
//! `examples/op_bench.rs` times each beside burn's own.
//!
//! [`conv3x3`] and [`relu_max_pool`] take the burn modules and fall back to burn's own operations
//! wherever these do not apply (a GPU build, another kernel size, padding or dilation).

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::NodeId;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Autodiff, Backend, Flex};
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::nn::PaddingConfig2d;
use burn::tensor::activation::relu;
use burn::tensor::{DType, Shape, Tensor, TensorData};
use rayon::prelude::*;

use crate::kernels::{
    add_row_dots, col2im_3x3_add, gemm_into, im2col_3x3, pooled, relu_max_pool_plane,
    relu_max_pool_plane_backward, MatRef, Pool,
};
use crate::winograd::{self, Winograd3x3, WinogradKernelGradient, WinogradScratch};

static BURN_OPS_ONLY: AtomicBool = AtomicBool::new(false);

/// Use burn's own convolution and pooling everywhere (`true`), or this module's on the CPU
/// (`false`, the default), for the whole process. For paired timings
/// (`examples/bench_epoch.rs --burn-ops`) and as a way around a suspected fault here; both
/// compute the same function.
pub fn set_burn_ops_only(burn_only: bool) {
    BURN_OPS_ONLY.store(burn_only, Ordering::Relaxed);
}

fn ours_apply() -> bool {
    !crate::backend::ON_GPU && !BURN_OPS_ONLY.load(Ordering::Relaxed)
}

/// `conv(x)` for a 3x3 "same", stride-1 convolution with a bias; burn's own `forward` for any
/// other convolution, or on a GPU.
pub fn conv3x3(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let [channels_out, _, kh, kw] = conv.weight.dims();
    let [_, _, h, w] = x.dims();
    let fits = ours_apply()
        && [kh, kw] == [3, 3]
        && conv.stride == [1, 1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && matches!(
            conv.padding,
            PaddingConfig2d::Same | PaddingConfig2d::Explicit(1, 1, 1, 1)
        )
        && h > 0
        && w > 0
        && x.dtype() == DType::F32;
    let Some(bias) = conv
        .bias
        .as_ref()
        .filter(|b| fits && b.dims() == [channels_out])
    else {
        return conv.forward(x);
    };
    let out = <burn::backend::Dispatch as CpuTrainOps>::conv3x3(
        x.into_dispatch(),
        conv.weight.val().into_dispatch(),
        bias.val().into_dispatch(),
    );
    Tensor::from_dispatch(out)
}

/// `pool(relu(x))` in one pass for a "valid", undilated max pooling; burn's own for any other
/// pooling, or on a GPU.
pub fn relu_max_pool(pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let [kh, kw] = pool.kernel_size;
    let [sh, sw] = pool.stride;
    let fits = ours_apply()
        && matches!(pool.padding, PaddingConfig2d::Valid)
        && pool.dilation == [1, 1]
        && !pool.ceil_mode
        && pooled(h, kh, sh).is_some()
        && pooled(w, kw, sw).is_some()
        && x.dtype() == DType::F32;
    if !fits {
        return pool.forward(relu(x));
    }
    let out = <burn::backend::Dispatch as CpuTrainOps>::relu_max_pool(
        x.into_dispatch(),
        pool.kernel_size,
        pool.stride,
    );
    Tensor::from_dispatch(out)
}

/// The backend extension: implemented for Flex, and for Autodiff over Flex with a backward.
#[backend_extension(Flex, Autodiff)]
pub trait CpuTrainOps: Backend {
    /// `x` `[B, C_in, H, W]`, `weight` `[C_out, C_in, 3, 3]`, `bias` `[C_out]` ->
    /// `[B, C_out, H, W]`.
    fn conv3x3(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;

    /// `max_pool(relu(x))`, "valid", `[B, C, H, W]` -> `[B, C, H', W']`.
    fn relu_max_pool(
        x: FloatTensor<Self>,
        kernel: [usize; 2],
        stride: [usize; 2],
    ) -> FloatTensor<Self>;
}

impl CpuTrainOps for Flex {
    fn conv3x3(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        conv3x3_forward(&x, &weight, &bias)
    }

    fn relu_max_pool(x: FlexTensor, kernel: [usize; 2], stride: [usize; 2]) -> FlexTensor {
        relu_max_pool_forward(&x, Pool { kernel, stride }).0
    }
}

impl<C: CheckpointStrategy> CpuTrainOps for Autodiff<Flex, C> {
    fn conv3x3(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct Conv3x3Backward;

        impl Backward<Flex, 3> for Conv3x3Backward {
            type State = (NodeId, NodeId);

            fn backward(
                self,
                ops: Ops<Self::State, 3>,
                grads: &mut Gradients,
                checkpointer: &mut Checkpointer,
            ) {
                let [node_x, node_weight, node_bias] = ops.parents;
                let grad = grads.consume::<Flex>(&ops.node);
                let (x_state, weight_state) = ops.state;
                let x = checkpointer.retrieve_node_output::<FlexTensor>(x_state);
                let weight = checkpointer.retrieve_node_output::<FlexTensor>(weight_state);
                let g = conv3x3_backward(&x, &weight, &grad, node_x.is_some());
                if let (Some(node), Some(dx)) = (node_x, g.x) {
                    grads.register::<Flex>(node.id, dx);
                }
                if let Some(node) = node_weight {
                    grads.register::<Flex>(node.id, g.weight);
                }
                if let Some(node) = node_bias {
                    grads.register::<Flex>(node.id, g.bias);
                }
            }
        }

        match Conv3x3Backward
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&x), prep.checkpoint(&weight));
                let y = conv3x3_forward(x.primitive(), weight.primitive(), bias.primitive());
                prep.finish(state, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(conv3x3_forward(
                x.primitive(),
                weight.primitive(),
                bias.primitive(),
            )),
        }
    }

    fn relu_max_pool(
        x: FloatTensor<Self>,
        kernel: [usize; 2],
        stride: [usize; 2],
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct ReluMaxPoolBackward;

        impl Backward<Flex, 1> for ReluMaxPoolBackward {
            type State = PoolSources;

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _checkpointer: &mut Checkpointer,
            ) {
                let [node_x] = ops.parents;
                let grad = grads.consume::<Flex>(&ops.node);
                if let Some(node) = node_x {
                    grads.register::<Flex>(node.id, relu_max_pool_backward(&grad, &ops.state));
                }
            }
        }

        let pool = Pool { kernel, stride };
        match ReluMaxPoolBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (y, sources) = relu_max_pool_forward(x.primitive(), pool);
                prep.finish(sources, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(relu_max_pool_forward(x.primitive(), pool).0),
        }
    }
}

/// A tensor's values as contiguous f32 (borrowed when they already are).
fn f32_values(t: &FlexTensor) -> Cow<'_, [f32]> {
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

fn conv3x3_forward(x: &FlexTensor, weight: &FlexTensor, bias: &FlexTensor) -> FlexTensor {
    let [batch, channels_in, h, w] = dims4(x);
    let channels_out = dims4(weight)[0];
    let (xs, ws, bs) = (f32_values(x), f32_values(weight), f32_values(bias));
    let (hw, k) = (h * w, channels_in * 9);
    let mut y = vec![0.0f32; batch * channels_out * hw];
    let winograd = (channels_in >= winograd::MIN_CHANNELS_IN)
        .then(|| Winograd3x3::new(&ws, channels_out, channels_in))
        .transpose()
        .expect("conv3x3: shapes checked by the caller");
    y.par_chunks_mut(channels_out * hw)
        .zip(xs.par_chunks(channels_in * hw))
        .for_each_init(ConvScratch::default, |scratch, (yb, xb)| {
            if let Some(winograd) = &winograd {
                winograd
                    .conv(xb, [h, w], yb, &mut scratch.winograd)
                    .expect("conv3x3: shapes checked by the caller");
            } else {
                scratch.cols.resize(k * hw, 0.0);
                im2col_3x3(xb, channels_in, [h, w], 0..h, &mut scratch.cols);
                gemm_into(
                    yb,
                    hw,
                    MatRef::row_major(&ws, channels_out, k),
                    MatRef::row_major(&scratch.cols, k, hw),
                    false,
                )
                .expect("conv3x3: shapes checked by the caller");
            }
            for (row, b) in yb.chunks_mut(hw).zip(bs.iter()) {
                row.iter_mut().for_each(|v| *v += b);
            }
        });
    tensor(y, [batch, channels_out, h, w])
}

/// Per-thread buffers of a convolution, reused from image to image.
#[derive(Default)]
struct ConvScratch {
    cols: Vec<f32>,
    winograd: WinogradScratch,
}

/// Up to this many kernel values per output channel (`C_in * 9`), the kernel gradient is summed
/// as dot products (`add_row_dots`) rather than through gemm: the first block's backward (1 -> 32
/// channels at 128x128, cnn_drop_first, one core) took 1.0 s an epoch instead of 1.9 s.
const SMALL_KERNEL_GRADIENT: usize = 27;

/// Images per unit of parallel work in the backward pass (a fixed number, not one per thread:
/// see `conv3x3_backward`).
const IMAGES_PER_GROUP: usize = 4;

/// The three gradients of a [`conv3x3_forward`]; the input's only when asked.
struct Conv3x3Grads {
    x: Option<FlexTensor>,
    weight: FlexTensor,
    bias: FlexTensor,
}

fn conv3x3_backward(
    x: &FlexTensor,
    weight: &FlexTensor,
    grad: &FlexTensor,
    want_x: bool,
) -> Conv3x3Grads {
    let [batch, channels_in, h, w] = dims4(x);
    let channels_out = dims4(weight)[0];
    let (xs, ws, gs) = (f32_values(x), f32_values(weight), f32_values(grad));
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
    let group = |gs: &[f32], xs: &[f32], mut dxs: Option<&mut [f32]>| {
        let mut db = vec![0.0f32; channels_out];
        // `dW^T` (`[C_in * 9, C_out]`) on the neighbourhoods' route.
        let mut dw_t = vec![0.0f32; if winograd_weight { 0 } else { channels_out * k }];
        let mut dw_winograd =
            winograd_weight.then(|| WinogradKernelGradient::new(channels_out, channels_in));
        let needs_cols = !winograd_weight || (dxs.is_some() && adjoint.is_none());
        let mut cols = vec![0.0f32; if needs_cols { k * hw } else { 0 }];
        let mut scratch = WinogradScratch::default();
        for (i, (gb, xb)) in gs.chunks(out_len).zip(xs.chunks(in_len)).enumerate() {
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
            for (d, row) in db.iter_mut().zip(gb.chunks(hw)) {
                *d += row.iter().sum::<f32>();
            }
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
    let grads = gs
        .par_chunks(IMAGES_PER_GROUP * out_len)
        .zip(xs.par_chunks(IMAGES_PER_GROUP * in_len));
    let groups: Vec<(Vec<f32>, Vec<f32>)> = if want_x {
        grads
            .zip(dx.par_chunks_mut(IMAGES_PER_GROUP * in_len))
            .map(|((g, x), dx)| group(g, x, Some(dx)))
            .collect()
    } else {
        grads.map(|(g, x)| group(g, x, None)).collect()
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

fn relu_max_pool_forward(x: &FlexTensor, pool: Pool) -> (FlexTensor, PoolSources) {
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

fn relu_max_pool_backward(grad: &FlexTensor, sources: &PoolSources) -> FlexTensor {
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

#[cfg(test)]
mod tests {
    use burn::module::Param;
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::{Device, Distribution, Tolerance};

    use super::*;

    fn device() -> Device {
        crate::backend::default_device().autodiff()
    }

    fn close(ours: Tensor<4>, theirs: Tensor<4>, what: &str) {
        let (a, b) = (ours.into_data(), theirs.into_data());
        assert_eq!(a.shape(), b.shape(), "{what}: shapes");
        let (a, b) = (
            a.try_into_vec::<f32>().expect("f32"),
            b.try_into_vec::<f32>().expect("f32"),
        );
        let scale = b.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-5 * scale,
                "{what} [{i}]: {x} vs {y} (scale {scale})"
            );
        }
    }

    /// Forward and all three gradients equal burn's own `Conv2d` to float rounding, for 1-,
    /// 32- and 64-channel inputs, odd and non-square sizes, with a loss whose gradient is
    /// not uniform (so a misplaced gradient shows).
    #[test]
    fn conv3x3_equals_burn_forward_and_backward() {
        let ad = device();
        for (cin, cout, h, w) in [
            (1, 32, 13, 9),
            (32, 64, 7, 11),
            (64, 16, 5, 6),
            (3, 4, 1, 1),
        ] {
            ad.seed(7);
            let mut conv = Conv2dConfig::new([cin, cout], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(&ad);
            let bias = Tensor::<1>::random([cout], Distribution::Uniform(-0.5, 0.5), &ad);
            conv.bias = Some(Param::from_tensor(bias));
            let x = Tensor::<4>::random([3, cin, h, w], Distribution::Uniform(-1.0, 1.0), &ad)
                .require_grad();
            let upstream = Tensor::<4>::random([3, cout, h, w], Distribution::Default, &ad);
            let what = format!("{cin}->{cout} at {h}x{w}");

            let ours = conv3x3(&conv, x.clone());
            let theirs = conv.forward(x.clone());
            close(ours.clone(), theirs.clone(), &format!("{what} forward"));

            let grads_of = |y: Tensor<4>| {
                let grads = (y * upstream.clone()).sum().backward();
                let dx = x.grad(&grads).expect("input grad");
                let dw = conv.weight.val().grad(&grads).expect("weight grad");
                let db = conv
                    .bias
                    .as_ref()
                    .expect("bias")
                    .val()
                    .grad(&grads)
                    .expect("bias grad");
                (dx, dw, db)
            };
            let (dx, dw, db) = grads_of(ours);
            let (rx, rw, rb) = grads_of(theirs);
            close(
                Tensor::from_data(dx.into_data(), &ad),
                Tensor::from_data(rx.into_data(), &ad),
                &format!("{what} input gradient"),
            );
            close(
                Tensor::from_data(dw.into_data(), &ad),
                Tensor::from_data(rw.into_data(), &ad),
                &format!("{what} kernel gradient"),
            );
            close(
                Tensor::<1>::from_data(db.into_data(), &ad).reshape([1, 1, 1, cout]),
                Tensor::<1>::from_data(rb.into_data(), &ad).reshape([1, 1, 1, cout]),
                &format!("{what} bias gradient"),
            );
        }
    }

    /// The fused ReLU + pooling equals burn's ReLU then `MaxPool2d`, forward and backward, for
    /// every pooling the networks use (2x2/2, Keras' 1x1/2 and 2x2/1, 1x2/1x2, 2x1/2x1) on odd
    /// sizes (a last row or column dropped), with 1, 32 and 64 channels.
    #[test]
    fn relu_max_pool_equals_burn_forward_and_backward() {
        let ad = device();
        let pools = [
            ([2, 2], [2, 2]),
            ([1, 1], [2, 2]),
            ([2, 2], [1, 1]),
            ([1, 2], [1, 2]),
            ([2, 1], [2, 1]),
        ];
        for (channels, h, w) in [(1, 9, 7), (32, 6, 5), (64, 5, 8)] {
            for (kernel, stride) in pools {
                let pool = MaxPool2dConfig::new(kernel).with_strides(stride).init();
                let x =
                    Tensor::<4>::random([2, channels, h, w], Distribution::Uniform(-1.0, 1.0), &ad)
                        .require_grad();
                let what = format!("{channels}x{h}x{w}, pool {kernel:?} stride {stride:?}");
                let ours = relu_max_pool(&pool, x.clone());
                let theirs = pool.forward(relu(x.clone()));
                close(ours.clone(), theirs.clone(), &format!("{what} forward"));
                let upstream = Tensor::<4>::random(ours.dims(), Distribution::Default, &ad);
                let grad_of = |y: Tensor<4>| {
                    let grads = (y * upstream.clone()).sum().backward();
                    Tensor::<4>::from_data(x.grad(&grads).expect("grad").into_data(), &ad)
                };
                close(grad_of(ours), grad_of(theirs), &format!("{what} gradient"));
            }
        }
    }

    /// The kernel gradient is summed in the same order on one thread and on three (a batch of
    /// 9: groups of 4, 4 and 1 images), bit for bit: training stays deterministic.
    #[test]
    fn gradients_do_not_depend_on_the_thread_count() {
        let ad = device();
        let conv = Conv2dConfig::new([8, 16], [3, 3])
            .with_padding(PaddingConfig2d::Same)
            .init(&ad);
        let x = Tensor::<4>::random([9, 8, 10, 12], Distribution::Uniform(-1.0, 1.0), &ad);
        let kernel_grad = |threads| {
            crate::backend::with_threads(threads, || {
                let y = conv3x3(&conv, x.clone());
                let grads = (y.clone() * y).sum().backward();
                conv.weight.val().grad(&grads).expect("grad").into_data()
            })
        };
        assert_eq!(kernel_grad(1), kernel_grad(3));
    }

    /// Without autodiff (inference on the plain device) the same values come out.
    #[test]
    fn the_plain_device_gives_the_same_forward() {
        let plain = crate::backend::default_device();
        let conv = Conv2dConfig::new([2, 3], [3, 3])
            .with_padding(PaddingConfig2d::Same)
            .init(&plain);
        let pool = MaxPool2dConfig::new([2, 2]).init();
        let x = Tensor::<4>::random([2, 2, 6, 7], Distribution::Uniform(-1.0, 1.0), &plain);
        let ours = relu_max_pool(&pool, conv3x3(&conv, x.clone()));
        let theirs = pool.forward(relu(conv.forward(x)));
        ours.into_data()
            .assert_approx_eq::<f32>(&theirs.into_data(), Tolerance::default());
    }
}
