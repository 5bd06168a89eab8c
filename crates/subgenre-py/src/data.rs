//! The data set from Python: statistics and the study's grouped split.

use std::path::PathBuf;

use pyo3::prelude::*;
use subgenre_audio::ClipFormat;
use subgenre_dataset::{cut_clips as cut, Cache, ClassSet, ClipSettings};
use subgenre_study::DataSource;

use crate::errors::{bad_argument, detached, Failure, Outcome};

pub fn source(data: Option<PathBuf>, cache: Option<PathBuf>) -> Outcome<DataSource> {
    let cache = Cache::new(cache).map_err(|e| Failure::Other(e.to_string()))?;
    DataSource::new(data.as_deref(), &cache).map_err(|e| Failure::Other(e.to_string()))
}

pub fn classes(spec: &str) -> Outcome<ClassSet> {
    ClassSet::parse(spec).map_err(|e| bad_argument("classes", e))
}

/// A data folder as `subgenre` reads it: a labels CSV beside a `clips/` folder.
pub fn is_data_folder(path: &std::path::Path) -> bool {
    path.join(subgenre_dataset::dataset::LABELS_FILE).is_file() && path.join("clips").is_dir()
}

/// JSON text from the library, as the Python value `json.loads` makes of it (the same
/// document the CLI's `--json` prints).
pub fn json_value<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

pub(crate) fn to_json(value: &impl serde::Serialize) -> Outcome<String> {
    serde_json::to_string(value).map_err(|e| Failure::Other(format!("serialising: {e}")))
}

/// Rows, tracks, clips, per-class counts and duplicate clips of a data folder (`data`, or the
/// bundled demo set when None), as `subgenre dataset stats --json` prints them. `classes` is
/// `"five"` (the study's setting), `"all"`, or a comma-separated list.
#[pyfunction]
#[pyo3(signature = (data=None, *, classes="five", cache=None))]
pub fn dataset_stats<'py>(
    py: Python<'py>,
    data: Option<PathBuf>,
    classes: &str,
    cache: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let text = detached(py, || {
        let stats = source(data, cache)?
            .stats(&self::classes(classes)?)
            .map_err(|e| Failure::Other(e.to_string()))?;
        to_json(&stats)
    })?;
    json_value(py, &text)
}

/// The study's train/validation/test split for `seed`, grouped by track and stratified by
/// class, as `subgenre dataset split --json` prints it (the members of each part).
#[pyfunction]
#[pyo3(signature = (data=None, seed=42, *, classes="five", cache=None))]
pub fn split<'py>(
    py: Python<'py>,
    data: Option<PathBuf>,
    seed: u64,
    classes: &str,
    cache: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let text = detached(py, || {
        let (_, split) = source(data, cache)?
            .split(&self::classes(classes)?, seed)
            .map_err(|e| Failure::Other(e.to_string()))?;
        to_json(&split)
    })?;
    json_value(py, &text)
}

/// Cut the study's clips out of full tracks (`subgenre clip`): each row of the labels CSV of
/// `classes`, `duration` seconds from its `clip_start`, from `tracks/<spot_id>.<ext>` into
/// `out/<sample_id>.<format>` (`"wav"` or `"flac"`) at `sr` (`"native"` or a rate in Hz).
/// Clips already in `out` are kept. `labels` defaults to the data folder's (`data`, or the
/// bundled demo set's). Returns `{"written", "skipped", "failures": [[sample_id, reason]]}`.
#[pyfunction]
#[pyo3(signature = (tracks, *, out, labels=None, data=None, duration=8.0, sr="native",
    format="wav", classes="five", jobs=None, cache=None))]
#[allow(clippy::too_many_arguments)]
pub fn cut_clips<'py>(
    py: Python<'py>,
    tracks: PathBuf,
    out: PathBuf,
    labels: Option<PathBuf>,
    data: Option<PathBuf>,
    duration: f64,
    sr: &str,
    format: &str,
    classes: &str,
    jobs: Option<usize>,
    cache: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let text = detached(py, || {
        let labels = match labels {
            Some(path) => path,
            None => source(data, cache)?
                .root
                .join(subgenre_dataset::dataset::LABELS_FILE),
        };
        let mut settings = ClipSettings::new(labels, tracks, out)
            .with_duration(duration)
            .map_err(|e| bad_argument("duration", e))?;
        settings.classes = self::classes(classes)?;
        settings.rate = sr.parse().map_err(|e| bad_argument("sr", e))?;
        settings.format = match format {
            "wav" => ClipFormat::Wav,
            "flac" => ClipFormat::Flac,
            other => {
                return Err(bad_argument(
                    "format",
                    format!("must be \"wav\" or \"flac\", not {other:?}"),
                ))
            }
        };
        let cut = crate::threads::pool(jobs)?
            .install(|| cut(&settings, &|_| {}))
            .map_err(|e| Failure::Other(e.to_string()))?;
        to_json(&cut)
    })?;
    json_value(py, &text)
}
