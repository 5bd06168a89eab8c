//! The mel store: every clip's dB mel matrix of one variant in one file, which training reads
//! instead of recomputing. Layout: `SGMELS01`, a little-endian u64 header length, a JSON header
//! (variant, shape, sample ids, version), then `count x n_mels x n_frames` little-endian f16
//! values (dB in [-80, 0]: f16 keeps them to 0.03 dB, half the size of f32).

use std::io::{Read, Write};
use std::path::Path;

use half::f16;
use ndarray::Array2;

use crate::error::{ExtractError, Result};
use crate::mel::MelVariant;

const MAGIC: &[u8; 8] = b"SGMELS01";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoreHeader {
    pub variant: MelVariant,
    pub n_mels: usize,
    pub n_frames: usize,
    pub ids: Vec<String>,
    /// subgenre version that wrote the store.
    pub version: String,
}

#[derive(Debug, Clone)]
pub struct MelStore {
    pub header: StoreHeader,
    data: Vec<f16>,
}

impl MelStore {
    /// An empty store for matrices of `n_mels x n_frames`.
    pub fn new(variant: MelVariant, n_mels: usize, n_frames: usize) -> Self {
        Self {
            header: StoreHeader {
                variant,
                n_mels,
                n_frames,
                ids: Vec::new(),
                version: subgenre_core::version_string(),
            },
            data: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.header.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.header.ids.is_empty()
    }
    pub fn ids(&self) -> &[String] {
        &self.header.ids
    }
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.header.ids.iter().position(|i| i == id)
    }

    /// Add a clip; a matrix with another frame count is cut or padded (with its minimum) to
    /// the store's; returns whether it had to be.
    pub fn push(&mut self, id: String, s_db: &Array2<f32>) -> bool {
        let (n_mels, n_frames) = (self.header.n_mels, self.header.n_frames);
        let fill = s_db.iter().copied().fold(f32::INFINITY, f32::min);
        let fill = if fill.is_finite() { fill } else { 0.0 };
        let (rows, cols) = s_db.dim();
        for m in 0..n_mels {
            for t in 0..n_frames {
                let v = if m < rows && t < cols {
                    s_db[[m, t]]
                } else {
                    fill
                };
                self.data.push(f16::from_f32(v));
            }
        }
        self.header.ids.push(id);
        rows != n_mels || cols != n_frames
    }

    /// Clip `i`'s dB matrix.
    pub fn get(&self, i: usize) -> Array2<f32> {
        let size = self.header.n_mels * self.header.n_frames;
        let cells = &self.data[i * size..(i + 1) * size];
        Array2::from_shape_fn((self.header.n_mels, self.header.n_frames), |(m, t)| {
            cells[m * self.header.n_frames + t].to_f32()
        })
    }

    /// Write atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let header = serde_json::to_vec(&self.header).map_err(|e| ExtractError::BadStore {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        subgenre_core::write_atomic_with(path, |w| -> std::io::Result<()> {
            w.write_all(MAGIC)?;
            w.write_all(&(header.len() as u64).to_le_bytes())?;
            w.write_all(&header)?;
            let mut buf = Vec::with_capacity(self.data.len() * 2);
            for v in &self.data {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            w.write_all(&buf)
        })
        .map_err(|source| ExtractError::Io {
            path: path.to_owned(),
            source,
        })
    }

    pub fn load(path: &Path) -> Result<Self> {
        let bad = |reason: String| ExtractError::BadStore {
            path: path.to_owned(),
            reason,
        };
        let mut file = std::fs::File::open(path).map_err(|source| ExtractError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|source| ExtractError::Io {
                path: path.to_owned(),
                source,
            })?;
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(bad("wrong magic".into()));
        }
        let mut len8 = [0u8; 8];
        len8.copy_from_slice(&bytes[8..16]);
        let header_len = u64::from_le_bytes(len8) as usize;
        let body = 16usize
            .checked_add(header_len)
            .filter(|&b| b <= bytes.len())
            .ok_or_else(|| bad("truncated header".into()))?;
        let header: StoreHeader =
            serde_json::from_slice(&bytes[16..body]).map_err(|e| bad(e.to_string()))?;
        let cells = header.ids.len() * header.n_mels * header.n_frames;
        if bytes.len() - body != cells * 2 {
            return Err(bad(format!(
                "expected {cells} values, found {} bytes",
                bytes.len() - body
            )));
        }
        let data = bytes[body..]
            .chunks_exact(2)
            .map(|c| f16::from_le_bytes([c[0], c[1]]))
            .collect();
        Ok(Self { header, data })
    }
}

/// Compute the dB mel matrix of every clip (in parallel on the current rayon pool) into a store.
/// Returns the store (clips in input order, failed ones left out) and the failures as
/// (id, reason). `on_done` is called once per clip.
pub fn build_store(
    clips: &[(String, std::path::PathBuf)],
    variant: MelVariant,
    on_done: &(dyn Fn() + Sync),
) -> Result<(MelStore, Vec<(String, String)>)> {
    use rayon::prelude::*;
    let n_frames = 1 + crate::mel::CLIP_SAMPLES / crate::mel::HOP_LENGTH;
    let probe = variant.spectrogram()?;
    let n_mels = probe.filterbank().n_mels();
    // Each clip goes to f16 as soon as it is computed, so the f32 matrices of the whole set
    // are never held at once (they would be twice the store's size).
    let results: Vec<std::result::Result<MelStore, String>> = clips
        .par_iter()
        .map_init(
            || variant.spectrogram(),
            |spec, (id, path)| {
                let r = (|| {
                    let spec = spec.as_mut().map_err(|e| e.to_string())?;
                    let audio = subgenre_audio::load(path, &subgenre_audio::LoadOptions::default())
                        .map_err(|e| e.to_string())?;
                    let s_db = crate::mel::db_mel(spec, &audio.samples)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let mut one = MelStore::new(variant, n_mels, n_frames);
                    one.push(id.clone(), &s_db);
                    Ok(one)
                })();
                on_done();
                r
            },
        )
        .collect();
    let mut store = MelStore::new(variant, n_mels, n_frames);
    let mut failures = Vec::new();
    for ((id, _), r) in clips.iter().zip(results) {
        match r {
            Ok(one) => {
                store.header.ids.extend(one.header.ids);
                store.data.extend(one.data);
            }
            Err(reason) => failures.push((id.clone(), reason)),
        }
    }
    Ok((store, failures))
}

/// Write 8-bit grey pixels as a PNG, atomically.
pub fn write_gray_png(path: &Path, width: usize, height: usize, pixels: &[u8]) -> Result<()> {
    let io = |source: std::io::Error| ExtractError::Io {
        path: path.to_owned(),
        source,
    };
    subgenre_core::write_atomic_with(path, |w| -> std::io::Result<()> {
        let mut enc = png::Encoder::new(w, width as u32, height as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(std::io::Error::other)?;
        writer
            .write_image_data(pixels)
            .map_err(std::io::Error::other)?;
        writer.finish().map_err(std::io::Error::other)
    })
    .map_err(io)
}

/// A data set's mel store as [`cached_store`] found or made it.
#[derive(Debug)]
pub struct CachedStore {
    pub store: MelStore,
    /// Where it is cached.
    pub path: std::path::PathBuf,
    /// Clips that could not be analysed: (sample id, reason). A store with failures is not
    /// cached, so that the next call retries them.
    pub failures: Vec<(String, String)>,
    /// Whether it was loaded from the cache rather than computed.
    pub from_cache: bool,
}

/// The mel store of `selection`'s clips for `variant`: loaded from `cache` when an entry with
/// the same inputs (clip ids, file sizes and times, variant, program version) is there, else
/// computed on the current rayon pool (`on_done` after each clip) and cached.
pub fn cached_store(
    selection: &subgenre_dataset::Selection,
    variant: MelVariant,
    cache: &subgenre_dataset::Cache,
    on_done: &(dyn Fn() + Sync),
) -> Result<CachedStore> {
    use subgenre_dataset::CacheKey;
    let key = selection.items.iter().fold(
        CacheKey::new()
            .str("mels")
            .str(variant.name())
            .str(subgenre_core::VERSION),
        |k, item| k.str(&item.sample_id).file(&item.path),
    );
    let path = cache.entry("mels", &key, &format!("{}.melstore", variant.name()))?;
    if path.is_file() {
        if let Ok(store) = MelStore::load(&path) {
            return Ok(CachedStore {
                store,
                path,
                failures: Vec::new(),
                from_cache: true,
            });
        }
    }
    let clips: Vec<(String, std::path::PathBuf)> = selection
        .items
        .iter()
        .map(|i| (i.sample_id.clone(), i.path.clone()))
        .collect();
    let (store, failures) = build_store(&clips, variant, on_done)?;
    if store.is_empty() {
        return Err(ExtractError::BadStore {
            path,
            reason: format!(
                "no clip could be analysed ({} failed{})",
                failures.len(),
                failures
                    .first()
                    .map(|(id, r)| format!("; {id}: {r}"))
                    .unwrap_or_default()
            ),
        });
    }
    if failures.is_empty() {
        store.save(&path)?;
    }
    Ok(CachedStore {
        store,
        path,
        failures,
        from_cache: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_padding() {
        let mut store = MelStore::new(MelVariant::Low, 2, 3);
        let a = Array2::from_shape_vec((2, 3), vec![0.0, -10.0, -20.0, -30.0, -40.0, -80.0])
            .expect("shape");
        assert!(!store.push("a".into(), &a));
        let short = Array2::from_shape_vec((2, 2), vec![0.0, -1.0, -2.0, -3.0]).expect("shape");
        assert!(store.push("b".into(), &short));
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("low.melstore");
        store.save(&p).expect("save");
        let back = MelStore::load(&p).expect("load");
        assert_eq!(back.ids(), ["a", "b"]);
        assert_eq!(back.get(0), a);
        assert_eq!(back.get(1)[[1, 2]], -3.0);
        std::fs::write(&p, b"garbage").expect("write");
        assert!(MelStore::load(&p).is_err());
    }
}
