//! Per-clip feature vectors: the study's 13 means, the richer set for the classic models, or
//! the study's pyAudioAnalysis alternative in the same 13 columns.

use std::path::PathBuf;

use rayon::prelude::*;
use subgenre_audio::{load, LoadOptions};
use subgenre_dsp::features::{FeatureExtractor, RICH_COLUMNS, STUDY_COLUMNS};
use subgenre_dsp::pyaa::{self, PyaaMapping, ShortTermExtractor};

use crate::error::Result;

/// Which columns a features table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureSet {
    /// The study's 13 per-clip means: chroma_stft, rmse, spec_cent, spec_bw, rolloff, zcr,
    /// mfcc1..mfcc7 (mfcc1 is coefficient 0).
    Study,
    /// All 20 MFCCs, standard deviations, spectral contrast, onset strength and tempo.
    Rich,
    /// The study's alternative extractor, pyAudioAnalysis 0.3.14 `ShortTermFeatures`
    /// (50 ms window, 25 ms step, rectangular frames; see [`subgenre_dsp::pyaa`]), in the same
    /// 13 columns as [`FeatureSet::Study`], filled as the mapping says
    /// ([`PyaaMapping::Study`]: the notebook's quirks; [`PyaaMapping::Corrected`]: what the
    /// names promise).
    ///
    /// Each file is loaded as pyAudioAnalysis's reader keeps it: at its own sample rate, no
    /// resampling, then turned into int16 the way ffmpeg does for pydub (round, saturate).
    /// The saturation matters: decoded MP3s overshoot full scale and pyAudioAnalysis
    /// normalises by the (clipped) peak. Multi-channel files are mixed to mono first;
    /// pyAudioAnalysis itself would have passed a stereo `(N, 2)` array on unmixed (the
    /// study's clips are all mono).
    PyAudioAnalysis(PyaaMapping),
}

/// Which feature extractor a table is computed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Extractor {
    /// librosa's features, as the study's notebook calls them (the default).
    #[default]
    Librosa,
    /// pyAudioAnalysis `ShortTermFeatures`, the study's alternative.
    PyAudioAnalysis,
}

impl std::str::FromStr for Extractor {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "librosa" => Ok(Self::Librosa),
            "pyaudioanalysis" => Ok(Self::PyAudioAnalysis),
            other => Err(format!(
                "unknown extractor {other:?} (expected librosa or pyaudioanalysis)"
            )),
        }
    }
}

impl std::fmt::Display for Extractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Librosa => "librosa",
            Self::PyAudioAnalysis => "pyaudioanalysis",
        })
    }
}

impl FeatureSet {
    /// The set an extractor gives: `rich` (librosa only) for the larger table, `mapping` for
    /// how pyAudioAnalysis fills the study's 13 columns (ignored for librosa).
    pub fn new(extractor: Extractor, rich: bool, mapping: PyaaMapping) -> Result<Self> {
        match (extractor, rich) {
            (Extractor::Librosa, false) => Ok(Self::Study),
            (Extractor::Librosa, true) => Ok(Self::Rich),
            (Extractor::PyAudioAnalysis, false) => Ok(Self::PyAudioAnalysis(mapping)),
            (Extractor::PyAudioAnalysis, true) => Err(crate::ExtractError::InvalidOption {
                name: "rich",
                value: "true".into(),
                reason: "the rich set is for the librosa extractor only",
            }),
        }
    }

    /// The column names of the vectors [`extract_features`] returns for this set.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            FeatureSet::Study | FeatureSet::PyAudioAnalysis(_) => &STUDY_COLUMNS[..13],
            FeatureSet::Rich => &RICH_COLUMNS,
        }
    }

    /// How files are loaded for this set.
    fn load_options(self) -> LoadOptions {
        match self {
            FeatureSet::Study | FeatureSet::Rich => LoadOptions::default(),
            FeatureSet::PyAudioAnalysis(_) => LoadOptions::default().sr(None),
        }
    }

    /// The feature vector (in [`FeatureSet::columns`] order) of one mono signal `y` at `sr`
    /// Hz. The files of a table are loaded at 22 050 Hz for the librosa sets and at their own
    /// rate for pyAudioAnalysis; a signal given here is analysed at the rate given.
    pub fn compute_signal(self, y: &[f32], sr: u32) -> Result<Vec<f32>> {
        self.compute(&mut Workers::default(), y, sr)
    }

    fn compute(self, workers: &mut Workers, y: &[f32], sr: u32) -> Result<Vec<f32>> {
        Ok(match self {
            FeatureSet::Study => workers.librosa(sr)?.study_means(y)?.study13().to_vec(),
            FeatureSet::Rich => workers.librosa(sr)?.extract_rich(y)?.summary().to_vector(),
            FeatureSet::PyAudioAnalysis(mapping) => {
                let feats = workers.pyaa(sr)?.extract(&pyaa::pcm16(y))?;
                pyaa::study13(&feats, sr, mapping)
                    .iter()
                    .map(|&v| v as f32)
                    .collect()
            }
        })
    }
}

/// Per-thread analysers, planned on first use (again whenever the sample rate changes).
#[derive(Default)]
struct Workers {
    librosa: Option<FeatureExtractor>,
    pyaa: Option<ShortTermExtractor>,
}

impl Workers {
    fn librosa(&mut self, sr: u32) -> Result<&mut FeatureExtractor> {
        let fx = match self.librosa.take() {
            Some(fx) if fx.sr() == f64::from(sr) => fx,
            _ => FeatureExtractor::new(f64::from(sr))?,
        };
        Ok(self.librosa.insert(fx))
    }

    fn pyaa(&mut self, sr: u32) -> Result<&mut ShortTermExtractor> {
        let fx = match self.pyaa.take() {
            Some(fx) if fx.fs() == sr => fx,
            _ => {
                let (window, step) =
                    pyaa::window_step(sr, pyaa::STUDY_WINDOW_S, pyaa::STUDY_STEP_S);
                ShortTermExtractor::new(sr, window, step)?
            }
        };
        Ok(self.pyaa.insert(fx))
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
        .map_init(Workers::default, |workers, path| {
            let result = (|| {
                let audio = load(path, &set.load_options()).map_err(|e| e.to_string())?;
                set.compute(workers, &audio.samples, audio.sample_rate)
                    .map_err(|e| format!("{}: {e}", path.display()))
            })();
            on_done();
            result
        })
        .collect()
}
