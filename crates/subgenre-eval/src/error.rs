//! The one error type of `subgenre-eval`.

use std::path::PathBuf;

/// Everything that can go wrong in splits, metrics, reports and plots.
///
/// Variants are sorted by what a caller can do about them: fix the input data
/// (`DuplicateSample` … `LabelOutOfRange`), fix a split file (`UnknownSample` …
/// `GroupInTwoParts`), or look at the file system (`Io`, `Json`, `Plot`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The same sample id appears twice in the items to split.
    #[error("sample id {sample_id:?} appears more than once in the data set")]
    DuplicateSample {
        /// The repeated id.
        sample_id: String,
    },
    /// A split needs at least `needed` groups (tracks) but the data has `found`.
    #[error("cannot split {found} group(s) into {needed} folds")]
    TooFewGroups {
        /// Folds asked for.
        needed: usize,
        /// Distinct groups present.
        found: usize,
    },
    /// A split of nothing was asked for.
    #[error("no items to split")]
    Empty,
    /// A fraction outside (0, 1).
    #[error("fraction {value} is outside (0, 1)")]
    InvalidFraction {
        /// The offending value.
        value: f64,
    },
    /// Two label vectors (or a label vector and a matrix) of different lengths.
    #[error("length mismatch: {what} has {found} entries, expected {expected}")]
    LengthMismatch {
        /// Which input was wrong.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// A count that must be at least 1 was 0.
    #[error("{what} must be at least 1")]
    Zero {
        /// Which count.
        what: &'static str,
    },
    /// A class index at or past the number of classes.
    #[error("{what}[{index}] = {label} is not a class index (there are {n_classes} classes)")]
    LabelOutOfRange {
        /// Which input held it.
        what: &'static str,
        /// Position in that input.
        index: usize,
        /// The label found.
        label: usize,
        /// Number of classes.
        n_classes: usize,
    },
    /// A split file names a sample the data set does not have.
    #[error("split part {part:?} names sample {sample_id:?}, which is not in the data set")]
    UnknownSample {
        /// The unknown id.
        sample_id: String,
        /// `train`, `val` or `test`.
        part: &'static str,
    },
    /// A split file puts one sample in two parts (or twice in one).
    #[error("sample {sample_id:?} is in split part {first:?} and again in {second:?}")]
    SampleInTwoParts {
        /// The repeated id.
        sample_id: String,
        /// First part holding it.
        first: &'static str,
        /// Second part holding it.
        second: &'static str,
    },
    /// A split file puts clips of one track in two parts.
    #[error("track {group:?} has clips in split part {first:?} ({first_sample:?}) and in {second:?} ({second_sample:?})")]
    GroupInTwoParts {
        /// The track (spot_id).
        group: String,
        /// One part.
        first: &'static str,
        /// A clip of the track there.
        first_sample: String,
        /// The other part.
        second: &'static str,
        /// A clip of the track there.
        second_sample: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file could not be read or written.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// Drawing a plot failed (plotters' error types are generic, so the message is kept).
    #[error("drawing {path}: {message}")]
    Plot {
        /// The image being drawn.
        path: PathBuf,
        /// What plotters said.
        message: String,
    },
}

/// `Result` with this crate's [`EvalError`].
pub type Result<T> = std::result::Result<T, EvalError>;
