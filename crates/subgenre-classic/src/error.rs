//! The one error type of `subgenre-classic`.

use std::path::PathBuf;

/// Everything that can go wrong reading features, training and scoring.
///
/// Sorted by what the caller can do: fix the features file (`Csv` …
/// `NoRows`), fix the request (`UnknownModel` … `InvalidParam`), or look at
/// the model libraries (`Svm`, `Boost`, `XgBoost`, `LightGbm`) and the
/// evaluation (`Eval`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClassicError {
    /// The CSV could not be read or parsed.
    #[error("{path}: {source}")]
    Csv {
        /// The features file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: csv::Error,
    },
    /// A required column is missing from the header.
    #[error("{path}: no {column:?} column (expected sample_id, spot_id, feature columns…, label)")]
    MissingColumn {
        /// The features file.
        path: PathBuf,
        /// The column looked for.
        column: &'static str,
    },
    /// The header has no numeric feature column between `spot_id` and `label`.
    #[error("{path}: no feature columns between spot_id and label")]
    NoFeatureColumns {
        /// The features file.
        path: PathBuf,
    },
    /// A row has fewer or more fields than the header.
    #[error("{path}: line {line} has {found} fields, the header has {expected}")]
    RaggedRow {
        /// The features file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// An empty feature (or id) field.
    #[error("{path}: line {line} (sample {sample_id:?}): column {column:?} is empty")]
    MissingValue {
        /// The features file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The row's sample id.
        sample_id: String,
        /// The column.
        column: String,
    },
    /// A feature value that is not a finite number (text, NaN, infinity).
    #[error("{path}: line {line} (sample {sample_id:?}): column {column:?} holds {value:?}, not a finite number")]
    BadValue {
        /// The features file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The row's sample id.
        sample_id: String,
        /// The column.
        column: String,
        /// The text found.
        value: String,
    },
    /// No row carries one of the chosen classes.
    #[error("{path}: no row has one of the classes {classes:?}")]
    NoRows {
        /// The features file.
        path: PathBuf,
        /// The classes asked for.
        classes: Vec<String>,
    },
    /// A model name that is not known.
    #[error("unknown model {name:?} (known: svm, boost, xgboost, lightgbm, vote, all)")]
    UnknownModel {
        /// The name given.
        name: String,
    },
    /// A model whose cargo feature was not compiled in.
    #[error("model {model:?} needs subgenre built with the cargo feature {feature:?}")]
    FeatureNotCompiled {
        /// The model asked for.
        model: &'static str,
        /// The feature to enable.
        feature: &'static str,
    },
    /// A bad setting (weights, grid, seeds, matrix shapes…).
    #[error("invalid parameter {name}: {reason}")]
    InvalidParam {
        /// The parameter.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The SVM solver failed.
    #[error("svm ({pair}): {source}")]
    Svm {
        /// The class pair being fitted.
        pair: String,
        /// The cause.
        #[source]
        source: linfa_svm::SvmError,
    },
    /// The pure-Rust booster failed.
    #[error("boost: {source}")]
    Boost {
        /// The cause.
        #[source]
        source: forust_ml::errors::ForustError,
    },
    /// XGBoost's C API reported an error.
    #[error("xgboost: {call}: {message}")]
    XgBoost {
        /// The C function that failed.
        call: &'static str,
        /// XGBGetLastError's text.
        message: String,
    },
    /// LightGBM failed.
    #[cfg(feature = "lightgbm")]
    #[error("lightgbm: {source}")]
    LightGbm {
        /// The cause.
        #[source]
        source: lightgbm3::Error,
    },
    /// Splits, metrics or report writing failed.
    #[error(transparent)]
    Eval(#[from] subgenre_eval::EvalError),
}

/// `Result` with this crate's [`ClassicError`].
pub type Result<T> = std::result::Result<T, ClassicError>;
