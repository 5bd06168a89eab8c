//! [`Cnn`], the burn module of every conv-block network: its blocks and head built from a
//! [`Plan`](super::Plan), the forward pass, and what transfer learning changes (head, frozen
//! blocks).

use burn::{
    module::Param,
    nn::{
        conv::{Conv2d, Conv2dConfig},
        pool::{MaxPool2d, MaxPool2dConfig},
        BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer, Linear, LinearConfig,
        PaddingConfig2d,
    },
    prelude::*,
    tensor::activation::relu,
};

use super::{check_classes, Init, ModelConfig};
use crate::engine::cpu::Features;
use crate::engine::{ops, Engine};
use crate::error::Result;

/// One block: 3x3 "same" convolution, optional batch norm, ReLU, max pooling.
#[derive(Module, Debug)]
pub struct ConvBlock {
    pub(crate) conv: Conv2d,
    pub(crate) norm: Option<BatchNorm>,
    pub(crate) pool: MaxPool2d,
}

impl ConvBlock {
    /// `[B, C_in, H, W]` -> `[B, C_out, H', W']`, on `engine`.
    pub fn forward(&self, x: Tensor<4>, engine: Engine) -> Tensor<4> {
        match (engine, &self.norm) {
            // The CPU engine's own operations (`engine::ops`), as one operation where no
            // batch norm sits between the convolution and the ReLU.
            (Engine::Cpu, None) => ops::conv3x3_relu_max_pool(&self.conv, &self.pool, x),
            (Engine::Cpu, Some(norm)) => {
                let x = norm.forward(ops::conv3x3(&self.conv, x));
                ops::relu_max_pool(&self.pool, x)
            }
            (Engine::Burn, norm) => {
                let x = self.conv.forward(x);
                let x = match norm {
                    Some(norm) => norm.forward(x),
                    None => x,
                };
                self.pool.forward(relu(x))
            }
        }
    }
}

/// A network of this crate: conv blocks, then a two-layer classifier.
#[derive(Module, Debug)]
pub struct Cnn {
    pub(crate) blocks: Vec<ConvBlock>,
    /// Dropout on the features (cnn_drop_first and its variants, compact).
    drop_features: Option<Dropout>,
    pub(crate) hidden: Linear,
    /// Dropout after the hidden layer (cnn_main).
    drop_hidden: Option<Dropout>,
    pub(crate) output: Linear,
    #[module(skip)]
    pub(crate) features: Features,
    #[module(skip)]
    config: ModelConfig,
    #[module(skip)]
    engine: Engine,
}

impl ModelConfig {
    /// Build the network with fresh weights on `device`, on the build's engine
    /// ([`Engine::for_build`]). Seed the device first for reproducible weights:
    /// `device.seed(seed)`.
    pub fn init(&self, device: &Device) -> Result<Cnn> {
        let plan = self.plan()?;
        let layers = &plan.layers;
        let init = layers.init;
        let blocks = layers
            .blocks
            .iter()
            .map(|b| ConvBlock {
                conv: conv3x3(b.cin, b.cout, init, device),
                norm: b
                    .batch_norm
                    .then(|| BatchNormConfig::new(b.cout).init(device)),
                pool: MaxPool2dConfig::new(b.pool_kernel)
                    .with_strides(b.pool_stride)
                    .init(),
            })
            .collect();
        let dropout = || DropoutConfig::new(self.dropout).init();
        Ok(Cnn {
            blocks,
            drop_features: layers.drop_features.then(dropout),
            hidden: dense(plan.feature_len, layers.hidden, init, device),
            drop_hidden: layers.drop_hidden.then(dropout),
            output: dense(layers.hidden, self.num_classes, init, device),
            features: layers.features,
            config: self.clone(),
            engine: Engine::for_build(),
        })
    }
}

/// Keras' defaults (Glorot-uniform kernel, zero bias) for the study's networks; burn's
/// (Kaiming-uniform) for `compact`, whose batch norm makes it insensitive to the scale.
fn conv3x3(cin: usize, cout: usize, init: Init, device: &Device) -> Conv2d {
    let config = Conv2dConfig::new([cin, cout], [3, 3]).with_padding(PaddingConfig2d::Same);
    if init == Init::Burn {
        return config.init(device);
    }
    let mut conv = config
        .with_initializer(Initializer::XavierUniform { gain: 1.0 })
        .init(device);
    conv.bias = Some(Param::from_tensor(Tensor::zeros([cout], device)));
    conv
}

fn dense(din: usize, dout: usize, init: Init, device: &Device) -> Linear {
    let config = LinearConfig::new(din, dout);
    if init == Init::Burn {
        return config.init(device);
    }
    let mut linear = config
        .with_initializer(Initializer::XavierUniform { gain: 1.0 })
        .init(device);
    linear.bias = Some(Param::from_tensor(Tensor::zeros([dout], device)));
    linear
}

impl Cnn {
    /// `[batch, 1, H, W]` in `[0, 1]` -> logits `[batch, classes]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.head(self.embed(images))
    }

    /// The classifier's last layer (and the dropout before it) on [`Cnn::embed`]'s output.
    pub fn head(&self, embedding: Tensor<2>) -> Tensor<2> {
        let x = match &self.drop_hidden {
            Some(d) => d.forward(embedding),
            None => embedding,
        };
        self.output.forward(x) // [B, classes]
    }

    /// `[batch, 1, H, W]` -> the hidden layer's activations `[batch, hidden]`: the pooled
    /// features before the last layer, what similar-sounding inputs share.
    pub fn embed(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = images;
        for block in &self.blocks {
            x = block.forward(x, self.engine); // [B, C, H', W']
        }
        let [batch, channels, h, w] = x.dims();
        let x: Tensor<2> = match self.features {
            Features::Flatten => x.reshape([batch, channels * h * w]),
            Features::MeanTime => x.mean_dim(3).reshape([batch, channels * h]),
            Features::MeanBoth => x.mean_dim(3).mean_dim(2).reshape([batch, channels]),
        };
        let x = match &self.drop_features {
            Some(d) => d.forward(x),
            None => x,
        };
        relu(self.hidden.forward(x)) // [B, hidden]
    }

    /// The configuration the network was built from (after [`replace_head`], with the new
    /// class count).
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The engine that computes this network (see [`crate::engine`]).
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The same network on `engine`: both compute the same function, to float rounding
    /// (for paired timings, and as a way around a suspected fault in one). The CPU engine
    /// needs the network on the CPU device.
    pub fn with_engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// The number of parameters (see [`ModelConfig::param_count`]).
    pub fn param_count(&self) -> usize {
        // burn keeps batch-norm running statistics as parameters too, so `num_params` counts
        // exactly what `ModelConfig::param_count` (and Keras) does.
        self.num_params()
    }

    /// Each conv block's kernel values, flattened (for inspection and tests).
    pub fn conv_weights(&self) -> Vec<Vec<f32>> {
        self.blocks
            .iter()
            .map(|b| {
                b.conv
                    .weight
                    .val()
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Freeze the first `n` conv blocks (weights, batch-norm statistics): fine-tuning then
    /// trains only the later blocks and the classifier. `n` larger than the number of
    /// blocks freezes all of them.
    pub fn freeze_blocks(mut self, n: usize) -> Self {
        self.blocks = self
            .blocks
            .into_iter()
            .enumerate()
            .map(|(i, b)| if i < n { b.freeze() } else { b })
            .collect();
        self
    }
}

/// Replace the classification layer with a fresh one for `num_classes` classes (transfer
/// learning); everything else keeps its weights. The new layer is initialised the way the
/// architecture initialises it (Glorot-uniform and zero bias for the study's networks).
pub fn replace_head(model: Cnn, num_classes: usize) -> Result<Cnn> {
    check_classes(num_classes)?;
    let device = model
        .devices()
        .first()
        .cloned()
        .unwrap_or_else(crate::backend::default_device);
    let mut config = model.config.clone();
    config.num_classes = num_classes;
    let plan = config.plan()?;
    Ok(Cnn {
        output: dense(plan.layers.hidden, num_classes, plan.layers.init, &device),
        config,
        ..model
    })
}

/// Freeze the first `n` conv blocks of `model` (see [`Cnn::freeze_blocks`]).
pub fn freeze(model: Cnn, n: usize) -> Cnn {
    model.freeze_blocks(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Arch;

    fn device() -> Device {
        crate::backend::default_device()
    }

    #[test]
    fn built_networks_have_the_counted_parameters() {
        for arch in [Arch::CnnDropFirst, Arch::Compact, Arch::CnnPool2x1] {
            let config = ModelConfig::square(arch, 5, 32);
            let model = config.init(&device()).expect("init");
            assert_eq!(
                model.param_count(),
                config.param_count().expect("count"),
                "{arch}"
            );
        }
    }

    #[test]
    fn output_shapes_at_128_and_256() {
        let device = device();
        for size in [128, 256] {
            for arch in Arch::ALL {
                // cnn_2_1 at 256 has a 508 032-wide Dense input (130 M parameters): too big
                // for a unit test, as it was for the study; 128 checks the same code.
                if arch == Arch::Cnn21 && size == 256 {
                    continue;
                }
                let model = ModelConfig::square(arch, 5, size)
                    .init(&device)
                    .expect("init");
                let x = Tensor::<4>::zeros([2, 1, size, size], &device);
                assert_eq!(model.forward(x).dims(), [2, 5], "{arch} at {size}");
            }
        }
    }

    /// Both engines give the same logits, and a network keeps its engine through a new head.
    #[test]
    fn the_engines_agree() {
        let device = device();
        for arch in [Arch::CnnMain, Arch::Compact] {
            device.seed(3);
            let model = ModelConfig::new(arch, 4, 33, 29)
                .init(&device)
                .expect("init");
            let x = Tensor::<4>::random(
                [2, 1, 33, 29],
                burn::tensor::Distribution::Uniform(0.0, 1.0),
                &device,
            );
            let model = model.valid();
            let on_cpu = model.clone().with_engine(Engine::Cpu);
            let on_burn = model.with_engine(Engine::Burn);
            assert_eq!(on_burn.engine(), Engine::Burn);
            on_cpu
                .forward(x.clone())
                .into_data()
                .assert_approx_eq::<f32>(
                    &on_burn.forward(x).into_data(),
                    burn::tensor::Tolerance::default(),
                );
            let replaced = replace_head(on_burn, 3).expect("replace");
            assert_eq!(replaced.engine(), Engine::Burn);
        }
    }

    #[test]
    fn replace_head_keeps_body_and_changes_classes() {
        let device = device();
        let model = ModelConfig::square(Arch::Cnn12, 5, 32)
            .init(&device)
            .expect("init");
        let before = model.blocks[0].conv.weight.val().into_data();
        let model = replace_head(model, 10).expect("replace");
        assert_eq!(model.config().num_classes, 10);
        assert_eq!(model.blocks[0].conv.weight.val().into_data(), before);
        let x = Tensor::<4>::zeros([3, 1, 32, 32], &device);
        assert_eq!(model.forward(x).dims(), [3, 10]);
        assert!(replace_head(model, 1).is_err());
    }
}
