//! The study's networks (`docs/study-notes.md` section 6): three blocks of 3x3 convolution
//! ("same" padding, ReLU) with 32 -> 64 -> 128 channels, each followed by a Keras max pooling
//! with "valid" padding, then Dense(256, ReLU) and Dense(classes). Keras initialises their
//! kernels with Glorot-uniform and their biases with zeros; so do these.
//!
//! A Keras quirk worth knowing: `MaxPooling2D(a, b)` means pool size `(a, a)` with strides
//! `(b, b)`. So the study's `cnn_1_2` (`MaxPooling2D(1, 2)`) pools 1x1 with stride 2, a plain
//! 2x subsampling that drops 3 of 4 activations, and its `cnn_2_1` (`MaxPooling2D(2, 1)`) pools
//! 2x2 with stride 1, which shrinks 128 only to 127 and leaves a 123 008-wide Dense input
//! (~31.5 M parameters). Both are implemented as the study ran them; `cnn_pool_1x2` and
//! `cnn_pool_2x1` are the (1, 2) and (2, 1) pool shapes (pooling time only, or frequency only)
//! that the names suggest.

use super::{BlockPlan, Init, Layers, ModelConfig, Network};
use crate::engine::cpu::Features;
use crate::error::Result;

/// A pooling layer: (kernel, stride), both `[H, W]`.
type Pool = ([usize; 2], [usize; 2]);

const POOL_2X2: Pool = ([2, 2], [2, 2]);

/// Where a study network drops out half its values.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DropAt {
    /// On the flattened features (`cnn_drop_first` and its variants).
    Features,
    /// After the hidden layer (`cnn_main`).
    Hidden,
}

const fn network(name: &'static str, layers: fn(&ModelConfig) -> Result<Layers>) -> Network {
    Network {
        name,
        study: true,
        conv_blocks: 3,
        layers,
    }
}

pub(crate) const CNN_MAIN: Network = network("cnn_main", |_| Ok(layers(POOL_2X2, DropAt::Hidden)));
pub(crate) const CNN_DROP_FIRST: Network =
    network("cnn_drop_first", |_| Ok(layers(POOL_2X2, DropAt::Features)));
pub(crate) const CNN_1_2: Network = network("cnn_1_2", |_| {
    Ok(layers(([1, 1], [2, 2]), DropAt::Features))
});
pub(crate) const CNN_2_1: Network = network("cnn_2_1", |_| {
    Ok(layers(([2, 2], [1, 1]), DropAt::Features))
});
pub(crate) const CNN_POOL_1X2: Network = network("cnn_pool_1x2", |_| {
    Ok(layers(([1, 2], [1, 2]), DropAt::Features))
});
pub(crate) const CNN_POOL_2X1: Network = network("cnn_pool_2x1", |_| {
    Ok(layers(([2, 1], [2, 1]), DropAt::Features))
});

/// The study's three blocks, the first pooled by `first_pool`, the others 2x2.
fn layers(first_pool: Pool, drop: DropAt) -> Layers {
    let channels = [(1, 32), (32, 64), (64, 128)];
    let blocks = channels
        .into_iter()
        .enumerate()
        .map(|(i, (cin, cout))| {
            let (pool_kernel, pool_stride) = if i == 0 { first_pool } else { POOL_2X2 };
            BlockPlan {
                cin,
                cout,
                pool_kernel,
                pool_stride,
                batch_norm: false,
            }
        })
        .collect();
    Layers {
        blocks,
        features: Features::Flatten,
        hidden: 256,
        drop_features: drop == DropAt::Features,
        drop_hidden: drop == DropAt::Hidden,
        init: Init::Keras,
    }
}
