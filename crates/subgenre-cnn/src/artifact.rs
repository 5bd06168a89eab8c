//! The saved-model format (`.sgcnn`): writing, reading and loading a model, and editing its
//! training record.
//!
//! A saved model is one file that describes itself: a short header, a JSON [`ModelSpec`]
//! (architecture, classes, input description, network configuration, training notes) and the
//! weights as a burnpack record. It is written atomically and loads without knowing its
//! configuration in advance:
//!
//! ```text
//! "SUBGENRE-CNN\n"  (13 bytes)
//! spec length       (u64, little endian)
//! spec              (UTF-8 JSON)
//! weights           (burnpack, the rest of the file)
//! ```
//!
//! [`edit_record`] rewrites the training record (`trained`) and leaves the weights byte for
//! byte. A network that is not a [`Cnn`] (converted pretrained weights, say) would get its own
//! spec variant and loader here, beside these.

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::{prelude::*, store::ModuleRecord, tensor::Bytes};
use serde::{Deserialize, Serialize};

use crate::backend::default_device;
use crate::error::{CnnError, Result};
use crate::net::{Arch, Cnn, ModelConfig};

const MAGIC: &[u8; 13] = b"SUBGENRE-CNN\n";
/// The saved-model format version this crate writes (and the newest it reads).
pub const FORMAT_VERSION: u32 = 1;

/// What the network expects as input: which mel variant and size (plus whatever the caller
/// records about how the input was made: sample rate, hop, image resizing, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// `normal`, `low`, `image`, ...
    pub variant: String,
    /// Side of the square input (128 or 256).
    pub size: usize,
    /// Further fields, kept as given.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl InputSpec {
    /// An input spec without extra fields.
    pub fn new(variant: impl Into<String>, size: usize) -> Self {
        Self {
            variant: variant.into(),
            size,
            extra: serde_json::Map::new(),
        }
    }
}

/// The JSON half of a saved model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// The architecture (also inside `network`; here for readers of the JSON).
    pub arch: Arch,
    /// Class names, in output order.
    pub classes: Vec<String>,
    /// What the model takes.
    pub input: InputSpec,
    /// Format version ([`FORMAT_VERSION`]).
    pub version: u32,
    /// Everything needed to rebuild the network.
    pub network: ModelConfig,
    /// Free-form training notes (seed, epochs, best epoch, split, scores, ...).
    #[serde(default)]
    pub trained: serde_json::Value,
    /// The software that wrote the file.
    #[serde(default)]
    pub software: String,
}

impl ModelSpec {
    /// A spec for `model` with these class names and input.
    pub fn new(model: &Cnn, classes: Vec<String>, input: InputSpec) -> Self {
        Self {
            arch: model.config().arch,
            classes,
            input,
            version: FORMAT_VERSION,
            network: model.config().clone(),
            trained: serde_json::Value::Null,
            software: format!("subgenre-cnn {}", subgenre_core::version_string()),
        }
    }

    /// Attach training notes.
    pub fn with_trained(mut self, trained: serde_json::Value) -> Self {
        self.trained = trained;
        self
    }

    fn check(&self, path: &Path) -> Result<()> {
        let bad = |reason: String| CnnError::BadModelFile {
            path: path.to_path_buf(),
            reason,
        };
        if self.version > FORMAT_VERSION {
            return Err(bad(format!(
                "format version {} is newer than this program's {FORMAT_VERSION}",
                self.version
            )));
        }
        if self.arch != self.network.arch {
            return Err(bad(format!(
                "arch {} but network {}",
                self.arch, self.network.arch
            )));
        }
        if self.classes.len() != self.network.num_classes {
            return Err(bad(format!(
                "{} class names for {} outputs",
                self.classes.len(),
                self.network.num_classes
            )));
        }
        self.network.validate().map_err(|e| CnnError::BadNetwork {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }
}

/// A loaded model: its description and the network.
#[derive(Debug)]
pub struct SavedModel {
    /// The description.
    pub spec: ModelSpec,
    /// The network, on [`default_device`], ready for inference.
    pub model: Cnn,
}

/// Write `model` and `spec` to `path` atomically (temporary file beside it, then rename).
pub fn save_model(path: &Path, model: &Cnn, spec: &ModelSpec) -> Result<()> {
    if spec.network != *model.config() {
        return Err(CnnError::SpecNotModel);
    }
    spec.check(path)?;
    let weights = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| CnnError::Tensor(e.to_string()))?;
    write_file(path, spec, &weights)
}

/// The header, `spec` and `weights` written to `path` atomically.
fn write_file(path: &Path, spec: &ModelSpec, weights: &[u8]) -> Result<()> {
    let json = serde_json::to_vec_pretty(spec)?;
    subgenre_core::write_atomic_with(path, |w| {
        w.write_all(MAGIC)?;
        w.write_all(&(json.len() as u64).to_le_bytes())?;
        w.write_all(&json)?;
        w.write_all(weights)
    })
    .map_err(|e| CnnError::io(path, e))
}

/// One change to a saved model's training record (`trained`, a JSON object).
#[derive(Clone, Debug, PartialEq)]
pub enum RecordEdit {
    /// Set this key to this value (adding it when absent).
    Set(String, serde_json::Value),
    /// Remove this key (nothing when absent).
    Unset(String),
}

/// Rewrite the training record of the saved model `from` into `to` (the same path or another),
/// applying `edits` in order; the weights are copied byte for byte and the file is written
/// atomically. Returns the new spec. A model without a record gets one; a record that is not a
/// JSON object cannot be edited.
pub fn edit_record(from: &Path, to: &Path, edits: &[RecordEdit]) -> Result<ModelSpec> {
    let bytes = std::fs::read(from).map_err(|e| CnnError::io(from, e))?;
    let (mut spec, weights) = split_file(from, &bytes)?;
    if spec.trained.is_null() {
        spec.trained = serde_json::Value::Object(serde_json::Map::new());
    }
    let Some(record) = spec.trained.as_object_mut() else {
        return Err(CnnError::BadModelFile {
            path: from.to_path_buf(),
            reason: "its training record is not a JSON object".into(),
        });
    };
    for edit in edits {
        match edit {
            RecordEdit::Set(key, value) => {
                record.insert(key.clone(), value.clone());
            }
            RecordEdit::Unset(key) => {
                record.remove(key);
            }
        }
    }
    write_file(to, &spec, weights)?;
    Ok(spec)
}

/// Read only the spec of a saved model (cheap: no weights are parsed).
pub fn read_spec(path: &Path) -> Result<ModelSpec> {
    let bytes = std::fs::read(path).map_err(|e| CnnError::io(path, e))?;
    split_file(path, &bytes).map(|(spec, _)| spec)
}

fn split_file<'a>(path: &Path, bytes: &'a [u8]) -> Result<(ModelSpec, &'a [u8])> {
    let bad = |reason: &str| CnnError::BadModelFile {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| bad("not a subgenre CNN model (bad header)"))?;
    let (len, rest) = rest
        .split_first_chunk::<8>()
        .ok_or_else(|| bad("truncated header"))?;
    let len = usize::try_from(u64::from_le_bytes(*len)).map_err(|_| bad("bad spec length"))?;
    if len > rest.len() {
        return Err(bad("truncated spec"));
    }
    let (json, weights) = rest.split_at(len);
    let spec: ModelSpec = serde_json::from_slice(json).map_err(|e| CnnError::BadModelFile {
        path: path.to_path_buf(),
        reason: format!("spec: {e}"),
    })?;
    spec.check(path)?;
    Ok((spec, weights))
}

/// Load a saved model onto [`default_device`].
pub fn load_model(path: &Path) -> Result<SavedModel> {
    load_model_on(path, &default_device())
}

/// Load a saved model onto `device`.
pub fn load_model_on(path: &Path, device: &Device) -> Result<SavedModel> {
    let bytes = std::fs::read(path).map_err(|e| CnnError::io(path, e))?;
    load_model_bytes(&bytes, path, device)
}

/// Load a model from the bytes of a saved model file (e.g. one embedded in a binary);
/// `name` is what errors call it.
pub fn load_model_bytes(bytes: &[u8], name: &Path, device: &Device) -> Result<SavedModel> {
    let path = name;
    let (spec, weights) = split_file(path, bytes)?;
    let bad = |reason: String| CnnError::BadModelFile {
        path: PathBuf::from(path),
        reason,
    };
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights.to_vec()))
        .map_err(|e| bad(format!("weights: {e}")))?;
    let model = spec
        .network
        .init(device)?
        .try_load_record(record)
        .map_err(|e| bad(format!("weights: {e}")))?;
    Ok(SavedModel { spec, model })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predict::predict_proba;

    fn shipped(n: usize) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../models/hardtechno-{n}.sgcnn"))
    }

    fn weights_of(path: &Path) -> Vec<u8> {
        let bytes = std::fs::read(path).expect("read");
        split_file(path, &bytes).expect("split").1.to_vec()
    }

    /// Editing a shipped model's record keeps its weights byte for byte, and the edited model
    /// loads and gives the same probabilities, bit for bit.
    #[test]
    fn editing_the_record_keeps_the_weights() {
        let dir = tempfile::tempdir().expect("tempdir");
        let from = shipped(1);
        let to = dir.path().join("edited.sgcnn");
        let before = read_spec(&from).expect("spec");
        let first_key = before
            .trained
            .as_object()
            .and_then(|r| r.keys().next().cloned())
            .expect("a record with a key");
        let edits = [
            RecordEdit::Set("note".into(), serde_json::json!({"by": "test", "n": 3})),
            RecordEdit::Unset(first_key.clone()),
            RecordEdit::Unset("absent".into()),
        ];
        let spec = edit_record(&from, &to, &edits).expect("edit");
        assert_eq!(weights_of(&to), weights_of(&from));
        let record = spec.trained.as_object().expect("object");
        assert_eq!(record["note"], serde_json::json!({"by": "test", "n": 3}));
        assert!(!record.contains_key(&first_key));
        let mut expected = before.clone();
        expected.trained = spec.trained.clone();
        assert_eq!(spec, expected, "only the record changed");
        assert_eq!(read_spec(&to).expect("spec"), spec);

        let (old, new) = (
            load_model(&from).expect("load"),
            load_model(&to).expect("load"),
        );
        let inputs: Vec<Vec<f32>> = (0..3)
            .map(|i| {
                (0..128 * 128)
                    .map(|j| ((i * 7919 + j * 104_729) % 1000) as f32 / 999.0)
                    .collect()
            })
            .collect();
        let bits = |m: &SavedModel| -> Vec<u32> {
            let p = predict_proba(&m.model, &inputs, 0).expect("predict");
            p.iter().flatten().map(|v| v.to_bits()).collect()
        };
        assert_eq!(bits(&old), bits(&new));

        // In place, and back: the record is restored, the weights still the same.
        let restore = [
            RecordEdit::Unset("note".into()),
            RecordEdit::Set(first_key.clone(), before.trained[&first_key].clone()),
        ];
        let spec = edit_record(&to, &to, &restore).expect("edit in place");
        assert_eq!(spec.trained, before.trained);
        assert_eq!(weights_of(&to), weights_of(&from));
    }

    #[test]
    fn a_record_that_is_not_an_object_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.sgcnn");
        let model = ModelConfig::square(Arch::Compact, 2, 32)
            .init(&default_device())
            .expect("init");
        let spec = ModelSpec::new(
            &model,
            vec!["a".into(), "b".into()],
            InputSpec::new("normal", 32),
        )
        .with_trained(serde_json::json!("a note"));
        save_model(&path, &model, &spec).expect("save");
        let err = edit_record(&path, &path, &[RecordEdit::Unset("x".into())]).expect_err("string");
        assert!(matches!(err, CnnError::BadModelFile { .. }), "{err}");
        // A model saved without a record gets one.
        save_model(&path, &model, &spec.with_trained(serde_json::Value::Null)).expect("save");
        let edited =
            edit_record(&path, &path, &[RecordEdit::Set("seed".into(), 7.into())]).expect("edit");
        assert_eq!(edited.trained, serde_json::json!({"seed": 7}));
    }
}
