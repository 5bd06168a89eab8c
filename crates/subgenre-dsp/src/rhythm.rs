//! Onset strength (`librosa.onset.onset_strength`) and tempo (`librosa.feature.tempo`).

use std::fmt;
use std::sync::Arc;

use ndarray::{Array1, Array2};
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::convert::{tempo_frequencies, time_to_frames};
use crate::error::{invalid, DspError, Result};
use crate::window::hann;

/// Spectral-flux onset strength of a frame-major log-power mel spectrogram `s_db`
/// (`s_db[t * n_mels .. (t + 1) * n_mels]` is frame `t`), written into `out` (one value per frame).
///
/// librosa's defaults: `lag=1`, `max_size=1`, mean over bands, `center=True` (the envelope is
/// delayed by `lag + n_fft // (2 * hop_length)` frames), no detrending.
pub(crate) fn onset_strength_frames(
    s_db: &[f32],
    n_mels: usize,
    lag: usize,
    pad: usize,
    out: &mut [f32],
) {
    let n_frames = out.len();
    for (t, o) in out.iter_mut().enumerate() {
        // out[t] = env[t - pad], env[j] = mean_m max(0, S[m, j + lag] - S[m, j]).
        *o = match t.checked_sub(pad) {
            Some(j) if j + lag < n_frames => onset_of_frame_pair(
                &s_db[(j + lag) * n_mels..(j + lag + 1) * n_mels],
                &s_db[j * n_mels..(j + 1) * n_mels],
            ),
            _ => 0.0,
        };
    }
}

/// The onset strength between two dB frames: the mean over bands of the rise, `max(0, cur -
/// prev)`, summed in f64.
pub(crate) fn onset_of_frame_pair(cur: &[f32], prev: &[f32]) -> f32 {
    let sum: f64 = cur
        .iter()
        .zip(prev)
        .map(|(&a, &b)| f64::from((a - b).max(0.0)))
        .sum();
    (sum / cur.len() as f64) as f32
}

/// `librosa.onset.onset_strength(S=s_db, n_fft=n_fft, hop_length=hop_length)` from a log-power
/// mel spectrogram `[n_mels, n_frames]` (librosa computes `power_to_db(melspectrogram(y))` with
/// `ref=1.0`, `top_db=80` when given `y`).
pub fn onset_strength(s_db: &Array2<f32>, n_fft: usize, hop_length: usize) -> Result<Array1<f32>> {
    if hop_length == 0 {
        return Err(invalid("hop_length", 0.0, "must be positive"));
    }
    let (n_mels, n_frames) = s_db.dim();
    if n_mels == 0 {
        return Err(DspError::ShapeMismatch {
            what: "log-power mel spectrogram",
            expected: vec![128, n_frames],
            found: vec![n_mels, n_frames],
        });
    }
    let mut frames = Vec::with_capacity(n_mels * n_frames);
    for col in s_db.columns() {
        frames.extend(col.iter().copied());
    }
    let mut out = Array1::zeros(n_frames);
    if let Some(o) = out.as_slice_mut() {
        onset_strength_frames(&frames, n_mels, 1, 1 + n_fft / (2 * hop_length), o);
    }
    Ok(out)
}

/// Tempo estimation (`librosa.feature.tempo` with its defaults: an autocorrelation tempogram of
/// `ac_size = 8 s`, mean over time, log-normal prior around `start_bpm = 120` with one octave
/// standard deviation, `max_tempo = 320`), planned once for a sample rate and hop length.
#[derive(Clone)]
pub struct TempoEstimator {
    sr: f64,
    hop_length: usize,
    win_length: usize,
    window: Vec<f64>,
    logprior: Vec<f64>,
    bpms: Vec<f64>,
    forward: Arc<dyn RealToComplex<f64>>,
    inverse: Arc<dyn ComplexToReal<f64>>,
    padded: Vec<f32>,
    frame: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    power_sum: Vec<Complex<f64>>,
    acf: Vec<f64>,
    scratch_fwd: Vec<Complex<f64>>,
    scratch_inv: Vec<Complex<f64>>,
    mean_tg: Vec<f64>,
}

impl fmt::Debug for TempoEstimator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TempoEstimator")
            .field("sr", &self.sr)
            .field("hop_length", &self.hop_length)
            .field("win_length", &self.win_length)
            .finish_non_exhaustive()
    }
}

impl TempoEstimator {
    /// librosa's defaults for onset envelopes at `sr / hop_length` frames per second.
    pub fn new(sr: f64, hop_length: usize) -> Result<Self> {
        Self::with_params(sr, hop_length, 120.0, 1.0, 8.0, Some(320.0))
    }

    /// Explicit `start_bpm`, `std_bpm`, `ac_size` (seconds) and `max_tempo`.
    pub fn with_params(
        sr: f64,
        hop_length: usize,
        start_bpm: f64,
        std_bpm: f64,
        ac_size: f64,
        max_tempo: Option<f64>,
    ) -> Result<Self> {
        if sr.is_nan() || sr <= 0.0 {
            return Err(invalid("sr", sr, "must be positive"));
        }
        if hop_length == 0 {
            return Err(invalid("hop_length", 0.0, "must be positive"));
        }
        if start_bpm.is_nan() || start_bpm <= 0.0 {
            return Err(invalid("start_bpm", start_bpm, "must be strictly positive"));
        }
        if std_bpm.is_nan() || std_bpm <= 0.0 {
            return Err(invalid("std_bpm", std_bpm, "must be strictly positive"));
        }
        let win_length = time_to_frames(ac_size, sr, hop_length);
        if win_length < 2 {
            return Err(invalid("ac_size", ac_size, "must span at least two frames"));
        }
        let bpms = tempo_frequencies(win_length, hop_length, sr);
        let mut logprior: Vec<f64> = bpms
            .iter()
            .map(|&b| {
                let z = (b.log2() - start_bpm.log2()) / std_bpm;
                -0.5 * z * z
            })
            .collect();
        if let Some(max_tempo) = max_tempo {
            // int(np.argmax(bpms < max_tempo)): the first index below max_tempo (0 if none).
            let max_idx = bpms.iter().position(|&b| b < max_tempo).unwrap_or(0);
            logprior[..max_idx]
                .iter_mut()
                .for_each(|v| *v = f64::NEG_INFINITY);
        }
        // Any length >= 2w - 1 gives the same linear autocorrelation; librosa uses scipy's
        // next_fast_len (720 for w = 344), a power of two is faster with RustFFT.
        let n_pad = (2 * win_length - 1).next_power_of_two();
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(n_pad);
        let inverse = planner.plan_fft_inverse(n_pad);
        Ok(Self {
            sr,
            hop_length,
            window: hann(win_length, true),
            win_length,
            logprior,
            bpms,
            frame: forward.make_input_vec(),
            spectrum: forward.make_output_vec(),
            power_sum: forward.make_output_vec(),
            scratch_fwd: forward.make_scratch_vec(),
            acf: inverse.make_output_vec(),
            scratch_inv: inverse.make_scratch_vec(),
            forward,
            inverse,
            padded: Vec::new(),
            mean_tg: vec![0.0; win_length],
        })
    }

    /// Autocorrelation window in frames (`time_to_frames(ac_size)`; 344 at 22050 Hz, hop 512).
    pub fn win_length(&self) -> usize {
        self.win_length
    }

    /// The mean over time of the normalised autocorrelation tempogram of the last call to
    /// [`TempoEstimator::estimate`] (one value per lag).
    pub fn mean_tempogram(&self) -> &[f64] {
        &self.mean_tg
    }

    /// The BPM of each lag.
    pub fn bpms(&self) -> &[f64] {
        &self.bpms
    }

    /// Estimated global tempo in BPM of an onset-strength envelope.
    pub fn estimate(&mut self, onset_envelope: &[f32]) -> Result<f64> {
        let n = onset_envelope.len();
        if n == 0 {
            return Err(DspError::EmptyInput);
        }
        let w = self.win_length;
        let half = w / 2;
        // np.pad(mode="linear_ramp", end_values=0), in the envelope's float32.
        self.padded.clear();
        self.padded.reserve(n + 2 * half);
        let (first, last) = (onset_envelope[0], onset_envelope[n - 1]);
        let step_l = first / half as f32;
        let step_r = last / half as f32;
        self.padded.extend((0..half).map(|i| i as f32 * step_l));
        self.padded.extend_from_slice(onset_envelope);
        self.padded
            .extend((0..half).map(|j| (half - 1 - j) as f32 * step_r));
        if self.padded.len() < w {
            return Err(DspError::InputTooShort {
                len: n,
                min: w - 2 * half,
            });
        }
        // librosa normalises each frame's autocorrelation by its maximum, which is the lag-0
        // value (the frame's energy), then averages over frames. By linearity that is the
        // inverse FFT of the mean of the energy-normalised power spectra: one inverse FFT.
        self.power_sum
            .iter_mut()
            .for_each(|v| *v = Complex::new(0.0, 0.0));
        let n_pad = self.acf.len() as f64;
        for t in 0..n {
            let seg = &self.padded[t..t + w];
            let mut energy = 0f64;
            for (i, f) in self.frame.iter_mut().enumerate() {
                *f = if i < w {
                    f64::from(seg[i]) * self.window[i]
                } else {
                    0.0
                };
                energy += *f * *f;
            }
            if energy < f64::MIN_POSITIVE {
                // An all-zero frame: librosa leaves its (zero) autocorrelation as is.
                continue;
            }
            self.forward
                .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch_fwd)
                .map_err(|_| invalid("win_length", w as f64, "FFT buffer size mismatch"))?;
            let inv = 1.0 / energy;
            for (acc, c) in self.power_sum.iter_mut().zip(&self.spectrum) {
                acc.re += c.norm_sqr() * inv;
            }
        }
        self.inverse
            .process_with_scratch(&mut self.power_sum, &mut self.acf, &mut self.scratch_inv)
            .map_err(|_| invalid("win_length", w as f64, "FFT buffer size mismatch"))?;
        // The unnormalised inverse FFT carries a factor n_pad (numpy's irfft divides by it).
        for (m, &v) in self.mean_tg.iter_mut().zip(&self.acf[..w]) {
            *m = v / n_pad;
        }
        let mut best = 0;
        let mut best_score = f64::NEG_INFINITY;
        for (k, (m, p)) in self.mean_tg.iter_mut().zip(&self.logprior).enumerate() {
            *m /= n as f64;
            let score = (1e6 * *m).ln_1p() + p;
            if score > best_score {
                best_score = score;
                best = k;
            }
        }
        Ok(self.bpms[best])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn tempo_of_a_click_track() -> Result<()> {
        let sr = 22050.0;
        let hop = 512;
        // Pulses every 21 frames: 60 * 22050 / 512 / 21 = 123.05 BPM.
        let env: Vec<f32> = (0..600)
            .map(|t| if t % 21 == 0 { 1.0 } else { 0.0 })
            .collect();
        let mut est = TempoEstimator::new(sr, hop)?;
        assert_eq!(est.win_length(), 344);
        let bpm = est.estimate(&env)?;
        assert_relative_eq!(bpm, 60.0 * sr / hop as f64 / 21.0, max_relative = 1e-12);
        assert!(est.estimate(&[]).is_err());
        Ok(())
    }

    #[test]
    fn onset_of_a_step() -> Result<()> {
        let mut s = Array2::<f32>::zeros((4, 8));
        for t in 4..8 {
            for m in 0..4 {
                s[[m, t]] = 10.0;
            }
        }
        let o = onset_strength(&s, 2048, 512)?;
        // The rise between frames 3 and 4 appears at frame 3 + 3 = 6.
        let expect = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0, 0.0];
        assert_eq!(o.to_vec(), expect);
        Ok(())
    }
}
