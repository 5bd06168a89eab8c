//! Per-clip extraction over a data set: the study's features table, the mel store and the
//! model-input images. Each clip is loaded as `librosa.load` would (22 050 Hz mono) and analysed
//! with subgenre-dsp (the pyAudioAnalysis feature set loads at the file's own rate, as its
//! reader does); clips are processed in parallel, and a clip that fails is reported by name
//! without stopping the others.

mod error;
pub mod image;
pub mod mel;
pub mod melgrams;
pub mod store;
pub mod table;

pub use error::{ExtractError, Result};
pub use mel::{canonical_image, db_mel, model_input, study_png_pixels, InputRoute, MelVariant};
pub use melgrams::{melgram_pixels, write_melgrams, MelgramSettings, MelgramsWritten};
pub use store::{build_store, cached_store, write_gray_png, CachedStore, MelStore};
pub use subgenre_dsp::pyaa::PyaaMapping;
pub use table::{extract_features, Extractor, FeatureSet};
