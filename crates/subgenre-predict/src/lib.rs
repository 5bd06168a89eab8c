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

pub mod catalogue;
mod input;

use std::path::{Path, PathBuf};

pub use input::ModelInput;
use rayon::prelude::*;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use subgenre_cnn::{argmax, Ensemble};
use subgenre_extract::mel::{CLIP_SAMPLES, SAMPLE_RATE};
use subgenre_extract::{db_mel, model_input, InputRoute, MelVariant};

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

/// The label of a track whose confidence is below `min_confidence`.
pub const UNCERTAIN: &str = "uncertain";

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
    Eval(#[from] subgenre_eval::Error),
    #[error("{model}: {reason}")]
    UnsupportedModel { model: String, reason: String },
    #[error("invalid option {name} = {value}: {reason}")]
    InvalidOption {
        name: &'static str,
        value: String,
        reason: &'static str,
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

/// Class probabilities of one window.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub start_s: f64,
    pub end_s: f64,
    /// One per class, in the model's class order.
    pub probs: Vec<f32>,
}

/// What a track was classified as.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackPrediction {
    pub path: PathBuf,
    /// The model's class names (shared by `shares` and each window's `probs`).
    pub classes: Vec<String>,
    /// The class of highest mean probability, or [`UNCERTAIN`].
    pub label: String,
    /// That class's mean probability over the windows.
    pub confidence: f32,
    /// Mean probability per class over the windows.
    pub mean_probs: Vec<f32>,
    /// Share of windows whose most probable class is each class.
    pub shares: Vec<f64>,
    /// Global tempo estimate (librosa's `feature.tempo` over the whole track).
    pub tempo_bpm: Option<f64>,
    /// The track is shorter than one window and was zero-padded.
    pub short: bool,
    /// Track length in seconds.
    pub duration_s: f64,
    pub windows: Vec<Window>,
    /// With [`PredictOptions::embedding`]: the mean over the windows of the models'
    /// embeddings, concatenated (see `Ensemble::predict_proba_embedded`). Not in the JSON.
    pub embedding: Option<Vec<f32>>,
}

/// A map `{class: value}` in class order, for JSON.
struct ClassMap<'a, T>(&'a [String], &'a [T]);

impl<T: Serialize> Serialize for ClassMap<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (class, v) in self.0.iter().zip(self.1) {
            map.serialize_entry(class, v)?;
        }
        map.end()
    }
}

impl Serialize for TrackPrediction {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct WindowJson<'a> {
            start_s: f64,
            end_s: f64,
            probs: ClassMap<'a, f32>,
        }
        #[derive(Serialize)]
        struct TrackJson<'a> {
            path: String,
            label: &'a str,
            confidence: f32,
            tempo_bpm: Option<f64>,
            short: bool,
            duration_s: f64,
            shares: ClassMap<'a, f64>,
            mean_probs: ClassMap<'a, f32>,
            windows: Vec<WindowJson<'a>>,
        }
        TrackJson {
            path: self.path.display().to_string(),
            label: &self.label,
            confidence: self.confidence,
            tempo_bpm: self.tempo_bpm,
            short: self.short,
            duration_s: self.duration_s,
            shares: ClassMap(&self.classes, &self.shares),
            mean_probs: ClassMap(&self.classes, &self.mean_probs),
            windows: self
                .windows
                .iter()
                .map(|w| WindowJson {
                    start_s: w.start_s,
                    end_s: w.end_s,
                    probs: ClassMap(&self.classes, &w.probs),
                })
                .collect(),
        }
        .serialize(s)
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

    /// Classify an audio file of any length and supported format.
    pub fn predict_file(&self, path: &Path, options: &PredictOptions) -> Result<TrackPrediction> {
        let audio = subgenre_audio::load(path, &subgenre_audio::LoadOptions::default())?;
        self.predict_samples(path, &audio.samples, options)
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
        let starts = window_starts(samples.len(), hop_s)?;
        let size = self.spec().input.size;
        let inputs = inputs_at(samples, &starts, self.variant, self.route, size)?;
        Ok((starts, inputs))
    }

    /// Classify mono samples at 22 050 Hz (`path` only names the track in the result).
    pub fn predict_samples(
        &self,
        path: &Path,
        samples: &[f32],
        options: &PredictOptions,
    ) -> Result<TrackPrediction> {
        let (starts, inputs) = self.window_inputs(samples, options.hop_s)?;
        let sr = f64::from(SAMPLE_RATE);
        let short = samples.len() < CLIP_SAMPLES;
        let batch = options.batch_size.max(1);
        let (probs, embedding) = if options.embedding {
            let (probs, embedded) = self.models.predict_proba_embedded(&inputs, batch)?;
            (probs, Some(mean_rows(&embedded)))
        } else {
            (self.models.predict_proba(&inputs, batch)?, None)
        };
        let classes = self.spec().classes.clone();
        let k = classes.len();
        let windows: Vec<Window> = starts
            .iter()
            .zip(probs)
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
        let tempo_bpm = if options.tempo {
            Some(track_tempo(samples)?)
        } else {
            None
        };
        Ok(TrackPrediction {
            path: path.to_path_buf(),
            classes,
            label,
            confidence,
            mean_probs,
            shares,
            tempo_bpm,
            short,
            duration_s: samples.len() as f64 / sr,
            windows,
            embedding,
        })
    }
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

/// Sample offsets of the 8 s windows over a track of `n_samples` samples (22 050 Hz): one every
/// `hop_s` seconds while a whole window fits, or a single window at 0 (to be zero-padded) when
/// the track is shorter than 8 s.
pub fn window_starts(n_samples: usize, hop_s: f64) -> Result<Vec<usize>> {
    if !(hop_s.is_finite() && hop_s >= 0.05) {
        return Err(PredictError::InvalidOption {
            name: "hop",
            value: hop_s.to_string(),
            reason: "must be at least 0.05 seconds",
        });
    }
    let hop = ((hop_s * f64::from(SAMPLE_RATE)).round() as usize).max(1);
    Ok(if n_samples < CLIP_SAMPLES {
        vec![0]
    } else {
        (0..=n_samples - CLIP_SAMPLES).step_by(hop).collect()
    })
}

/// The model inputs of a track's 8 s windows, one every `hop_s` seconds (see
/// [`window_starts`]): exactly what [`Predictor`] classifies, for a model that takes
/// `variant` mel-spectrograms made by `route` at `size` x `size`. `samples` are mono at
/// 22 050 Hz. For training on whole tracks (`subgenre transfer --audio`).
pub fn window_inputs(
    samples: &[f32],
    variant: MelVariant,
    route: InputRoute,
    size: usize,
    hop_s: f64,
) -> Result<Vec<Vec<f32>>> {
    let starts = window_starts(samples.len(), hop_s)?;
    inputs_at(samples, &starts, variant, route, size)
}

/// The model input of the window starting at each of `starts` (zero-padded past the end).
fn inputs_at(
    samples: &[f32],
    starts: &[usize],
    variant: MelVariant,
    route: InputRoute,
    size: usize,
) -> Result<Vec<Vec<f32>>> {
    starts
        .par_iter()
        .map_init(
            || variant.spectrogram(),
            |spec, &start| -> Result<Vec<f32>> {
                let spec = spec.as_mut().map_err(|e| {
                    PredictError::Extract(subgenre_extract::ExtractError::InvalidOption {
                        name: "variant",
                        value: format!("{e}"),
                        reason: "mel spectrogram could not be planned",
                    })
                })?;
                let end = (start + CLIP_SAMPLES).min(samples.len());
                let s_db = if end - start < CLIP_SAMPLES {
                    let mut padded = samples[start..end].to_vec();
                    padded.resize(CLIP_SAMPLES, 0.0);
                    db_mel(spec, &padded)?
                } else {
                    db_mel(spec, &samples[start..end])?
                };
                Ok(model_input(&s_db, variant, route, size))
            },
        )
        .collect()
}

/// `librosa.feature.tempo(y=y, sr=22050)`: onset strength of the dB mel spectrogram
/// (n_fft 2048, hop 512, 128 mels, ref 1.0), then the autocorrelation tempo estimate.
pub fn track_tempo(samples: &[f32]) -> Result<f64> {
    const N_FFT: usize = 2048;
    const HOP: usize = 512;
    let sr = f64::from(SAMPLE_RATE);
    let mut mel = subgenre_dsp::MelParams::new(sr)
        .n_fft(N_FFT)
        .hop_length(HOP)
        .build()?;
    let s_db = mel.compute_db(
        samples,
        subgenre_dsp::DbRef::Value(1.0),
        subgenre_dsp::AMIN,
        subgenre_dsp::TOP_DB,
    )?;
    let envelope = subgenre_dsp::onset_strength(&s_db, N_FFT, HOP)?;
    let envelope = envelope
        .as_slice()
        .map(<[f32]>::to_vec)
        .unwrap_or_else(|| envelope.to_vec());
    Ok(subgenre_dsp::TempoEstimator::new(sr, HOP)?.estimate(&envelope)?)
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
