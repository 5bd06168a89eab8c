//! The study's operations as a library, shared by the `subgenre` command line and the Python
//! package: which data set a command reads, its splits, and the features table.

mod data;
mod error;
mod features;

pub use data::{split_items, DataSource};
pub use error::{Result, StudyError};
pub use features::{write_features_table, FeatureInput, TableProgress, TableWritten};
