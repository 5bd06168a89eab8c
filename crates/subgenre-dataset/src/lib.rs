//! The study's data: the labels CSV, data folders joined with their clips, the class choice,
//! the bundled demo set, and the cache for derived data.

pub mod cache;
pub mod clips;
pub mod dataset;
pub mod demo;
mod error;
pub mod labels;
pub mod walk;

pub use cache::{Cache, CacheKey};
pub use clips::{cut_clips, ClipProgress, ClipRate, ClipSettings, ClipsCut};
pub use dataset::{Dataset, DatasetStats, Item, Selection};
pub use error::{DatasetError, Result};
pub use labels::{parse_clip_start, read_labels, ClassSet, LabelRow, ALL_CLASSES, FIVE_CLASSES};
