//! `compact`, this crate's own design: four conv blocks (3x3 conv, batch norm, ReLU, 2x2 max
//! pool) of `c, 2c, 4c, 8c` channels (`c` = 16 by default), then the mean over time (or over
//! both axes) so the classifier sees per-band activations wherever a pattern occurs in the
//! clip, dropout, Dense(8c, ReLU) and Dense(classes). About 0.23 M parameters (0.9 MB) at 128
//! input, ~1/3 of `cnn_drop_first`'s convolution work. burn's initialisers (Kaiming-uniform):
//! its batch norm makes it insensitive to the scale.

use super::{BlockPlan, CompactPool, Init, Layers, ModelConfig, Network};
use crate::engine::cpu::Features;
use crate::error::{CnnError, Result};

pub(crate) const COMPACT: Network = Network {
    name: "compact",
    study: false,
    conv_blocks: 4,
    layers,
};

fn layers(config: &ModelConfig) -> Result<Layers> {
    let c = config.compact_channels;
    if c == 0 {
        return Err(CnnError::InvalidSetting {
            name: "compact_channels",
            reason: "must be at least 1".into(),
        });
    }
    let mut cin = 1;
    let mut blocks = Vec::new();
    for cout in [c, 2 * c, 4 * c, 8 * c] {
        blocks.push(BlockPlan {
            cin,
            cout,
            pool_kernel: [2, 2],
            pool_stride: [2, 2],
            batch_norm: true,
        });
        cin = cout;
    }
    Ok(Layers {
        blocks,
        features: match config.compact_pool {
            CompactPool::Time => Features::MeanTime,
            CompactPool::Both => Features::MeanBoth,
        },
        hidden: 8 * c,
        drop_features: true,
        drop_hidden: false,
        init: Init::Burn,
    })
}
