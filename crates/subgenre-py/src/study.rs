//! The study's per-clip features from Python: of one signal, or as a whole table.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use subgenre_extract::{Extractor, FeatureSet, PyaaMapping};

use subgenre_study::{write_features_table, FeatureInput, TableProgress};

use crate::audio::PathsArg;
use crate::errors::{bad_argument, detached, Failure, Outcome};
use crate::threads::pool;

fn feature_set(rich: bool, extractor: &str, mapping: &str) -> Outcome<FeatureSet> {
    let extractor: Extractor = extractor
        .parse()
        .map_err(|e| bad_argument("extractor", e))?;
    let mapping: PyaaMapping = mapping.parse().map_err(|e| bad_argument("mapping", e))?;
    Ok(FeatureSet::new(extractor, rich, mapping)?)
}

/// The study's per-clip features of a mono signal, as a dict of the CSV's columns.
///
/// `extractor="librosa"` gives the 13 means of the study (chroma_stft, rmse, spec_cent,
/// spec_bw, rolloff, zcr, mfcc1..mfcc7), or with `rich=True` the larger table (all 20 MFCCs,
/// standard deviations, spectral contrast, onset strength, tempo). `"pyaudioanalysis"` fills
/// the 13 columns from pyAudioAnalysis's short-term features (`mapping="study"`, the
/// notebook's quirks, or `"corrected"`). The values equal the rows `subgenre features` writes
/// for a file loaded with `subgenre.load(path, sr=...)` at the same rate.
#[pyfunction]
#[pyo3(signature = (y, sr=22050, *, rich=false, extractor="librosa", mapping="study"))]
pub fn study_features<'py>(
    py: Python<'py>,
    y: crate::feature::Signal<'py>,
    sr: u32,
    rich: bool,
    extractor: &str,
    mapping: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let y = crate::feature::samples(&y);
    let (set, values) = detached(py, || {
        let extractor: Extractor = extractor
            .parse()
            .map_err(|e| bad_argument("extractor", e))?;
        let mapping: PyaaMapping = mapping.parse().map_err(|e| bad_argument("mapping", e))?;
        let set = FeatureSet::new(extractor, rich, mapping)?;
        Ok((set, set.compute_signal(&y, sr)?))
    })?;
    let out = PyDict::new(py);
    for (name, v) in set.columns().iter().zip(values) {
        out.set_item(*name, f64::from(v))?;
    }
    Ok(out)
}

/// Write the features CSV that `subgenre features` writes, and return what was written.
///
/// `data_or_paths`: a data folder (a `labels_final.csv` beside `clips/`; rows keyed by
/// `sample_id`, `spot_id` and labelled, in the chosen `classes`: what the classic models train
/// on), None for the bundled demo set, or audio files and folders (walked recursively; rows
/// keyed by `path`). Files are analysed in parallel (`jobs` threads, default all cores); a file
/// that fails is left out and listed. `progress`, if given, is called with `(done, total)` after
/// each file. Returns `{"rows", "columns", "other_class", "failures": {path: reason}}`.
#[pyfunction]
#[pyo3(signature = (data_or_paths, out, *, rich=false, extractor="librosa", mapping="study",
    classes="five", jobs=None, progress=None, cache=None))]
#[allow(clippy::too_many_arguments)]
pub fn features_table<'py>(
    py: Python<'py>,
    data_or_paths: Option<PathsArg>,
    out: PathBuf,
    rich: bool,
    extractor: &str,
    mapping: &str,
    classes: &str,
    jobs: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
    cache: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let set = feature_set(rich, extractor, mapping).map_err(|f| f.into_pyerr(py))?;
    let input = match data_or_paths {
        Some(PathsArg(paths)) if paths.len() == 1 && crate::data::is_data_folder(&paths[0]) => {
            FeatureInput::Data {
                source: crate::data::source(Some(paths[0].clone()), cache)
                    .map_err(|f| f.into_pyerr(py))?,
                classes: crate::data::classes(classes).map_err(|f| f.into_pyerr(py))?,
            }
        }
        Some(PathsArg(paths)) => FeatureInput::Files(paths),
        None => FeatureInput::Data {
            source: crate::data::source(None, cache).map_err(|f| f.into_pyerr(py))?,
            classes: crate::data::classes(classes).map_err(|f| f.into_pyerr(py))?,
        },
    };
    let callback = progress.map(|p| p.unbind());
    let done = detached(py, || {
        let total = std::sync::atomic::AtomicUsize::new(0);
        let finished = std::sync::atomic::AtomicUsize::new(0);
        let report = |event: TableProgress| {
            use std::sync::atomic::Ordering::Relaxed;
            match event {
                TableProgress::Started { files } => total.store(files, Relaxed),
                TableProgress::FileDone => {
                    let n = finished.fetch_add(1, Relaxed) + 1;
                    if let Some(cb) = &callback {
                        // The callback's own errors are not the table's: they are ignored.
                        Python::attach(|py| {
                            let _ = cb.call1(py, (n, total.load(Relaxed)));
                        });
                    }
                }
            }
        };
        pool(jobs)?
            .install(|| write_features_table(&input, set, &out, &report))
            .map_err(|e| Failure::Other(e.to_string()))
    })?;
    let result = PyDict::new(py);
    result.set_item("rows", done.rows)?;
    result.set_item("columns", done.columns)?;
    result.set_item("other_class", done.other_class)?;
    let failures = PyDict::new(py);
    for (path, reason) in &done.failures {
        failures.set_item(path, reason)?;
    }
    result.set_item("failures", failures)?;
    Ok(result)
}
