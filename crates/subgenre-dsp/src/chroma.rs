//! Chroma (`librosa.filters.chroma`, `librosa.feature.chroma_stft`) and tuning estimation
//! (`librosa.piptrack`, `librosa.pitch_tuning`, `librosa.estimate_tuning`).

use ndarray::Array2;

use crate::convert::{fft_frequencies, hz_to_octs, linspace};
use crate::error::{invalid, DspError, Result};

/// A chroma filterbank (`librosa.filters.chroma` with its defaults `ctroct=5`, `octwidth=2`,
/// `norm=2`, `base_c=True`), stored densely as `[n_chroma][1 + n_fft/2]` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ChromaFilterbank {
    n_chroma: usize,
    n_bins: usize,
    tuning: f64,
    weights: Vec<f32>,
}

impl ChromaFilterbank {
    /// `librosa.filters.chroma(sr=sr, n_fft=n_fft, n_chroma=n_chroma, tuning=tuning)`.
    pub fn new(sr: f64, n_fft: usize, n_chroma: usize, tuning: f64) -> Result<Self> {
        if sr.is_nan() || sr <= 0.0 {
            return Err(invalid("sr", sr, "must be positive"));
        }
        if n_fft < 2 {
            return Err(invalid("n_fft", n_fft as f64, "must be at least 2"));
        }
        if n_chroma == 0 {
            return Err(invalid("n_chroma", 0.0, "must be positive"));
        }
        if !tuning.is_finite() {
            return Err(invalid("tuning", tuning, "must be finite"));
        }
        let ctroct = 5.0;
        let octwidth = 2.0;
        let nc = n_chroma as f64;
        // frequencies = linspace(0, sr, n_fft, endpoint=False)[1:]
        let step = sr / n_fft as f64;
        let mut frqbins = Vec::with_capacity(n_fft);
        frqbins.push(0.0);
        for k in 1..n_fft {
            frqbins.push(nc * hz_to_octs(k as f64 * step, tuning, n_chroma));
        }
        frqbins[0] = frqbins[1] - 1.5 * nc;
        let binwidth: Vec<f64> = (0..n_fft)
            .map(|j| {
                if j + 1 < n_fft {
                    (frqbins[j + 1] - frqbins[j]).max(1.0)
                } else {
                    1.0
                }
            })
            .collect();
        let n_chroma2 = (nc / 2.0).round_ties_even();
        let n_bins = n_fft / 2 + 1;
        let shift = 3 * (n_chroma / 12);
        let mut weights = vec![0f32; n_chroma * n_bins];
        let mut column = vec![0f64; n_chroma];
        for j in 0..n_bins {
            for (c, w) in column.iter_mut().enumerate() {
                let d = frqbins[j] - c as f64;
                let d = (d + n_chroma2 + 10.0 * nc).rem_euclid(nc) - n_chroma2;
                let z = 2.0 * d / binwidth[j];
                *w = (-0.5 * z * z).exp();
            }
            // util.normalize(norm=2, axis=0) in f64 (threshold: tiny(f64)).
            let mut length = column.iter().map(|w| w * w).sum::<f64>().sqrt();
            if length < f64::MIN_POSITIVE {
                length = 1.0;
            }
            let z = (frqbins[j] / nc - ctroct) / octwidth;
            let oct = (-0.5 * z * z).exp();
            for c in 0..n_chroma {
                // np.roll(wts, -shift, axis=0): row c takes old row c + shift.
                let src = (c + shift) % n_chroma;
                weights[c * n_bins + j] = (column[src] / length * oct) as f32;
            }
        }
        Ok(Self {
            n_chroma,
            n_bins,
            tuning,
            weights,
        })
    }

    /// Number of chroma bins.
    pub fn n_chroma(&self) -> usize {
        self.n_chroma
    }

    /// Number of FFT bins, `1 + n_fft/2`.
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// The tuning (fractions of a bin) the filterbank was made for.
    pub fn tuning(&self) -> f64 {
        self.tuning
    }

    /// Weights of chroma bin `c` over the FFT bins.
    pub fn row(&self, c: usize) -> &[f32] {
        &self.weights[c * self.n_bins..(c + 1) * self.n_bins]
    }

    /// The dense `[n_chroma, 1 + n_fft/2]` matrix, as librosa returns it.
    pub fn to_dense(&self) -> Array2<f32> {
        Array2::from_shape_fn((self.n_chroma, self.n_bins), |(c, k)| self.row(c)[k])
    }

    /// Raw (unnormalised) chroma of `n` consecutive power-spectrum frames stored frame-major in
    /// `power` (`power[t * n_bins..]`), written frame-major into `out` (`out[t * n_chroma..]`).
    pub fn apply_frames(&self, power: &[f32], out: &mut [f32]) {
        let nb = self.n_bins;
        let nc = self.n_chroma;
        let n = (power.len() / nb).min(out.len() / nc);
        let mut t = 0;
        while t + 4 <= n {
            let p = [
                &power[t * nb..(t + 1) * nb],
                &power[(t + 1) * nb..(t + 2) * nb],
                &power[(t + 2) * nb..(t + 3) * nb],
                &power[(t + 3) * nb..(t + 4) * nb],
            ];
            for c in 0..nc {
                let d = dot4_f32(self.row(c), p);
                for (f, v) in d.into_iter().enumerate() {
                    out[(t + f) * nc + c] = v;
                }
            }
            t += 4;
        }
        while t < n {
            self.apply_frame(&power[t * nb..(t + 1) * nb], &mut out[t * nc..(t + 1) * nc]);
            t += 1;
        }
    }

    /// Raw (unnormalised) chroma of one power-spectrum frame.
    #[inline]
    pub fn apply_frame(&self, power: &[f32], out: &mut [f32]) {
        for (c, o) in out.iter_mut().enumerate().take(self.n_chroma) {
            *o = dot_f32(self.row(c), power);
        }
    }
}

/// f32 dot product with eight independent accumulators (vectorises; f32 like librosa's sgemm).
#[inline(always)]
pub(crate) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0f32;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// Four dot products of `w` with `p[0..4]` (same length), loading `w` once.
#[inline]
fn dot4_f32(w: &[f32], p: [&[f32]; 4]) -> [f32; 4] {
    let n = p.iter().fold(w.len(), |m, x| m.min(x.len()));
    let w = &w[..n];
    let p = [&p[0][..n], &p[1][..n], &p[2][..n], &p[3][..n]];
    let mut acc = [[0f32; 8]; 4];
    let chunks = n / 8;
    for i in 0..chunks {
        let k = i * 8;
        let wc = &w[k..k + 8];
        for (a, pf) in acc.iter_mut().zip(&p) {
            let pc = &pf[k..k + 8];
            for l in 0..8 {
                a[l] += wc[l] * pc[l];
            }
        }
    }
    let mut out = [0f32; 4];
    for (f, (o, a)) in out.iter_mut().zip(&acc).enumerate() {
        let mut tail = 0f32;
        for k in chunks * 8..n {
            tail += w[k] * p[f][k];
        }
        *o = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7])) + tail;
    }
    out
}

/// `util.normalize(chroma, norm=inf, axis=0)` for one frame: divide by the maximum unless it is
/// below `tiny(float32)`.
#[inline]
pub(crate) fn normalize_inf(frame: &mut [f32]) {
    let max = frame.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs()));
    let length = if max < f64::from(f32::MIN_POSITIVE) {
        1.0
    } else {
        max
    };
    for v in frame.iter_mut() {
        *v = (f64::from(*v) / length) as f32;
    }
}

/// Per-frame pitch tracking by parabolic interpolation (`librosa.piptrack` with its defaults
/// `fmin=150`, `fmax=4000`, `threshold=0.1`, `ref=np.max`), collecting the candidate
/// pitches and magnitudes that `estimate_tuning` needs.
#[derive(Debug, Clone)]
pub struct PitchTracker {
    sr: f64,
    n_fft: usize,
    bin_lo: usize,
    bin_hi: usize,
    threshold: f32,
    pitches: Vec<f32>,
    mags: Vec<f32>,
}

impl PitchTracker {
    /// Tracker for spectra of `1 + n_fft/2` bins at rate `sr`, with librosa's defaults.
    pub fn new(sr: f64, n_fft: usize) -> Result<Self> {
        Self::with_params(sr, n_fft, 150.0, 4000.0, 0.1)
    }

    /// Tracker with explicit `fmin`, `fmax` and `threshold` (a fraction of each frame's maximum).
    pub fn with_params(
        sr: f64,
        n_fft: usize,
        fmin: f64,
        fmax: f64,
        threshold: f32,
    ) -> Result<Self> {
        if sr.is_nan() || sr <= 0.0 {
            return Err(invalid("sr", sr, "must be positive"));
        }
        if n_fft < 2 {
            return Err(invalid("n_fft", n_fft as f64, "must be at least 2"));
        }
        if threshold.is_nan() || threshold < 0.0 {
            return Err(invalid("threshold", threshold, "must be non-negative"));
        }
        let fmin = fmin.max(0.0);
        let fmax = fmax.min(sr / 2.0);
        let freqs = fft_frequencies(sr, n_fft);
        // freq_mask = (fmin <= f) & (f < fmax), a contiguous range of bins.
        let bin_lo = freqs.iter().position(|&f| fmin <= f).unwrap_or(freqs.len());
        let bin_hi = freqs.iter().rposition(|&f| f < fmax).map_or(0, |k| k + 1);
        Ok(Self {
            sr,
            n_fft,
            bin_lo,
            bin_hi: bin_hi.max(bin_lo),
            threshold,
            pitches: Vec::new(),
            mags: Vec::new(),
        })
    }

    /// Forgets the candidates collected so far.
    pub fn clear(&mut self) {
        self.pitches.clear();
        self.mags.clear();
    }

    /// The candidates collected so far: `(pitches in Hz, magnitudes)`.
    pub fn candidates(&self) -> (&[f32], &[f32]) {
        (&self.pitches, &self.mags)
    }

    /// Adds the peaks of one spectrum frame (`s.len() == 1 + n_fft/2`).
    pub fn push_frame(&mut self, s: &[f32]) {
        let max = s.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        self.push_frame_with_max(s, max);
    }

    /// [`PitchTracker::push_frame`] for a caller that already knows the frame's maximum.
    #[inline]
    pub(crate) fn push_frame_with_max(&mut self, s: &[f32], max: f32) {
        let n = s.len();
        if n < 3 {
            return;
        }
        let ref_value = self.threshold * max;
        let x = |k: usize| if s[k] > ref_value { s[k] } else { 0.0 };
        let hi = self.bin_hi.min(n);
        for k in self.bin_lo.max(1)..hi {
            let xk = x(k);
            let is_max = if k == n - 1 {
                xk > x(k - 1)
            } else {
                xk > x(k - 1) && xk >= x(k + 1)
            };
            if !is_max {
                continue;
            }
            let (shift, avg) = if k == n - 1 {
                (0f32, s[k] - s[k - 1])
            } else {
                (
                    parabolic_shift(s[k - 1], s[k], s[k + 1]),
                    (s[k + 1] - s[k - 1]) / 2.0,
                )
            };
            let dskew = 0.5 * avg * shift;
            let pitch = ((k as f64 + f64::from(shift)) * self.sr / self.n_fft as f64) as f32;
            self.pitches.push(pitch);
            self.mags.push(s[k] + dskew);
        }
    }

    /// `librosa.estimate_tuning` over the frames pushed so far: the pitches whose magnitude is
    /// at least the median candidate magnitude go to [`pitch_tuning`].
    pub fn estimate_tuning(&mut self, resolution: f64, bins_per_octave: usize) -> Result<f64> {
        check_tuning_params(resolution, bins_per_octave)?;
        let mut sel = Vec::with_capacity(self.mags.len());
        let mut sorted: Vec<f32> = self
            .pitches
            .iter()
            .zip(&self.mags)
            .filter(|(p, _)| **p > 0.0)
            .map(|(_, m)| *m)
            .collect();
        let threshold = median_f32(&mut sorted).unwrap_or(0.0);
        for (p, m) in self.pitches.iter().zip(&self.mags) {
            if *m >= threshold && *p > 0.0 {
                sel.push(*p);
            }
        }
        Ok(pitch_tuning_unchecked(&sel, resolution, bins_per_octave))
    }
}

/// librosa's `_parabolic_interpolation` stencil. numba promotes `2 * x[0]` and `/ 2` to f64.
#[inline]
fn parabolic_shift(xm1: f32, x0: f32, x1: f32) -> f32 {
    let a = f64::from(x1 + xm1) - 2.0 * f64::from(x0);
    let b = f64::from(x1 - xm1) / 2.0;
    if b.abs() >= a.abs() {
        0.0
    } else {
        (-b / a) as f32
    }
}

/// `np.median` of f32 values (the mean of the two middle values, in f32, for even counts).
fn median_f32(v: &mut [f32]) -> Option<f32> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    let (lo, m, _) = v.select_nth_unstable_by(mid, f32::total_cmp);
    let upper = *m;
    if n % 2 == 1 {
        Some(upper)
    } else {
        let lower = lo.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        Some((lower + upper) / 2.0)
    }
}

fn check_tuning_params(resolution: f64, bins_per_octave: usize) -> Result<()> {
    if resolution.is_nan() || resolution <= 0.0 || resolution >= 1.0 {
        return Err(invalid("resolution", resolution, "must be in (0, 1)"));
    }
    if bins_per_octave == 0 {
        return Err(invalid("bins_per_octave", 0.0, "must be positive"));
    }
    Ok(())
}

/// `librosa.pitch_tuning(frequencies, resolution, bins_per_octave)`: the most common deviation
/// (in fractions of a bin, in `[-0.5, 0.5)`) of the frequencies from the A440 equal-tempered grid,
/// by histogram. Computed in f32 like librosa for float32 frequencies; 0 for an empty set.
pub fn pitch_tuning(frequencies: &[f32], resolution: f64, bins_per_octave: usize) -> Result<f64> {
    check_tuning_params(resolution, bins_per_octave)?;
    Ok(pitch_tuning_unchecked(
        frequencies,
        resolution,
        bins_per_octave,
    ))
}

fn pitch_tuning_unchecked(frequencies: &[f32], resolution: f64, bins_per_octave: usize) -> f64 {
    let n_edges = (1.0 / resolution).ceil() as usize + 1;
    let edges = linspace(-0.5, 0.5, n_edges);
    let mut counts = vec![0usize; n_edges - 1];
    let bpo = bins_per_octave as f32;
    // hz_to_octs in f32: log2(f / (440 / 16)).
    let c0 = 27.5f32;
    let mut any = false;
    for &f in frequencies.iter().filter(|&&f| f > 0.0) {
        any = true;
        let mut r = (bpo * (f / c0).log2()).rem_euclid(1.0);
        if r >= 0.5 {
            r -= 1.0;
        }
        let r = f64::from(r);
        // np.histogram: bin i holds edges[i] <= r < edges[i + 1]; the last bin is closed.
        let upto = edges.partition_point(|&e| e <= r);
        if upto == 0 {
            continue;
        }
        let bin = if upto == n_edges {
            if r == edges[n_edges - 1] {
                n_edges - 2
            } else {
                continue;
            }
        } else {
            upto - 1
        };
        counts[bin] += 1;
    }
    if !any {
        return 0.0;
    }
    let mut best = 0;
    for (i, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = i;
        }
    }
    edges[best]
}

/// `librosa.estimate_tuning(S=s, sr=sr, n_fft=n_fft)` from a spectrogram `s`
/// (`[1 + n_fft/2, n_frames]`; librosa's `chroma_stft` passes the power spectrogram).
pub fn estimate_tuning(
    s: &Array2<f32>,
    sr: f64,
    resolution: f64,
    bins_per_octave: usize,
) -> Result<f64> {
    let n_fft = 2 * s.nrows().saturating_sub(1);
    let mut tracker = PitchTracker::new(sr, n_fft)?;
    let mut frame = vec![0f32; s.nrows()];
    for col in s.columns() {
        frame.iter_mut().zip(col.iter()).for_each(|(f, &v)| *f = v);
        tracker.push_frame(&frame);
    }
    tracker.estimate_tuning(resolution, bins_per_octave)
}

/// `librosa.feature.chroma_stft(S=power, sr=sr, tuning=tuning)` from a power spectrogram
/// (`[1 + n_fft/2, n_frames]`); `tuning = None` estimates it as librosa does. Returns
/// `[n_chroma, n_frames]`, each frame scaled to a maximum of 1.
pub fn chroma_stft(
    power: &Array2<f32>,
    sr: f64,
    n_chroma: usize,
    tuning: Option<f64>,
) -> Result<Array2<f32>> {
    if power.nrows() < 2 {
        return Err(DspError::ShapeMismatch {
            what: "power spectrogram",
            expected: vec![1025, power.ncols()],
            found: power.shape().to_vec(),
        });
    }
    let n_fft = 2 * (power.nrows() - 1);
    let tuning = match tuning {
        Some(t) => t,
        None => estimate_tuning(power, sr, 0.01, n_chroma)?,
    };
    let fb = ChromaFilterbank::new(sr, n_fft, n_chroma, tuning)?;
    let mut out = Array2::zeros((n_chroma, power.ncols()));
    let mut frame = vec![0f32; power.nrows()];
    let mut chroma = vec![0f32; n_chroma];
    for (t, col) in power.columns().into_iter().enumerate() {
        frame.iter_mut().zip(col.iter()).for_each(|(f, &v)| *f = v);
        fb.apply_frame(&frame, &mut chroma);
        normalize_inf(&mut chroma);
        out.column_mut(t)
            .iter_mut()
            .zip(&chroma)
            .for_each(|(o, &v)| *o = v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn pitch_tuning_of_exact_and_detuned_notes() -> Result<()> {
        // A4 and E5 exactly in tune.
        assert_abs_diff_eq!(
            pitch_tuning(&[440.0, 659.255_1, 880.0], 0.01, 12)?,
            0.0,
            epsilon = 1e-9
        );
        // A quarter tone sharp: 0.25 of a semitone.
        let sharp = 440.0 * 2f64.powf(0.25 / 12.0);
        let t = pitch_tuning(&[sharp as f32; 5], 0.01, 12)?;
        assert_abs_diff_eq!(t, 0.25, epsilon = 0.0101);
        assert_eq!(pitch_tuning(&[], 0.01, 12)?, 0.0);
        assert!(matches!(
            pitch_tuning(&[440.0], 0.0, 12),
            Err(DspError::InvalidParam {
                name: "resolution",
                ..
            })
        ));
        Ok(())
    }

    #[test]
    fn median_like_numpy() {
        assert_eq!(median_f32(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median_f32(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median_f32(&mut []), None);
    }

    #[test]
    fn chroma_filter_columns() -> Result<()> {
        let fb = ChromaFilterbank::new(22050.0, 2048, 12, 0.0)?;
        assert_eq!(fb.to_dense().dim(), (12, 1025));
        // The bin nearest A4 (440 Hz: bin 40.87) weighs most on chroma A (index 9 with base C).
        let k = 41;
        let col: Vec<f32> = (0..12).map(|c| fb.row(c)[k]).collect();
        let argmax = (0..12).fold(0, |b, c| if col[c] > col[b] { c } else { b });
        assert_eq!(argmax, 9);
        Ok(())
    }

    #[test]
    fn chroma_of_a_sine_is_its_pitch_class() -> Result<()> {
        let sr = 22050.0;
        let y: Vec<f32> = (0..22050)
            .map(|i| (2.0 * std::f64::consts::PI * 261.63 * i as f64 / sr).sin() as f32)
            .collect();
        let mut stft = crate::StftParams::default().build()?;
        let p = stft.compute(&y, crate::Spectrum::Power)?;
        let c = chroma_stft(&p, sr, 12, None)?;
        assert_eq!(c.dim(), (12, 44));
        assert_abs_diff_eq!(c[[0, 20]], 1.0, epsilon = 1e-6);
        for k in 1..12 {
            assert!(c[[k, 20]] < 0.5);
        }
        Ok(())
    }
}
