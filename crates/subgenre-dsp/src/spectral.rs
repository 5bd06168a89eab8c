//! Spectral and temporal frame features (`librosa.feature.spectral_*`, `rms`,
//! `zero_crossing_rate`).

use ndarray::{Array1, Array2};

use crate::convert::fft_frequencies;
use crate::db::power_to_db_f64;
use crate::error::{check_finite, invalid, DspError, Result};

/// Centroid and bandwidth (`p = 2`, `norm = True`) of one magnitude frame, in one pass.
///
/// librosa normalises the frame by its sum (left alone below `tiny(float32)`) and takes
/// `sum(freq * S)` and `sqrt(sum(S * (freq - centroid)**2))`; the second is computed here as
/// `sqrt(E[f^2] - centroid^2)` in f64, which agrees to ~1e-12 relative.
#[inline]
pub(crate) fn centroid_bandwidth_frame(s: &[f32], freqs: &[f64]) -> (f64, f64) {
    let n = s.len().min(freqs.len());
    let (s, freqs) = (&s[..n], &freqs[..n]);
    let mut a0 = [0f64; 4];
    let mut a1 = [0f64; 4];
    let mut a2 = [0f64; 4];
    let mut cs = s.chunks_exact(4);
    let mut cf = freqs.chunks_exact(4);
    for (x, f) in (&mut cs).zip(&mut cf) {
        for i in 0..4 {
            let v = f64::from(x[i]);
            let vf = v * f[i];
            a0[i] += v;
            a1[i] += vf;
            a2[i] += vf * f[i];
        }
    }
    let (mut s0, mut s1, mut s2) = (
        (a0[0] + a0[1]) + (a0[2] + a0[3]),
        (a1[0] + a1[1]) + (a1[2] + a1[3]),
        (a2[0] + a2[1]) + (a2[2] + a2[3]),
    );
    for (&x, &f) in cs.remainder().iter().zip(cf.remainder()) {
        let v = f64::from(x);
        s0 += v;
        s1 += v * f;
        s2 += v * f * f;
    }
    let norm = if s0 < f64::from(f32::MIN_POSITIVE) {
        1.0
    } else {
        s0
    };
    let centroid = s1 / norm;
    // sum(S/norm * (f - c)^2) = s2/norm - 2c s1/norm + c^2 s0/norm.
    let var = s2 / norm - 2.0 * centroid * (s1 / norm) + centroid * centroid * (s0 / norm);
    (centroid, var.max(0.0).sqrt())
}

/// Roll-off frequency of one magnitude frame: the lowest bin whose cumulative energy (an f32
/// running sum, exactly as `np.cumsum`) reaches `roll_percent` of the total. `cum` is a work
/// buffer of the frame's length.
#[inline]
pub(crate) fn rolloff_frame(s: &[f32], freqs: &[f64], roll_percent: f32, cum: &mut [f32]) -> f64 {
    let mut run = 0f32;
    for (c, &v) in cum.iter_mut().zip(s) {
        run += v;
        *c = run;
    }
    rolloff_from_cumsum(&cum[..s.len().min(cum.len())], freqs, roll_percent)
}

/// Roll-off from the running sum `cum` of a magnitude frame (its last value is the total).
#[inline]
pub(crate) fn rolloff_from_cumsum(cum: &[f32], freqs: &[f64], roll_percent: f32) -> f64 {
    let threshold = roll_percent * cum.last().copied().unwrap_or(0.0);
    // The running sum of non-negative values never decreases, so the first bin reaching the
    // threshold is a partition point.
    let k = cum.partition_point(|&c| c < threshold);
    freqs.get(k).or(freqs.last()).copied().unwrap_or(0.0)
}

fn check_spectrogram(s: &Array2<f32>) -> Result<usize> {
    if s.nrows() < 2 {
        return Err(DspError::ShapeMismatch {
            what: "spectrogram",
            expected: vec![1025, s.ncols()],
            found: s.shape().to_vec(),
        });
    }
    Ok(2 * (s.nrows() - 1))
}

fn per_frame(s: &Array2<f32>, mut f: impl FnMut(&[f32]) -> f64) -> Array1<f64> {
    let mut frame = vec![0f32; s.nrows()];
    s.columns()
        .into_iter()
        .map(|col| {
            frame.iter_mut().zip(col.iter()).for_each(|(o, &v)| *o = v);
            f(&frame)
        })
        .collect()
}

/// `librosa.feature.spectral_centroid(S=s, sr=sr)` for a magnitude spectrogram
/// `[1 + n_fft/2, n_frames]` (librosa uses magnitude, `power=1`, when given `y`).
pub fn spectral_centroid(s: &Array2<f32>, sr: f64) -> Result<Array1<f64>> {
    let freqs = fft_frequencies(sr, check_spectrogram(s)?);
    Ok(per_frame(s, |fr| centroid_bandwidth_frame(fr, &freqs).0))
}

/// `librosa.feature.spectral_bandwidth(S=s, sr=sr)` (`p=2`, `norm=True`).
pub fn spectral_bandwidth(s: &Array2<f32>, sr: f64) -> Result<Array1<f64>> {
    let freqs = fft_frequencies(sr, check_spectrogram(s)?);
    Ok(per_frame(s, |fr| centroid_bandwidth_frame(fr, &freqs).1))
}

/// `librosa.feature.spectral_rolloff(S=s, sr=sr, roll_percent=roll_percent)` (0.85 by default).
pub fn spectral_rolloff(s: &Array2<f32>, sr: f64, roll_percent: f32) -> Result<Array1<f64>> {
    if roll_percent.is_nan() || roll_percent <= 0.0 || roll_percent >= 1.0 {
        return Err(invalid("roll_percent", roll_percent, "must lie in (0, 1)"));
    }
    let freqs = fft_frequencies(sr, check_spectrogram(s)?);
    let mut cum = vec![0f32; s.nrows()];
    Ok(per_frame(s, |fr| {
        rolloff_frame(fr, &freqs, roll_percent, &mut cum)
    }))
}

fn check_framing(frame_length: usize, hop_length: usize) -> Result<()> {
    if frame_length == 0 {
        return Err(invalid("frame_length", 0.0, "must be positive"));
    }
    if hop_length == 0 {
        return Err(invalid("hop_length", 0.0, "must be positive"));
    }
    Ok(())
}

/// Number of frames `util.frame` makes of a signal of `len` samples (after centre padding).
pub(crate) fn n_frames(
    len: usize,
    frame_length: usize,
    hop_length: usize,
    center: bool,
) -> Result<usize> {
    if len == 0 {
        return Err(DspError::EmptyInput);
    }
    let padded = if center {
        len + 2 * (frame_length / 2)
    } else {
        len
    };
    if padded < frame_length {
        return Err(DspError::InputTooShort {
            len,
            min: frame_length - (padded - len),
        });
    }
    Ok(1 + (padded - frame_length) / hop_length)
}

/// Root-mean-square energy of each frame of `y` (`librosa.feature.rms(y=y, frame_length,
/// hop_length, center)`, zero padding), written into `out` (one value per frame).
///
/// When frames are whole numbers of hops (librosa's 2048 / 512), sums of squares are taken per
/// hop-sized block once (`blocks` is the work buffer) and added up per frame.
pub(crate) fn rms_into(
    y: &[f32],
    frame_length: usize,
    hop_length: usize,
    center: bool,
    blocks: &mut Vec<f64>,
    out: &mut [f32],
) {
    let pad = if center { frame_length / 2 } else { 0 };
    let sum_sq = |lo: isize, hi: isize| -> f64 {
        let lo = lo.clamp(0, y.len() as isize) as usize;
        let hi = hi.clamp(0, y.len() as isize) as usize;
        y.get(lo..hi)
            .unwrap_or(&[])
            .iter()
            .map(|&v| {
                let v = f64::from(v);
                v * v
            })
            .sum()
    };
    let inv = 1.0 / frame_length as f64;
    if frame_length % hop_length == 0 && pad % hop_length == 0 {
        let per = frame_length / hop_length;
        let n_blocks = out.len() + per - 1;
        blocks.clear();
        blocks.extend((0..n_blocks).map(|b| {
            let start = (b * hop_length) as isize - pad as isize;
            sum_sq(start, start + hop_length as isize)
        }));
        for (t, o) in out.iter_mut().enumerate() {
            let sum: f64 = blocks[t..t + per].iter().sum();
            *o = (sum * inv).sqrt() as f32;
        }
    } else {
        for (t, o) in out.iter_mut().enumerate() {
            let start = (t * hop_length) as isize - pad as isize;
            *o = (sum_sq(start, start + frame_length as isize) * inv).sqrt() as f32;
        }
    }
}

/// `librosa.feature.rms(y=y, frame_length=frame_length, hop_length=hop_length, center=center)`.
pub fn rms(y: &[f32], frame_length: usize, hop_length: usize, center: bool) -> Result<Array1<f32>> {
    check_framing(frame_length, hop_length)?;
    check_finite(y)?;
    let mut out = Array1::zeros(n_frames(y.len(), frame_length, hop_length, center)?);
    let mut blocks = Vec::new();
    if let Some(s) = out.as_slice_mut() {
        rms_into(y, frame_length, hop_length, center, &mut blocks, s);
    }
    Ok(out)
}

/// `librosa.feature.rms(S=s, frame_length=frame_length)` from a magnitude spectrogram
/// `[frame_length / 2 + 1, n_frames]`: Parseval's sum of each frame's power, the DC (and, for an
/// even `frame_length`, the Nyquist) bin counted half.
pub fn rms_from_spectrogram(s: &Array2<f32>, frame_length: usize) -> Result<Array1<f32>> {
    if frame_length == 0 || s.nrows() != frame_length / 2 + 1 {
        return Err(DspError::ShapeMismatch {
            what: "S (for frame_length)",
            expected: vec![frame_length / 2 + 1, s.ncols()],
            found: s.shape().to_vec(),
        });
    }
    let last = s.nrows() - 1;
    let scale = 2.0 / (frame_length as f64 * frame_length as f64);
    Ok(Array1::from_iter(s.columns().into_iter().map(|col| {
        let sum: f64 = col
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                let p = f64::from(v) * f64::from(v);
                if k == 0 || (k == last && frame_length % 2 == 0) {
                    0.5 * p
                } else {
                    p
                }
            })
            .sum();
        (sum * scale).sqrt() as f32
    })))
}

/// Zero-crossing rate of each frame, written into `out`
/// (`librosa.feature.zero_crossing_rate` with `threshold=1e-10`, `zero_pos=True`, edge padding).
///
/// `crossings` is a work buffer: `crossings[i]` counts the sign changes between consecutive
/// samples of `y` up to sample `i`. Edge padding repeats the end samples, which adds no crossing.
pub(crate) fn zcr_into(
    y: &[f32],
    frame_length: usize,
    hop_length: usize,
    center: bool,
    crossings: &mut Vec<u32>,
    out: &mut [f32],
) {
    let n = out.len();
    zcr_frames(y, frame_length, hop_length, center, crossings, n, |t, v| {
        out[t] = v as f32;
    });
}

/// The zero-crossing rate of frames `0..n_frames` in float64 (librosa's dtype: the mean of
/// a boolean array), handed to `emit(frame, rate)`.
fn zcr_frames(
    y: &[f32],
    frame_length: usize,
    hop_length: usize,
    center: bool,
    crossings: &mut Vec<u32>,
    n_frames: usize,
    mut emit: impl FnMut(usize, f64),
) {
    let pad = if center { frame_length / 2 } else { 0 };
    // |v| <= threshold counts as 0, which has a positive sign bit.
    let negative = |v: f32| v < -1e-10;
    crossings.clear();
    crossings.resize(y.len(), 0);
    let mut count = 0u32;
    for (c, w) in crossings.iter_mut().skip(1).zip(y.windows(2)) {
        count += u32::from(negative(w[0]) != negative(w[1]));
        *c = count;
    }
    let last = y.len().saturating_sub(1) as isize;
    for t in 0..n_frames {
        // Frame positions 1..frame_length (the first is `pad=False`) compare padded samples
        // q - 1 and q, q in start+1 ..= start+frame_length-1, i.e. y indices j in (lo, hi].
        let lo = (t * hop_length) as isize - pad as isize;
        let hi = lo + frame_length as isize - 1;
        let (lo, hi) = (lo.clamp(0, last) as usize, hi.clamp(0, last) as usize);
        let c = if hi > lo {
            crossings[hi] - crossings[lo]
        } else {
            0
        };
        emit(t, f64::from(c) / frame_length as f64);
    }
}

/// `librosa.feature.zero_crossing_rate(y, frame_length=frame_length, hop_length=hop_length,
/// center=center)`, float64 as librosa returns it.
pub fn zero_crossing_rate(
    y: &[f32],
    frame_length: usize,
    hop_length: usize,
    center: bool,
) -> Result<Array1<f64>> {
    check_framing(frame_length, hop_length)?;
    check_finite(y)?;
    let mut out = Array1::zeros(n_frames(y.len(), frame_length, hop_length, center)?);
    let mut buf = Vec::new();
    let n = out.len();
    zcr_frames(y, frame_length, hop_length, center, &mut buf, n, |t, v| {
        out[t] = v
    });
    Ok(out)
}

/// Octave-band spectral contrast (`librosa.feature.spectral_contrast`), planned for one
/// sample rate and FFT size.
#[derive(Debug, Clone)]
pub struct SpectralContrast {
    /// Per band: bins `start..end` of the sub-band and the quantile count `idx`.
    bands: Vec<(usize, usize, usize)>,
    scratch: Vec<f32>,
}

impl SpectralContrast {
    /// librosa's defaults: `fmin=200`, `n_bands=6`, `quantile=0.02`.
    pub fn new(sr: f64, n_fft: usize) -> Result<Self> {
        Self::with_params(sr, n_fft, 200.0, 6, 0.02)
    }

    /// Explicit `fmin`, `n_bands`, `quantile`.
    pub fn with_params(
        sr: f64,
        n_fft: usize,
        fmin: f64,
        n_bands: usize,
        quantile: f64,
    ) -> Result<Self> {
        if n_bands < 1 {
            return Err(invalid("n_bands", 0.0, "must be a positive integer"));
        }
        if quantile.is_nan() || quantile <= 0.0 || quantile >= 1.0 {
            return Err(invalid("quantile", quantile, "must lie in (0, 1)"));
        }
        if fmin.is_nan() || fmin <= 0.0 {
            return Err(invalid("fmin", fmin, "must be a positive number"));
        }
        if n_fft < 2 {
            return Err(invalid("n_fft", n_fft as f64, "must be at least 2"));
        }
        let freqs = fft_frequencies(sr, n_fft);
        let mut octa = vec![0.0; n_bands + 2];
        for (i, o) in octa.iter_mut().enumerate().skip(1) {
            *o = fmin * 2f64.powi(i as i32 - 1);
        }
        if octa[..n_bands + 1].iter().any(|&o| o >= 0.5 * sr) {
            return Err(invalid(
                "n_bands",
                n_bands as f64,
                "frequency band exceeds Nyquist; reduce either fmin or n_bands",
            ));
        }
        let mut bands = Vec::with_capacity(n_bands + 1);
        for k in 0..=n_bands {
            let (f_low, f_high) = (octa[k], octa[k + 1]);
            let first = freqs.iter().position(|&f| f >= f_low && f <= f_high);
            let last = freqs.iter().rposition(|&f| f >= f_low && f <= f_high);
            let (Some(mut first), Some(mut last)) = (first, last) else {
                return Err(invalid(
                    "n_fft",
                    n_fft as f64,
                    "too short: a contrast band holds no FFT bin",
                ));
            };
            if k > 0 {
                first = first.saturating_sub(1);
            }
            if k == n_bands {
                last = freqs.len() - 1;
            }
            let count = last + 1 - first;
            let idx = ((quantile * count as f64).round_ties_even() as usize).max(1);
            // The sub-band drops its top bin, except in the last band.
            let end = if k < n_bands { last } else { last + 1 };
            if end <= first || idx > end - first {
                return Err(invalid(
                    "n_fft",
                    n_fft as f64,
                    "too short: a contrast band holds too few bins",
                ));
            }
            bands.push((first, end, idx));
        }
        Ok(Self {
            bands,
            scratch: Vec::new(),
        })
    }

    /// Number of bands (`n_bands + 1`).
    pub fn n_bands(&self) -> usize {
        self.bands.len()
    }

    /// Peak and valley (mean of the top and bottom quantile) of each band of one magnitude frame.
    pub(crate) fn peaks_valleys(&mut self, s: &[f32], peak: &mut [f64], valley: &mut [f64]) {
        for (b, &(start, end, idx)) in self.bands.iter().enumerate() {
            let band = &s[start..end];
            let (lo, hi) = extreme_sums(band, idx, &mut self.scratch);
            // np.mean of float32 values gives float32.
            valley[b] = f64::from((lo / idx as f64) as f32);
            peak[b] = f64::from((hi / idx as f64) as f32);
        }
    }

    /// Contrast in dB, `[n_bands + 1, n_frames]`, of a magnitude spectrogram
    /// (`power_to_db(peak) - power_to_db(valley)`, each with `top_db=80` over the whole clip),
    /// in float64 as librosa returns it.
    pub fn compute(&mut self, s: &Array2<f32>) -> Result<Array2<f64>> {
        let expected = self.bands.last().map_or(0, |b| b.1);
        if s.nrows() != expected {
            return Err(DspError::ShapeMismatch {
                what: "spectrogram",
                expected: vec![expected, s.ncols()],
                found: s.shape().to_vec(),
            });
        }
        let nb = self.n_bands();
        let t = s.ncols();
        let mut peak = vec![0f64; nb * t];
        let mut valley = vec![0f64; nb * t];
        let mut frame = vec![0f32; s.nrows()];
        for (j, col) in s.columns().into_iter().enumerate() {
            frame.iter_mut().zip(col.iter()).for_each(|(o, &v)| *o = v);
            self.peaks_valleys(
                &frame,
                &mut peak[j * nb..(j + 1) * nb],
                &mut valley[j * nb..(j + 1) * nb],
            );
        }
        Ok(contrast_db_f64(&mut peak, &mut valley, nb, t))
    }
}

/// Sums of the `k` smallest and the `k` largest values of `v` (`1 <= k <= v.len()`).
///
/// librosa sorts each band; only these two sums are needed. For small `k` (librosa's quantile
/// 0.02 gives 1 to 9) the minima (maxima) of 32 interleaved groups give a bound that at least
/// `k` values meet, so only the few values beyond it are ranked; larger `k` uses selection in
/// `scratch`.
fn extreme_sums(v: &[f32], k: usize, scratch: &mut Vec<f32>) -> (f64, f64) {
    let n = v.len();
    if k >= n {
        let s: f64 = v.iter().map(|&x| f64::from(x)).sum();
        return (s, s);
    }
    if k <= SMALL {
        return (k_extreme_sum::<false>(v, k), k_extreme_sum::<true>(v, k));
    }
    scratch.clear();
    scratch.extend_from_slice(v);
    scratch.select_nth_unstable_by(k, f32::total_cmp);
    let lo: f64 = scratch[..k].iter().map(|&x| f64::from(x)).sum();
    scratch.select_nth_unstable_by(n - k, f32::total_cmp);
    let hi: f64 = scratch[n - k..].iter().map(|&x| f64::from(x)).sum();
    (lo, hi)
}

const SMALL: usize = 16;

/// `a` ranks before `b`: smaller for the smallest values, larger for the largest.
#[inline(always)]
fn before<const LARGEST: bool>(a: f32, b: f32) -> bool {
    if LARGEST {
        a > b
    } else {
        a < b
    }
}

/// The `k <= SMALL` first values of `values` in rank order (a short insertion list).
#[inline]
fn top_k<const LARGEST: bool>(values: impl Iterator<Item = f32>, k: usize) -> [f32; SMALL] {
    let worst = if LARGEST {
        f32::NEG_INFINITY
    } else {
        f32::INFINITY
    };
    let mut top = [worst; SMALL];
    for x in values {
        if before::<LARGEST>(x, top[k - 1]) {
            let mut i = k - 1;
            while i > 0 && before::<LARGEST>(x, top[i - 1]) {
                top[i] = top[i - 1];
                i -= 1;
            }
            top[i] = x;
        }
    }
    top
}

/// Sum of the `k <= SMALL` smallest (or largest) values of `v`, `k < v.len()`.
fn k_extreme_sum<const LARGEST: bool>(v: &[f32], k: usize) -> f64 {
    const LANES: usize = 32;
    #[inline(always)]
    fn pick<const LARGEST: bool>(a: f32, b: f32) -> f32 {
        if before::<LARGEST>(b, a) {
            b
        } else {
            a
        }
    }
    let worst = if LARGEST {
        f32::NEG_INFINITY
    } else {
        f32::INFINITY
    };
    if v.len() < LANES {
        let top = top_k::<LARGEST>(v.iter().copied(), k);
        return top[..k].iter().map(|&x| f64::from(x)).sum();
    }
    // Lane-wise extremes over chunks (vectorises): each lane's extreme is a value of v, so at
    // least k values rank at or before the k-th best lane extreme, and only those can be among
    // the k best.
    let mut lanes = [worst; LANES];
    let mut chunks = v.chunks_exact(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            lanes[i] = pick::<LARGEST>(lanes[i], c[i]);
        }
    }
    for (l, &x) in lanes.iter_mut().zip(chunks.remainder()) {
        *l = pick::<LARGEST>(*l, x);
    }
    if k == 1 {
        return f64::from(lanes.iter().copied().fold(worst, pick::<LARGEST>));
    }
    let bound = top_k::<LARGEST>(lanes.iter().copied(), k)[k - 1];
    let top = top_k::<LARGEST>(
        v.iter().copied().filter(|&x| !before::<LARGEST>(bound, x)),
        k,
    );
    top[..k].iter().map(|&x| f64::from(x)).sum()
}

/// Finishes spectral contrast from frame-major peak / valley buffers (`[t][band]`).
pub(crate) fn contrast_db_f64(
    peak: &mut [f64],
    valley: &mut [f64],
    n_bands: usize,
    n_frames: usize,
) -> Array2<f64> {
    power_to_db_f64(peak, 1e-10, Some(80.0));
    power_to_db_f64(valley, 1e-10, Some(80.0));
    Array2::from_shape_fn((n_bands, n_frames), |(b, t)| {
        peak[t * n_bands + b] - valley[t * n_bands + b]
    })
}

/// [`contrast_db_f64`] rounded to float32 (the feature tables' precision).
pub(crate) fn contrast_db(
    peak: &mut [f64],
    valley: &mut [f64],
    n_bands: usize,
    n_frames: usize,
) -> Array2<f32> {
    contrast_db_f64(peak, valley, n_bands, n_frames).mapv(|v| v as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use ndarray::Array2;

    #[test]
    fn centroid_bandwidth_rolloff_of_two_bins() -> Result<()> {
        // n_fft = 8 at sr = 8: bins at 0..=4 Hz.
        let mut s = Array2::<f32>::zeros((5, 2));
        s[[1, 0]] = 1.0;
        s[[3, 0]] = 1.0;
        let c = spectral_centroid(&s, 8.0)?;
        assert_relative_eq!(c[0], 2.0);
        assert_eq!(c[1], 0.0);
        let b = spectral_bandwidth(&s, 8.0)?;
        assert_relative_eq!(b[0], 1.0);
        let r = spectral_rolloff(&s, 8.0, 0.85)?;
        assert_relative_eq!(r[0], 3.0);
        assert_eq!(r[1], 0.0);
        assert!(spectral_rolloff(&s, 8.0, 1.0).is_err());
        Ok(())
    }

    #[test]
    fn rms_of_constant_and_centre_padding() -> Result<()> {
        let y = vec![0.5f32; 4096];
        let r = rms(&y, 2048, 512, true)?;
        assert_eq!(r.len(), 9);
        // First frame: half zeros, half 0.5.
        assert_relative_eq!(r[0], (0.25f32 / 2.0).sqrt(), max_relative = 1e-6);
        assert_relative_eq!(r[4], 0.5, max_relative = 1e-6);
        let r = rms(&y, 2048, 512, false)?;
        assert_eq!(r.len(), 5);
        Ok(())
    }

    #[test]
    fn zcr_of_alternating_signal() -> Result<()> {
        let y: Vec<f32> = (0..8192)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let z = zero_crossing_rate(&y, 2048, 512, true)?;
        assert_eq!(z.len(), 17);
        // Middle frames: 2047 crossings out of 2048 positions.
        assert_relative_eq!(z[8], 2047.0 / 2048.0);
        // Silence has none; tiny values count as zero (positive).
        let z = zero_crossing_rate(&[1e-12, -1e-12, 0.0, -1e-11], 4, 1, true)?;
        assert!(z.iter().all(|&v| v == 0.0));
        assert!(zero_crossing_rate(&[], 2048, 512, true).is_err());
        Ok(())
    }

    #[test]
    fn extreme_sums_small_and_large_k() {
        let mut scratch = Vec::new();
        for n in [5usize, 37, 64, 100, 431] {
            // Distinct values in scrambled order, plus ties.
            let v: Vec<f32> = (0..n).map(|i| ((i * 37) % 101) as f32).collect();
            let mut sorted = v.clone();
            sorted.sort_by(f32::total_cmp);
            for k in [1, 2, 3, 9, 16, 17, 40, 99, 100, 431] {
                if k > n {
                    continue;
                }
                let lo: f64 = sorted[..k].iter().map(|&x| f64::from(x)).sum();
                let hi: f64 = sorted[n - k..].iter().map(|&x| f64::from(x)).sum();
                assert_eq!(
                    extreme_sums(&v, k, &mut scratch),
                    (lo, hi),
                    "n = {n}, k = {k}"
                );
            }
        }
    }

    #[test]
    fn contrast_bands_and_errors() -> Result<()> {
        let c = SpectralContrast::new(22050.0, 2048)?;
        assert_eq!(c.n_bands(), 7);
        assert!(SpectralContrast::new(8000.0, 2048).is_err());
        assert!(SpectralContrast::with_params(22050.0, 2048, 200.0, 6, 1.5).is_err());
        Ok(())
    }
}
