//! Reading a converted musicnn safetensors file: every tensor the network needs, checked for
//! presence, type and shape, and the 50 tag names from its metadata.

use std::collections::HashMap;

use crate::pretrained::tensor_file::TensorFile;

use super::{MusicnnError, Result, N_TAGS};

/// Batch-norm parameter names, in the order [`BatchNorm`] takes them.
const BN_PARTS: [&str; 4] = ["gamma", "beta", "moving_mean", "moving_variance"];

/// Every tensor of a musicnn network and its shape (TensorFlow layouts: conv kernels
/// `[kh, kw, 1, out]`, dense kernels `[in, out]`).
pub(super) fn expected_tensors() -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    let bn = |prefix: &str, n: usize, out: &mut Vec<(String, Vec<usize>)>| {
        for part in BN_PARTS {
            out.push((format!("{prefix}.{part}"), vec![n]));
        }
    };
    bn("input_bn", 1, &mut out);
    let convs: [(&str, [usize; 2], usize); 8] = [
        ("timbral_f74", [7, 38], 204),
        ("timbral_f77", [7, 67], 204),
        ("temporal_s1", [128, 1], 51),
        ("temporal_s2", [64, 1], 51),
        ("temporal_s3", [32, 1], 51),
        ("midend_conv1", [7, 561], 64),
        ("midend_conv2", [7, 64], 64),
        ("midend_conv3", [7, 64], 64),
    ];
    for (name, [kh, kw], c) in convs {
        out.push((format!("{name}.conv.kernel"), vec![kh, kw, 1, c]));
        out.push((format!("{name}.conv.bias"), vec![c]));
        bn(&format!("{name}.bn"), c, &mut out);
    }
    bn("backend_pool_bn", 1506, &mut out);
    out.push(("backend_dense.kernel".into(), vec![1506, 200]));
    out.push(("backend_dense.bias".into(), vec![200]));
    bn("backend_dense_bn", 200, &mut out);
    out.push(("backend_logits.kernel".into(), vec![200, N_TAGS]));
    out.push(("backend_logits.bias".into(), vec![N_TAGS]));
    out
}

/// The tensors of one network, checked, as f32 vectors by name, and its tags.
pub(super) struct Weights {
    tensors: HashMap<String, Vec<f32>>,
    pub(super) tags: Vec<String>,
    /// The metadata's `model` (`MSD_musicnn`), if any.
    pub(super) model_name: Option<String>,
}

impl Weights {
    /// Parses and checks a safetensors buffer; `source_name` names it in errors.
    pub(super) fn parse(bytes: &[u8], source_name: &str) -> Result<Self> {
        let bad = |reason: String| MusicnnError::BadWeights {
            source_name: source_name.to_string(),
            reason,
        };
        let file = TensorFile::parse(bytes).map_err(|e| bad(e.to_string()))?;
        let mut tensors = HashMap::new();
        for (name, shape) in expected_tensors() {
            let view = file.get(&name).ok_or_else(|| MusicnnError::MissingTensor {
                source_name: source_name.to_string(),
                tensor: name.clone(),
            })?;
            if view.dtype != "F32" || view.shape != shape {
                return Err(MusicnnError::BadTensor {
                    source_name: source_name.to_string(),
                    tensor: name,
                    found: format!("{} {:?}", view.dtype, view.shape),
                    expected: format!("F32 {shape:?}"),
                });
            }
            let values = view.to_f32().map_err(|e| bad(e.to_string()))?;
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Err(MusicnnError::BadTensor {
                    source_name: source_name.to_string(),
                    tensor: name,
                    found: format!("a non-finite value at flat index {i}"),
                    expected: "finite values".into(),
                });
            }
            tensors.insert(name, values);
        }
        let meta = file.metadata();
        let tags: Vec<String> = meta
            .get("tags")
            .ok_or_else(|| bad("the metadata has no `tags`".into()))
            .and_then(|t| {
                serde_json::from_str(t)
                    .map_err(|e| bad(format!("metadata `tags` is not a list of strings: {e}")))
            })?;
        if tags.len() != N_TAGS {
            return Err(bad(format!(
                "metadata `tags` has {} names, expected {N_TAGS}",
                tags.len()
            )));
        }
        Ok(Self {
            tensors,
            tags,
            model_name: meta.get("model").cloned(),
        })
    }

    /// A checked tensor (every name of [`expected_tensors`] is present after [`Weights::parse`]).
    pub(super) fn get(&self, name: &str) -> &[f32] {
        self.tensors
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_else(|| unreachable!("musicnn tensor `{name}` was checked at load time"))
    }

    /// The batch norm `prefix.{gamma,beta,moving_mean,moving_variance}`.
    pub(super) fn batch_norm(&self, prefix: &str) -> BatchNorm {
        let [gamma, beta, mean, var] = BN_PARTS.map(|p| self.get(&format!("{prefix}.{p}")));
        let (scale, shift) = (0..gamma.len())
            .map(|c| {
                let inv = gamma[c] / (var[c] + BN_EPSILON).sqrt();
                (inv, (mean[c], beta[c]))
            })
            .unzip();
        BatchNorm { scale, shift }
    }
}

/// TensorFlow's batch-norm epsilon, the same in every musicnn layer.
pub(super) const BN_EPSILON: f32 = 1e-3;

/// Inference batch norm as TensorFlow computes it: `(x - mean) * (gamma / sqrt(var + eps)) + beta`.
#[derive(Debug, Clone)]
pub(super) struct BatchNorm {
    scale: Vec<f32>,
    /// `(moving_mean, beta)` per channel.
    shift: Vec<(f32, f32)>,
}

impl BatchNorm {
    /// Channel `c` of `x`.
    #[inline]
    pub(super) fn apply(&self, c: usize, x: f32) -> f32 {
        let (mean, beta) = self.shift[c];
        (x - mean) * self.scale[c] + beta
    }

    /// The scale `gamma / sqrt(var + eps)` of channel `c`.
    pub(super) fn scale(&self, c: usize) -> f32 {
        self.scale[c]
    }

    pub(super) fn len(&self) -> usize {
        self.scale.len()
    }
}
