//! The crate's error type.

/// Everything that can go wrong in `subgenre-dsp`.
///
/// Variants are sorted by what the caller can do about them: a bad input signal
/// (skip the clip) comes before a bad parameter (fix the configuration).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DspError {
    /// The input signal is empty.
    #[error("input signal is empty")]
    EmptyInput,

    /// The input signal is shorter than the analysis needs.
    #[error("input signal has {len} samples, fewer than the {min} this analysis needs")]
    InputTooShort {
        /// Number of samples given.
        len: usize,
        /// Minimum number of samples needed.
        min: usize,
    },

    /// The input holds a NaN or an infinity (librosa's `valid_audio` rejects these too).
    #[error("input is not finite at index {index}")]
    NonFinite {
        /// Index of the first non-finite value.
        index: usize,
    },

    /// An array handed in has the wrong shape.
    #[error("{what} has shape {found:?}, expected {expected:?}")]
    ShapeMismatch {
        /// Which argument.
        what: &'static str,
        /// The shape needed.
        expected: Vec<usize>,
        /// The shape given.
        found: Vec<usize>,
    },

    /// A parameter is out of range.
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParam {
        /// librosa's name for the parameter.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// Why it was rejected.
        reason: &'static str,
    },
}

/// `Result` with [`DspError`].
pub type Result<T> = std::result::Result<T, DspError>;

/// Shorthand used by the parameter checks.
pub(crate) fn invalid(name: &'static str, value: impl Into<f64>, reason: &'static str) -> DspError {
    DspError::InvalidParam {
        name,
        value: value.into(),
        reason,
    }
}

/// Rejects NaN and infinities the way librosa's `util.valid_audio` does.
pub(crate) fn check_finite(y: &[f32]) -> Result<()> {
    match y.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(DspError::NonFinite { index }),
        None => Ok(()),
    }
}
