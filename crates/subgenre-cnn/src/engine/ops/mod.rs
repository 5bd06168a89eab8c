//! The conv block's two heavy operations on the CPU, with their own forward and backward
//! passes: a 3x3 "same" convolution and a fused ReLU + "valid" max pooling, as a burn backend
//! extension of Flex (and of Autodiff over Flex, where training records them). Every conv block
//! of a network on [`super::Engine::Cpu`] runs them, in training and in burn's forward pass.
//!
//! Why: on Flex, a convolution goes through a generic im2col with per-element bounds checks, its
//! backward through burn's default (a transposed convolution for the input, another convolution
//! for the weights), and max pooling through a generic kernel that recomputes window bounds for
//! every output. Here each image's convolution, its input gradient and its kernel gradient run
//! by Winograd's F(2x2, 3x3) from 8 input channels on (`engine/winograd`: 16 small gemm
//! products per band of tiles), and the thin first block as one `[C_out, C_in * 9] x
//! [C_in * 9, H * W]` product with the image's neighbourhoods (backward: kernel^T x output
//! gradient, scattered back; output gradient x neighbourhoods^T); the pooling is one pass that
//! remembers where each maximum came from, so its backward is one scatter. In a block without
//! batch norm the three run as one operation ([`conv3x3_relu_max_pool`]): the batch's
//! convolution output and its gradient, the largest tensors of a training step, are never
//! stored (each image's is pooled, or rebuilt from the pooled gradient, in a per-thread buffer).
//! `examples/op_bench.rs` times each beside burn's own.
//!
//! [`conv3x3`], [`relu_max_pool`] and [`conv3x3_relu_max_pool`] take the burn modules and fall
//! back to burn's own operations wherever these do not apply (a tensor not on the CPU device,
//! another kernel size, padding or dilation). The passes themselves are in `passes.rs`.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::NodeId;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Autodiff, Backend, Flex};
use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::nn::PaddingConfig2d;
use burn::tensor::activation::relu;
use burn::tensor::{DType, Device, Tensor};

use super::kernels::{pooled, Pool};
pub use passes::PoolSources;
use passes::{
    conv3x3_backward, conv3x3_backward_from, conv3x3_forward, conv3x3_relu_max_pool_forward,
    f32_values, relu_max_pool_backward, relu_max_pool_forward, Conv3x3Grads, OutputGrad,
};

mod passes;

/// Whether `x` lives on Flex, the CPU device these operations are implemented for (with or
/// without autodiff).
fn on_cpu_device(x: &Tensor<4>) -> bool {
    x.device().inner() == Device::flex()
}

/// `conv(x)` for a 3x3 "same", stride-1 convolution with a bias; burn's own `forward` for any
/// other convolution, or off the CPU device.
pub fn conv3x3(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let Some(bias) = own_conv_bias(conv, &x) else {
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
/// pooling, or off the CPU device.
pub fn relu_max_pool(pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    if !own_pool(pool, &x) {
        return pool.forward(relu(x));
    }
    let out = <burn::backend::Dispatch as CpuTrainOps>::relu_max_pool(
        x.into_dispatch(),
        pool.kernel_size,
        pool.stride,
    );
    Tensor::from_dispatch(out)
}

/// `pool(relu(conv(x)))`, a conv block without batch norm, as one operation: each image's
/// convolution is pooled while it is still in cache, and the batch's convolution output (as
/// large as the input times the channel ratio: 134 MB in cnn_drop_first's first block) is
/// never stored, cleared or read back. The backward pass rebuilds its gradient from where each
/// maximum came from. [`conv3x3`] then [`relu_max_pool`] wherever this does not apply.
pub fn conv3x3_relu_max_pool(conv: &Conv2d, pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    // A "same" convolution keeps the size, so the pooling sees x's.
    let bias = own_conv_bias(conv, &x).filter(|_| own_pool(pool, &x));
    let Some(bias) = bias else {
        return relu_max_pool(pool, conv3x3(conv, x));
    };
    let out = <burn::backend::Dispatch as CpuTrainOps>::conv3x3_relu_max_pool(
        x.into_dispatch(),
        conv.weight.val().into_dispatch(),
        bias.val().into_dispatch(),
        pool.kernel_size,
        pool.stride,
    );
    Tensor::from_dispatch(out)
}

/// The bias of a convolution this module computes (3x3 "same", stride 1, undilated, ungrouped,
/// with a bias, on an f32 input on the CPU), `None` for any other.
fn own_conv_bias<'a>(conv: &'a Conv2d, x: &Tensor<4>) -> Option<&'a Param<Tensor<1>>> {
    let [channels_out, _, kh, kw] = conv.weight.dims();
    let [_, _, h, w] = x.dims();
    let fits = on_cpu_device(x)
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
    conv.bias
        .as_ref()
        .filter(|b| fits && b.dims() == [channels_out])
}

/// Whether this module computes `pool(relu(x))`: a "valid", undilated max pooling that fits
/// `x`, f32, on the CPU.
fn own_pool(pool: &MaxPool2d, x: &Tensor<4>) -> bool {
    let [_, _, h, w] = x.dims();
    let [kh, kw] = pool.kernel_size;
    let [sh, sw] = pool.stride;
    on_cpu_device(x)
        && matches!(pool.padding, PaddingConfig2d::Valid)
        && pool.dilation == [1, 1]
        && !pool.ceil_mode
        && pooled(h, kh, sh).is_some()
        && pooled(w, kw, sw).is_some()
        && x.dtype() == DType::F32
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

    /// `max_pool(relu(conv3x3(x)))`: `[B, C_in, H, W]` -> `[B, C_out, H', W']`.
    fn conv3x3_relu_max_pool(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
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

    fn conv3x3_relu_max_pool(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        kernel: [usize; 2],
        stride: [usize; 2],
    ) -> FlexTensor {
        conv3x3_relu_max_pool_forward(&x, &weight, &bias, Pool { kernel, stride }).0
    }
}

impl Conv3x3Grads {
    /// Hands each gradient to its parent node (input, kernel, bias) where that node is tracked.
    fn register(self, grads: &mut Gradients, parents: [Option<NodeId>; 3]) {
        let [x, weight, bias] = parents;
        if let (Some(id), Some(dx)) = (x, self.x) {
            grads.register::<Flex>(id, dx);
        }
        if let Some(id) = weight {
            grads.register::<Flex>(id, self.weight);
        }
        if let Some(id) = bias {
            grads.register::<Flex>(id, self.bias);
        }
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
                let parents = ops.parents.map(|node| node.map(|node| node.id));
                let grad = grads.consume::<Flex>(&ops.node);
                let (x_state, weight_state) = ops.state;
                let x = checkpointer.retrieve_node_output::<FlexTensor>(x_state);
                let weight = checkpointer.retrieve_node_output::<FlexTensor>(weight_state);
                let g = conv3x3_backward(&x, &weight, &grad, parents[0].is_some());
                g.register(grads, parents);
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

    fn conv3x3_relu_max_pool(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        kernel: [usize; 2],
        stride: [usize; 2],
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct ConvReluMaxPoolBackward;

        impl Backward<Flex, 3> for ConvReluMaxPoolBackward {
            type State = (NodeId, NodeId, PoolSources);

            fn backward(
                self,
                ops: Ops<Self::State, 3>,
                grads: &mut Gradients,
                checkpointer: &mut Checkpointer,
            ) {
                let parents = ops.parents.map(|node| node.map(|node| node.id));
                let grad = grads.consume::<Flex>(&ops.node);
                let (x_state, weight_state, sources) = ops.state;
                let x = checkpointer.retrieve_node_output::<FlexTensor>(x_state);
                let weight = checkpointer.retrieve_node_output::<FlexTensor>(weight_state);
                // The convolution's backward, its output gradient rebuilt image by image from
                // the pooled one (put back where each maximum came from, zero elsewhere).
                let pooled = f32_values(&grad);
                let output_grad = OutputGrad::Pooled {
                    grad: &pooled,
                    sources: &sources,
                };
                let g = conv3x3_backward_from(&x, &weight, output_grad, parents[0].is_some());
                g.register(grads, parents);
            }
        }

        let pool = Pool { kernel, stride };
        match ConvReluMaxPoolBackward
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let (x_state, weight_state) = (prep.checkpoint(&x), prep.checkpoint(&weight));
                let (y, sources) = conv3x3_relu_max_pool_forward(
                    x.primitive(),
                    weight.primitive(),
                    bias.primitive(),
                    pool,
                );
                prep.finish((x_state, weight_state, sources), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(
                conv3x3_relu_max_pool_forward(
                    x.primitive(),
                    weight.primitive(),
                    bias.primitive(),
                    pool,
                )
                .0,
            ),
        }
    }
}

#[cfg(test)]
mod tests;
