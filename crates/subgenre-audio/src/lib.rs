//! Audio loading with `librosa.load`'s meaning: decode MP3, WAV, FLAC, OGG Vorbis and AAC (MP4),
//! mix to mono by averaging the channels, trim MP3 encoder delay and padding, cut an optional
//! `offset`/`duration` window, and resample to a target rate (22 050 Hz by default).
//!
//! ```no_run
//! let audio = subgenre_audio::load("clip.mp3", &subgenre_audio::LoadOptions::default())?;
//! assert_eq!(audio.sample_rate, 22050);
//! # Ok::<(), subgenre_audio::AudioError>(())
//! ```

mod decode;
mod encode;
mod error;
mod probe;
mod resample;
pub mod walk;

use std::ops::ControlFlow;
use std::path::Path;

pub use decode::{decode, decode_bytes, Decoded, StreamInfo};
pub use encode::{write_clip, ClipFormat};
pub use error::{AudioError, Result};
pub use probe::{probe, probe_all, probe_paths, FileInfo, Probed};
pub use resample::{resample, StreamResampler};

/// librosa's default sample rate.
pub const DEFAULT_SAMPLE_RATE: u32 = 22050;

/// File extensions the loader recognises; [`walk::audio_files`] looks for them in folders.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "mp3", "wav", "wave", "flac", "ogg", "oga", "m4a", "mp4", "aac",
];

/// Options of [`load`], named and defaulted as `librosa.load`'s.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// Target sample rate; `None` keeps the file's own (librosa's `sr=None`).
    pub sr: Option<u32>,
    /// Seconds to skip from the start.
    pub offset: f64,
    /// Seconds to keep; `None` keeps everything after `offset`. A shorter file gives fewer
    /// samples, as in librosa.
    pub duration: Option<f64>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            sr: Some(DEFAULT_SAMPLE_RATE),
            offset: 0.0,
            duration: None,
        }
    }
}

impl LoadOptions {
    pub fn sr(mut self, sr: Option<u32>) -> Self {
        self.sr = sr;
        self
    }
    pub fn offset(mut self, seconds: f64) -> Self {
        self.offset = seconds;
        self
    }
    pub fn duration(mut self, seconds: Option<f64>) -> Self {
        self.duration = seconds;
        self
    }

    fn check(&self) -> Result<()> {
        let bad = |name, value: f64, reason| AudioError::InvalidOption {
            name,
            value: value.to_string(),
            reason,
        };
        if !self.offset.is_finite() || self.offset < 0.0 {
            return Err(bad("offset", self.offset, "must be a finite number >= 0"));
        }
        if let Some(d) = self.duration {
            if !d.is_finite() || d <= 0.0 {
                return Err(bad("duration", d, "must be a finite number > 0"));
            }
        }
        if self.sr == Some(0) {
            return Err(bad("sr", 0.0, "must be positive"));
        }
        Ok(())
    }
}

/// Mono samples at `sample_rate`.
#[derive(Debug, Clone)]
pub struct Audio {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    /// What the file was before mixing and resampling.
    pub source: StreamInfo,
}

impl Audio {
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }
}

/// Load `path` as `librosa.load(path, sr, mono=True, offset, duration)` does.
///
/// The window is cut at the native rate (`int(offset * sr_native)` frames skipped,
/// `int(duration * sr_native)` kept), then resampled to `ceil(n * sr / sr_native)` samples.
pub fn load(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Audio> {
    let decoded = decode_window(path.as_ref(), options, false)?;
    resampled(decoded, options)
}

/// What [`stream`] read.
#[derive(Debug, Clone, PartialEq)]
pub struct Streamed {
    /// What the file was before mixing and resampling.
    pub source: StreamInfo,
    pub sample_rate: u32,
    /// Samples handed out.
    pub samples: u64,
}

/// [`load`]'s samples handed to `on_samples` in pieces as the file is decoded and resampled,
/// never all in memory: the same samples in the same order, for files of any length.
/// `on_samples` returns `Break` to stop early (the rest of the file is then not read).
pub fn stream(
    path: impl AsRef<Path>,
    options: &LoadOptions,
    mut on_samples: impl FnMut(&[f32]) -> ControlFlow<()>,
) -> Result<Streamed> {
    let path = path.as_ref();
    let range = frame_range(path, options, false)?;
    let mut resampler: Option<StreamResampler> = None;
    let mut failure = None;
    let mut handed = 0u64;
    let mut stopped = false;
    let mut emit = |s: &[f32]| {
        handed += s.len() as u64;
        on_samples(s)
    };
    let end = decode::decode_range_into(path, range, &mut |info, chunk| {
        let resampler = match &mut resampler {
            Some(r) => r,
            None => {
                let to = options.sr.unwrap_or(info.sample_rate);
                match StreamResampler::new(info.sample_rate, to) {
                    Ok(r) => resampler.insert(r),
                    Err(e) => {
                        failure = Some(e);
                        return ControlFlow::Break(());
                    }
                }
            }
        };
        match resampler.push(chunk, &mut emit) {
            Ok(ControlFlow::Continue(())) => ControlFlow::Continue(()),
            Ok(ControlFlow::Break(())) => {
                stopped = true;
                ControlFlow::Break(())
            }
            Err(e) => {
                failure = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    if let (Some(resampler), false) = (resampler, stopped) {
        let _ = resampler.finish(&mut emit)?;
    }
    Ok(Streamed {
        sample_rate: options.sr.unwrap_or(end.info.sample_rate),
        source: end.info,
        samples: handed,
    })
}

/// Every channel of a file at `sample_rate`, as `librosa.load(path, mono=False)` gives them.
#[derive(Debug, Clone)]
pub struct MultiChannelAudio {
    /// One signal per channel, all of the same length.
    pub channels: Vec<Vec<f32>>,
    pub sample_rate: u32,
    pub source: StreamInfo,
}

/// [`load`] without the mix to mono (`librosa.load(path, mono=False)`): each channel is cut
/// and resampled the same way.
pub fn load_channels(path: impl AsRef<Path>, options: &LoadOptions) -> Result<MultiChannelAudio> {
    let decoded = decode_window(path.as_ref(), options, true)?;
    let n = decoded.info.channels.max(1);
    let target = options.sr.unwrap_or(decoded.info.sample_rate);
    let channels = (0..n)
        .map(|c| {
            let one: Vec<f32> = decoded.samples.iter().skip(c).step_by(n).copied().collect();
            resample(&one, decoded.info.sample_rate, target)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(MultiChannelAudio {
        channels,
        sample_rate: target,
        source: decoded.info,
    })
}

/// The frames `options` asks for, at the native rate: mixed to mono, or interleaved.
fn decode_window(path: &Path, options: &LoadOptions, keep_channels: bool) -> Result<Decoded> {
    decode::decode_range(path, frame_range(path, options, keep_channels)?)
}

/// The native-rate frames `options` asks for (its options checked).
fn frame_range(
    path: &Path,
    options: &LoadOptions,
    keep_channels: bool,
) -> Result<decode::FrameRange> {
    options.check()?;
    if options.offset == 0.0 && options.duration.is_none() {
        return Ok(decode::FrameRange {
            keep_channels,
            ..Default::default()
        });
    }
    // The native rate is only known once the file is open: probe cheaply by decoding
    // nothing, then decode the window.
    let sr_native = native_rate(path)?;
    Ok(decode::FrameRange {
        start: (options.offset * f64::from(sr_native)) as u64,
        len: options.duration.map(|d| (d * f64::from(sr_native)) as u64),
        keep_channels,
    })
}

/// `decoded` at the rate `options` asks for.
fn resampled(decoded: Decoded, options: &LoadOptions) -> Result<Audio> {
    let sr_native = decoded.info.sample_rate;
    let target = options.sr.unwrap_or(sr_native);
    let samples = resample(&decoded.samples, sr_native, target)?;
    Ok(Audio {
        samples,
        sample_rate: target,
        source: decoded.info,
    })
}

/// [`load`] for a file held in memory (`name` stands for it in errors; its extension hints at
/// the format). The whole stream is decoded, then cut to `offset`/`duration` at the native rate
/// exactly as [`load`] cuts it.
pub fn load_bytes(bytes: Vec<u8>, name: impl AsRef<Path>, options: &LoadOptions) -> Result<Audio> {
    options.check()?;
    let name = name.as_ref();
    let mut decoded = decode::decode_bytes(bytes, name)?;
    let sr_native = decoded.info.sample_rate;
    let start = (options.offset * f64::from(sr_native)) as usize;
    if start > 0 && start >= decoded.samples.len() {
        return Err(AudioError::OffsetPastEnd {
            path: name.to_owned(),
            offset_s: options.offset,
            length_s: decoded.samples.len() as f64 / f64::from(sr_native),
        });
    }
    let end = options
        .duration
        .map_or(decoded.samples.len(), |d| {
            start.saturating_add((d * f64::from(sr_native)) as usize)
        })
        .min(decoded.samples.len());
    decoded.samples.truncate(end);
    decoded.samples.drain(..start);
    resampled(decoded, options)
}

/// The file's native sample rate, found by decoding its first packet.
fn native_rate(path: &Path) -> Result<u32> {
    let head = decode::decode_range(
        path,
        decode::FrameRange {
            start: 0,
            len: Some(1),
            keep_channels: false,
        },
    )?;
    Ok(head.info.sample_rate)
}
