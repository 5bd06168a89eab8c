//! librosa-0.11-compatible audio DSP for subgenre, usable on its own: pure Rust, no I/O.
//!
//! Functions take sample slices or spectrogram arrays and return `ndarray` arrays shaped as
//! librosa's (`[bins, frames]`). Planned objects ([`Stft`], [`MelSpectrogram`],
//! [`FeatureExtractor`], [`TempoEstimator`]) are built once through checked parameters and reused
//! across clips without re-planning or per-frame allocation. Everything is single-threaded per
//! call: parallelise over clips.
//!
//! Numerics follow librosa's: the FFT runs in f64 (librosa's f64 window promotes float32
//! frames) and is rounded to complex64 (an f32 FFT is available, see [`FftPrecision`]);
//! magnitudes, power, dB and the `np.cumsum`-based roll-off are f32 as in librosa; tuning
//! estimation reproduces `piptrack`'s thresholds and numba's f64 promotion in the parabolic
//! interpolation. `tests/librosa.rs` checks every feature against librosa 0.11 fixtures.
//!
//! ```
//! use subgenre_dsp::{DbRef, FeatureExtractor, MelParams, AMIN, TOP_DB};
//! let y: Vec<f32> = (0..22050).map(|i| (i as f32 * 0.1).sin() * 0.5).collect();
//! let mut fx = FeatureExtractor::new(22050.0)?;
//! let means = fx.extract(&y)?.means(); // the study's per-clip means
//! assert!(means.rmse > 0.3);
//! let mut mel = MelParams::new(22050.0).n_fft(1024).fmin(20.0).fmax(11000.0).build()?;
//! let s_db = mel.compute_db(&y, DbRef::Max, AMIN, TOP_DB)?; // [128, 44]
//! assert_eq!(s_db.dim(), (128, 44));
//! # Ok::<(), subgenre_dsp::DspError>(())
//! ```

#![warn(missing_docs)]

pub mod chroma;
pub mod convert;
pub mod db;
mod error;
pub mod features;
mod kernels;
pub mod mel;
pub mod mfcc;
pub mod pyaa;
pub mod recipe;
pub mod rhythm;
pub mod spectral;
pub mod stft;
pub mod stream;
pub mod window;

pub use chroma::{chroma_stft, estimate_tuning, pitch_tuning, ChromaFilterbank, PitchTracker};
pub use db::{db_relative_to_max, power_to_db, power_to_db_inplace, DbRef, AMIN, TOP_DB};
pub use error::{DspError, Result};
pub use features::{
    FeatureExtractor, FrameFeatures, FrameRow, RichFeatures, RichFrames, StudyMeans,
    FEATURES_VERSION, FRAME_ROWS, RICH_COLUMNS, STUDY_COLUMNS,
};
pub use mel::{MelFilterbank, MelNorm, MelParams, MelSpectrogram};
pub use mfcc::{mfcc, Dct};
pub use recipe::{tempo_onset_envelope, Framing, MelRecipe};
pub use rhythm::{onset_strength, TempoEstimator};
pub use spectral::{
    rms, rms_from_spectrogram, spectral_bandwidth, spectral_centroid, spectral_rolloff,
    zero_crossing_rate, SpectralContrast,
};
pub use stft::{FftPrecision, PadMode, Spectrum, Stft, StftParams, Window};
pub use stream::{MelFrames, TempoOnsets, TEMPO_LOOKAHEAD_FRAMES};
