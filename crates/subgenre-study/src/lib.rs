//! The study's operations as a library, shared by the `subgenre` command line and the Python
//! package: which data set a command reads and its splits ([`DataSource`]), the features table,
//! the classic models into a folder, labelled CNN inputs ([`LabelledInputs`]), one training
//! run and its folder ([`run`]), the grids of `train` and `experiment` ([`TrainPlan`]),
//! `transfer` ([`TransferPlan`]), `evaluate` ([`EvaluatePlan`]) and the whole `reproduce`
//! pipeline ([`ReproducePlan`]). Long operations report through one [`Event`] callback.
//!
//! ```no_run
//! use std::sync::Arc;
//! use subgenre_study::{DataSource, Event, GridKind, TrainPlan};
//! # fn main() -> Result<(), subgenre_study::StudyError> {
//! let cache = subgenre_dataset::Cache::new(None).expect("cache folder");
//! let data = DataSource::new(None, &cache)?; // the bundled demo set
//! let mut plan = TrainPlan::new(GridKind::Train, data, "runs/compact".into());
//! plan.schedule.max_epochs = 2;
//! let progress = Arc::new(|event: &Event<'_>| {
//!     if let Event::Epoch { log, .. } = event {
//!         println!("epoch {} val acc {:.3}", log.epoch, log.val_acc);
//!     }
//! });
//! let outcome = plan.run(&cache, &(progress as subgenre_study::Progress))?;
//! println!("{}", outcome.report.summary_table());
//! # Ok(()) }
//! ```

mod baseline;
mod data;
mod error;
mod evaluate;
mod features;
mod inputs;
mod library;
mod options;
mod pipeline;
mod progress;
mod record;
mod reproduce;
pub mod run;
mod settings;
mod train;
mod transfer;

pub use baseline::{baseline_into, BaselineOutcome};
pub use data::{split_items, DataSource};
pub use error::{Result, StudyError};
pub use evaluate::{EvaluatePlan, Evaluation, ScoredPart};
pub use features::{write_features_table, FeatureInput, TableProgress, TableWritten};
pub use inputs::{ClipInput, LabelledInputs, AUDIO_HOP_S};
pub use library::LibraryAnalyser;
pub use options::{Augmentation, Grid, InputSize, Schedule};
pub use progress::{silent, Event, Progress};
pub use record::{Fit, SplitRecord, TrainingRecord};
pub use reproduce::{summary_line, ReproduceOutcome, ReproducePlan};
pub use settings::{TrainSettings, TransferSettings};
pub use train::{run_model_path, ClipSource, GridKind, GridOutcome, TrainPlan};
pub use transfer::{TransferOutcome, TransferPlan, TransferSource};

/// A rayon pool of `jobs` threads (default: one per core).
pub fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = jobs {
        if n == 0 {
            return Err(StudyError::invalid("jobs", "must be at least 1"));
        }
        builder = builder.num_threads(n);
    }
    builder
        .build()
        .map_err(|e| StudyError::invalid("jobs", format!("could not start worker threads: {e}")))
}
