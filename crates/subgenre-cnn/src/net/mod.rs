//! The networks: the study's four Keras CNNs, the two pools its authors meant, and `compact`.
//!
//! Every network takes `[batch, 1, H, W]` in `[0, 1]` (H = mel bins, W = time frames) and
//! returns class logits `[batch, classes]`; softmax is applied in the loss and at inference.
//!
//! The study's networks (`docs/study-notes.md` section 6, [`study`]) are three blocks of 3x3
//! convolution ("same" padding, ReLU) with 32 -> 64 -> 128 channels, each followed by a Keras
//! max pooling with "valid" padding, then Dense(256, ReLU) and Dense(classes). `compact`
//! ([`compact`]) is this crate's own design. Both are conv-block networks: a [`Plan`] of
//! blocks and a two-layer head, built as one burn module ([`Cnn`]) and laid out for the CPU
//! engine ([`layout`]).
//!
//! **Adding a network** of that shape takes one file here that returns its plan (see
//! `compact.rs`) and one entry in the [`networks!`] registry below. A network of another shape
//! (a pretrained one with converted weights that only predicts, say) gets its own module type
//! in its own file here, its weights read by [`crate::artifact`], and runs through
//! [`crate::engine`]; it need not be a [`Cnn`], have a [`Plan`] or train.

use std::fmt;
use std::str::FromStr;

use burn::prelude::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::engine::cpu::Features;
use crate::engine::kernels::pooled;
use crate::error::{CnnError, Result};

mod cnn;
pub mod compact;
pub(crate) mod layout;
pub mod study;

pub use cnn::{freeze, replace_head, Cnn, ConvBlock};

/// A registered network: its name and how it is planned for a configuration.
pub(crate) struct Network {
    /// The name used on the command line, in reports and in saved models.
    pub name: &'static str,
    /// One of the study's Keras networks (or the two corrected pools).
    pub study: bool,
    /// The number of convolution blocks (what `freeze` counts).
    pub conv_blocks: usize,
    /// The layers for a configuration (its input size is checked after, by [`ModelConfig`]).
    pub layers: fn(&ModelConfig) -> Result<Layers>,
}

/// The registry: declares [`Arch`], one variant per network, each bound to its [`Network`].
macro_rules! networks {
    ($($(#[$doc:meta])* $variant:ident => $network:path,)*) => {
        /// The networks this crate builds.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Arch {
            $($(#[$doc])* $variant,)*
        }

        impl Arch {
            /// Every architecture, in the order reports list them.
            pub const ALL: [Arch; 0 $(+ networks!(@one $variant))*] = [$(Arch::$variant),*];

            /// Every name, in the order of [`Arch::ALL`].
            const NAMES: [&'static str; 0 $(+ networks!(@one $variant))*] =
                [$($network.name),*];

            fn network(self) -> &'static Network {
                match self {
                    $(Arch::$variant => &$network,)*
                }
            }
        }
    };
    (@one $variant:ident) => {
        1
    };
}

networks! {
    /// Pools 2x2 x3; Flatten, Dense 256, Dropout 0.5, Dense.
    CnnMain => study::CNN_MAIN,
    /// Pools 2x2 x3; Dropout 0.5, Flatten, Dense 256, Dense.
    CnnDropFirst => study::CNN_DROP_FIRST,
    /// As `cnn_drop_first`, first pool Keras `MaxPooling2D(1, 2)`: 1x1 with stride 2.
    Cnn12 => study::CNN_1_2,
    /// As `cnn_drop_first`, first pool Keras `MaxPooling2D(2, 1)`: 2x2 with stride 1.
    Cnn21 => study::CNN_2_1,
    /// As `cnn_drop_first`, first pool of shape (1, 2), stride (1, 2): halves time only.
    CnnPool1x2 => study::CNN_POOL_1X2,
    /// As `cnn_drop_first`, first pool of shape (2, 1), stride (2, 1): halves frequency only.
    CnnPool2x1 => study::CNN_POOL_2X1,
    /// This crate's small network: batch norm, pooling over time, < 5 MB of weights.
    Compact => compact::COMPACT,
}

impl Arch {
    /// The name used on the command line, in reports and in saved models.
    pub fn name(self) -> &'static str {
        self.network().name
    }

    /// All names, for help texts and error messages.
    pub fn names() -> Vec<&'static str> {
        Arch::NAMES.to_vec()
    }

    /// One of the study's Keras networks (or the two corrected pools)?
    pub fn is_study(self) -> bool {
        self.network().study
    }

    /// The number of convolution blocks (what `freeze` counts).
    pub fn conv_blocks(self) -> usize {
        self.network().conv_blocks
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = CnnError;

    fn from_str(s: &str) -> Result<Self> {
        Arch::ALL
            .into_iter()
            .find(|a| a.name() == s.trim())
            .ok_or_else(|| CnnError::UnknownArch(s.to_string()))
    }
}

/// By name, as a unit variant named by [`Arch::name`] would be.
impl Serialize for Arch {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Arch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Arch::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| serde::de::Error::unknown_variant(&name, &Arch::NAMES))
    }
}

/// How `compact` turns its last feature map into a vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompactPool {
    /// Mean over time, keeping the frequency bands: `8c * H/16` features.
    Time,
    /// Mean over both axes: `8c` features.
    Both,
}

/// Everything needed to rebuild a network: saved with every model and checkpoint.
#[derive(Config, Debug, PartialEq)]
pub struct ModelConfig {
    /// The architecture.
    pub arch: Arch,
    /// The number of output classes.
    pub num_classes: usize,
    /// Input height: mel bins.
    pub height: usize,
    /// Input width: time frames.
    pub width: usize,
    /// Dropout probability (0.5 in the study's networks).
    #[config(default = 0.5)]
    pub dropout: f64,
    /// `compact` only: channels of its first block (then 2x, 4x, 8x).
    #[config(default = 16)]
    pub compact_channels: usize,
    /// `compact` only: pool over time only, or over both axes.
    #[config(default = "CompactPool::Time")]
    pub compact_pool: CompactPool,
}

/// One conv block of a plan: 3x3 "same" convolution, optional batch norm, ReLU, max pooling.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockPlan {
    pub cin: usize,
    pub cout: usize,
    pub pool_kernel: [usize; 2],
    pub pool_stride: [usize; 2],
    pub batch_norm: bool,
}

/// How a network's weights start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Init {
    /// Keras' defaults: Glorot-uniform kernels, zero biases.
    Keras,
    /// burn's defaults: Kaiming-uniform.
    Burn,
}

/// What a network file says: its blocks and its head.
#[derive(Clone, Debug)]
pub(crate) struct Layers {
    pub blocks: Vec<BlockPlan>,
    pub features: Features,
    /// Width of the hidden dense layer (the embedding).
    pub hidden: usize,
    /// Dropout on the pooled features.
    pub drop_features: bool,
    /// Dropout after the hidden layer.
    pub drop_hidden: bool,
    pub init: Init,
}

/// The layer plan of a configuration, its sizes checked before anything is allocated.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub layers: Layers,
    /// The number of values the hidden layer receives.
    pub feature_len: usize,
}

impl ModelConfig {
    /// Shorthand for [`ModelConfig::new`] with a square input.
    pub fn square(arch: Arch, num_classes: usize, size: usize) -> Self {
        ModelConfig::new(arch, num_classes, size, size)
    }

    pub(crate) fn plan(&self) -> Result<Plan> {
        check_classes(self.num_classes)?;
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(CnnError::InvalidSetting {
                name: "dropout",
                reason: format!("must be in [0, 1), got {}", self.dropout),
            });
        }
        let layers = (self.arch.network().layers)(self)?;
        let too_small = || CnnError::InputTooSmall {
            height: self.height,
            width: self.width,
            arch: self.arch,
        };
        let (mut h, mut w) = (self.height, self.width);
        for b in &layers.blocks {
            h = pooled(h, b.pool_kernel[0], b.pool_stride[0]).ok_or_else(too_small)?;
            w = pooled(w, b.pool_kernel[1], b.pool_stride[1]).ok_or_else(too_small)?;
        }
        if h == 0 || w == 0 {
            return Err(too_small());
        }
        let channels = layers.blocks.last().map(|b| b.cout).unwrap_or(1);
        let feature_len = match layers.features {
            Features::Flatten => channels * h * w,
            Features::MeanTime => channels * h,
            Features::MeanBoth => channels,
        };
        Ok(Plan {
            layers,
            feature_len,
        })
    }

    /// Check that the configuration builds (input large enough, >= 2 classes, ...).
    pub fn validate(&self) -> Result<()> {
        self.plan().map(|_| ())
    }

    /// The number of values the classifier head receives (123 008 for cnn_2_1 at 128).
    pub fn feature_len(&self) -> Result<usize> {
        Ok(self.plan()?.feature_len)
    }

    /// The number of parameters without building the network, counted as Keras' "total
    /// params": weights and biases, and for batch norm its scale, shift and running mean and
    /// variance.
    pub fn param_count(&self) -> Result<usize> {
        let plan = self.plan()?;
        let hidden = plan.layers.hidden;
        let mut n = 0;
        for b in &plan.layers.blocks {
            n += b.cin * b.cout * 9 + b.cout;
            if b.batch_norm {
                n += 4 * b.cout;
            }
        }
        n += plan.feature_len * hidden + hidden;
        n += hidden * self.num_classes + self.num_classes;
        Ok(n)
    }
}

/// A classifier needs two classes at least.
pub(crate) fn check_classes(classes: usize) -> Result<()> {
    if classes < 2 {
        return Err(CnnError::TooFewClasses { classes });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for arch in Arch::ALL {
            assert_eq!(arch.name().parse::<Arch>().expect("parse"), arch);
            let json = serde_json::to_string(&arch).expect("json");
            assert_eq!(json, format!("\"{}\"", arch.name()));
            let back: Arch = serde_json::from_str(&json).expect("from json");
            assert_eq!(back, arch);
        }
        assert!(matches!(
            "cnn_3_3".parse::<Arch>(),
            Err(CnnError::UnknownArch(_))
        ));
        let err = serde_json::from_str::<Arch>("\"cnn_3_3\"").expect_err("unknown");
        assert!(
            err.to_string().contains("unknown variant `cnn_3_3`"),
            "{err}"
        );
    }

    #[test]
    fn the_registry_lists_every_network_once() {
        let names = Arch::names();
        assert_eq!(names.len(), Arch::ALL.len());
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert_eq!(names[0], "cnn_main");
        assert_eq!(names[6], "compact");
        assert!(Arch::CnnPool2x1.is_study() && !Arch::Compact.is_study());
        assert_eq!(Arch::Compact.conv_blocks(), 4);
        assert_eq!(Arch::Cnn21.conv_blocks(), 3);
    }

    #[test]
    fn parameter_counts_match_keras() {
        let count = |arch, size| {
            ModelConfig::square(arch, 5, size)
                .param_count()
                .expect("count")
        };
        // Keras' model.summary() for the study's cnn_drop_first at 128x128, 5 classes.
        assert_eq!(count(Arch::CnnDropFirst, 128), 8_482_821);
        assert_eq!(count(Arch::CnnMain, 128), 8_482_821);
        assert_eq!(count(Arch::Cnn12, 128), 8_482_821);
        // 31 * 31 * 128 = 123 008 features into Dense(256).
        let cnn21 = ModelConfig::square(Arch::Cnn21, 5, 128);
        assert_eq!(cnn21.feature_len().expect("len"), 123_008);
        assert_eq!(count(Arch::Cnn21, 128), 31_584_261);
        // 256 input: 32 * 32 * 128 features.
        assert_eq!(count(Arch::CnnDropFirst, 256), 33_648_645);
        assert_eq!(count(Arch::CnnPool1x2, 128), 16_871_429);
        assert_eq!(count(Arch::CnnPool2x1, 128), 16_871_429);
        // compact stays far below 5 MB of f32 weights, at both sizes.
        for size in [128, 256] {
            assert!(count(Arch::Compact, size) * 4 < 5_000_000);
        }
    }

    #[test]
    fn rejects_inputs_too_small_and_one_class() {
        assert!(ModelConfig::square(Arch::Compact, 5, 8).validate().is_err());
        assert!(ModelConfig::square(Arch::CnnMain, 1, 128)
            .validate()
            .is_err());
        assert!(ModelConfig::square(Arch::CnnMain, 5, 4).validate().is_err());
        assert!(ModelConfig::square(Arch::CnnMain, 5, 8).validate().is_ok());
    }
}
