//! The study's per-clip features from Python.

use numpy::{AllowTypeChange, PyArrayLike1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use subgenre_extract::{Extractor, FeatureSet, PyaaMapping};

use crate::errors::{bad_argument, detached};

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
    y: PyArrayLike1<'py, f32, AllowTypeChange>,
    sr: u32,
    rich: bool,
    extractor: &str,
    mapping: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let y = match y.as_slice() {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(y.as_array().to_vec()),
    };
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
