//! `subgenre.load` and `subgenre.load_many`: librosa.load's decoding, from Python.

use std::collections::BTreeMap;
use std::path::PathBuf;

use numpy::{IntoPyArray, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;
use subgenre_audio::LoadOptions;

use crate::errors::{detached, Failure, Outcome};
use crate::threads::pool;

/// `sr=None` keeps the file's own rate, as in librosa.
fn options(sr: Option<u32>, offset: f64, duration: Option<f64>) -> LoadOptions {
    LoadOptions::default()
        .sr(sr)
        .offset(offset)
        .duration(duration)
}

/// Load an audio file as float32 samples, exactly as `librosa.load` does.
///
/// Decodes MP3, WAV, FLAC, Ogg Vorbis and AAC/M4A, mixes to mono (`mono=False`: keeps the
/// channels, an array `[channels, n]` for a multi-channel file), cuts `offset` and `duration`
/// (seconds) at the file's own rate and resamples to `sr` (`sr=None` keeps the native rate).
///
/// Returns `(y, sr)`. Raises `subgenre.AudioError` (with `.path` and `.reason`) for a file
/// that cannot be read, `ValueError` for a bad argument.
#[pyfunction]
#[pyo3(signature = (path, *, sr=Some(22050), mono=true, offset=0.0, duration=None))]
pub fn load<'py>(
    py: Python<'py>,
    path: PathBuf,
    sr: Option<u32>,
    mono: bool,
    offset: f64,
    duration: Option<f64>,
) -> PyResult<(Bound<'py, PyAny>, u32)> {
    let opts = options(sr, offset, duration);
    if mono {
        let audio = detached(py, || Ok(subgenre_audio::load(&path, &opts)?))?;
        return Ok((audio.samples.into_pyarray(py).into_any(), audio.sample_rate));
    }
    let audio = detached(py, || Ok(subgenre_audio::load_channels(&path, &opts)?))?;
    let rate = audio.sample_rate;
    let mut channels = audio.channels;
    if channels.len() == 1 {
        // librosa gives a mono file's samples as a 1-D array whatever `mono` says.
        let only = channels.pop().unwrap_or_default();
        return Ok((only.into_pyarray(py).into_any(), rate));
    }
    let n = channels.first().map_or(0, Vec::len);
    let rows = channels.len();
    let flat: Vec<f32> = channels.into_iter().flatten().collect();
    let array = numpy::PyArray1::from_vec(py, flat).reshape([rows, n])?;
    Ok((array.into_any(), rate))
}

/// Load many files in parallel.
///
/// `paths` is a path or a list of paths; folders are walked recursively for audio files
/// (sorted), named files are taken whatever their extension. `jobs` is the number of threads
/// (default: all cores).
///
/// Returns `(arrays, errors)`: `{path: y}` for every file that loaded (float32, mono, at
/// `sr`) and `{path: reason}` for every one that did not, and for every path the folder walk
/// skipped (`"skipped: ..."`: a link to a folder already walked, a second path to one file, a
/// named pipe). A bad file never raises.
#[pyfunction]
#[pyo3(signature = (paths, *, sr=Some(22050), jobs=None))]
pub fn load_many<'py>(
    py: Python<'py>,
    paths: PathsArg,
    sr: Option<u32>,
    jobs: Option<usize>,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let (results, skipped) = detached(py, || {
        let walked = subgenre_audio::walk::walk_audio(&paths.0);
        let files = walked.files;
        let pool = pool(jobs)?;
        let opts = options(sr, 0.0, None);
        let loaded: Vec<(PathBuf, Outcome<Vec<f32>>)> = pool.install(|| {
            files
                .into_par_iter()
                .map(|path| {
                    let result = crate::errors::guarded(|| {
                        Ok(subgenre_audio::load(&path, &opts).map(|a| a.samples)?)
                    });
                    (path, result)
                })
                .collect()
        });
        Ok((loaded, walked.skipped))
    })?;
    let arrays = PyDict::new(py);
    let errors = PyDict::new(py);
    let mut failed = BTreeMap::new();
    for (path, result) in results {
        let key = path.display().to_string();
        match result {
            Ok(samples) => arrays.set_item(key, samples.into_pyarray(py))?,
            Err(Failure::Audio { reason, .. }) => {
                failed.insert(key, reason);
            }
            Err(other) => {
                failed.insert(key, other.message());
            }
        }
    }
    for skipped in skipped {
        let reason = format!("skipped: {}", skipped.reason);
        failed.insert(skipped.path.display().to_string(), reason);
    }
    for (path, reason) in failed {
        errors.set_item(path, reason)?;
    }
    Ok((arrays, errors))
}

/// One path or a sequence of paths (str or os.PathLike).
pub struct PathsArg(pub Vec<PathBuf>);

impl<'a, 'py> FromPyObject<'a, 'py> for PathsArg {
    type Error = PyErr;

    fn extract(ob: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(one) = ob.extract::<PathBuf>() {
            return Ok(Self(vec![one]));
        }
        let many: Vec<PathBuf> = ob.extract().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(
                "paths: expected a path or a list of paths (str or os.PathLike)",
            )
        })?;
        Ok(Self(many))
    }
}

/// The audio files under `paths` (a path or a list of paths): files as given, folders walked
/// recursively for the formats `load` reads, sorted; what `load_many` and the command line
/// read.
#[pyfunction]
pub fn audio_files(paths: PathsArg) -> Vec<String> {
    subgenre_audio::walk::audio_files(&paths.0)
        .iter()
        .map(|p| p.display().to_string())
        .collect()
}
