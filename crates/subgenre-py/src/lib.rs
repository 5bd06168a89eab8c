//! The `subgenre` Python package's native module (`subgenre._native`).
//!
//! Each function parses its arguments, releases the GIL, calls one library operation (its
//! settings built as the command line builds them) and converts the result to numpy or plain
//! Python values. The Python
//! package (`python/subgenre`) re-exports these with librosa's module layout.

mod audio;
mod baseline;
mod convert;
mod data;
mod errors;
mod events;
mod feature;
mod musicnn;
mod predict;
mod study;
mod threads;
mod training;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", subgenre_core::VERSION)?;
    m.add("version_string", subgenre_core::version_string())?;
    m.add("Error", py.get_type::<errors::Error>())?;
    m.add("AudioError", py.get_type::<errors::AudioError>())?;
    m.add("ModelError", py.get_type::<errors::ModelError>())?;
    m.add_function(wrap_pyfunction!(audio::load, m)?)?;
    m.add_function(wrap_pyfunction!(audio::load_many, m)?)?;
    m.add_function(wrap_pyfunction!(audio::audio_files, m)?)?;
    m.add_function(wrap_pyfunction!(feature::melspectrogram, m)?)?;
    m.add_function(wrap_pyfunction!(feature::power_to_db_py, m)?)?;
    m.add_function(wrap_pyfunction!(feature::mfcc, m)?)?;
    m.add_function(wrap_pyfunction!(feature::chroma_stft, m)?)?;
    m.add_function(wrap_pyfunction!(feature::rms, m)?)?;
    m.add_function(wrap_pyfunction!(feature::spectral_centroid, m)?)?;
    m.add_function(wrap_pyfunction!(feature::spectral_bandwidth, m)?)?;
    m.add_function(wrap_pyfunction!(feature::spectral_rolloff, m)?)?;
    m.add_function(wrap_pyfunction!(feature::spectral_contrast, m)?)?;
    m.add_function(wrap_pyfunction!(feature::zero_crossing_rate, m)?)?;
    m.add_function(wrap_pyfunction!(feature::onset_strength, m)?)?;
    m.add_function(wrap_pyfunction!(feature::tempo, m)?)?;
    m.add_function(wrap_pyfunction!(musicnn::musicnn, m)?)?;
    m.add_function(wrap_pyfunction!(study::study_features, m)?)?;
    m.add_function(wrap_pyfunction!(study::features_table, m)?)?;
    m.add_function(wrap_pyfunction!(data::dataset_stats, m)?)?;
    m.add_function(wrap_pyfunction!(data::split, m)?)?;
    m.add_function(wrap_pyfunction!(data::cut_clips, m)?)?;
    m.add_function(wrap_pyfunction!(baseline::baseline, m)?)?;
    m.add_function(wrap_pyfunction!(training::grid, m)?)?;
    m.add_function(wrap_pyfunction!(training::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(training::transfer, m)?)?;
    m.add_function(wrap_pyfunction!(training::reproduce, m)?)?;
    m.add_class::<predict::Predictor>()?;
    Ok(())
}
