//! A small reader and writer of safetensors files (8 bytes: the little-endian length `N` of a
//! JSON header; `N` bytes of header, `{"__metadata__": {str: str}, name: {"dtype", "shape",
//! "data_offsets": [begin, end]}}`; then the data, offsets relative to its start). Our own
//! rather than the `safetensors` crate, whose features would change how burn's dependencies
//! build.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// A file that is no safetensors file, or one of its tensors is inconsistent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TensorFileError {
    /// The header is missing, too long, or not the expected JSON.
    #[error("not a safetensors file: {0}")]
    Format(String),
    /// A tensor whose type, offsets or shape do not fit.
    #[error("tensor `{tensor}`: {reason}")]
    BadTensor { tensor: String, reason: String },
}

/// One tensor: its type name as safetensors spells it (`F32`, `I64`, ...), shape and bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTensor<'a> {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<usize>,
    pub data: &'a [u8],
}

/// The bytes per element of a safetensors type name, `None` for an unknown one.
fn element_size(dtype: &str) -> Option<usize> {
    Some(match dtype {
        "F64" | "I64" | "U64" => 8,
        "F32" | "I32" | "U32" => 4,
        "F16" | "BF16" | "I16" | "U16" => 2,
        "I8" | "U8" | "BOOL" | "F8_E4M3" | "F8_E5M2" => 1,
        _ => return None,
    })
}

impl RawTensor<'_> {
    fn bad(&self, reason: String) -> TensorFileError {
        TensorFileError::BadTensor {
            tensor: self.name.clone(),
            reason,
        }
    }

    /// The values of an `F32` tensor (an error naming the tensor for any other type).
    pub fn to_f32(&self) -> Result<Vec<f32>, TensorFileError> {
        if self.dtype != "F32" {
            return Err(self.bad(format!("is {}, expected F32", self.dtype)));
        }
        Ok(self
            .data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    /// The values of an `I64` tensor (an error naming the tensor for any other type).
    pub fn to_i64(&self) -> Result<Vec<i64>, TensorFileError> {
        if self.dtype != "I64" {
            return Err(self.bad(format!("is {}, expected I64", self.dtype)));
        }
        Ok(self
            .data
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .collect())
    }
}

/// A parsed safetensors buffer: its metadata and its tensors, in file order.
#[derive(Debug, Clone)]
pub struct TensorFile<'a> {
    metadata: HashMap<String, String>,
    tensors: Vec<RawTensor<'a>>,
}

#[derive(Deserialize, Serialize)]
struct HeaderEntry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [usize; 2],
}

const METADATA_KEY: &str = "__metadata__";

impl<'a> TensorFile<'a> {
    /// Parses `bytes`, checking every tensor's type, offsets and byte length.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, TensorFileError> {
        let format = |m: String| TensorFileError::Format(m);
        let (len_bytes, rest) = bytes
            .split_first_chunk::<8>()
            .ok_or_else(|| format("shorter than its 8-byte header length".into()))?;
        let header_len = usize::try_from(u64::from_le_bytes(*len_bytes))
            .ok()
            .filter(|&n| n <= rest.len())
            .ok_or_else(|| format("the header length exceeds the file".into()))?;
        let (header, data) = rest.split_at(header_len);
        let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(header)
            .map_err(|e| format(format!("the header is not a JSON object: {e}")))?;
        let mut metadata = HashMap::new();
        let mut tensors = Vec::new();
        for (name, value) in header {
            if name == METADATA_KEY {
                metadata = serde_json::from_value(value).map_err(|e| {
                    format(format!("`{METADATA_KEY}` is not string to string: {e}"))
                })?;
                continue;
            }
            let bad = |reason: String| TensorFileError::BadTensor {
                tensor: name.clone(),
                reason,
            };
            let entry: HeaderEntry =
                serde_json::from_value(value).map_err(|e| bad(format!("header entry: {e}")))?;
            let size = element_size(&entry.dtype)
                .ok_or_else(|| bad(format!("unknown dtype `{}`", entry.dtype)))?;
            let [begin, end] = entry.data_offsets;
            if begin > end || end > data.len() {
                return Err(bad(format!(
                    "data offsets [{begin}, {end}] outside the {} data bytes",
                    data.len()
                )));
            }
            let expected = entry
                .shape
                .iter()
                .try_fold(size, |acc, &d| acc.checked_mul(d));
            if expected != Some(end - begin) {
                return Err(bad(format!(
                    "{} {:?} needs {} bytes, the offsets give {}",
                    entry.dtype,
                    entry.shape,
                    expected.map_or("too many".to_string(), |n| n.to_string()),
                    end - begin
                )));
            }
            tensors.push((
                begin,
                RawTensor {
                    name,
                    dtype: entry.dtype,
                    shape: entry.shape,
                    data: &data[begin..end],
                },
            ));
        }
        tensors.sort_by_key(|(begin, _)| *begin);
        Ok(Self {
            metadata,
            tensors: tensors.into_iter().map(|(_, t)| t).collect(),
        })
    }

    /// The `__metadata__` strings.
    pub fn metadata(&self) -> &HashMap<String, String> {
        &self.metadata
    }

    /// Every tensor, in the order of its data.
    pub fn tensors(&self) -> &[RawTensor<'a>] {
        &self.tensors
    }

    /// The tensor `name`, if present.
    pub fn get(&self, name: &str) -> Option<&RawTensor<'a>> {
        self.tensors.iter().find(|t| t.name == name)
    }
}

/// A safetensors buffer of `tensors` (data in this order) and `metadata`.
pub fn write_tensor_file(tensors: &[RawTensor<'_>], metadata: &HashMap<String, String>) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        let sorted: BTreeMap<_, _> = metadata.iter().collect();
        header.insert(
            METADATA_KEY.into(),
            serde_json::to_value(sorted).unwrap_or_default(),
        );
    }
    let mut offset = 0;
    for t in tensors {
        let entry = HeaderEntry {
            dtype: t.dtype.clone(),
            shape: t.shape.clone(),
            data_offsets: [offset, offset + t.data.len()],
        };
        offset += t.data.len();
        header.insert(
            t.name.clone(),
            serde_json::to_value(entry).unwrap_or_default(),
        );
    }
    let mut json = serde_json::Value::Object(header).to_string().into_bytes();
    // The format pads the header with spaces to a multiple of 8 bytes.
    json.resize(json.len().div_ceil(8) * 8, b' ');
    let mut out = Vec::with_capacity(8 + json.len() + offset);
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    for t in tensors {
        out.extend_from_slice(t.data);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_tensor(entry: &str, data: &[u8]) -> Vec<u8> {
        let header = format!(r#"{{"__metadata__":{{"k":"v"}},"w":{entry}}}"#);
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn reads_and_writes_back() {
        let data: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let bytes = one_tensor(
            r#"{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]}"#,
            &data,
        );
        let file = TensorFile::parse(&bytes).expect("parse");
        assert_eq!(file.metadata()["k"], "v");
        let w = file.get("w").expect("w");
        assert_eq!(w.shape, [2, 1]);
        assert_eq!(w.to_f32().expect("f32"), [1.5, -2.0]);
        assert!(w.to_i64().is_err());
        let again = write_tensor_file(file.tensors(), file.metadata());
        assert_eq!(again.len() % 8, 0);
        let reread = TensorFile::parse(&again).expect("reparse");
        assert_eq!(reread.tensors(), file.tensors());
        assert_eq!(reread.metadata(), file.metadata());
    }

    #[test]
    fn errors_name_the_tensor() {
        let data = [0u8; 8];
        for (entry, needle) in [
            (
                r#"{"dtype":"X9","shape":[2],"data_offsets":[0,8]}"#,
                "dtype",
            ),
            (
                r#"{"dtype":"F32","shape":[2],"data_offsets":[0,16]}"#,
                "outside",
            ),
            (
                r#"{"dtype":"F32","shape":[3],"data_offsets":[0,8]}"#,
                "needs 12 bytes",
            ),
            (r#"{"dtype":"F32","shape":[2]}"#, "header entry"),
        ] {
            match TensorFile::parse(&one_tensor(entry, &data)) {
                Err(e @ TensorFileError::BadTensor { .. }) => {
                    let msg = e.to_string();
                    assert!(msg.contains("`w`") && msg.contains(needle), "{msg}");
                }
                other => panic!("{entry}: {other:?}"),
            }
        }
        for bytes in [&b"short"[..], &[255u8; 16][..], &one_tensor("", &[])[..]] {
            assert!(matches!(
                TensorFile::parse(bytes),
                Err(TensorFileError::Format(_))
            ));
        }
    }
}
