//! The shipped (or any saved) models as the DJ's library's analyser: a whole-track prediction
//! with its embedding, identified by the models' bytes so that a library re-analyses its
//! tracks when the model changes.

use std::path::{Path, PathBuf};

use subgenre_library::{Analyser, AnalysisError, ModelId};
use subgenre_predict::{PredictOptions, Predictor, TrackPrediction, EMBEDDED_MODELS};

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

    /// Models saved by `train`, averaged, or the shipped ones when `models` is empty.
    pub fn load(models: &[PathBuf]) -> Result<Self> {
        if models.is_empty() {
            Self::embedded()
        } else {
            Self::from_files(models)
        }
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

    fn analyse(&self, path: &Path) -> std::result::Result<TrackPrediction, AnalysisError> {
        subgenre_cnn::with_threads(1, || self.predictor.predict_file(path, &self.options))
            .map_err(|e| AnalysisError::new(subgenre_core::reason_about(path, &e)))
    }
}
