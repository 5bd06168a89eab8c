//! `subgenre.musicnn` and `Predictor.embed`: musicnn's pretrained networks from Python.

use std::path::PathBuf;

use numpy::PyArray2;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use subgenre_predict::embed::{
    embed_file, musicnn_of_samples, shipped_network, MusicnnLayer, MusicnnModel,
};

use crate::convert::reshaped;
use crate::errors::{bad_argument, detached, Outcome};
use crate::feature::{samples, Signal};

fn model_named(name: &str) -> Outcome<MusicnnModel> {
    name.parse()
        .map_err(|e: subgenre_predict::embed::MusicnnError| bad_argument("model", &e.to_string()))
}

fn layer_named(name: &str) -> Outcome<MusicnnLayer> {
    name.parse()
        .map_err(|e: subgenre_predict::embed::MusicnnError| bad_argument("layer", &e.to_string()))
}

fn matrix<'py>(
    py: Python<'py>,
    values: &[f32],
    [rows, width]: [usize; 2],
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    reshaped(py, values.to_vec(), [rows, width])
}

/// Run a pretrained musicnn network over a mono signal, as musicnn's
/// `extractor(..., extract_features=True)` does.
///
/// musicnn (Pons & Serra 2019; weights converted from the musicnn 0.1.0 wheel, ISC licence):
/// `y` at `sr` Hz is resampled to 16 kHz, turned into musicnn's log-mel (96 bands, n_fft 512,
/// hop 256) and cut into non-overlapping 3 s patches (187 frames; a signal under 3 s is
/// repeat-padded, one under 1 s raises ValueError). `model` is "MSD_musicnn" (Million Song
/// Dataset tags) or "MTT_musicnn" (MagnaTagATune).
///
/// Returns `(taggram, tags, features)`: the tag probabilities `[n_patches, 50]`, the 50 tag
/// names, and every layer by name: `timbral` `[n_patches * 187, 408]`, `temporal` `[.., 153]`,
/// `cnn1`-`cnn3` `[.., 64]` (per frame), `mean_pool` and `max_pool` `[n_patches, 753]`,
/// `penultimate` `[n_patches, 200]`. Unlike musicnn 0.1.0, every patch gets its own
/// `penultimate` and `cnn1`-`cnn3` (the wheel repeats the first patch's).
#[pyfunction]
#[pyo3(signature = (y, sr=22050, *, model="MSD_musicnn"))]
pub fn musicnn<'py>(
    py: Python<'py>,
    y: Signal<'py>,
    sr: u32,
    model: &str,
) -> PyResult<(Bound<'py, PyArray2<f32>>, Vec<String>, Bound<'py, PyDict>)> {
    let signal = samples(&y);
    let (features, tags) = detached(py, || {
        let network = shipped_network(model_named(model)?)?;
        Ok((
            musicnn_of_samples(network, &signal, sr)?,
            network.tags().to_vec(),
        ))
    })?;
    let taggram = matrix(py, &features.taggram, features.shape(MusicnnLayer::Taggram))?;
    let layers = PyDict::new(py);
    for layer in MusicnnLayer::ALL {
        if layer != MusicnnLayer::Taggram {
            let values = matrix(py, features.layer(layer), features.shape(layer))?;
            layers.set_item(layer.name(), values)?;
        }
    }
    Ok((taggram, tags, layers))
}

/// [`embed_file`] for `Predictor.embed` (its docstring says what it returns).
pub(crate) fn embed_path<'py>(
    py: Python<'py>,
    path: PathBuf,
    model: &str,
    layer: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let (model, layer) = (model.to_string(), layer.to_string());
    let (embedding, model, layer) = detached(py, || {
        let model = model_named(&model)?;
        let layer = layer_named(&layer)?;
        let network = shipped_network(model)?;
        Ok((embed_file(network, layer, &path)?, model, layer))
    })?;
    let out = PyDict::new(py);
    out.set_item("model", model.name())?;
    out.set_item("layer", layer.name())?;
    out.set_item(
        "rows",
        matrix(py, &embedding.values, [embedding.rows, embedding.width()])?,
    )?;
    out.set_item("mean", numpy::PyArray1::from_vec(py, embedding.mean))?;
    Ok(out)
}
