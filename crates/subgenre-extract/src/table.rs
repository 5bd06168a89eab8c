//! Per-clip feature vectors: the study's 13 means, or the richer set for the classic models.

use std::path::PathBuf;

use rayon::prelude::*;
use subgenre_audio::{load, LoadOptions};
use subgenre_dsp::features::{FeatureExtractor, RICH_COLUMNS, STUDY_COLUMNS};

use crate::error::Result;
use crate::mel::SAMPLE_RATE;

/// Which columns a features table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureSet {
    /// The study's 13 per-clip means: chroma_stft, rmse, spec_cent, spec_bw, rolloff, zcr,
    /// mfcc1..mfcc7 (mfcc1 is coefficient 0).
    Study,
    /// All 20 MFCCs, standard deviations, spectral contrast, onset strength and tempo.
    Rich,
}

impl FeatureSet {
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            FeatureSet::Study => &STUDY_COLUMNS[..13],
            FeatureSet::Rich => &RICH_COLUMNS,
        }
    }

    fn compute(self, extractor: &mut FeatureExtractor, y: &[f32]) -> Result<Vec<f32>> {
        Ok(match self {
            FeatureSet::Study => extractor.study_means(y)?.study13().to_vec(),
            FeatureSet::Rich => extractor.extract_rich(y)?.summary().to_vector(),
        })
    }
}

/// Load and analyse every file in parallel (on the current rayon pool); results in input
/// order, each the feature vector or the reason the file failed. `on_done` is called once per
/// file (for a progress bar).
pub fn extract_features(
    paths: &[PathBuf],
    set: FeatureSet,
    on_done: &(dyn Fn() + Sync),
) -> Vec<std::result::Result<Vec<f32>, String>> {
    paths
        .par_iter()
        .map_init(
            || FeatureExtractor::new(f64::from(SAMPLE_RATE)),
            |extractor, path| {
                let result = (|| {
                    let extractor = extractor.as_mut().map_err(|e| e.to_string())?;
                    let audio = load(path, &LoadOptions::default()).map_err(|e| e.to_string())?;
                    set.compute(extractor, &audio.samples)
                        .map_err(|e| format!("{}: {e}", path.display()))
                })();
                on_done();
                result
            },
        )
        .collect()
}
