//! Test-only helpers shared by the workspace's crates (use as a dev-dependency).
//!
//! - [`fixtures_dir`]: the repository's `fixtures/` folder;
//! - [`read_npy`]: little-endian `<f4` / `<f2` / `<f8` C-order `.npy` arrays (format v1–v3) as f32;
//! - [`read_wav_i16`]: 16-bit PCM WAV as `i16 / 32768` f32 samples (what `soundfile.read(dtype=
//!   'float32')` returns);
//! - [`hardtechno_dir`]: the shared data set at `../shared/data/hardtechno`, if present.

use std::fs;
use std::path::{Path, PathBuf};

/// What can go wrong reading a fixture.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not in a supported format.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// `Result` with [`FixtureError`].
pub type Result<T> = std::result::Result<T, FixtureError>;

/// The repository root (two levels above this crate's manifest: `crates/subgenre-fixtures`).
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .nth(2)
        .map_or_else(|| here.to_path_buf(), Path::to_path_buf)
}

/// The repository's `fixtures/` folder.
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("fixtures")
}

/// `../shared/data/hardtechno` next to the repository, if it exists (tests print
/// "skipped: ../shared/data/hardtechno not found" and return when it is `None`).
pub fn hardtechno_dir() -> Option<PathBuf> {
    let dir = repo_root()
        .join("..")
        .join("shared")
        .join("data")
        .join("hardtechno");
    dir.is_dir().then_some(dir)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|source| FixtureError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn format_err(path: &Path, reason: impl Into<String>) -> FixtureError {
    FixtureError::Format {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads a `.npy` array as `(shape, values in C order)`. Supports `<f4`, `<f2` (converted to f32)
/// and `<f8` (rounded to f32), C order, format versions 1, 2 and 3.
pub fn read_npy(path: impl AsRef<Path>) -> Result<(Vec<usize>, Vec<f32>)> {
    let path = path.as_ref();
    let bytes = read(path)?;
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(format_err(path, "not a .npy file"));
    }
    let (header_len, header_start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(format_err(path, "truncated header"));
            }
            let n = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (n as usize, 12)
        }
        v => return Err(format_err(path, format!("unsupported .npy version {v}"))),
    };
    let data_start = header_start + header_len;
    let header = bytes
        .get(header_start..data_start)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| format_err(path, "bad header"))?;
    let descr = dict_value(header, "descr").ok_or_else(|| format_err(path, "no descr"))?;
    let fortran =
        dict_value(header, "fortran_order").ok_or_else(|| format_err(path, "no fortran_order"))?;
    if fortran.trim() != "False" {
        return Err(format_err(path, "Fortran-order arrays are not supported"));
    }
    let shape_txt = dict_value(header, "shape").ok_or_else(|| format_err(path, "no shape"))?;
    let shape = shape_txt
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| format_err(path, format!("bad shape {shape_txt}: {e}")))?;
    let count: usize = shape.iter().product();
    let data = &bytes[data_start.min(bytes.len())..];
    let descr = descr.trim().trim_matches(|c| c == '\'' || c == '"');
    let size = match descr {
        "<f4" => 4,
        "<f2" => 2,
        "<f8" => 8,
        other => return Err(format_err(path, format!("unsupported dtype {other}"))),
    };
    if data.len() < count * size {
        return Err(format_err(
            path,
            format!("{} data bytes, expected {}", data.len(), count * size),
        ));
    }
    let values = data[..count * size]
        .chunks_exact(size)
        .map(|c| match size {
            4 => f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
            2 => f16_to_f32(u16::from_le_bytes([c[0], c[1]])),
            _ => f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32,
        })
        .collect();
    Ok((shape, values))
}

/// The text after `'key':` in a numpy header dict, up to the next top-level comma.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("'{key}':");
    let start = header.find(&pat)? + pat.len();
    let rest = &header[start..];
    let mut depth = 0i32;
    for (i, ch) in rest.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' | '}' if depth == 0 => return Some(&rest[..i]),
            _ => {}
        }
    }
    Some(rest)
}

/// IEEE 754 half precision to single precision (exact).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = (h >> 10) & 0x1f;
    let mant = u32::from(h & 0x3ff);
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: normalise.
            let mut e = -14i32;
            let mut m = m;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | (((e + 127) as u32) << 23) | ((m & 0x3ff) << 13)
        }
        (0x1f, 0) => sign | 0x7f80_0000,
        (0x1f, m) => sign | 0x7fc0_0000 | (m << 13),
        (e, m) => sign | ((u32::from(e) + 112) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// Reads a 16-bit PCM WAV: `(sample rate, samples)`, samples as `i16 / 32768.0` (channels are
/// interleaved as stored).
pub fn read_wav_i16(path: impl AsRef<Path>) -> Result<(u32, Vec<f32>)> {
    let path = path.as_ref();
    let bytes = read(path)?;
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(format_err(path, "not a RIFF/WAVE file"));
    }
    let mut pos = 12;
    let mut sr = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]) as usize;
        let body = bytes
            .get(pos + 8..pos + 8 + len)
            .ok_or_else(|| format_err(path, "truncated chunk"))?;
        match id {
            b"fmt " => {
                if body.len() < 16 {
                    return Err(format_err(path, "short fmt chunk"));
                }
                let format = u16::from_le_bytes([body[0], body[1]]);
                let bits = u16::from_le_bytes([body[14], body[15]]);
                // 1 = PCM, 0xFFFE = WAVE_FORMAT_EXTENSIBLE (PCM subformat assumed).
                if !(format == 1 || format == 0xfffe) || bits != 16 {
                    return Err(format_err(
                        path,
                        format!("not 16-bit PCM (format {format}, {bits} bits)"),
                    ));
                }
                sr = Some(u32::from_le_bytes([body[4], body[5], body[6], body[7]]));
            }
            b"data" => {
                let sr = sr.ok_or_else(|| format_err(path, "data before fmt"))?;
                let samples = body
                    .chunks_exact(2)
                    .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0)
                    .collect();
                return Ok((sr, samples));
            }
            _ => {}
        }
        pos += 8 + len + (len & 1);
    }
    Err(format_err(path, "no data chunk"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert!(f16_to_f32(0x7c00).is_infinite());
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0x8000).to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn header_values() {
        let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (37, 173), }";
        assert_eq!(dict_value(h, "descr"), Some(" '<f4'"));
        assert_eq!(dict_value(h, "shape"), Some(" (37, 173)"));
        assert_eq!(dict_value(h, "fortran_order"), Some(" False"));
    }

    #[test]
    fn reads_committed_fixtures() -> Result<()> {
        let dir = fixtures_dir().join("librosa");
        let wav = dir.join("synthetic").join("silence.wav");
        if !wav.exists() {
            eprintln!("skipped: {} not found", wav.display());
            return Ok(());
        }
        let (sr, y) = read_wav_i16(&wav)?;
        assert_eq!((sr, y.len()), (22050, 22050));
        let (shape, v) = read_npy(dir.join("synthetic").join("silence.frames.npy"))?;
        assert_eq!(shape, vec![37, 44]);
        assert_eq!(v.len(), 37 * 44);
        Ok(())
    }
}
