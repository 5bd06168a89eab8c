//! # subgenre-predict
//!
//! Classify whole tracks of any length with a trained CNN: the track is loaded as librosa
//! would (mono, 22 050 Hz), cut into 8 s windows every `hop_s` seconds, each window turned into
//! the model's input (the same mel-spectrogram and image route as in training) and classified;
//! the track's label is the class of highest mean probability over its windows.
//!
//! ```no_run
//! use subgenre_predict::{PredictOptions, Predictor};
//! # fn main() -> Result<(), subgenre_predict::PredictError> {
//! let predictor = Predictor::embedded()?;
//! let track = predictor.predict_file("set.mp3".as_ref(), &PredictOptions::default())?;
//! println!("{} ({:.0} %)", track.label, 100.0 * track.confidence);
//! # Ok(()) }
//! ```

pub mod batch;
pub mod catalogue;
pub mod documents;
pub mod embed;
mod input;
mod stream;
mod windows;

use std::path::{Path, PathBuf};

pub use input::ModelInput;
use rayon::prelude::*;
use subgenre_cnn::{argmax, Ensemble};
pub use subgenre_core::prediction::{TrackPrediction, Window, UNCERTAIN};
use subgenre_extract::mel::{CLIP_SAMPLES, SAMPLE_RATE};
use subgenre_extract::{InputRoute, MelVariant};
pub use windows::{track_tempo, track_windows, window_starts, TrackWindows};

/// The models shipped inside the binary, averaged as one: three `compact` networks trained on
/// the study's five classes (see `models/README.md` and `subgenre model info`).
pub static EMBEDDED_MODELS: [(&str, &[u8]); 3] = [
    (
        "hardtechno-1",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../models/hardtechno-1.sgcnn"
        )),
    ),
    (
        "hardtechno-2",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../models/hardtechno-2.sgcnn"
        )),
    ),
    (
        "hardtechno-3",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../models/hardtechno-3.sgcnn"
        )),
    ),
];

/// What can go wrong while predicting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PredictError {
    #[error(transparent)]
    Audio(#[from] subgenre_audio::AudioError),
    #[error(transparent)]
    Extract(#[from] subgenre_extract::ExtractError),
    #[error(transparent)]
    Dsp(#[from] subgenre_dsp::DspError),
    #[error(transparent)]
    Model(#[from] subgenre_cnn::CnnError),
    #[error(transparent)]
    Eval(#[from] subgenre_eval::EvalError),
    #[error(transparent)]
    Musicnn(#[from] subgenre_cnn::pretrained::musicnn::MusicnnError),
    /// musicnn cannot take a file's signal (under its minimum length, say).
    #[error("{}: {source}", path.display())]
    Embed {
        path: PathBuf,
        #[source]
        source: subgenre_cnn::pretrained::musicnn::MusicnnError,
    },
    #[error("{model}: {reason}")]
    UnsupportedModel { model: String, reason: String },
    #[error("invalid option {name} = {value}: {reason}")]
    InvalidOption {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("no audio files under the given paths{}", shard.map_or(String::new(), |s| format!(" in shard {s}")))]
    NoAudioFiles { shard: Option<catalogue::Shard> },
    /// A file this crate writes (a journal, a CSV, timelines) could not be.
    #[error("{action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, PredictError>;

/// How to slide over a track.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictOptions {
    /// Seconds between window starts (the windows are 8 s long).
    pub hop_s: f64,
    /// Below this mean probability the track is labelled [`UNCERTAIN`].
    pub min_confidence: Option<f32>,
    /// Windows per forward pass.
    pub batch_size: usize,
    /// Estimate the track's tempo (BPM) too.
    pub tempo: bool,
    /// Keep the track's embedding (for similarity search).
    pub embedding: bool,
}

impl PredictOptions {
    /// The same options labelling a track [`UNCERTAIN`] below `p` (in 0..1), or never.
    pub fn with_min_confidence(mut self, p: Option<f32>) -> Result<Self> {
        if let Some(p) = p {
            if !(0.0..=1.0).contains(&p) {
                return Err(PredictError::InvalidOption {
                    name: "min_confidence",
                    value: p.to_string(),
                    reason: "must be in 0..1",
                });
            }
        }
        self.min_confidence = p;
        Ok(self)
    }
}

impl Default for PredictOptions {
    fn default() -> Self {
        Self {
            hop_s: 4.0,
            min_confidence: None,
            batch_size: 32,
            tempo: true,
            embedding: false,
        }
    }
}

/// A model, or several averaged, ready to classify tracks.
pub struct Predictor {
    models: Ensemble,
    variant: MelVariant,
    route: InputRoute,
    name: String,
}

impl Predictor {
    /// The models shipped in the binary.
    pub fn embedded() -> Result<Self> {
        let device = subgenre_cnn::default_device();
        let members = EMBEDDED_MODELS
            .iter()
            .map(|(name, bytes)| {
                let name = format!("<embedded {name}>");
                subgenre_cnn::load_model_bytes(bytes, Path::new(&name), &device)
                    .map(|saved| (name, saved))
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Self::new(Ensemble::new(members)?, "embedded")
    }

    /// The models saved at `models`, averaged ([`Predictor::from_files`]), or the shipped
    /// ones ([`Predictor::embedded`]) when `models` is empty: what a `--model` option means.
    pub fn load(models: &[PathBuf]) -> Result<Self> {
        if models.is_empty() {
            Self::embedded()
        } else {
            Self::from_files(models)
        }
    }

    /// A model saved by `subgenre train`.
    pub fn from_file(path: &Path) -> Result<Self> {
        Self::from_files(std::slice::from_ref(&path.to_path_buf()))
    }

    /// Models saved by `subgenre train`, averaged (they must share classes and input).
    pub fn from_files(paths: &[PathBuf]) -> Result<Self> {
        let models = Ensemble::from_files(paths)?;
        let name = match paths {
            [one] => one.display().to_string(),
            _ => format!(
                "an ensemble of {} ({})",
                paths.len(),
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Self::new(models, &name)
    }

    /// Wrap loaded models; fails when their input is not a mel variant this crate computes
    /// (e.g. a model fine-tuned on images).
    pub fn new(models: Ensemble, name: &str) -> Result<Self> {
        let unsupported = |reason: String| PredictError::UnsupportedModel {
            model: name.to_string(),
            reason,
        };
        let input = ModelInput::from_spec(&models.spec().input)
            .map_err(|reason| unsupported(format!("{reason}; it cannot read audio")))?;
        let Some((variant, route)) = input.audio() else {
            return Err(unsupported(format!(
                "it was trained on {}, not on audio",
                match input {
                    ModelInput::ClipImages { dir, .. } =>
                        format!("the images of {}", dir.display()),
                    _ => "images".to_string(),
                }
            )));
        };
        Ok(Self {
            models,
            variant,
            route,
            name: name.to_string(),
        })
    }

    /// The (first) model's description; all share its classes and input.
    pub fn spec(&self) -> &subgenre_cnn::ModelSpec {
        self.models.spec()
    }

    /// The models averaged (one or more).
    pub fn models(&self) -> &Ensemble {
        &self.models
    }

    /// Where the models came from (a path, paths, or "embedded").
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Classify an audio file of any length and supported format. The file is decoded,
    /// resampled and classified as it is read, so memory stays bounded however long it is
    /// (an hour-long mix as a three-minute track); the result is
    /// [`Predictor::predict_samples`]'s of the loaded samples (the tempo of a track over ten
    /// minutes may differ slightly, see [`subgenre_dsp::TempoOnsets`]).
    pub fn predict_file(&self, path: &Path, options: &PredictOptions) -> Result<TrackPrediction> {
        stream::predict_streamed(self, path, options)
    }

    /// What the models see of a track: the sample offset of each 8 s window (one every
    /// `hop_s` seconds, see [`window_starts`]) and its model input (`size` x `size`, row
    /// major), exactly as [`Predictor::predict_samples`] classifies them. `samples` are mono at
    /// 22 050 Hz. For training on a catalogue's tracks.
    pub fn window_inputs(
        &self,
        samples: &[f32],
        hop_s: f64,
    ) -> Result<(Vec<usize>, Vec<Vec<f32>>)> {
        let w = self.windows(samples, hop_s)?;
        Ok((w.starts, w.inputs))
    }

    fn windows(&self, samples: &[f32], hop_s: f64) -> Result<TrackWindows> {
        let size = self.spec().input.size;
        track_windows(samples, self.variant, self.route, size, hop_s)
    }

    /// Classify many files, several at once on the current rayon pool (each one's windows
    /// on the same pool), results in the order given. `on_done` is called as each file
    /// finishes, in finishing order (for progress bars and journals). Whole files in
    /// parallel keep every core busy where one file at a time leaves them idle while it is
    /// decoded and its tempo found.
    pub fn predict_files<F>(
        &self,
        paths: &[PathBuf],
        options: &PredictOptions,
        on_done: F,
    ) -> Vec<Result<TrackPrediction>>
    where
        F: Fn(&Path, &Result<TrackPrediction>) + Sync,
    {
        paths
            .par_iter()
            .map(|path| {
                let result = self.predict_file(path, options);
                on_done(path, &result);
                result
            })
            .collect()
    }

    /// Classify mono samples at 22 050 Hz (`path` only names the track in the result).
    /// [`Predictor::predict_file`] gives the same result for a file without holding its
    /// samples.
    pub fn predict_samples(
        &self,
        path: &Path,
        samples: &[f32],
        options: &PredictOptions,
    ) -> Result<TrackPrediction> {
        let TrackWindows { starts, inputs } = self.windows(samples, options.hop_s)?;
        let mut scored = Scored::default();
        self.score(&inputs, options, &mut scored)?;
        let tempo_bpm = if options.tempo {
            Some(track_tempo(samples)?)
        } else {
            None
        };
        Ok(self.summarise(path, samples.len(), &starts, scored, tempo_bpm, options))
    }

    /// The windows' probabilities (and embeddings, if asked for) appended to `scored`.
    /// Results do not depend on how the windows are grouped into calls as long as every
    /// call but the last has a multiple of `options.batch_size` windows.
    fn score(
        &self,
        inputs: &[Vec<f32>],
        options: &PredictOptions,
        scored: &mut Scored,
    ) -> Result<()> {
        let batch = options.batch_size.max(1);
        if options.embedding {
            let (probs, embedded) = self.models.predict_proba_embedded(inputs, batch)?;
            scored.probs.extend(probs);
            scored.embedded.extend(embedded);
        } else {
            scored
                .probs
                .extend(self.models.predict_proba(inputs, batch)?);
        }
        Ok(())
    }

    /// The track's result from its windows' scores.
    fn summarise(
        &self,
        path: &Path,
        n_samples: usize,
        starts: &[usize],
        scored: Scored,
        tempo_bpm: Option<f64>,
        options: &PredictOptions,
    ) -> TrackPrediction {
        let sr = f64::from(SAMPLE_RATE);
        let classes = self.spec().classes.clone();
        let k = classes.len();
        let embedding = options.embedding.then(|| mean_rows(&scored.embedded));
        let windows: Vec<Window> = starts
            .iter()
            .zip(scored.probs)
            .map(|(&start, probs)| Window {
                start_s: start as f64 / sr,
                end_s: (start + CLIP_SAMPLES) as f64 / sr,
                probs,
            })
            .collect();
        let n = windows.len().max(1) as f64;
        let mut mean_probs = vec![0f32; k];
        let mut shares = vec![0f64; k];
        for w in &windows {
            for (m, p) in mean_probs.iter_mut().zip(&w.probs) {
                *m += p / n as f32;
            }
            shares[argmax(&w.probs)] += 1.0 / n;
        }
        let best = argmax(&mean_probs);
        let confidence = mean_probs[best];
        let label = match options.min_confidence {
            Some(p) if confidence < p => UNCERTAIN.to_string(),
            _ => classes[best].clone(),
        };
        TrackPrediction {
            path: path.to_path_buf(),
            classes,
            label,
            confidence,
            mean_probs,
            shares,
            tempo_bpm,
            short: n_samples < CLIP_SAMPLES,
            duration_s: n_samples as f64 / sr,
            windows,
            embedding,
        }
    }
}

/// The windows' model outputs so far.
#[derive(Debug, Default)]
struct Scored {
    probs: Vec<Vec<f32>>,
    /// Per window, when embeddings are asked for.
    embedded: Vec<Vec<f32>>,
}

/// The element-wise mean of equal-length rows (empty for no rows).
fn mean_rows(rows: &[Vec<f32>]) -> Vec<f32> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    let n = rows.len() as f32;
    let mut mean = vec![0f32; first.len()];
    for row in rows {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v / n;
        }
    }
    mean
}

/// The class probabilities over time, one line per class, as a PNG.
pub fn timeline_png(path: &Path, track: &TrackPrediction) -> Result<()> {
    let name = track
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| track.path.display().to_string());
    let title = format!(
        "{name}: {} ({:.0} %)",
        track.label,
        100.0 * track.confidence
    );
    let series = track
        .classes
        .iter()
        .enumerate()
        .map(|(c, class)| subgenre_eval::Series {
            name: class,
            points: track
                .windows
                .iter()
                .map(|w| ((w.start_s + w.end_s) / 2.0, f64::from(w.probs[c])))
                .collect(),
        })
        .collect();
    subgenre_eval::line_charts_png(
        path,
        &[subgenre_eval::Panel {
            title: &title,
            x_label: "time (s, window centre)",
            y_label: "probability",
            y_range: Some((0.0, 1.0)),
            series,
            marker: None,
        }],
    )?;
    Ok(())
}
