//! The clip-level feature set: one power STFT per clip, every feature derived from it.
//!
//! [`FeatureExtractor`] reproduces, for a mono clip `y` at `sr`:
//!
//! | field | librosa 0.11 call |
//! |---|---|
//! | `chroma_stft` | `feature.chroma_stft(y=y, sr=sr)` (tuning estimated from the power spectrogram) |
//! | `rms` | `feature.rms(y=y)` (framed signal, zero centre padding) |
//! | `spectral_centroid` | `feature.spectral_centroid(y=y, sr=sr)` (magnitude spectrogram) |
//! | `spectral_bandwidth` | `feature.spectral_bandwidth(y=y, sr=sr)` |
//! | `rolloff` | `feature.spectral_rolloff(y=y, sr=sr)` |
//! | `zero_crossing_rate` | `feature.zero_crossing_rate(y)` |
//! | `mfcc` | `feature.mfcc(y=y, sr=sr, n_mfcc=20)` |
//! | `spectral_contrast` (rich) | `feature.spectral_contrast(y=y, sr=sr)` |
//! | `onset_strength` (rich) | `onset.onset_strength(y=y, sr=sr)` |
//! | `tempo` (rich) | `feature.tempo(y=y, sr=sr)[0]` |
//!
//! all with `n_fft=2048`, `hop_length=512` (librosa's defaults).

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use ndarray::{Array1, Array2};

use crate::chroma::{normalize_inf, ChromaFilterbank, PitchTracker};
use crate::convert::fft_frequencies;
use crate::db::{power_to_db_inplace, DbRef, AMIN, TOP_DB};
use crate::error::{check_finite, invalid, Result};
use crate::mel::{MelFilterbank, MelNorm};
use crate::mfcc::Dct;
use crate::rhythm::{onset_strength_frames, TempoEstimator};
use crate::spectral::{
    centroid_bandwidth_frame, contrast_db, rms_into, rolloff_from_cumsum, zcr_into,
    SpectralContrast,
};
use crate::stft::{complex64_abs, FftPrecision, Stft, StftParams};
use realfft::num_complex::Complex;

/// Version of the feature definitions and of the column layouts below. Bump it whenever a
/// value or a column changes, so cached features are recomputed.
pub const FEATURES_VERSION: u32 = 1;

/// Number of MFCCs.
pub const N_MFCC: usize = 20;
/// Number of chroma bins.
pub const N_CHROMA: usize = 12;
/// Number of spectral-contrast bands (`n_bands + 1`).
pub const N_CONTRAST: usize = 7;
/// Number of rows of [`FrameFeatures::to_matrix`].
pub const N_FRAME_ROWS: usize = N_CHROMA + 5 + N_MFCC;

/// Row names of [`FrameFeatures::to_matrix`]: chroma 0–11, rms, centroid, bandwidth, rolloff,
/// zcr, mfcc 0–19.
pub const FRAME_ROWS: [&str; N_FRAME_ROWS] = [
    "chroma_c",
    "chroma_c#",
    "chroma_d",
    "chroma_d#",
    "chroma_e",
    "chroma_f",
    "chroma_f#",
    "chroma_g",
    "chroma_g#",
    "chroma_a",
    "chroma_a#",
    "chroma_b",
    "rms",
    "spectral_centroid",
    "spectral_bandwidth",
    "rolloff",
    "zero_crossing_rate",
    "mfcc0",
    "mfcc1",
    "mfcc2",
    "mfcc3",
    "mfcc4",
    "mfcc5",
    "mfcc6",
    "mfcc7",
    "mfcc8",
    "mfcc9",
    "mfcc10",
    "mfcc11",
    "mfcc12",
    "mfcc13",
    "mfcc14",
    "mfcc15",
    "mfcc16",
    "mfcc17",
    "mfcc18",
    "mfcc19",
];

/// A row (or block of rows) of [`FrameFeatures::to_matrix`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameRow {
    /// Chroma bin `0..12` (C first).
    Chroma(usize),
    /// RMS energy.
    Rms,
    /// Spectral centroid (Hz).
    SpectralCentroid,
    /// Spectral bandwidth (Hz).
    SpectralBandwidth,
    /// 85 % roll-off frequency (Hz).
    Rolloff,
    /// Zero-crossing rate.
    ZeroCrossingRate,
    /// MFCC `0..20`.
    Mfcc(usize),
}

impl FrameRow {
    /// Index of the row in the `[37, T]` matrix.
    pub fn index(self) -> usize {
        match self {
            Self::Chroma(c) => c,
            Self::Rms => N_CHROMA,
            Self::SpectralCentroid => N_CHROMA + 1,
            Self::SpectralBandwidth => N_CHROMA + 2,
            Self::Rolloff => N_CHROMA + 3,
            Self::ZeroCrossingRate => N_CHROMA + 4,
            Self::Mfcc(k) => N_CHROMA + 5 + k,
        }
    }
}

/// Column names of [`StudyMeans::to_vector`] (the reference study's CSV names; its 13-feature
/// set is the first 13: six scalars and `mfcc1..mfcc7`).
pub const STUDY_COLUMNS: [&str; 6 + N_MFCC] = [
    "chroma_stft",
    "rmse",
    "spec_cent",
    "spec_bw",
    "rolloff",
    "zcr",
    "mfcc1",
    "mfcc2",
    "mfcc3",
    "mfcc4",
    "mfcc5",
    "mfcc6",
    "mfcc7",
    "mfcc8",
    "mfcc9",
    "mfcc10",
    "mfcc11",
    "mfcc12",
    "mfcc13",
    "mfcc14",
    "mfcc15",
    "mfcc16",
    "mfcc17",
    "mfcc18",
    "mfcc19",
    "mfcc20",
];

/// Number of values in [`RichFeatures::to_vector`].
pub const N_RICH: usize = 2 * STUDY_COLUMNS.len() + 2 * N_CONTRAST + 3;

/// Column names of [`RichFeatures::to_vector`]: the 26 study means, their 26 standard
/// deviations (`_std`), the 7 contrast band means and standard deviations, onset-strength mean
/// and standard deviation, and the tempo in BPM.
pub const RICH_COLUMNS: [&str; N_RICH] = [
    "chroma_stft",
    "rmse",
    "spec_cent",
    "spec_bw",
    "rolloff",
    "zcr",
    "mfcc1",
    "mfcc2",
    "mfcc3",
    "mfcc4",
    "mfcc5",
    "mfcc6",
    "mfcc7",
    "mfcc8",
    "mfcc9",
    "mfcc10",
    "mfcc11",
    "mfcc12",
    "mfcc13",
    "mfcc14",
    "mfcc15",
    "mfcc16",
    "mfcc17",
    "mfcc18",
    "mfcc19",
    "mfcc20",
    "chroma_stft_std",
    "rmse_std",
    "spec_cent_std",
    "spec_bw_std",
    "rolloff_std",
    "zcr_std",
    "mfcc1_std",
    "mfcc2_std",
    "mfcc3_std",
    "mfcc4_std",
    "mfcc5_std",
    "mfcc6_std",
    "mfcc7_std",
    "mfcc8_std",
    "mfcc9_std",
    "mfcc10_std",
    "mfcc11_std",
    "mfcc12_std",
    "mfcc13_std",
    "mfcc14_std",
    "mfcc15_std",
    "mfcc16_std",
    "mfcc17_std",
    "mfcc18_std",
    "mfcc19_std",
    "mfcc20_std",
    "contrast1",
    "contrast2",
    "contrast3",
    "contrast4",
    "contrast5",
    "contrast6",
    "contrast7",
    "contrast1_std",
    "contrast2_std",
    "contrast3_std",
    "contrast4_std",
    "contrast5_std",
    "contrast6_std",
    "contrast7_std",
    "onset_strength",
    "onset_strength_std",
    "tempo",
];

/// Per-frame features of one clip (`T` frames).
#[derive(Debug, Clone, PartialEq)]
pub struct FrameFeatures {
    /// `[12, T]` chroma, each frame scaled to a maximum of 1.
    pub chroma_stft: Array2<f32>,
    /// `[T]` RMS energy.
    pub rms: Array1<f32>,
    /// `[T]` spectral centroid in Hz.
    pub spectral_centroid: Array1<f32>,
    /// `[T]` spectral bandwidth in Hz.
    pub spectral_bandwidth: Array1<f32>,
    /// `[T]` 85 % roll-off in Hz.
    pub rolloff: Array1<f32>,
    /// `[T]` zero-crossing rate.
    pub zero_crossing_rate: Array1<f32>,
    /// `[20, T]` MFCCs.
    pub mfcc: Array2<f32>,
    /// The tuning `chroma_stft` estimated, in fractions of a chroma bin.
    pub tuning: f64,
}

/// Mean over the frames of each feature (chroma: mean over all `12 x T` cells, as
/// `np.mean(chroma)`), with the reference study's names. Also used for standard deviations.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StudyMeans {
    /// Chroma.
    pub chroma_stft: f32,
    /// RMS energy.
    pub rmse: f32,
    /// Spectral centroid (Hz).
    pub spec_cent: f32,
    /// Spectral bandwidth (Hz).
    pub spec_bw: f32,
    /// Roll-off (Hz).
    pub rolloff: f32,
    /// Zero-crossing rate.
    pub zcr: f32,
    /// MFCC 1..=20 (`mfcc[0]` is the study's `mfcc1`, librosa's coefficient 0).
    pub mfcc: [f32; N_MFCC],
}

impl StudyMeans {
    /// The values in [`STUDY_COLUMNS`] order.
    pub fn to_vector(&self) -> Vec<f32> {
        let mut v = vec![
            self.chroma_stft,
            self.rmse,
            self.spec_cent,
            self.spec_bw,
            self.rolloff,
            self.zcr,
        ];
        v.extend_from_slice(&self.mfcc);
        v
    }

    /// The reference study's 13 features: the six scalars and `mfcc1..mfcc7`.
    pub fn study13(&self) -> [f32; 13] {
        let v = self.to_vector();
        let mut out = [0f32; 13];
        out.copy_from_slice(&v[..13]);
        out
    }
}

fn mean_std<'a>(values: impl Iterator<Item = &'a f32>) -> (f32, f32) {
    let v: Vec<f64> = values.map(|&x| f64::from(x)).collect();
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean as f32, var.sqrt() as f32)
}

impl FrameFeatures {
    /// Number of frames.
    pub fn n_frames(&self) -> usize {
        self.rms.len()
    }

    /// The `[37, T]` matrix (rows named by [`FRAME_ROWS`] / [`FrameRow`]).
    pub fn to_matrix(&self) -> Array2<f32> {
        let t = self.n_frames();
        let mut m = Array2::zeros((N_FRAME_ROWS, t));
        for c in 0..N_CHROMA {
            m.row_mut(FrameRow::Chroma(c).index())
                .assign(&self.chroma_stft.row(c));
        }
        m.row_mut(FrameRow::Rms.index()).assign(&self.rms);
        m.row_mut(FrameRow::SpectralCentroid.index())
            .assign(&self.spectral_centroid);
        m.row_mut(FrameRow::SpectralBandwidth.index())
            .assign(&self.spectral_bandwidth);
        m.row_mut(FrameRow::Rolloff.index()).assign(&self.rolloff);
        m.row_mut(FrameRow::ZeroCrossingRate.index())
            .assign(&self.zero_crossing_rate);
        for k in 0..N_MFCC {
            m.row_mut(FrameRow::Mfcc(k).index())
                .assign(&self.mfcc.row(k));
        }
        m
    }

    fn summarise(&self, pick: impl Fn((f32, f32)) -> f32) -> StudyMeans {
        let mut mfcc = [0f32; N_MFCC];
        for (k, m) in mfcc.iter_mut().enumerate() {
            *m = pick(mean_std(self.mfcc.row(k).iter()));
        }
        StudyMeans {
            chroma_stft: pick(mean_std(self.chroma_stft.iter())),
            rmse: pick(mean_std(self.rms.iter())),
            spec_cent: pick(mean_std(self.spectral_centroid.iter())),
            spec_bw: pick(mean_std(self.spectral_bandwidth.iter())),
            rolloff: pick(mean_std(self.rolloff.iter())),
            zcr: pick(mean_std(self.zero_crossing_rate.iter())),
            mfcc,
        }
    }

    /// Per-clip means (`np.mean` of each feature; chroma over all cells).
    pub fn means(&self) -> StudyMeans {
        self.summarise(|(m, _)| m)
    }

    /// Per-clip population standard deviations (`np.std`, chroma over all cells).
    pub fn stds(&self) -> StudyMeans {
        self.summarise(|(_, s)| s)
    }
}

/// Per-frame features plus the "rich" extras of one clip.
#[derive(Debug, Clone, PartialEq)]
pub struct RichFrames {
    /// The study's per-frame features.
    pub frames: FrameFeatures,
    /// `[7, T]` spectral contrast in dB.
    pub spectral_contrast: Array2<f32>,
    /// `[T]` onset strength.
    pub onset_strength: Array1<f32>,
    /// Global tempo estimate in BPM.
    pub tempo: f32,
}

/// Per-clip summary of [`RichFrames`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RichFeatures {
    /// Means of the study features.
    pub means: StudyMeans,
    /// Standard deviations of the study features.
    pub stds: StudyMeans,
    /// Mean spectral contrast per band (dB).
    pub contrast_mean: [f32; N_CONTRAST],
    /// Standard deviation of spectral contrast per band (dB).
    pub contrast_std: [f32; N_CONTRAST],
    /// Mean onset strength.
    pub onset_mean: f32,
    /// Standard deviation of onset strength.
    pub onset_std: f32,
    /// Tempo in BPM.
    pub tempo: f32,
}

impl RichFrames {
    /// Per-clip summary.
    pub fn summary(&self) -> RichFeatures {
        let mut contrast_mean = [0f32; N_CONTRAST];
        let mut contrast_std = [0f32; N_CONTRAST];
        for b in 0..N_CONTRAST.min(self.spectral_contrast.nrows()) {
            let (m, s) = mean_std(self.spectral_contrast.row(b).iter());
            contrast_mean[b] = m;
            contrast_std[b] = s;
        }
        let (onset_mean, onset_std) = mean_std(self.onset_strength.iter());
        RichFeatures {
            means: self.frames.means(),
            stds: self.frames.stds(),
            contrast_mean,
            contrast_std,
            onset_mean,
            onset_std,
            tempo: self.tempo,
        }
    }
}

impl RichFeatures {
    /// The values in [`RICH_COLUMNS`] order.
    pub fn to_vector(&self) -> Vec<f32> {
        let mut v = self.means.to_vector();
        v.extend(self.stds.to_vector());
        v.extend_from_slice(&self.contrast_mean);
        v.extend_from_slice(&self.contrast_std);
        v.extend([self.onset_mean, self.onset_std, self.tempo]);
        v
    }
}

/// Computes the feature set of clips at one sample rate, reusing its plans and buffers.
///
/// Single-threaded per clip; make one extractor per thread to process clips in parallel.
#[derive(Debug, Clone)]
pub struct FeatureExtractor {
    sr: f64,
    stft: Stft,
    freqs: Vec<f64>,
    mel: MelFilterbank,
    dct: Dct,
    tracker: PitchTracker,
    contrast: SpectralContrast,
    tempo: TempoEstimator,
    chroma_cache: HashMap<u64, ChromaFilterbank>,
    // Work buffers, frame-major.
    mag: Vec<f32>,
    cum: Vec<f32>,
    power: Vec<f32>,
    blocks: Vec<f64>,
    mel_db: Vec<f32>,
    peak: Vec<f64>,
    valley: Vec<f64>,
    crossings: Vec<u32>,
    chroma_raw: Vec<f32>,
    mfcc_frame: Vec<f32>,
}

const N_FFT: usize = 2048;
const HOP: usize = 512;
const N_MELS: usize = 128;

impl FeatureExtractor {
    /// An extractor for clips at sample rate `sr` (librosa defaults: `n_fft=2048`,
    /// `hop_length=512`, 128 mels up to `sr/2`, 20 MFCCs, 12 chroma bins).
    pub fn new(sr: f64) -> Result<Self> {
        Self::with_precision(sr, FftPrecision::F64)
    }

    /// [`FeatureExtractor::new`] with a choice of FFT arithmetic (see [`FftPrecision`]).
    pub fn with_precision(sr: f64, precision: FftPrecision) -> Result<Self> {
        if sr.is_nan() || sr <= 0.0 {
            return Err(invalid("sr", sr, "must be positive"));
        }
        let stft = StftParams::new(N_FFT)
            .hop_length(HOP)
            .precision(precision)
            .build()?;
        let n_bins = stft.n_bins();
        Ok(Self {
            freqs: fft_frequencies(sr, N_FFT),
            mel: MelFilterbank::new(sr, N_FFT, N_MELS, 0.0, None, false, Some(MelNorm::Slaney))?,
            dct: Dct::new(N_MELS, N_MFCC)?,
            tracker: PitchTracker::new(sr, N_FFT)?,
            contrast: SpectralContrast::new(sr, N_FFT)?,
            tempo: TempoEstimator::new(sr, HOP)?,
            chroma_cache: HashMap::new(),
            mag: vec![0.0; n_bins],
            cum: vec![0.0; n_bins],
            power: Vec::new(),
            blocks: Vec::new(),
            mel_db: Vec::new(),
            peak: Vec::new(),
            valley: Vec::new(),
            crossings: Vec::new(),
            chroma_raw: Vec::new(),
            mfcc_frame: vec![0.0; N_MFCC],
            stft,
            sr,
        })
    }

    /// The sample rate.
    pub fn sr(&self) -> f64 {
        self.sr
    }

    /// Number of frames for a clip of `len` samples.
    pub fn n_frames(&self, len: usize) -> Result<usize> {
        self.stft.n_frames(len)
    }

    /// Per-frame study features of `y`.
    pub fn extract(&mut self, y: &[f32]) -> Result<FrameFeatures> {
        self.run(y, false).map(|r| r.frames)
    }

    /// Per-clip means of the study features of `y`.
    pub fn study_means(&mut self, y: &[f32]) -> Result<StudyMeans> {
        Ok(self.extract(y)?.means())
    }

    /// Per-frame study features plus spectral contrast, onset strength and tempo.
    pub fn extract_rich(&mut self, y: &[f32]) -> Result<RichFrames> {
        self.run(y, true)
    }

    /// The chroma filterbank for `tuning`, built on first use. Tunings are multiples of 0.01
    /// (at most 100 of them); the cache is cleared past 32 entries to bound its memory (~50 KB
    /// each).
    fn chroma_filterbank(
        cache: &mut HashMap<u64, ChromaFilterbank>,
        sr: f64,
        tuning: f64,
    ) -> Result<&ChromaFilterbank> {
        if cache.len() >= 32 && !cache.contains_key(&tuning.to_bits()) {
            cache.clear();
        }
        Ok(match cache.entry(tuning.to_bits()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => v.insert(ChromaFilterbank::new(sr, N_FFT, N_CHROMA, tuning)?),
        })
    }

    fn run(&mut self, y: &[f32], rich: bool) -> Result<RichFrames> {
        check_finite(y)?;
        let t_len = self.stft.n_frames(y.len())?;
        let n_bins = self.stft.n_bins();
        let nb = self.contrast.n_bands();

        let mut centroid = Array1::zeros(t_len);
        let mut bandwidth = Array1::zeros(t_len);
        let mut rolloff = Array1::zeros(t_len);
        self.power.resize(t_len * n_bins, 0.0);
        self.mel_db.resize(t_len * N_MELS, 0.0);
        if rich {
            self.peak.resize(t_len * nb, 0.0);
            self.valley.resize(t_len * nb, 0.0);
        }
        self.tracker.clear();

        {
            let Self {
                stft,
                freqs,
                mel,
                tracker,
                contrast,
                mag,
                cum,
                power,
                mel_db,
                peak,
                valley,
                ..
            } = self;
            stft.for_each_frame(y, |t, spec| {
                let pw = &mut power[t * n_bins..(t + 1) * n_bins];
                let max_power = magnitude_pass(spec, mag, pw, cum);
                let (c, bw) = centroid_bandwidth_frame(mag, freqs);
                centroid[t] = c as f32;
                bandwidth[t] = bw as f32;
                rolloff[t] = rolloff_from_cumsum(cum, freqs, 0.85) as f32;
                mel.apply_frame(pw, &mut mel_db[t * N_MELS..(t + 1) * N_MELS]);
                tracker.push_frame_with_max(pw, max_power);
                if rich {
                    contrast.peaks_valleys(
                        mag,
                        &mut peak[t * nb..(t + 1) * nb],
                        &mut valley[t * nb..(t + 1) * nb],
                    );
                }
            })?;
        }

        // rms and zcr come from the framed signal, as librosa computes them for `y`.
        let mut rms = Array1::zeros(t_len);
        let mut zcr = Array1::zeros(t_len);
        if let (Some(r), Some(z)) = (rms.as_slice_mut(), zcr.as_slice_mut()) {
            rms_into(y, N_FFT, HOP, true, &mut self.blocks, r);
            zcr_into(y, N_FFT, HOP, true, &mut self.crossings, z);
        }

        // Chroma needs the clip's tuning first.
        let tuning = self.tracker.estimate_tuning(0.01, N_CHROMA)?;
        let mut chroma = Array2::zeros((N_CHROMA, t_len));
        {
            let raw = &mut self.chroma_raw;
            raw.resize(t_len * N_CHROMA, 0.0);
            Self::chroma_filterbank(&mut self.chroma_cache, self.sr, tuning)?
                .apply_frames(&self.power[..t_len * n_bins], raw);
            for (t, frame) in raw.chunks_exact_mut(N_CHROMA).enumerate() {
                normalize_inf(frame);
                chroma
                    .column_mut(t)
                    .iter_mut()
                    .zip(frame.iter())
                    .for_each(|(o, &v)| *o = v);
            }
        }

        // MFCC: DCT of power_to_db(mel, ref=1.0, amin=1e-10, top_db=80) over the whole clip.
        let mel_db = &mut self.mel_db[..t_len * N_MELS];
        power_to_db_inplace(
            &mut ndarray::ArrayViewMut1::from(&mut *mel_db),
            DbRef::Value(1.0),
            AMIN,
            TOP_DB,
        )?;
        let mut mfcc = Array2::zeros((N_MFCC, t_len));
        for t in 0..t_len {
            self.dct
                .apply_frame(&mel_db[t * N_MELS..(t + 1) * N_MELS], &mut self.mfcc_frame);
            mfcc.column_mut(t)
                .iter_mut()
                .zip(&self.mfcc_frame)
                .for_each(|(o, &v)| *o = v);
        }

        let frames = FrameFeatures {
            chroma_stft: chroma,
            rms,
            spectral_centroid: centroid,
            spectral_bandwidth: bandwidth,
            rolloff,
            zero_crossing_rate: zcr,
            mfcc,
            tuning,
        };
        if !rich {
            return Ok(RichFrames {
                frames,
                spectral_contrast: Array2::zeros((0, t_len)),
                onset_strength: Array1::zeros(0),
                tempo: 0.0,
            });
        }

        // Onset strength reuses the same dB mel spectrogram (librosa's defaults coincide).
        let mut onset = Array1::zeros(t_len);
        if let Some(o) = onset.as_slice_mut() {
            onset_strength_frames(
                &self.mel_db[..t_len * N_MELS],
                N_MELS,
                1,
                1 + N_FFT / (2 * HOP),
                o,
            );
        }
        let tempo = self.tempo.estimate(onset.as_slice().unwrap_or(&[]))? as f32;
        let spectral_contrast = contrast_db(
            &mut self.peak[..t_len * nb],
            &mut self.valley[..t_len * nb],
            nb,
            t_len,
        );
        Ok(RichFrames {
            frames,
            spectral_contrast,
            onset_strength: onset,
            tempo,
        })
    }
}

/// One pass over a frame's FFT: magnitudes and power (rounded as librosa's), the f32 running
/// sum of magnitudes that roll-off needs, and the maximum power (for piptrack's threshold).
///
/// Works in chunks of 8 so the independent part vectorises while the serial running sum (which
/// must stay in order to match `np.cumsum`) overlaps it.
#[inline]
fn magnitude_pass(
    spec: &[Complex<f32>],
    mag: &mut [f32],
    power: &mut [f32],
    cum: &mut [f32],
) -> f32 {
    const L: usize = 8;
    let n = spec.len().min(mag.len()).min(power.len()).min(cum.len());
    let (spec, mag, power, cum) = (&spec[..n], &mut mag[..n], &mut power[..n], &mut cum[..n]);
    let mut run = 0f32;
    let mut pmax = [0f32; L];
    let mut sc = spec.chunks_exact(L);
    let mut mc = mag.chunks_exact_mut(L);
    let mut pc = power.chunks_exact_mut(L);
    let mut cc = cum.chunks_exact_mut(L);
    for (((s, m), p), c) in (&mut sc).zip(&mut mc).zip(&mut pc).zip(&mut cc) {
        let mut v = [0f32; L];
        for i in 0..L {
            v[i] = complex64_abs(s[i]);
        }
        for i in 0..L {
            m[i] = v[i];
            let pw = v[i] * v[i];
            p[i] = pw;
            pmax[i] = if pw > pmax[i] { pw } else { pmax[i] };
        }
        for i in 0..L {
            run += v[i];
            c[i] = run;
        }
    }
    let mut max = pmax.iter().fold(0f32, |a, &b| if b > a { b } else { a });
    let tail = sc
        .remainder()
        .iter()
        .zip(mc.into_remainder())
        .zip(pc.into_remainder())
        .zip(cc.into_remainder());
    for (((s, m), p), c) in tail {
        let v = complex64_abs(*s);
        *m = v;
        *p = v * v;
        max = if *p > max { *p } else { max };
        run += v;
        *c = run;
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_tables_are_consistent() {
        assert_eq!(FRAME_ROWS[FrameRow::Rms.index()], "rms");
        assert_eq!(FRAME_ROWS[FrameRow::Mfcc(19).index()], "mfcc19");
        assert_eq!(
            FRAME_ROWS[FrameRow::ZeroCrossingRate.index()],
            "zero_crossing_rate"
        );
        assert_eq!(RICH_COLUMNS[..26], STUDY_COLUMNS);
        assert_eq!(RICH_COLUMNS[26], "chroma_stft_std");
        assert_eq!(RICH_COLUMNS[N_RICH - 1], "tempo");
    }

    #[test]
    fn extracts_a_tone() -> Result<()> {
        let sr = 22050.0;
        let y: Vec<f32> = (0..(4 * 22050))
            .map(|i| {
                let t = i as f64 / sr;
                (0.5 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as f32
            })
            .collect();
        let mut fx = FeatureExtractor::new(sr)?;
        let rich = fx.extract_rich(&y)?;
        let f = &rich.frames;
        assert_eq!(f.n_frames(), 173);
        assert_eq!(f.to_matrix().dim(), (37, 173));
        let m = f.means();
        assert!(
            (m.spec_cent - 440.0).abs() < 30.0,
            "centroid {}",
            m.spec_cent
        );
        assert!((m.rmse - 0.5 / 2f32.sqrt()).abs() < 0.02);
        assert!(f.tuning.abs() < 0.05);
        // Chroma A (index 9) is the loudest.
        assert!((f.chroma_stft[[9, 80]] - 1.0).abs() < 1e-6);
        let v = rich.summary().to_vector();
        assert_eq!(v.len(), N_RICH);
        assert!(v.iter().all(|x| x.is_finite()));
        // Same result on a second call (buffers reused).
        assert_eq!(fx.extract(&y)?, rich.frames);
        Ok(())
    }

    #[test]
    fn short_and_odd_inputs_do_not_panic() -> Result<()> {
        let mut fx = FeatureExtractor::new(22050.0)?;
        for len in [1usize, 100, 511, 512, 2047, 3001] {
            let y: Vec<f32> = (0..len)
                .map(|i| ((i * 7919 % 113) as f32 / 56.0 - 1.0) * 0.3)
                .collect();
            let r = fx.extract_rich(&y)?;
            assert_eq!(r.frames.n_frames(), 1 + len / 512);
            assert!(
                r.summary().to_vector().iter().all(|v| v.is_finite()),
                "len {len}"
            );
        }
        assert!(matches!(fx.extract(&[]), Err(crate::DspError::EmptyInput)));
        let mut fx44 = FeatureExtractor::new(44100.0)?;
        assert!(fx44.extract_rich(&vec![0.1; 44100])?.tempo.is_finite());
        assert!(FeatureExtractor::new(0.0).is_err());
        Ok(())
    }

    #[test]
    fn silence_gives_zeros() -> Result<()> {
        let mut fx = FeatureExtractor::new(22050.0)?;
        let f = fx.extract(&vec![0.0; 22050])?;
        assert!(f.chroma_stft.iter().all(|&v| v == 0.0));
        assert!(f.rms.iter().all(|&v| v == 0.0));
        assert!(f.zero_crossing_rate.iter().all(|&v| v == 0.0));
        assert_eq!(f.tuning, 0.0);
        Ok(())
    }
}
