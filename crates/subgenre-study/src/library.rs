//! The shipped (or any saved) models as the DJ's library's analyser: a whole-track prediction
//! with its embedding, identified by the models' bytes so that a library re-analyses its
//! tracks when the model changes.

use std::path::{Path, PathBuf};

use subgenre_library::{Analyser, Analysis, AnalysisError, ModelId, Window};
use subgenre_predict::{PredictOptions, Predictor, EMBEDDED_MODELS};

use crate::error::{Result, StudyError};

/// A [`Predictor`] that analyses tracks for a library.
pub struct LibraryAnalyser {
    predictor: Predictor,
    id: ModelId,
    options: PredictOptions,
}

impl LibraryAnalyser {
    /// The models shipped in the binary.
    pub fn embedded() -> Result<Self> {
        let mut hash = subgenre_core::Fnv1a::new();
        for (_, bytes) in EMBEDDED_MODELS.iter() {
            hash.write(bytes);
        }
        let predictor = Predictor::embedded()?;
        Ok(Self::new(predictor, ModelId::new("embedded", hash.hex())))
    }

    /// Models saved by `train`, averaged.
    pub fn from_files(paths: &[PathBuf]) -> Result<Self> {
        let mut hash = subgenre_core::Fnv1a::new();
        for path in paths {
            let bytes = std::fs::read(path).map_err(|e| StudyError::read(path, e))?;
            hash.write(&bytes);
        }
        let predictor = Predictor::from_files(paths)?;
        let name = predictor.name().to_string();
        Ok(Self::new(predictor, ModelId::new(name, hash.hex())))
    }

    fn new(predictor: Predictor, id: ModelId) -> Self {
        let options = PredictOptions {
            embedding: true,
            ..PredictOptions::default()
        };
        Self {
            predictor,
            id: ModelId::new(
                id.name,
                format!("{} {}", id.version, subgenre_core::VERSION),
            ),
            options,
        }
    }

    /// The predictor it runs.
    pub fn predictor(&self) -> &Predictor {
        &self.predictor
    }
}

impl Analyser for LibraryAnalyser {
    fn model_id(&self) -> ModelId {
        self.id.clone()
    }

    fn analyse(&self, path: &Path) -> std::result::Result<Analysis, AnalysisError> {
        let track =
            subgenre_cnn::with_threads(1, || self.predictor.predict_file(path, &self.options))
                .map_err(|e| AnalysisError::new(e.to_string()))?;
        let format = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        Ok(Analysis {
            duration_s: track.duration_s,
            format,
            classes: track.classes,
            label: track.label,
            confidence: track.confidence,
            mean_probs: track.mean_probs,
            shares: track.shares,
            tempo_bpm: track.tempo_bpm,
            short: track.short,
            windows: track
                .windows
                .into_iter()
                .map(|w| Window {
                    start_s: w.start_s,
                    end_s: w.end_s,
                    probs: w.probs,
                })
                .collect(),
            embedding: track.embedding.unwrap_or_default(),
        })
    }
}

/// A stored analysis as a prediction again (for its timeline picture).
pub fn stored_prediction(path: &Path, analysis: &Analysis) -> subgenre_predict::TrackPrediction {
    subgenre_predict::TrackPrediction {
        path: path.to_path_buf(),
        classes: analysis.classes.clone(),
        label: analysis.label.clone(),
        confidence: analysis.confidence,
        mean_probs: analysis.mean_probs.clone(),
        shares: analysis.shares.clone(),
        tempo_bpm: analysis.tempo_bpm,
        short: analysis.short,
        duration_s: analysis.duration_s,
        windows: analysis
            .windows
            .iter()
            .map(|w| subgenre_predict::Window {
                start_s: w.start_s,
                end_s: w.end_s,
                probs: w.probs.clone(),
            })
            .collect(),
        embedding: Some(analysis.embedding.clone()),
    }
}
