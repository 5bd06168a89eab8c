//! pyAudioAnalysis 0.3.14's short-term features (`ShortTermFeatures.feature_extraction`), the
//! study's alternative extractor, and the two ways of mapping them into the study's 13 columns.
//!
//! The study's notebook (cells 5–6) ran, for every clip,
//!
//! ```text
//! fs, x = audioBasicIO.read_audio_file(mp3)        # pydub + ffmpeg: int16, the file's own rate
//! F, _ = ShortTermFeatures.feature_extraction(x, fs, 0.050 * fs, 0.025 * fs)
//! ```
//!
//! and filled its CSV with `np.mean` of some rows of `F` (see [`PyaaMapping::Study`]).
//! [`short_term_features`] returns the 34 base rows of `F` ([`FEATURE_NAMES`]), frames along
//! the second axis, computed as pyAudioAnalysis's Python source does, quirks included:
//!
//! - **Scaling**: the signal (int16 values) is divided by 2^15, its mean is removed and it is
//!   divided by `max|x| + 1e-10`: the absolute level is thrown away, so only the peak sample
//!   sets the scale of energy, MFCC 1 and so on.
//! - **Frames**: rectangular (no window function), `window` samples every `step`; frames start
//!   at 0 and only whole frames are taken (`while pos + window - 1 < len`); `window` and `step`
//!   are `int()` of `0.050 * fs` and `0.025 * fs` ([`window_step`]): 2400 / 1200 at 48 kHz,
//!   2205 / 1102 at 44.1 kHz.
//! - **Spectrum**: `X = |FFT(frame)|[0 .. window/2] / (window/2)` (the Nyquist bin of an even
//!   window is dropped; bin `k` is at `k * fs / window` Hz).
//! - rows 0–2, time domain: zero-crossing rate `sum |diff(sign x)| / 2 / (window - 1)`
//!   (`sign(0) = 0`), energy `sum x² / window` (a mean square, not an RMS), entropy of the
//!   energies of 10 equal sub-frames (the remainder of `window / 10` is dropped from the
//!   sub-frames but not from the total).
//! - rows 3–4: centroid and spread of `X / max X` with bin `k` placed at `(k + 1) * fs / window`
//!   (one bin too high), both divided by `fs / 2`.
//! - row 5: spectral entropy, the same 10-block entropy on `X`; row 6: flux, the squared
//!   difference of `X / sum(X + eps)` between this frame and the previous (0 on the first);
//!   row 7: roll-off, the first bin whose cumulative `X²` (plus eps) exceeds 90 % of the total,
//!   as a fraction of `window / 2` (not Hz).
//! - rows 8–20, MFCC 1–13: `DCT-II(ortho)(log10(X · fbank + eps))[..13]` with the talkbox
//!   filter bank (13 linear filters from 133.33 Hz every 66.67 Hz, 27 log-spaced by 1.0711703,
//!   each of area 1). `mfcc_filter_banks` places bin `k` at `k * fs / (window/2)` Hz, twice its
//!   real frequency, so each filter sits at half its nominal frequency (≈ 67 Hz – 3.4 kHz real).
//!   No power, no mel scale: log10 of a magnitude.
//! - rows 21–32, chroma 1–12, and row 33 their (population) standard deviation:
//!   `chroma_features` maps bin `k` (at `(k + 1) * fs / window`) to semitone
//!   `n = round(12 log2(f / 27.5))`, then scatters `X²` into an array *indexed by semitone*
//!   (`C[n] = X[k]²`: the last bin of each semitone wins, negative semitones wrap around the end
//!   as numpy indices do), divides `C[i]` by the number of bins sharing the semitone of *bin*
//!   `n(i)` (a bin/semitone index mix-up), folds `C` by `i mod 12` and divides by `sum X²`.
//!   So "chroma" holds one bin's power per semitone, with the pitch classes starting at A.
//!
//! Numerics: f64 throughout, as numpy; the FFT is realfft's f64, so results agree with
//! pyAudioAnalysis to rounding (`tests/pyaa.rs` checks every row on identical input).
//! [`with_deltas`] adds the 34 delta rows that `feature_extraction(..., deltas=True)` appends.
//!
//! ```
//! use subgenre_dsp::pyaa::{self, PyaaMapping};
//! let fs = 48_000;
//! let x: Vec<i16> = (0..fs).map(|i| ((i as f64 * 0.05).sin() * 8000.0) as i16).collect();
//! let (window, step) = pyaa::window_step(fs as u32, pyaa::STUDY_WINDOW_S, pyaa::STUDY_STEP_S);
//! let feats = pyaa::short_term_features(&x, fs as u32, window, step)?;
//! assert_eq!(feats.dim(), (34, 39));
//! let row = pyaa::study13(&feats, fs as u32, PyaaMapping::Study);
//! assert_eq!(row[11], row[12]); // the notebook's mfcc6 == mfcc7
//! # Ok::<(), subgenre_dsp::DspError>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use ndarray::{s, Array2};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::error::{invalid, DspError, Result};

/// `sys.float_info.epsilon`, pyAudioAnalysis's `eps`.
const EPS: f64 = f64::EPSILON;

/// Number of base rows (34); [`with_deltas`] doubles it.
pub const N_FEATURES: usize = 34;
/// Number of MFCCs (rows 8–20).
pub const N_MFCC: usize = 13;
/// Number of chroma rows (21–32); row 33 is their standard deviation.
pub const N_CHROMA: usize = 12;
/// Sub-frames of the energy and spectral entropies.
const N_SHORT_BLOCKS: usize = 10;
/// Roll-off fraction.
const ROLLOFF_C: f64 = 0.90;
/// First row of the MFCCs.
pub const MFCC_ROW: usize = 8;
/// First row of the chroma.
pub const CHROMA_ROW: usize = MFCC_ROW + N_MFCC;

/// The study's window, 50 ms (`0.050 * fs`).
pub const STUDY_WINDOW_S: f64 = 0.050;
/// The study's step, 25 ms (`0.025 * fs`).
pub const STUDY_STEP_S: f64 = 0.025;

/// pyAudioAnalysis's names of the 34 base rows, in order (0-based row = index).
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "zcr",
    "energy",
    "energy_entropy",
    "spectral_centroid",
    "spectral_spread",
    "spectral_entropy",
    "spectral_flux",
    "spectral_rolloff",
    "mfcc_1",
    "mfcc_2",
    "mfcc_3",
    "mfcc_4",
    "mfcc_5",
    "mfcc_6",
    "mfcc_7",
    "mfcc_8",
    "mfcc_9",
    "mfcc_10",
    "mfcc_11",
    "mfcc_12",
    "mfcc_13",
    "chroma_1",
    "chroma_2",
    "chroma_3",
    "chroma_4",
    "chroma_5",
    "chroma_6",
    "chroma_7",
    "chroma_8",
    "chroma_9",
    "chroma_10",
    "chroma_11",
    "chroma_12",
    "chroma_std",
];

/// `(int(window_s * fs), int(step_s * fs))`: pyAudioAnalysis casts the float window and step
/// with `int()`, i.e. truncates (`0.025 * 44100 = 1102.5` gives 1102).
pub fn window_step(fs: u32, window_s: f64, step_s: f64) -> (usize, usize) {
    let cast = |s: f64| {
        let v = s * f64::from(fs);
        if v.is_finite() && v > 0.0 {
            v as usize
        } else {
            0
        }
    };
    (cast(window_s), cast(step_s))
}

/// Float samples in [-1, 1] to int16 as ffmpeg converts them (`av_clip_int16(lrintf(x *
/// 32768))`: round half to even, saturate), which is what pydub hands pyAudioAnalysis for an
/// MP3. The saturation matters: decoded MP3s overshoot full scale, and pyAudioAnalysis's peak
/// normalisation then sees the clipped peak. NaN maps to 0.
pub fn pcm16(samples: &[f32]) -> Vec<i16> {
    samples
        .iter()
        .map(|&v| {
            let r = (v * 32768.0).round_ties_even();
            if r.is_nan() {
                0
            } else {
                r.clamp(-32768.0, 32767.0) as i16
            }
        })
        .collect()
}

/// One triangular filter of the MFCC bank, non-zero on `start .. start + weights.len()`.
#[derive(Debug, Clone, PartialEq)]
struct Filter {
    start: usize,
    weights: Vec<f64>,
}

/// `mfcc_filter_banks(fs, num_fft)` with its defaults (lowfreq 133.33, linc 200/3, logsc
/// 1.0711703, 13 linear and 27 log filters), as sparse rows. Fails where numpy would raise
/// (a filter reaching past the last bin: `fs` below about 6.9 kHz).
fn mfcc_filter_banks(fs: u32, num_fft: usize) -> Result<Vec<Filter>> {
    const LOWFREQ: f64 = 133.33;
    const LINC: f64 = 200.0 / 3.0;
    const LOGSC: f64 = 1.0711703;
    const NUM_LIN: usize = 13;
    const NUM_LOG: usize = 27;
    let total = NUM_LIN + NUM_LOG;
    let mut freqs = vec![0f64; total + 2];
    for (i, f) in freqs.iter_mut().take(NUM_LIN).enumerate() {
        *f = LOWFREQ + i as f64 * LINC;
    }
    let last_lin = freqs[NUM_LIN - 1];
    for (j, f) in freqs.iter_mut().skip(NUM_LIN).enumerate() {
        *f = last_lin * LOGSC.powf((j + 1) as f64);
    }
    let n = num_fft as f64;
    let sr = f64::from(fs);
    let nfreq = |k: usize| k as f64 / n * sr;
    let bin = |f: f64| (f * n / sr).floor() as usize + 1;
    let mut bank = Vec::with_capacity(total);
    for i in 0..total {
        let (lo, ce, hi) = (freqs[i], freqs[i + 1], freqs[i + 2]);
        let height = 2.0 / (hi - lo);
        let (lid0, lid1) = (bin(lo), bin(ce));
        let (rid0, rid1) = (bin(ce), bin(hi));
        if rid1.max(lid1) > num_fft {
            return Err(invalid(
                "fs",
                fs,
                "too low for pyAudioAnalysis's MFCC filter bank (numpy raises IndexError)",
            ));
        }
        let lslope = height / (ce - lo);
        let rslope = height / (hi - ce);
        let start = lid0.min(rid0);
        let end = lid1.max(rid1).max(start);
        let mut weights = vec![0f64; end - start];
        for k in lid0..lid1 {
            weights[k - start] = lslope * (nfreq(k) - lo);
        }
        for k in rid0..rid1 {
            weights[k - start] = rslope * (hi - nfreq(k));
        }
        bank.push(Filter { start, weights });
    }
    Ok(bank)
}

/// One non-zero entry of `chroma_features`' semitone array `C`: `C[pos] = X[src]² / divisor`,
/// added into pitch class `pos % 12`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ChromaTerm {
    src: usize,
    divisor: f64,
    class: usize,
}

/// `chroma_features_init` + the index arithmetic of `chroma_features`, resolved once.
fn chroma_terms(num_fft: usize, fs: u32) -> Result<Vec<ChromaTerm>> {
    let n = num_fft as i64;
    // num_chroma[f] = round(12 log2(freqs[f] / 27.5)), freqs[f] = (f + 1) fs / (2 num_fft).
    let semitone: Vec<i64> = (0..num_fft)
        .map(|f| {
            let freq = ((f as u64 + 1) * u64::from(fs)) as f64 / (2 * num_fft) as f64;
            (12.0 * (freq / 27.50).log2()).round_ties_even() as i64
        })
        .collect();
    if semitone.iter().any(|&c| c >= n) {
        // The `else` branch of chroma_features assigns a slice of the wrong length: numpy
        // raises there, so a window this short never worked in pyAudioAnalysis.
        return Err(invalid(
            "window",
            (2 * num_fft) as f64,
            "too short for pyAudioAnalysis's chroma (its other branch raises in numpy)",
        ));
    }
    // numpy's negative indices count from the end.
    let wrap = |c: i64| -> usize { (if c < 0 { c + n } else { c }) as usize };
    // num_freqs_per_chroma[k] = number of bins sharing bin k's semitone.
    let count: Vec<f64> = semitone
        .iter()
        .map(|&c| semitone.iter().filter(|&&d| d == c).count() as f64)
        .collect();
    // C[num_chroma] = spec: the last bin assigned to a position wins.
    let mut source: Vec<Option<usize>> = vec![None; num_fft];
    for (f, &c) in semitone.iter().enumerate() {
        let pos = wrap(c);
        if pos >= num_fft {
            return Err(invalid(
                "window",
                (2 * num_fft) as f64,
                "chroma index out of range",
            ));
        }
        source[pos] = Some(f);
    }
    // C /= num_freqs_per_chroma[num_chroma]: position i divided by the count of bin
    // wrap(num_chroma[i]).
    Ok(source
        .iter()
        .enumerate()
        .filter_map(|(pos, src)| {
            src.map(|src| ChromaTerm {
                src,
                divisor: count[wrap(semitone[pos])],
                class: pos % N_CHROMA,
            })
        })
        .collect())
}

/// `-sum(s * log2(s + eps))` of the energies of `N_SHORT_BLOCKS` equal sub-blocks of `x`,
/// normalised by the energy of the whole of `x` (`energy_entropy`, `spectral_entropy`).
fn block_entropy(x: &[f64]) -> f64 {
    let total: f64 = x.iter().map(|v| v * v).sum();
    let len = x.len() / N_SHORT_BLOCKS;
    let mut entropy = 0.0;
    for b in 0..N_SHORT_BLOCKS {
        let e: f64 = x[b * len..(b + 1) * len].iter().map(|v| v * v).sum();
        let s = e / (total + EPS);
        entropy -= s * (s + EPS).log2();
    }
    entropy
}

/// `np.sign`.
fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// pyAudioAnalysis's `feature_extraction` planned for one sample rate, window and step: the
/// FFT plan, the MFCC filter bank, the DCT and the chroma map are built once and reused across
/// signals. See the [module docs](self) for what each row is.
pub struct ShortTermExtractor {
    fs: u32,
    window: usize,
    step: usize,
    num_fft: usize,
    fft: Arc<dyn RealToComplex<f64>>,
    frame: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    mag: Vec<f64>,
    prev: Vec<f64>,
    /// Bin frequencies of `spectral_centroid_spread`: `(k + 1) * fs / (2 num_fft)`.
    ind: Vec<f64>,
    fbank: Vec<Filter>,
    /// Orthonormal DCT-II, `N_MFCC` x 40, row-major.
    dct: Vec<f64>,
    chroma: Vec<ChromaTerm>,
}

impl fmt::Debug for ShortTermExtractor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShortTermExtractor")
            .field("fs", &self.fs)
            .field("window", &self.window)
            .field("step", &self.step)
            .finish_non_exhaustive()
    }
}

impl ShortTermExtractor {
    /// Plans `feature_extraction(signal, fs, window, step)` (window and step in samples, as
    /// after pyAudioAnalysis's `int()`; see [`window_step`]). Fails where pyAudioAnalysis
    /// would fail or loop forever: `step == 0`, a window under 20 samples, a window too
    /// short for its chroma, or `fs` too low for its MFCC filter bank.
    pub fn new(fs: u32, window: usize, step: usize) -> Result<Self> {
        if fs == 0 {
            return Err(invalid("fs", 0.0, "must be positive"));
        }
        if step == 0 {
            return Err(invalid("step", 0.0, "must be positive"));
        }
        if window < 2 * N_SHORT_BLOCKS {
            return Err(invalid(
                "window",
                window as f64,
                "must be at least 20 samples (10 sub-blocks of the half spectrum)",
            ));
        }
        let num_fft = window / 2;
        let fbank = mfcc_filter_banks(fs, num_fft)?;
        let chroma = chroma_terms(num_fft, fs)?;
        let n_filt = fbank.len();
        let mut dct = Vec::with_capacity(N_MFCC * n_filt);
        let nf = n_filt as f64;
        for k in 0..N_MFCC {
            let scale = if k == 0 {
                (1.0 / nf).sqrt()
            } else {
                (2.0 / nf).sqrt()
            };
            for i in 0..n_filt {
                let arg = std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * nf);
                dct.push(scale * arg.cos());
            }
        }
        let bin_hz = f64::from(fs) / (2.0 * num_fft as f64);
        let ind = (1..=num_fft).map(|k| k as f64 * bin_hz).collect();
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(window);
        Ok(Self {
            fs,
            window,
            step,
            num_fft,
            frame: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            mag: vec![0.0; num_fft],
            prev: vec![0.0; num_fft],
            ind,
            fbank,
            dct,
            chroma,
        })
    }

    /// The sample rate planned for.
    pub fn fs(&self) -> u32 {
        self.fs
    }

    /// Window length in samples.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Step in samples.
    pub fn step(&self) -> usize {
        self.step
    }

    /// Number of frames for a signal of `len` samples (0 if shorter than the window, where
    /// pyAudioAnalysis raises).
    pub fn n_frames(&self, len: usize) -> usize {
        if len < self.window {
            0
        } else {
            (len - self.window) / self.step + 1
        }
    }

    /// The 34 x frames feature matrix of `signal`, given as pyAudioAnalysis receives it
    /// (int16 values, or anything on that scale: it divides by 2^15 first; since it then
    /// removes the mean and normalises the peak, any scale gives the same result up to its
    /// `1e-10` guard). Mono only (pyAudioAnalysis would take a stereo `(N, 2)` array as is).
    pub fn extract<T: Copy + Into<f64>>(&mut self, signal: &[T]) -> Result<Array2<f64>> {
        if signal.is_empty() {
            return Err(DspError::EmptyInput);
        }
        let n_frames = self.n_frames(signal.len());
        if n_frames == 0 {
            return Err(DspError::InputTooShort {
                len: signal.len(),
                min: self.window,
            });
        }
        let mut x: Vec<f64> = signal.iter().map(|&v| v.into() / 32768.0).collect();
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            return Err(DspError::NonFinite { index });
        }
        dc_normalize(&mut x);
        let mut out = Array2::<f64>::zeros((N_FEATURES, n_frames));
        let mut column = [0f64; N_FEATURES];
        for t in 0..n_frames {
            let pos = t * self.step;
            self.frame_features(&x[pos..pos + self.window], t == 0, &mut column);
            for (r, v) in column.iter().enumerate() {
                out[[r, t]] = *v;
            }
        }
        Ok(out)
    }

    fn frame_features(&mut self, x: &[f64], first: bool, out: &mut [f64; N_FEATURES]) {
        let window = self.window;
        let n = self.num_fft;
        // Time domain.
        let crossings: f64 = x.windows(2).map(|w| (sign(w[1]) - sign(w[0])).abs()).sum();
        out[0] = crossings / 2.0 / (window as f64 - 1.0);
        let energy: f64 = x.iter().map(|v| v * v).sum();
        out[1] = energy / window as f64;
        out[2] = block_entropy(x);

        // |FFT|[:num_fft] / num_fft.
        self.frame.copy_from_slice(x);
        self.fft
            .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch)
            .expect("buffer sizes come from the plan");
        for (m, c) in self.mag.iter_mut().zip(&self.spectrum) {
            *m = c.norm() / n as f64;
        }
        if first {
            self.prev.copy_from_slice(&self.mag);
        }
        let mag = &self.mag;

        // Centroid and spread.
        let max = mag.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let norm = if max == 0.0 { EPS } else { max };
        let (mut num, mut den) = (0.0, 0.0);
        for (&m, &f) in mag.iter().zip(&self.ind) {
            let xt = m / norm;
            num += f * xt;
            den += xt;
        }
        den += EPS;
        let centroid = num / den;
        let spread_sum: f64 = mag
            .iter()
            .zip(&self.ind)
            .map(|(&m, &f)| (f - centroid) * (f - centroid) * (m / norm))
            .sum();
        let half = f64::from(self.fs) / 2.0;
        out[3] = centroid / half;
        out[4] = (spread_sum / den).sqrt() / half;

        out[5] = block_entropy(mag);

        // Flux.
        let sum_cur: f64 = mag.iter().map(|m| m + EPS).sum();
        let sum_prev: f64 = self.prev.iter().map(|m| m + EPS).sum();
        out[6] = mag
            .iter()
            .zip(&self.prev)
            .map(|(&a, &b)| {
                let d = a / sum_cur - b / sum_prev;
                d * d
            })
            .sum();

        // Roll-off.
        let power: f64 = mag.iter().map(|m| m * m).sum();
        let threshold = ROLLOFF_C * power;
        let mut cum = 0.0;
        out[7] = 0.0;
        for (k, m) in mag.iter().enumerate() {
            cum += m * m;
            if cum + EPS > threshold {
                out[7] = k as f64 / n as f64;
                break;
            }
        }

        // MFCC.
        let mut mspec = [0f64; 40];
        for (o, filt) in mspec.iter_mut().zip(&self.fbank) {
            let dot: f64 = filt
                .weights
                .iter()
                .zip(&mag[filt.start..filt.start + filt.weights.len()])
                .map(|(w, m)| w * m)
                .sum();
            *o = (dot + EPS).log10();
        }
        let n_filt = self.fbank.len();
        for k in 0..N_MFCC {
            let row = &self.dct[k * n_filt..(k + 1) * n_filt];
            out[MFCC_ROW + k] = row.iter().zip(&mspec).map(|(a, b)| a * b).sum();
        }

        // Chroma.
        let mut chroma = [0f64; N_CHROMA];
        for term in &self.chroma {
            let p = mag[term.src];
            chroma[term.class] += p * p / term.divisor;
        }
        let denom = if power == 0.0 { EPS } else { power };
        for c in &mut chroma {
            *c /= denom;
        }
        out[CHROMA_ROW..CHROMA_ROW + N_CHROMA].copy_from_slice(&chroma);
        let mean = chroma.iter().sum::<f64>() / N_CHROMA as f64;
        let var = chroma.iter().map(|c| (c - mean) * (c - mean)).sum::<f64>() / N_CHROMA as f64;
        out[CHROMA_ROW + N_CHROMA] = var.sqrt();

        self.prev.copy_from_slice(&self.mag);
    }
}

/// `dc_normalize`: remove the mean, divide by `max|x| + 1e-10`.
fn dc_normalize(x: &mut [f64]) {
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let mut peak = 0f64;
    for v in x.iter_mut() {
        *v -= mean;
        peak = peak.max(v.abs());
    }
    let d = peak + 1e-10;
    for v in x.iter_mut() {
        *v /= d;
    }
}

/// `ShortTermFeatures.feature_extraction(signal, fs, window, step, deltas=False)`: the 34 x
/// frames matrix ([`FEATURE_NAMES`] rows). `signal` as pyAudioAnalysis receives it (int16
/// values; see [`ShortTermExtractor::extract`]). Plans a [`ShortTermExtractor`] for the call;
/// keep one to analyse many signals at the same rate.
pub fn short_term_features<T: Copy + Into<f64>>(
    signal: &[T],
    fs: u32,
    window: usize,
    step: usize,
) -> Result<Array2<f64>> {
    ShortTermExtractor::new(fs, window, step)?.extract(signal)
}

/// The 2n x frames matrix of `feature_extraction(..., deltas=True)` (its default, what the
/// study computed): the rows of `feats`, then their frame-to-frame differences (zero on the
/// first frame).
pub fn with_deltas(feats: &Array2<f64>) -> Array2<f64> {
    let (rows, frames) = feats.dim();
    let mut out = Array2::<f64>::zeros((2 * rows, frames));
    out.slice_mut(s![..rows, ..]).assign(feats);
    if frames > 1 {
        let delta = &feats.slice(s![.., 1..]) - &feats.slice(s![.., ..frames - 1]);
        out.slice_mut(s![rows.., 1..]).assign(&delta);
    }
    out
}

/// How pyAudioAnalysis's rows fill the study's 13 columns (`chroma_stft, rmse, spec_cent,
/// spec_bw, rolloff, zcr, mfcc1..mfcc7`). Every value is a mean over all frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PyaaMapping {
    /// Exactly what the study's notebook wrote into
    /// `clip_features_and_labels_pyAudioAnalysis.csv` (0-based rows of the feature matrix):
    ///
    /// | column | rows | what it really is |
    /// |---|---|---|
    /// | `chroma_stft` | mean of rows 13–24 (`F[13:25]`) | MFCC 6–13 and chroma 1–4, **not chroma** (goes negative) |
    /// | `rmse` | row 1 | energy, a mean **square** of the peak-normalised signal, not an RMS |
    /// | `spec_cent` | row 3 | centroid as a fraction of fs/2, not Hz |
    /// | `spec_bw` | row 4 | spread as a fraction of fs/2 |
    /// | `rolloff` | row 7 | 90 % roll-off as a fraction of the bins, not Hz (librosa's is 85 %) |
    /// | `zcr` | row 0 | zero-crossing rate |
    /// | `mfcc1`..`mfcc5` | rows 8–12 | MFCC 1–5 |
    /// | `mfcc6` | mean of rows 8–12 (`F[8:13]`) | the mean of MFCC 1–5 |
    /// | `mfcc7` | mean of rows 8–12 | **the same as `mfcc6`** |
    ///
    /// The study's deleted CSV shows both quirks (mfcc6 == mfcc7 on all 1 772 rows,
    /// chroma_stft down to −0.216). Use it to reproduce that CSV.
    #[default]
    Study,
    /// What the column names promise: `chroma_stft` = mean of the 12 chroma rows 21–32,
    /// `rmse` = mean over frames of `sqrt(energy)` (a per-frame RMS), `spec_cent`, `spec_bw`
    /// and `rolloff` in Hz (the row times fs/2; the roll-off bin `k` becomes `k * fs / window`
    /// for even windows), `zcr` as is, `mfcc1..mfcc7` = MFCC 1–7 (rows 8–14; MFCC 1 is the
    /// log-energy coefficient, like librosa's `mfcc1`). pyAudioAnalysis's own quirks inside
    /// the rows (see the module docs) stay: this fixes the mapping, not the extractor.
    Corrected,
}

impl PyaaMapping {
    /// `"study"` or `"corrected"`.
    pub fn name(self) -> &'static str {
        match self {
            PyaaMapping::Study => "study",
            PyaaMapping::Corrected => "corrected",
        }
    }
}

impl fmt::Display for PyaaMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PyaaMapping {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "study" => Ok(PyaaMapping::Study),
            "corrected" => Ok(PyaaMapping::Corrected),
            other => Err(format!(
                "unknown pyAudioAnalysis mapping {other:?} (expected study or corrected)"
            )),
        }
    }
}

/// Mean over all frames and the given rows.
fn mean_rows(feats: &Array2<f64>, rows: std::ops::Range<usize>) -> f64 {
    let block = feats.slice(s![rows, ..]);
    block.sum() / block.len() as f64
}

/// The study's 13 columns (`chroma_stft, rmse, spec_cent, spec_bw, rolloff, zcr,
/// mfcc1..mfcc7`) from a [`short_term_features`] matrix (34 rows, or 68 with deltas: only the
/// base rows are read) of a signal at `fs` (used by [`PyaaMapping::Corrected`] for Hz).
///
/// # Panics
/// If `feats` has fewer than 34 rows or no frames.
pub fn study13(feats: &Array2<f64>, fs: u32, mapping: PyaaMapping) -> [f64; 13] {
    assert!(
        feats.nrows() >= N_FEATURES && feats.ncols() > 0,
        "study13 needs the 34 x frames matrix of short_term_features, got {:?}",
        feats.dim()
    );
    let row = |r: usize| mean_rows(feats, r..r + 1);
    let mut out = [0f64; 13];
    match mapping {
        PyaaMapping::Study => {
            out[0] = mean_rows(feats, 13..25);
            out[1] = row(1);
            out[2] = row(3);
            out[3] = row(4);
            out[4] = row(7);
            out[5] = row(0);
            for k in 0..5 {
                out[6 + k] = row(MFCC_ROW + k);
            }
            let m = mean_rows(feats, MFCC_ROW..MFCC_ROW + 5);
            out[11] = m;
            out[12] = m;
        }
        PyaaMapping::Corrected => {
            let half = f64::from(fs) / 2.0;
            out[0] = mean_rows(feats, CHROMA_ROW..CHROMA_ROW + N_CHROMA);
            let energy = feats.row(1);
            out[1] = energy.iter().map(|e| e.sqrt()).sum::<f64>() / energy.len() as f64;
            out[2] = row(3) * half;
            out[3] = row(4) * half;
            out[4] = row(7) * half;
            out[5] = row(0);
            for k in 0..7 {
                out[6 + k] = row(MFCC_ROW + k);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_step_truncates_like_int() {
        assert_eq!(window_step(48_000, 0.050, 0.025), (2400, 1200));
        assert_eq!(window_step(44_100, 0.050, 0.025), (2205, 1102));
        assert_eq!(window_step(22_050, 0.050, 0.025), (1102, 551));
    }

    #[test]
    fn pcm16_rounds_half_even_and_saturates() {
        let got = pcm16(&[
            0.0,
            1.5 / 32768.0,
            2.5 / 32768.0,
            -1.0,
            1.0,
            1.3,
            -1.3,
            f32::NAN,
        ]);
        assert_eq!(got, vec![0, 2, 2, -32768, 32767, 32767, -32768, 0]);
    }

    #[test]
    fn too_short_and_bad_parameters_are_errors() {
        let x = vec![0i16; 100];
        assert!(matches!(
            short_term_features(&x, 48_000, 2400, 1200),
            Err(DspError::InputTooShort {
                len: 100,
                min: 2400
            })
        ));
        assert!(ShortTermExtractor::new(48_000, 2400, 0).is_err());
        assert!(ShortTermExtractor::new(48_000, 10, 5).is_err());
        // A window too short for the chroma's first branch (pyAudioAnalysis raises from 234
        // samples down at 48 kHz; 240 works, see tests/pyaa.rs).
        assert!(ShortTermExtractor::new(48_000, 234, 117).is_err());
        assert!(ShortTermExtractor::new(48_000, 236, 118).is_ok());
        assert!(ShortTermExtractor::new(48_000, 200, 100).is_err());
        assert!(ShortTermExtractor::new(4_000, 200, 100).is_err());
    }

    #[test]
    fn frame_count_matches_the_while_loop() {
        let fx = ShortTermExtractor::new(48_000, 2400, 1200).expect("plan");
        assert_eq!(fx.n_frames(2399), 0);
        assert_eq!(fx.n_frames(2400), 1);
        assert_eq!(fx.n_frames(3599), 1);
        assert_eq!(fx.n_frames(3600), 2);
        assert_eq!(fx.n_frames(384_000), 319);
    }

    #[test]
    fn deltas_are_frame_differences() {
        let f = Array2::from_shape_vec((2, 3), vec![1.0, 3.0, 6.0, 0.0, -1.0, 1.0]).expect("shape");
        let d = with_deltas(&f);
        assert_eq!(d.dim(), (4, 3));
        assert_eq!(d.row(2).to_vec(), vec![0.0, 2.0, 3.0]);
        assert_eq!(d.row(3).to_vec(), vec![0.0, -1.0, 2.0]);
    }

    #[test]
    fn mappings_pick_the_documented_rows() {
        let frames = 2;
        let mut f = Array2::<f64>::zeros((N_FEATURES, frames));
        for r in 0..N_FEATURES {
            f[[r, 0]] = r as f64;
            f[[r, 1]] = r as f64 + 2.0;
        }
        f[[1, 0]] = 4.0;
        f[[1, 1]] = 16.0;
        let s = study13(&f, 48_000, PyaaMapping::Study);
        assert_eq!(s[0], (13..25).map(|r| r as f64 + 1.0).sum::<f64>() / 12.0);
        assert_eq!(s[1], 10.0);
        assert_eq!(s[2], 4.0);
        assert_eq!(s[4], 8.0);
        assert_eq!(s[5], 1.0);
        assert_eq!(s[6], 9.0);
        assert_eq!(s[11], 11.0);
        assert_eq!(s[12], 11.0);
        let c = study13(&f, 48_000, PyaaMapping::Corrected);
        assert_eq!(c[0], (21..33).map(|r| r as f64 + 1.0).sum::<f64>() / 12.0);
        assert_eq!(c[1], 3.0);
        assert_eq!(c[2], 4.0 * 24_000.0);
        assert_eq!(c[12], 15.0);
        assert_eq!(
            "Corrected".parse::<PyaaMapping>(),
            Ok(PyaaMapping::Corrected)
        );
        assert!("chroma".parse::<PyaaMapping>().is_err());
    }
}
