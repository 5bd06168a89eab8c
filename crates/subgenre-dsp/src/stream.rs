//! Spectrograms of signals that arrive in pieces (a long file decoded as it is read): the
//! same frames the whole-signal functions give, with memory bounded by what is still needed
//! rather than by the signal's length.

use std::collections::VecDeque;

use ndarray::ArrayViewMut1;

use crate::error::{DspError, Result};
use crate::rhythm::onset_of_frame_pair;
use crate::{power_to_db_inplace, DbRef, FftPrecision, MelNorm, MelParams, MelSpectrogram, AMIN};

/// The mel frames of a signal pushed in pieces: each frame is handed out as soon as every
/// sample it covers has arrived (the last ones, which reach past the end into the padding, at
/// [`MelFrames::finish`]), equal to the column [`MelSpectrogram::compute`] gives of the whole
/// signal. Only the samples of frames not yet made are kept.
pub struct MelFrames {
    spec: MelSpectrogram,
    hop: usize,
    n_fft: usize,
    pad: usize,
    /// The samples from `part_start` on.
    part: Vec<f32>,
    part_start: usize,
    received: usize,
    next_frame: usize,
}

impl MelFrames {
    /// Frames of `spec`'s plan.
    pub fn new(spec: MelSpectrogram) -> Self {
        let n_fft = spec.stft().n_fft();
        let center = spec.stft().params().center;
        Self {
            hop: spec.stft().hop_length(),
            pad: if center { n_fft / 2 } else { 0 },
            n_fft,
            spec,
            part: Vec::new(),
            part_start: 0,
            received: 0,
            next_frame: 0,
        }
    }

    /// Samples pushed so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Frames handed out so far.
    pub fn frames_done(&self) -> usize {
        self.next_frame
    }

    /// Append `samples`; `f(t, column)` gets every frame now complete, in order.
    pub fn push(&mut self, samples: &[f32], mut f: impl FnMut(usize, &[f32])) -> Result<()> {
        if let Some(i) = samples.iter().position(|v| !v.is_finite()) {
            return Err(DspError::NonFinite {
                index: self.received + i,
            });
        }
        self.part.extend_from_slice(samples);
        self.received += samples.len();
        // Frame t covers samples [t*hop - pad, t*hop - pad + n_fft).
        let ready = match (self.received + self.pad).checked_sub(self.n_fft) {
            Some(last_start) => last_start / self.hop + 1,
            None => 0,
        };
        self.make_frames(ready, &mut f)
    }

    /// The signal has ended: the remaining frames (zero padding past the end) go to `f`.
    /// Returns the number of frames in all, as [`MelSpectrogram::n_frames`] counts them.
    pub fn finish(&mut self, mut f: impl FnMut(usize, &[f32])) -> Result<usize> {
        let n_frames = self.spec.n_frames(self.received)?;
        self.make_frames(n_frames, &mut f)?;
        Ok(n_frames)
    }

    fn make_frames(&mut self, until: usize, f: &mut impl FnMut(usize, &[f32])) -> Result<()> {
        if until > self.next_frame {
            let frames = self.next_frame..until;
            self.spec
                .for_each_frame_of_part(&self.part, self.part_start, frames, |t, col| f(t, col))?;
            self.next_frame = until;
        }
        // Keep the samples from the next frame's first one on.
        let keep_from = (self.next_frame * self.hop).saturating_sub(self.pad);
        if keep_from > self.part_start {
            let drop = (keep_from - self.part_start).min(self.part.len());
            self.part.drain(..drop);
            self.part_start += drop;
        }
        Ok(())
    }
}

/// Frames held back by [`TempoOnsets`] before their dB floor is fixed: ten minutes at
/// 22 050 Hz and hop 512 (13 MB of 128-mel frames).
pub const TEMPO_LOOKAHEAD_FRAMES: usize = 10 * 60 * 22_050 / 512;

/// The onset envelope [`crate::tempo_onset_envelope`] reads, of a signal pushed in pieces.
///
/// The whole-signal envelope takes the dB mel spectrogram clipped 80 dB below its maximum
/// over the whole signal. Here each frame waits up to `lookahead` frames for that maximum: a
/// signal of up to `lookahead` frames gives the whole-signal envelope exactly; in a longer one
/// a frame more than `lookahead` frames before the loudest takes the maximum so far, which can
/// only leave a little more detail in its quietest bands (BENCHMARKS.md measures the BPM).
pub struct TempoOnsets {
    frames: MelFrames,
    n_fft: usize,
    hop: usize,
    lookahead: usize,
    /// dB columns (relative to 1, not yet clipped) of the frames not yet in `envelope`.
    held: VecDeque<Vec<f32>>,
    max_db: f32,
    /// The clipped dB of the last frame taken out of `held`.
    previous: Option<Vec<f32>>,
    /// `env[j] = mean_m max(0, S[m, j + 1] - S[m, j])`.
    envelope: Vec<f32>,
}

impl TempoOnsets {
    /// librosa.feature.tempo's onset envelope (n_fft 2048, 128 mels from 0 Hz to `sr / 2`,
    /// ref 1.0, top_db 80) with `precision` FFTs.
    pub fn librosa(
        sr: f64,
        hop_length: usize,
        precision: FftPrecision,
        lookahead: usize,
    ) -> Result<Self> {
        const LIBROSA_N_FFT: usize = 2048;
        let spec = MelParams::new(sr)
            .n_fft(LIBROSA_N_FFT)
            .hop_length(hop_length)
            .n_mels(128)
            .fmin(0.0)
            .fmax_or_nyquist(None)
            .htk(false)
            .norm(Some(MelNorm::Slaney))
            .power(2.0)
            .precision(precision)
            .build()?;
        Ok(Self {
            frames: MelFrames::new(spec),
            n_fft: LIBROSA_N_FFT,
            hop: hop_length,
            lookahead: lookahead.max(1),
            held: VecDeque::new(),
            max_db: f32::NEG_INFINITY,
            previous: None,
            envelope: Vec::new(),
        })
    }

    /// Append `samples`.
    pub fn push(&mut self, samples: &[f32]) -> Result<()> {
        let mut columns = Vec::new();
        self.frames
            .push(samples, |_, col| columns.push(col.to_vec()))?;
        for column in columns {
            self.take(column)?;
        }
        Ok(())
    }

    /// The signal has ended: its onset envelope, one value per frame.
    pub fn finish(mut self) -> Result<Vec<f32>> {
        let mut columns = Vec::new();
        let n_frames = self.frames.finish(|_, col| columns.push(col.to_vec()))?;
        for column in columns {
            self.take(column)?;
        }
        while !self.held.is_empty() {
            self.release_oldest();
        }
        // out[t] = env[t - pad], zeros before (librosa's centring of the envelope).
        let pad = 1 + self.n_fft / (2 * self.hop);
        let mut out = vec![0f32; n_frames];
        for (t, o) in out.iter_mut().enumerate().skip(pad) {
            *o = self.envelope.get(t - pad).copied().unwrap_or(0.0);
        }
        Ok(out)
    }

    fn take(&mut self, mut power: Vec<f32>) -> Result<()> {
        power_to_db_inplace(
            &mut ArrayViewMut1::from(power.as_mut_slice()),
            DbRef::Value(1.0),
            AMIN,
            None,
        )?;
        let column_max = power.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        self.max_db = self.max_db.max(column_max);
        self.held.push_back(power);
        while self.held.len() > self.lookahead {
            self.release_oldest();
        }
        Ok(())
    }

    /// Clip the oldest held frame at the floor known now and add its envelope value.
    fn release_oldest(&mut self) {
        let Some(mut column) = self.held.pop_front() else {
            return;
        };
        let floor = self.max_db - crate::TOP_DB.unwrap_or(80.0);
        for v in &mut column {
            *v = v.max(floor);
        }
        if let Some(previous) = &self.previous {
            self.envelope.push(onset_of_frame_pair(&column, previous));
        }
        self.previous = Some(column);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clicks at 140 BPM over a tone whose level changes, so the dB floor matters.
    fn signal(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let beat = i % 9450;
                // A quiet tone first, then clicks over a louder one.
                let (click, level) = match (i < n / 3, beat < 400) {
                    (true, _) => (0.0, 0.001),
                    (false, true) => (0.8, 0.3),
                    (false, false) => (0.0, 0.3),
                };
                (click + level) * (i as f32 * 0.05).sin()
            })
            .collect()
    }

    #[test]
    fn frames_in_pieces_equal_the_whole_signal_s() -> Result<()> {
        let y = signal(50_000);
        let params = MelParams::new(22050.0)
            .n_fft(1024)
            .hop_length(512)
            .n_mels(64);
        let whole = params.build()?.compute(&y)?;
        for piece in [1, 511, 512, 4096, 60_000] {
            let mut stream = MelFrames::new(params.build()?);
            let mut got = ndarray::Array2::<f32>::zeros(whole.dim());
            let mut seen = 0;
            for chunk in y.chunks(piece) {
                stream.push(chunk, |t, col| {
                    assert_eq!(t, seen);
                    seen += 1;
                    got.column_mut(t).assign(&ndarray::ArrayView1::from(col));
                })?;
            }
            let n = stream.finish(|t, col| {
                assert_eq!(t, seen);
                seen += 1;
                got.column_mut(t).assign(&ndarray::ArrayView1::from(col));
            })?;
            assert_eq!(n, whole.ncols());
            assert_eq!(got, whole, "pieces of {piece}");
            assert!(
                stream.part.len() <= piece + 1024,
                "kept {}",
                stream.part.len()
            );
        }
        Ok(())
    }

    #[test]
    fn the_tempo_envelope_in_pieces_is_the_whole_signal_s() -> Result<()> {
        let y = signal(120_000);
        let whole = crate::tempo_onset_envelope(&y, 22050.0, 512, FftPrecision::F32)?;
        let mut stream = TempoOnsets::librosa(22050.0, 512, FftPrecision::F32, 1_000)?;
        for chunk in y.chunks(3000) {
            stream.push(chunk)?;
        }
        assert_eq!(stream.finish()?, whole.to_vec());
        // With a short lookahead the quiet start is clipped at a lower floor: close, not equal.
        let mut short = TempoOnsets::librosa(22050.0, 512, FftPrecision::F32, 20)?;
        short.push(&y)?;
        let short = short.finish()?;
        assert_eq!(short.len(), whole.len());
        let worst = short
            .iter()
            .zip(whole.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            worst > 0.0,
            "a lookahead shorter than the quiet start changes something"
        );
        Ok(())
    }
}
