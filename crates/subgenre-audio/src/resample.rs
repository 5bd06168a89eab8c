//! Band-limited sample-rate conversion (rubato's FFT resampler).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler, WindowFunction};

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
    let mut resampler = Fft::<f32>::new_custom(
        from as usize,
        to as usize,
        block_frames(from, to, BLOCK_FRAMES),
        1,
        1,
        WindowFunction::BlackmanHarris2,
        FixedSync::Input,
    )
    .map_err(|e| err(e.to_string()))?;
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
