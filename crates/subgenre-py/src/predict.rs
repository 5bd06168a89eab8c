//! `subgenre.Predictor`: whole-track sub-genre prediction with the shipped (or given) models.

use std::path::{Path, PathBuf};

use numpy::{AllowTypeChange, PyArrayLike1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use subgenre_predict::{PredictOptions, TrackPrediction};

use crate::errors::{bad_argument, detached, Outcome};
use crate::threads::pool;

/// Classifies whole tracks: 8-second windows every `hop` seconds through the CNN ensemble,
/// averaged into a track label, with per-window probabilities and the track's tempo.
///
/// `Predictor()` uses the three shipped models; `Predictor(["a.sgcnn", "b.sgcnn"])` averages
/// the given ones (same classes and input required). `jobs` is the number of threads one call
/// uses (default: all cores; give 1 per worker when running several workers).
///
/// Each `predict_*` call returns the dict `subgenre predict --json` writes for one track:
/// `path`, `label`, `confidence`, `tempo_bpm`, `short`, `duration_s`, `shares`, `mean_probs`
/// and `windows` (`start_s`, `end_s`, `probs`). A Predictor pickles as its model paths and
/// `jobs`, so a worker process rebuilds it (loading the models) once.
#[pyclass(module = "subgenre", frozen)]
pub struct Predictor {
    inner: subgenre_predict::Predictor,
    pool: rayon::ThreadPool,
    models: Option<Vec<PathBuf>>,
    jobs: Option<usize>,
}

fn options(hop: f64, tempo: bool, min_confidence: Option<f32>) -> Outcome<PredictOptions> {
    Ok(PredictOptions {
        hop_s: hop,
        tempo,
        ..PredictOptions::default()
    }
    .with_min_confidence(min_confidence)?)
}

/// A track as the Python dict of `subgenre predict --json` (the same serializer).
fn to_dict<'py>(py: Python<'py>, track: &TrackPrediction) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(track)
        .map_err(|e| crate::errors::Error::new_err(format!("serialising a prediction: {e}")))?;
    crate::data::json_value(py, &text)
}

impl Predictor {
    fn run<'py>(
        &self,
        py: Python<'py>,
        work: impl FnOnce(&subgenre_predict::Predictor) -> Outcome<TrackPrediction> + Send,
    ) -> PyResult<Bound<'py, PyAny>> {
        let track = detached(py, || self.pool.install(|| work(&self.inner)))?;
        to_dict(py, &track)
    }
}

#[pymethods]
impl Predictor {
    #[new]
    #[pyo3(signature = (models=None, jobs=None))]
    fn new(py: Python<'_>, models: Option<Vec<PathBuf>>, jobs: Option<usize>) -> PyResult<Self> {
        let chosen = models.clone();
        detached(py, move || {
            let pool = pool(jobs)?;
            if chosen.as_ref().is_some_and(Vec::is_empty) {
                return Err(bad_argument(
                    "models",
                    "give at least one model file, or None",
                ));
            }
            let inner = subgenre_predict::Predictor::load(chosen.as_deref().unwrap_or_default())?;
            Ok(Self {
                inner,
                pool,
                models: chosen,
                jobs,
            })
        })
    }

    /// The class names, in the order of every probability vector.
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.inner.spec().classes.clone()
    }

    /// The ensemble's member names (model files, or the shipped models).
    #[getter]
    fn members(&self) -> Vec<String> {
        self.inner.models().names().to_vec()
    }

    /// One layer of a pretrained musicnn network over an audio file: `{"model", "layer",
    /// "rows": [rows, width], "mean": [width]}`, a row per 3 s patch (per frame for the
    /// per-frame layers), `mean` the file's embedding.
    ///
    /// This runs musicnn (`model`: "MSD_musicnn" or "MTT_musicnn"; `layer` as
    /// `subgenre.musicnn` names them, default "max_pool"), not this Predictor's own networks.
    #[pyo3(signature = (path, *, model="MSD_musicnn", layer="max_pool"))]
    fn embed<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        model: &str,
        layer: &str,
    ) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::musicnn::embed_path(py, path, model, layer)
    }

    /// Predict an audio file (any format `subgenre.load` reads).
    #[pyo3(signature = (path, *, hop=4.0, tempo=true, min_confidence=None))]
    fn predict_file<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        hop: f64,
        tempo: bool,
        min_confidence: Option<f32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |p| {
            Ok(p.predict_file(&path, &options(hop, tempo, min_confidence)?)?)
        })
    }

    /// Predict encoded audio held in memory (the bytes of an MP3, WAV, FLAC... file); `name`
    /// stands for it in the result and in errors, and its extension hints at the format.
    #[pyo3(signature = (data, name="<bytes>", *, hop=4.0, tempo=true, min_confidence=None))]
    fn predict_bytes<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyBytes>,
        name: &str,
        hop: f64,
        tempo: bool,
        min_confidence: Option<f32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let bytes = data.as_bytes().to_vec();
        let name = PathBuf::from(name);
        self.run(py, move |p| {
            let opts = options(hop, tempo, min_confidence)?;
            let audio =
                subgenre_audio::load_bytes(bytes, &name, &subgenre_audio::LoadOptions::default())?;
            Ok(p.predict_samples(&name, &audio.samples, &opts)?)
        })
    }

    /// Predict a mono signal `y` at `sr` Hz (resampled to 22 050 Hz first if needed).
    #[pyo3(signature = (y, sr=22050, *, hop=4.0, tempo=true, min_confidence=None, name="<array>"))]
    #[allow(clippy::too_many_arguments)]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        y: PyArrayLike1<'py, f32, AllowTypeChange>,
        sr: u32,
        hop: f64,
        tempo: bool,
        min_confidence: Option<f32>,
        name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let y = y.as_array().to_vec();
        let name = PathBuf::from(name);
        self.run(py, move |p| {
            let opts = options(hop, tempo, min_confidence)?;
            let target = subgenre_audio::DEFAULT_SAMPLE_RATE;
            if y.is_empty() {
                return Err(bad_argument("y", "the signal is empty"));
            }
            if let Some(i) = y.iter().position(|v| !v.is_finite()) {
                return Err(bad_argument("y", format!("not finite at index {i}")));
            }
            let y = if sr == target {
                y
            } else {
                subgenre_audio::resample(&y, sr, target)?
            };
            Ok(p.predict_samples(Path::new(&name), &y, &opts)?)
        })
    }

    /// What the models see of a track, for training on a catalogue: `(start_s, inputs)`, the
    /// start of each 8 s window in seconds (float64, one every `hop` seconds) and the windows'
    /// model inputs (float32, `(windows, size, size)`: the dB mel-spectrogram scaled and
    /// resized as the models were trained on it), exactly the windows `predict_file`
    /// classifies. `source` is a file path or the bytes of an encoded file (`name` then
    /// stands for it in errors and hints at the format).
    #[pyo3(signature = (source, *, hop=4.0, name="<bytes>"))]
    fn window_inputs<'py>(
        &self,
        py: Python<'py>,
        source: &Bound<'py, PyAny>,
        hop: f64,
        name: &str,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        enum Source {
            Bytes(Vec<u8>),
            File(PathBuf),
        }
        let load = subgenre_audio::LoadOptions::default();
        let source = match source.cast::<PyBytes>() {
            Ok(bytes) => Source::Bytes(bytes.as_bytes().to_vec()),
            Err(_) => Source::File(source.extract().map_err(|_| {
                bad_argument("source", "give a file path or the bytes of an encoded file")
                    .into_pyerr(py)
            })?),
        };
        let name = PathBuf::from(name);
        let (starts, inputs) = detached(py, move || {
            let audio = match source {
                Source::Bytes(bytes) => subgenre_audio::load_bytes(bytes, &name, &load)?,
                Source::File(path) => subgenre_audio::load(&path, &load)?,
            };
            Ok(self
                .pool
                .install(|| self.inner.window_inputs(&audio.samples, hop))?)
        })?;
        let size = self.inner.spec().input.size;
        let sr = f64::from(subgenre_audio::DEFAULT_SAMPLE_RATE);
        let start_s: Vec<f64> = starts.iter().map(|&s| s as f64 / sr).collect();
        let n = inputs.len();
        let flat: Vec<f32> = inputs.into_iter().flatten().collect();
        let array = numpy::PyArray1::from_vec(py, flat).reshape([n, size, size])?;
        Ok((
            numpy::PyArray1::from_vec(py, start_s).into_any(),
            array.into_any(),
        ))
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let me = slf.get();
        let class = slf.get_type().into_any();
        let models: Option<Vec<String>> = me
            .models
            .as_ref()
            .map(|m| m.iter().map(|p| p.display().to_string()).collect());
        let args = PyTuple::new(
            py,
            [
                models.into_pyobject(py)?.into_any(),
                me.jobs.into_pyobject(py)?.into_any(),
            ],
        )?;
        Ok((class, args))
    }

    fn __repr__(&self) -> String {
        format!(
            "Predictor({}, classes={:?})",
            self.inner.name(),
            self.inner.spec().classes
        )
    }
}
