//! musicnn (Pons & Serra 2019, the `musicnn` 0.1.0 wheel, ISC licence): its front end and its
//! two musicnn networks, `MSD_musicnn` and `MTT_musicnn`, matching TensorFlow 2.15 to ~1e-5.
//!
//! - [`logmel`] / [`logmel_patches`]: musicnn's own log-mel (16 kHz, librosa 0.11.0's
//!   mel-spectrogram with `n_fft` 512, hop 256, 96 bands, the power rounded to float16, then
//!   `log10(10000 x + 1)`), cut into non-overlapping 187-frame (3 s) patches.
//! - [`Musicnn`]: a network loaded from safetensors (the two shipped ones are embedded:
//!   [`Musicnn::embedded`]); [`Musicnn::forward`] gives every layer that musicnn's
//!   `extractor(..., extract_features=True)` names ([`MusicnnFeatures`]).
//!
//! Unlike musicnn 0.1.0's `extractor()`, every patch gets its own `penultimate` and
//! `cnn1`-`cnn3`: the wheel's loop over patches repeats the first patch's values for those four
//! (a bug, described in `tools/musicnn/README.md`).
//!
//! The architecture, the weight names and the parity fixtures are described in
//! `tools/musicnn/README.md`; `tools/musicnn/reference.py` is the numpy forward pass this code
//! follows step by step.

mod frontend;
mod network;
mod weights;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

pub use frontend::{
    logmel, logmel_at, logmel_patches, logmel_patches_at, patches, HOP, MIN_SAMPLES, N_FFT, N_MELS,
    PATCH_FRAMES, SAMPLE_RATE,
};
pub use network::{Musicnn, MusicnnFeatures};

/// The number of tags of a taggram.
pub const N_TAGS: usize = 50;

/// Everything that can go wrong loading a musicnn network or preparing its input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MusicnnError {
    /// A model name that is none of [`MusicnnModel::ALL`].
    #[error("unknown musicnn model `{0}` (expected MSD_musicnn or MTT_musicnn)")]
    UnknownModel(String),

    /// A layer name that is none of [`MusicnnLayer::ALL`].
    #[error("unknown musicnn layer `{0}` (expected one of: {names})", names = MusicnnLayer::ALL.map(|l| l.name()).join(", "))]
    UnknownLayer(String),

    /// A weights file that is not a readable safetensors file.
    #[error("musicnn weights ({source_name}): {reason}")]
    BadWeights {
        /// The file, or `embedded MSD_musicnn`.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// An expected tensor that the weights file lacks.
    #[error("musicnn weights ({source_name}): tensor `{tensor}` is missing")]
    MissingTensor { source_name: String, tensor: String },

    /// A tensor with another shape or type than the network needs.
    #[error("musicnn weights ({source_name}): tensor `{tensor}` is {found}, expected {expected}")]
    BadTensor {
        source_name: String,
        tensor: String,
        /// What the file holds (`F32 [7, 38, 1, 200]`).
        found: String,
        /// What the network needs.
        expected: String,
    },

    /// A weights file that could not be read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An input signal the front end refuses (empty, too short, not finite, bad sample rate).
    #[error("musicnn input signal: {0}")]
    BadSignal(String),

    /// Log-mel patches of the wrong size or with non-finite values.
    #[error("musicnn input patches: {0}")]
    BadPatches(String),

    /// The mel-spectrogram or the resampler failed.
    #[error("musicnn front end: {0}")]
    FrontEnd(String),
}

/// Result with a [`MusicnnError`].
pub type Result<T, E = MusicnnError> = std::result::Result<T, E>;

/// musicnn's networks, with musicnn's own names (`MSD_musicnn`: trained on the Million Song
/// Dataset's last.fm tags; `MTT_musicnn`: on MagnaTagATune).
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MusicnnModel {
    MSD_musicnn,
    MTT_musicnn,
}

impl MusicnnModel {
    /// Both networks, in this order.
    pub const ALL: [MusicnnModel; 2] = [MusicnnModel::MSD_musicnn, MusicnnModel::MTT_musicnn];

    /// musicnn's name: `MSD_musicnn` or `MTT_musicnn`.
    pub fn name(self) -> &'static str {
        match self {
            MusicnnModel::MSD_musicnn => "MSD_musicnn",
            MusicnnModel::MTT_musicnn => "MTT_musicnn",
        }
    }

    /// The converted weights shipped in `models/musicnn/` and embedded in the binary.
    pub fn embedded_weights(self) -> &'static [u8] {
        match self {
            MusicnnModel::MSD_musicnn => include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../models/musicnn/MSD_musicnn.safetensors"
            )),
            MusicnnModel::MTT_musicnn => include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../models/musicnn/MTT_musicnn.safetensors"
            )),
        }
    }
}

impl fmt::Display for MusicnnModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MusicnnModel {
    type Err = MusicnnError;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| MusicnnError::UnknownModel(s.to_string()))
    }
}

/// The layers [`MusicnnFeatures`] holds, with the names musicnn's extractor gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MusicnnLayer {
    /// `(n_patches, 50)`: the tag probabilities.
    Taggram,
    /// `(n_patches * 187, 408)`: the two timbral branches (204 + 204 filters), per frame.
    Timbral,
    /// `(n_patches * 187, 153)`: the three temporal branches (51 each), per frame.
    Temporal,
    /// `(n_patches * 187, 64)`: the first mid-end convolution.
    Cnn1,
    /// `(n_patches * 187, 64)`: the second, plus its residual.
    Cnn2,
    /// `(n_patches * 187, 64)`: the third, plus its residual.
    Cnn3,
    /// `(n_patches, 753)`: the mean over time of timbral, temporal and cnn1-cnn3.
    MeanPool,
    /// `(n_patches, 753)`: their maximum over time.
    MaxPool,
    /// `(n_patches, 200)`: the dense layer before the tags (after its batch norm).
    Penultimate,
}

impl MusicnnLayer {
    /// Every layer, in extractor order.
    pub const ALL: [MusicnnLayer; 9] = [
        MusicnnLayer::Taggram,
        MusicnnLayer::Timbral,
        MusicnnLayer::Temporal,
        MusicnnLayer::Cnn1,
        MusicnnLayer::Cnn2,
        MusicnnLayer::Cnn3,
        MusicnnLayer::MeanPool,
        MusicnnLayer::MaxPool,
        MusicnnLayer::Penultimate,
    ];

    /// The extractor's name (`taggram`, `timbral`, ..., `max_pool`, `penultimate`).
    pub fn name(self) -> &'static str {
        match self {
            MusicnnLayer::Taggram => "taggram",
            MusicnnLayer::Timbral => "timbral",
            MusicnnLayer::Temporal => "temporal",
            MusicnnLayer::Cnn1 => "cnn1",
            MusicnnLayer::Cnn2 => "cnn2",
            MusicnnLayer::Cnn3 => "cnn3",
            MusicnnLayer::MeanPool => "mean_pool",
            MusicnnLayer::MaxPool => "max_pool",
            MusicnnLayer::Penultimate => "penultimate",
        }
    }

    /// Values per row (per frame or per patch).
    pub fn width(self) -> usize {
        match self {
            MusicnnLayer::Taggram => N_TAGS,
            MusicnnLayer::Timbral => 408,
            MusicnnLayer::Temporal => 153,
            MusicnnLayer::Cnn1 | MusicnnLayer::Cnn2 | MusicnnLayer::Cnn3 => 64,
            MusicnnLayer::MeanPool | MusicnnLayer::MaxPool => 753,
            MusicnnLayer::Penultimate => 200,
        }
    }

    /// Whether the layer has one row per frame (187 a patch) rather than one per patch.
    pub fn per_frame(self) -> bool {
        matches!(
            self,
            MusicnnLayer::Timbral
                | MusicnnLayer::Temporal
                | MusicnnLayer::Cnn1
                | MusicnnLayer::Cnn2
                | MusicnnLayer::Cnn3
        )
    }
}

impl fmt::Display for MusicnnLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MusicnnLayer {
    type Err = MusicnnError;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| MusicnnError::UnknownLayer(s.to_string()))
    }
}
