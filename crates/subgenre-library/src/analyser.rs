//! The seam between the library and the classifier: the library stores whatever an
//! [`Analyser`] says about a file, so it builds and tests without the neural network.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

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

/// Class probabilities of one analysis window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub start_s: f64,
    pub end_s: f64,
    /// One per class, in [`Analysis::classes`] order.
    pub probs: Vec<f32>,
}

/// What an analyser found in one file (the fields of `subgenre_predict::TrackPrediction`
/// plus an embedding for similarity search).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub duration_s: f64,
    /// Container or codec name, e.g. `mp3`.
    pub format: String,
    /// The model's class names, shared by `mean_probs`, `shares` and each window's `probs`.
    pub classes: Vec<String>,
    /// The most probable class, or the predictor's "uncertain" label.
    pub label: String,
    pub confidence: f32,
    pub mean_probs: Vec<f32>,
    /// Share of windows whose most probable class is each class.
    pub shares: Vec<f64>,
    pub tempo_bpm: Option<f64>,
    /// The track is shorter than one window.
    pub short: bool,
    pub windows: Vec<Window>,
    /// A vector whose cosine similarity says how alike two tracks sound.
    pub embedding: Vec<f32>,
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
    /// Analyse the file at `path`; an error is recorded against the file and not retried
    /// until the file changes.
    fn analyse(&self, path: &Path) -> Result<Analysis, AnalysisError>;
}
