//! The study's mel-spectrograms and the model input made from them.
//!
//! Two variants: `normal` (n_fft 1024, hop 512, 128 mels, fmin 20, fmax 11 000; dB with
//! ref = max) and `low` (the same with fmax 2 000). The CNN input is drawn from the dB matrix by
//! one of two routes:
//! - **array** (canonical): m = (S_db - min) / (max - min), shown as 1 - m (loud = dark), row 0
//!   = the highest band, resized with OpenCV's INTER_AREA;
//! - **study-png**: the study's `specshow(S_db, y_axis='mel', cmap='gray_r')` figure, 300x300,
//!   rebuilt pixel for pixel without matplotlib (symlog frequency axis, nearest cells, 8-bit
//!   grey), then resized with INTER_AREA on 8 bits and divided by 255, as the study read it.

use ndarray::Array2;
use subgenre_dsp::{power_to_db_inplace, DbRef, MelParams, MelSpectrogram, AMIN, TOP_DB};

use crate::error::{ExtractError, Result};
use crate::image::{resize, resize_u8, Gray, Interpolation};

/// librosa's default rate, at which every clip is analysed.
pub const SAMPLE_RATE: u32 = 22050;
/// Samples in an 8 s clip at [`SAMPLE_RATE`].
pub const CLIP_SAMPLES: usize = 8 * SAMPLE_RATE as usize;
/// Frames per hop of the mel variants.
pub const HOP_LENGTH: usize = 512;
/// FFT size of the mel variants.
pub const N_FFT: usize = 1024;
/// Side of the study's PNG figures (3 inches at 100 dpi).
pub const STUDY_PNG_SIZE: usize = 300;

/// The study's two mel-spectrogram variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MelVariant {
    Normal,
    Low,
}

impl MelVariant {
    pub fn name(self) -> &'static str {
        match self {
            MelVariant::Normal => "normal",
            MelVariant::Low => "low",
        }
    }
    pub fn fmax(self) -> f64 {
        match self {
            MelVariant::Normal => 11_000.0,
            MelVariant::Low => 2_000.0,
        }
    }
    pub fn params(self) -> MelParams {
        MelParams::new(f64::from(SAMPLE_RATE))
            .n_fft(N_FFT)
            .hop_length(HOP_LENGTH)
            .n_mels(128)
            .fmin(20.0)
            .fmax(self.fmax())
    }
    /// A reusable mel computer for this variant (plans the FFT and filterbank once).
    pub fn spectrogram(self) -> Result<MelSpectrogram> {
        Ok(self.params().build()?)
    }
}

impl std::str::FromStr for MelVariant {
    type Err = ExtractError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "normal" => Ok(MelVariant::Normal),
            "low" => Ok(MelVariant::Low),
            other => Err(ExtractError::InvalidOption {
                name: "variant",
                value: other.to_string(),
                reason: "expected normal or low",
            }),
        }
    }
}

/// `power_to_db(melspectrogram(y), ref=np.max)` with the variant's parameters.
pub fn db_mel(spec: &mut MelSpectrogram, y: &[f32]) -> Result<Array2<f32>> {
    let mut s = spec.compute(y)?;
    power_to_db_inplace(&mut s, DbRef::Max, AMIN, TOP_DB)?;
    Ok(s)
}

/// Which picture of the dB matrix a model sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputRoute {
    /// Min-max scaled dB matrix, resized (the canonical input).
    Array,
    /// The study's PNG figure, rebuilt exactly, then resized on 8 bits.
    StudyPng,
}

impl InputRoute {
    pub fn name(self) -> &'static str {
        match self {
            InputRoute::Array => "array",
            InputRoute::StudyPng => "study-png",
        }
    }
}

impl std::fmt::Display for InputRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for InputRoute {
    type Err = ExtractError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "array" => Ok(InputRoute::Array),
            "study-png" => Ok(InputRoute::StudyPng),
            other => Err(ExtractError::InvalidOption {
                name: "route",
                value: other.to_string(),
                reason: "expected array or study-png",
            }),
        }
    }
}

impl std::fmt::Display for MelVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `1 - (S - min) / (max - min)` with row 0 the highest band. A constant matrix (digital
/// silence) has no range: it becomes all white (1.0), i.e. no energy anywhere.
pub fn canonical_image(s_db: &Array2<f32>) -> Gray {
    let (n_mels, n_frames) = s_db.dim();
    let (min, max) = min_max(s_db);
    let range = max - min;
    let mut data = Vec::with_capacity(n_mels * n_frames);
    for row in (0..n_mels).rev() {
        for t in 0..n_frames {
            let m = if range > 0.0 {
                (s_db[[row, t]] - min) / range
            } else {
                0.0
            };
            data.push(1.0 - m);
        }
    }
    Gray::new(n_frames, n_mels, data)
}

fn min_max(s: &Array2<f32>) -> (f32, f32) {
    s.iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// The model input: `size` x `size`, values in [0, 1], row-major, row 0 = highest band.
pub fn model_input(
    s_db: &Array2<f32>,
    variant: MelVariant,
    route: InputRoute,
    size: usize,
) -> Vec<f32> {
    match route {
        InputRoute::Array => resize(&canonical_image(s_db), size, size, Interpolation::Area).data,
        InputRoute::StudyPng => {
            let png = study_png_pixels(s_db, variant.fmax(), STUDY_PNG_SIZE);
            resize_u8(
                &png,
                STUDY_PNG_SIZE,
                STUDY_PNG_SIZE,
                size,
                size,
                Interpolation::Area,
            )
            .into_iter()
            .map(|p| f32::from(p) / 255.0)
            .collect()
        }
    }
}

/// matplotlib's symlog transform with base 2, linthresh 1000, linscale 1 (specshow's mel axis).
fn symlog(v: f64) -> f64 {
    const LINTHRESH: f64 = 1000.0;
    if v.abs() <= LINTHRESH {
        2.0 * v
    } else {
        v.signum() * LINTHRESH * (2.0 + (v.abs() / LINTHRESH).log2())
    }
}

/// Cell edges around centres, as matplotlib's pcolormesh 'nearest' shading draws them.
fn edges(centres: &[f64]) -> Vec<f64> {
    let n = centres.len();
    if n == 1 {
        return vec![centres[0] - 0.5, centres[0] + 0.5];
    }
    let mut e = Vec::with_capacity(n + 1);
    e.push(centres[0] - (centres[1] - centres[0]) / 2.0);
    e.extend(centres.windows(2).map(|w| (w[0] + w[1]) / 2.0));
    e.push(centres[n - 1] + (centres[n - 1] - centres[n - 2]) / 2.0);
    e
}

/// The cell whose edges contain `v` (`searchsorted(edges, v, 'right') - 1`, clamped).
fn cell(edges: &[f64], v: f64) -> usize {
    let i = edges.partition_point(|&e| e <= v);
    i.saturating_sub(1).min(edges.len() - 2)
}

/// The study's PNG (`specshow(S_db, sr=22050, hop_length=512, x_axis='time', y_axis='mel',
/// fmax=fmax, cmap='gray_r')` in a 3x3-inch, 100-dpi figure with no margins), as 8-bit grey,
/// row-major, `size` x `size`.
pub fn study_png_pixels(s_db: &Array2<f32>, fmax: f64, size: usize) -> Vec<u8> {
    let (n_mels, n_frames) = s_db.dim();
    if n_mels == 0 || n_frames == 0 {
        return vec![255; size * size];
    }
    let centres = subgenre_dsp::convert::mel_frequencies(n_mels, 0.0, fmax, false);
    let y_edges: Vec<f64> = edges(&centres).into_iter().map(symlog).collect();
    let frame_s = HOP_LENGTH as f64 / f64::from(SAMPLE_RATE);
    let times: Vec<f64> = (0..n_frames).map(|t| t as f64 * frame_s).collect();
    let x_edges = edges(&times);
    let (y_lo, y_hi) = (y_edges[0], y_edges[n_mels]);
    let (x_lo, x_hi) = (x_edges[0], x_edges[n_frames]);
    let cols: Vec<usize> = (0..size)
        .map(|c| {
            cell(
                &x_edges,
                x_lo + (c as f64 + 0.5) / size as f64 * (x_hi - x_lo),
            )
        })
        .collect();
    let (min, max) = min_max(s_db);
    let range = max - min;
    let mut out = Vec::with_capacity(size * size);
    for r in 0..size {
        let ty = y_hi - (r as f64 + 0.5) / size as f64 * (y_hi - y_lo);
        let band = cell(&y_edges, ty);
        for &t in &cols {
            let norm = if range > 0.0 {
                (s_db[[band, t]] - min) / range
            } else {
                0.0
            };
            let level = ((norm * 256.0).floor() as i32).clamp(0, 255);
            out.push((255 - level) as u8);
        }
    }
    out
}
