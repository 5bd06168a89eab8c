//! Splits, metrics and reports for subgenre.
//!
//! * [`split`]: the study's stratified group split (scikit-learn's
//!   `StratifiedGroupKFold`, twice) and its random 80/20 clip split, split
//!   files and their validation against a data set.
//! * [`metrics`]: scikit-learn-style classification report, confusion matrix,
//!   balanced class weights, mean and population std.
//! * [`neighbours`]: whether an embedding's nearest clips (of other tracks) share a label.
//! * [`report`]: the `report.json` shape shared by the classic models and the CNNs.
//! * [`plot`]: a confusion-matrix PNG.
//! * [`io`]: atomic file writes.
//! * [`rng`]: the project's own seeded generator (stable across dependency upgrades), from
//!   `subgenre-core`, where the CNN's augmentation draws from it too.

pub mod error;
pub mod io;
pub mod metrics;
pub mod neighbours;
pub mod plot;
pub mod report;
pub mod split;

pub use error::{EvalError, Result};
pub use metrics::{
    accuracy, balanced_class_weights, mean, std_population, ClassMetrics, ClassificationReport,
    ConfusionMatrix,
};
pub use neighbours::{neighbour_agreement, NeighbourAgreement};
pub use plot::{confusion_png, learning_curves_png, line_charts_png, Panel, Series};
pub use report::{EpochStats, PerClass, Report, Run, SummaryRow};
pub use split::{
    group_split, random_split, study_split, PartIndices, Split, SplitItem, SplitSummary,
    StratifiedGroupKFold,
};
pub use subgenre_core::rng::{self, SplitMix64};
