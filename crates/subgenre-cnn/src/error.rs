//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong building, training, saving or loading a network.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CnnError {
    /// An architecture name that is none of [`crate::Arch::ALL`].
    #[error("unknown architecture `{0}` (expected one of: {names})", names = crate::Arch::names().join(", "))]
    UnknownArch(String),

    /// A classifier with fewer than two classes.
    #[error("a classifier needs at least 2 classes, got {classes}")]
    TooFewClasses {
        /// The number asked for.
        classes: usize,
    },

    /// An input too small for the network's pooling layers.
    #[error("{height}x{width} input is too small for {arch}")]
    InputTooSmall {
        height: usize,
        width: usize,
        arch: crate::Arch,
    },

    /// One setting of a [`crate::TrainConfig`] or [`crate::ModelConfig`] that cannot work:
    /// `name` is its field, `reason` follows it in a sentence (`max_epochs must be at least 1`).
    #[error("{name} {reason}")]
    InvalidSetting { name: &'static str, reason: String },

    /// A network whose head does not match the class names given with it.
    #[error("the network has {outputs} outputs but {classes} classes are named")]
    ClassCountMismatch { outputs: usize, classes: usize },

    /// A transfer run's initial network is not the configured one.
    #[error("the initial network ({initial:?}) is not the configured one ({configured:?})")]
    InitialNetwork {
        initial: Box<crate::ModelConfig>,
        configured: Box<crate::ModelConfig>,
    },

    /// Training without training or validation samples.
    #[error("training and validation data must not be empty")]
    EmptyData,

    /// A model saved with a spec written for another network.
    #[error("the spec's network configuration is not the model's")]
    SpecNotModel,

    /// An ensemble of no models.
    #[error("an ensemble needs a model")]
    EmptyEnsemble,

    /// A network the CPU engine cannot lay out or run (a layer it does not implement).
    #[error("the CPU engine cannot run this network: {0}")]
    CpuEngine(String),

    /// A sample that does not fit the configuration (wrong pixel count, label out of range, ...).
    #[error("invalid sample {index} in the {part} data: {reason}")]
    InvalidSample {
        /// `train`, `validation` or `input`.
        part: &'static str,
        /// Position of the sample in the list it came in.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// The artifact folder holds a run with another configuration or other data.
    #[error(
        "{path} holds checkpoints of a different run ({reason}); use another folder or delete it"
    )]
    ArtifactMismatch {
        /// The artifact folder.
        path: PathBuf,
        /// Which part differs.
        reason: String,
    },

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A saved model or checkpoint that cannot be parsed or does not match its network.
    #[error("{path}: {reason}")]
    BadModelFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A saved model whose network configuration cannot be built.
    #[error("{path}: {source}")]
    BadNetwork {
        /// The file.
        path: PathBuf,
        /// Why the network cannot be built.
        #[source]
        source: Box<CnnError>,
    },

    /// Models that cannot be averaged into an ensemble.
    #[error("{other} cannot join {first} in an ensemble: {reason}")]
    IncompatibleModels {
        /// The first model's name.
        first: String,
        /// The model that does not fit.
        other: String,
        /// What differs.
        reason: String,
    },

    /// JSON (de)serialisation failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),

    /// Training stopped with an error inside burn-train (a panic in the learner, a failed
    /// checkpoint write, a metric failure, ...).
    #[error("training failed: {0}")]
    Training(String),

    /// A tensor operation failed (backend error, numeric read-back).
    #[error("tensor operation failed: {0}")]
    Tensor(String),
}

impl CnnError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CnnError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = CnnError> = std::result::Result<T, E>;
