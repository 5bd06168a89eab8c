//! Band-limited sample-rate conversion (rubato's FFT resampler).

use std::ops::ControlFlow;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler, WindowFunction};

use crate::error::{AudioError, Result};

/// Input frames per FFT block (rounded by rubato to a multiple of the rate pair's minimum
/// block). The block length sets rubato's anti-aliasing cutoff: ~512 frames puts it near
/// 0.95 x the new Nyquist, where soxr's "hq" filter (librosa's default) rolls off. Longer
/// blocks pass more of the top octave's last half-kilohertz than librosa does, which moves the
/// spectral centroid and roll-off by up to 3 % on hard techno; at 512 they agree within 0.5 %.
const BLOCK_FRAMES: usize = 512;

/// Input frames per block for this rate pair: near `target`, and such that the output
/// block is even. rubato reports its delay as `fft_size_out / 2` in whole frames; with an odd
/// output block the true delay is half a frame more, and the output would lag by half a sample.
fn block_frames(from: u32, to: u32, target: usize) -> usize {
    let g = gcd(from, to);
    let (min_in, min_out) = ((from / g) as usize, (to / g) as usize);
    let mut blocks = target.div_ceil(min_in).max(1);
    if (blocks * min_out) % 2 == 1 {
        blocks += 1;
    }
    blocks * min_in
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// rubato's FFT resampler as [`resample`] plans it.
fn planned(from: u32, to: u32) -> Result<Fft<f32>> {
    Fft::<f32>::new_custom(
        from as usize,
        to as usize,
        block_frames(from, to, BLOCK_FRAMES),
        1,
        1,
        WindowFunction::BlackmanHarris2,
        FixedSync::Input,
    )
    .map_err(|e| AudioError::Resample {
        from,
        to,
        reason: e.to_string(),
    })
}

/// [`resample`] of a signal pushed in pieces: the same samples, handed out as they are made,
/// with only one block of input held. It feeds rubato the blocks rubato's `process_all` would
/// (whole blocks while more than one block is left, then the rest as a partial block, then
/// silence until the delay is flushed), so the output is [`resample`]'s to the bit.
pub struct StreamResampler {
    from: u32,
    to: u32,
    /// `None` when the rates are equal.
    inner: Option<Fft<f32>>,
    block: usize,
    pending: Vec<f32>,
    out: Vec<f32>,
    /// Output frames still to drop (rubato's delay).
    to_trim: usize,
    received: u64,
    emitted: u64,
}

impl StreamResampler {
    pub fn new(from: u32, to: u32) -> Result<Self> {
        if from == 0 || to == 0 {
            return Err(AudioError::Resample {
                from,
                to,
                reason: "sample rates must be positive".into(),
            });
        }
        let inner = (from != to).then(|| planned(from, to)).transpose()?;
        let (block, out_len, to_trim) = inner.as_ref().map_or((0, 0, 0), |r| {
            (
                r.input_frames_next(),
                r.output_frames_max(),
                r.output_delay(),
            )
        });
        Ok(Self {
            from,
            to,
            inner,
            block,
            pending: Vec::new(),
            out: vec![0.0; out_len],
            to_trim,
            received: 0,
            emitted: 0,
        })
    }

    /// Append `input`; `emit` gets the output made so far. Returns `Break` when `emit` did.
    pub fn push(
        &mut self,
        input: &[f32],
        emit: &mut impl FnMut(&[f32]) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>> {
        self.received += input.len() as u64;
        if self.inner.is_none() {
            self.emitted += input.len() as u64;
            return Ok(emit(input));
        }
        self.pending.extend_from_slice(input);
        let mut used = 0;
        // Strictly more than a block: the last block, whole or not, goes in as partial.
        while self.pending.len() - used > self.block {
            let (consumed, flow) = self.process(used, None, emit)?;
            used += consumed;
            if flow.is_break() {
                return Ok(flow);
            }
        }
        self.pending.drain(..used);
        Ok(ControlFlow::Continue(()))
    }

    /// The input has ended: the rest of the output, `ceil(n * to / from)` samples in all for
    /// `n` pushed.
    pub fn finish(
        mut self,
        emit: &mut impl FnMut(&[f32]) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>> {
        if self.inner.is_none() || self.received == 0 {
            return Ok(ControlFlow::Continue(()));
        }
        let expected = self.expected();
        if !self.pending.is_empty() {
            let partial = self.pending.len();
            if self.process(0, Some(partial), emit)?.1.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        // Silence until the delay is flushed (rubato's `process_all` pumps as long).
        while self.emitted < expected {
            let before = self.emitted;
            if self.process(0, Some(0), emit)?.1.is_break() {
                return Ok(ControlFlow::Break(()));
            }
            if self.emitted == before && self.to_trim == 0 {
                break; // nothing comes out any more: pad below
            }
        }
        // Past the end of rubato's output, zeros (as `resample` pads to the length).
        let short = expected.saturating_sub(self.emitted) as usize;
        if short > 0 {
            self.emitted += short as u64;
            return Ok(emit(&vec![0.0; short]));
        }
        Ok(ControlFlow::Continue(()))
    }

    /// `ceil(n * to / from)` for the `n` samples pushed.
    fn expected(&self) -> u64 {
        (self.received * u64::from(self.to)).div_ceil(u64::from(self.from))
    }

    /// One block from `pending[start..]` (`partial` frames of it, or a whole block); its
    /// output, less the delay still to drop and anything past `ceil(n * to / from)` once the
    /// input has ended, goes to `emit`. Returns the input frames consumed.
    fn process(
        &mut self,
        start: usize,
        partial: Option<usize>,
        emit: &mut impl FnMut(&[f32]) -> ControlFlow<()>,
    ) -> Result<(usize, ControlFlow<()>)> {
        let (from, to) = (self.from, self.to);
        let err = |reason: String| AudioError::Resample { from, to, reason };
        let Some(resampler) = self.inner.as_mut() else {
            return Ok((0, ControlFlow::Continue(())));
        };
        let input = &self.pending[start..];
        let input_adapter =
            InterleavedSlice::new(input, 1, input.len()).map_err(|e| err(e.to_string()))?;
        let out_frames = self.out.len();
        let mut output_adapter = InterleavedSlice::new_mut(&mut self.out, 1, out_frames)
            .map_err(|e| err(e.to_string()))?;
        let indexing = Indexing {
            input_offset: 0,
            output_offset: 0,
            active_channels_mask: None,
            partial_len: partial,
        };
        let (consumed, made) = resampler
            .process_into_buffer(&input_adapter, &mut output_adapter, Some(&indexing))
            .map_err(|e| err(e.to_string()))?;
        let trimmed = self.to_trim.min(made);
        self.to_trim -= trimmed;
        let mut fresh = &self.out[trimmed..made];
        if partial.is_some() {
            // Once the input has ended, nothing past the length `resample` gives.
            let room = self.expected().saturating_sub(self.emitted) as usize;
            fresh = &fresh[..fresh.len().min(room)];
        }
        self.emitted += fresh.len() as u64;
        let flow = if fresh.is_empty() {
            ControlFlow::Continue(())
        } else {
            emit(fresh)
        };
        Ok((consumed, flow))
    }
}

/// Resample mono `input` from `from` Hz to `to` Hz.
///
/// The output has `ceil(len * to / from)` samples and no leading delay, as
/// `librosa.resample` gives (it fixes the length to that ceiling).
pub fn resample(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>> {
    let err = |reason: String| AudioError::Resample { from, to, reason };
    if from == 0 || to == 0 {
        return Err(err("sample rates must be positive".into()));
    }
    if from == to {
        return Ok(input.to_vec());
    }
    if input.is_empty() {
        return Ok(Vec::new());
    }
    let mut resampler = planned(from, to)?;
    let needed = resampler.process_all_needed_output_len(input.len());
    let mut output = vec![0.0f32; needed];
    let input_adapter =
        InterleavedSlice::new(input, 1, input.len()).map_err(|e| err(e.to_string()))?;
    let mut output_adapter =
        InterleavedSlice::new_mut(&mut output, 1, needed).map_err(|e| err(e.to_string()))?;
    let (_, produced) = resampler
        .process_all_into_buffer(&input_adapter, &mut output_adapter, input.len(), None)
        .map_err(|e| err(e.to_string()))?;
    let expected = (input.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
    output.truncate(produced);
    output.resize(expected, 0.0);
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, sr: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / sr as f32).sin())
            .collect()
    }

    #[test]
    fn length_is_ceiling_of_ratio() {
        for (from, to, n) in [
            (48000, 22050, 384000),
            (44100, 22050, 12345),
            (96000, 22050, 7),
        ] {
            let out = resample(&vec![0.1; n], from, to).expect("resample");
            let want = (n as u64 * to as u64).div_ceil(from as u64) as usize;
            assert_eq!(out.len(), want, "{from}->{to} n={n}");
        }
    }

    #[test]
    fn keeps_a_sine_in_phase_and_level() {
        let (from, to) = (48000, 22050);
        let x = sine(1000.0, from, 48000);
        let y = resample(&x, from, to).expect("resample");
        let want = sine(1000.0, to, y.len());
        // Ignore the edges, where the zero padding outside the signal shows.
        let mid = &y[2000..20000];
        let err = mid
            .iter()
            .zip(&want[2000..20000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 1e-3, "max error {err}");
    }

    #[test]
    fn removes_content_above_the_new_nyquist() {
        let (from, to) = (48000, 22050);
        let x = sine(15000.0, from, 48000); // above 11025 Hz: must vanish, not alias
        let y = resample(&x, from, to).expect("resample");
        let rms = (y[2000..20000].iter().map(|v| v * v).sum::<f32>() / 18000.0).sqrt();
        assert!(rms < 1e-3, "aliased energy rms {rms}");
    }

    /// Pushed in pieces of any size, the resampler gives `resample`'s samples to the bit.
    #[test]
    fn in_pieces_equals_whole() {
        for (from, to, n) in [
            (44100, 22050, 100_000),
            (48000, 22050, 96_000),
            (48000, 22050, 300),
            (22050, 22050, 5000),
            (32000, 22050, 512 * 63),
        ] {
            let x: Vec<f32> = (0..n)
                .map(|i| ((i as f32 * 0.013).sin() + (i as f32 * 0.31).cos()) * 0.4)
                .collect();
            let whole = resample(&x, from, to).expect("whole");
            for piece in [1, 333, 1024, 70_000] {
                let mut got = Vec::new();
                let mut emit = |s: &[f32]| {
                    got.extend_from_slice(s);
                    ControlFlow::Continue(())
                };
                let mut r = StreamResampler::new(from, to).expect("plan");
                for chunk in x.chunks(piece) {
                    let _ = r.push(chunk, &mut emit).expect("push");
                }
                let _ = r.finish(&mut emit).expect("finish");
                assert_eq!(got.len(), whole.len(), "{from}->{to} n={n} piece={piece}");
                assert!(
                    got == whole,
                    "{from}->{to} n={n} piece={piece}: samples differ"
                );
            }
        }
    }

    #[test]
    fn identity_and_empty() {
        assert_eq!(
            resample(&[1.0, 2.0], 22050, 22050).expect("same"),
            vec![1.0, 2.0]
        );
        assert!(resample(&[], 48000, 22050).expect("empty").is_empty());
        assert!(resample(&[1.0], 0, 22050).is_err());
    }
}
