//! Classic models on per-clip feature vectors: the study's SVM, XGBoost and
//! LightGBM, a pure-Rust gradient booster, random-search tuning and soft
//! voting, evaluated under the study's leaky protocol or the honest grouped one.
//!
//! Entry point: [`run_baseline`] with a [`BaselineConfig`] built from a
//! [`FeatureTable`] (the CSV that `subgenre features` writes).
//!
//! Cargo features: `xgboost` (XGBoost built from source: needs cmake,
//! ninja-build, libclang-dev, a C++ compiler) and `lightgbm` (LightGBM 4.7
//! built from source: needs CMake ≥ 3.28; point `$CMAKE` at one if the
//! system's is older).

pub mod baseline;
pub mod boost;
pub mod data;
pub mod error;
#[cfg(feature = "lightgbm")]
pub mod lightgbm;
pub mod model;
pub mod svm;
pub mod tune;
pub mod vote;
#[cfg(feature = "xgboost")]
pub mod xgboost;

pub use baseline::{
    build_model, prepare, run_baseline, total_runs, BaselineConfig, Prepared, Progress, Protocol,
};
pub use data::{FeatureCsvWriter, FeatureTable, Standardizer};
pub use error::{ClassicError, Result};
pub use model::{Labelled, Model, ModelName};
pub use subgenre_core::classes::FIVE_CLASSES;
pub use vote::{default_weights, parse_weights, SoftVote};
