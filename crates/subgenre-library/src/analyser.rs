//! The seam between the library and the classifier: the library stores whatever an
//! [`Analyser`] says about a file, so it builds and tests without the neural network.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use subgenre_core::TrackPrediction;

/// Which model produced an analysis. A scan whose analyser reports a different id than the
/// one stored in the library re-analyses every track.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelId {
    pub name: String,
    pub version: String,
}

impl ModelId {
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
        }
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.version)
    }
}

/// Why a file could not be analysed (stored in the library's error table).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct AnalysisError {
    pub reason: String,
}

impl AnalysisError {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// Classifies one audio file. `Send + Sync` so a scan can run it on several threads at once.
pub trait Analyser: Send + Sync {
    /// The model this analyser runs.
    fn model_id(&self) -> ModelId;
    /// Analyse the file at `path` (the prediction's `path`). Its `embedding` is what
    /// [`crate::similar()`] compares (none: the track is never similar to another). An error is
    /// recorded against the file and not retried until the file changes.
    fn analyse(&self, path: &Path) -> Result<TrackPrediction, AnalysisError>;
}
