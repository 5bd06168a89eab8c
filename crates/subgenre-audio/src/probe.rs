//! What audio files are (`subgenre info`): container, codec, rate, channels and length, found
//! by decoding each file to its end.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Serialize, Serializer};

use crate::walk::{walk_audio, Skipped};
use crate::{decode, Result, DEFAULT_SAMPLE_RATE};

/// One audio file as [`probe`] found it. Serialises as the JSON object `subgenre info --json`
/// prints: `{path, container, codec, sample_rate, channels, duration_s, samples_22050}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileInfo {
    #[serde(serialize_with = "display_path")]
    pub path: PathBuf,
    /// Container format, e.g. `mp3`, `wave`, `flac`, `ogg`, `isomp4`.
    pub container: &'static str,
    /// Codec, e.g. `mp3`, `pcm_s16le`, `flac`, `vorbis`, `aac`.
    pub codec: &'static str,
    /// The file's own sample rate in Hz.
    pub sample_rate: u32,
    pub channels: usize,
    /// Length in seconds at the file's own rate.
    pub duration_s: f64,
    /// Samples `load` gives at 22 050 Hz: the resampler's length, ceil(n * 22050 / sr).
    pub samples_22050: u64,
}

fn display_path<S: Serializer>(path: &Path, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&path.display())
}

/// Decode `path` to its end and say what it is.
pub fn probe(path: &Path) -> Result<FileInfo> {
    let decoded = decode(path)?;
    let frames = decoded.total_frames.unwrap_or(decoded.samples.len() as u64);
    let sr = u64::from(decoded.info.sample_rate);
    Ok(FileInfo {
        path: path.to_path_buf(),
        container: decoded.info.container,
        codec: decoded.info.codec,
        sample_rate: decoded.info.sample_rate,
        channels: decoded.info.channels,
        duration_s: frames as f64 / sr as f64,
        samples_22050: (frames * u64::from(DEFAULT_SAMPLE_RATE)).div_ceil(sr),
    })
}

/// What [`probe_paths`] found: each file with its [`probe`], in walk order, and what the walk
/// skipped.
#[derive(Debug)]
pub struct Probed {
    pub results: Vec<(PathBuf, Result<FileInfo>)>,
    pub skipped: Vec<Skipped>,
}

/// The audio files under `paths` (see [`crate::walk`]), each probed, several at once on the
/// current rayon pool.
pub fn probe_paths(paths: &[PathBuf]) -> Probed {
    let walked = walk_audio(paths);
    let found = probe_all(&walked.files);
    Probed {
        results: walked.files.into_iter().zip(found).collect(),
        skipped: walked.skipped,
    }
}

/// [`probe`] of each file, several at once on the current rayon pool, in the order given.
pub fn probe_all(paths: &[PathBuf]) -> Vec<Result<FileInfo>> {
    paths.par_iter().map(|p| probe(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wav_is_probed_and_a_missing_file_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let wav = dir.path().join("tone.wav");
        let samples: Vec<f32> = (0..44_100).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
        crate::write_clip(&wav, &samples, 44_100, crate::ClipFormat::Wav).expect("write");
        let missing = dir.path().join("gone.wav");
        let found = probe_all(&[wav.clone(), missing.clone()]);
        let info = found[0].as_ref().expect("probed");
        assert_eq!((info.sample_rate, info.channels), (44_100, 1));
        assert!((info.duration_s - 1.0).abs() < 1e-9, "{}", info.duration_s);
        assert_eq!(info.samples_22050, 22_050);
        let json = serde_json::to_value(info).expect("json");
        assert_eq!(json["path"], wav.display().to_string());
        assert_eq!(json["samples_22050"], 22_050);
        let err = found[1].as_ref().expect_err("missing");
        assert!(err.to_string().contains("gone.wav"), "{err}");
    }
}
