//! musicnn's front end (musicnn 0.1.0's `extractor.py`, `batch_data`): librosa 0.11.0's
//! mel-spectrogram of a 16 kHz mono signal (subgenre-dsp's librosa port: centred frames with
//! zero padding, periodic Hann window, Slaney mel filters with Slaney area norm, power 2), the
//! power rounded to float16 (round to nearest even, as numpy's `astype(float16)`), then
//! `log10(10000 x + 1)` in float32, cut into non-overlapping 187-frame patches.

use subgenre_dsp::{MelParams, MelSpectrogram};

use super::{MusicnnError, Result};

/// musicnn's sample rate.
pub const SAMPLE_RATE: u32 = 16_000;
/// STFT length.
pub const N_FFT: usize = 512;
/// Hop between frames (16 ms).
pub const HOP: usize = 256;
/// Mel bands.
pub const N_MELS: usize = 96;
/// Frames per patch (3 s: `librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1`).
pub const PATCH_FRAMES: usize = 187;
/// The shortest signal accepted: 1 s at 16 kHz (63 frames). Shorter than a patch (187 frames,
/// ~2.98 s), a signal is repeat-padded as musicnn was trained; under a second the patch would
/// be mostly copies, so it is refused.
pub const MIN_SAMPLES: usize = SAMPLE_RATE as usize;

fn mel_spectrogram() -> Result<MelSpectrogram> {
    MelParams::new(f64::from(SAMPLE_RATE))
        .n_fft(N_FFT)
        .hop_length(HOP)
        .n_mels(N_MELS)
        .build()
        .map_err(|e| MusicnnError::FrontEnd(e.to_string()))
}

fn check_finite(signal: &[f32]) -> Result<()> {
    match signal.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(MusicnnError::BadSignal(format!(
            "sample {i} is {} (every sample must be finite)",
            signal[i]
        ))),
        None => Ok(()),
    }
}

fn check_signal(signal: &[f32]) -> Result<()> {
    if signal.is_empty() {
        return Err(MusicnnError::BadSignal("the signal is empty".into()));
    }
    check_finite(signal)?;
    if signal.len() < MIN_SAMPLES {
        return Err(MusicnnError::BadSignal(format!(
            "{} samples ({:.3} s at 16 kHz) is under the minimum of {MIN_SAMPLES} (1 s)",
            signal.len(),
            signal.len() as f64 / f64::from(SAMPLE_RATE)
        )));
    }
    Ok(())
}

/// The log-mel spectrogram of a 16 kHz mono signal, row-major `[n_frames, 96]` with
/// `n_frames = 1 + len / 256`, and `n_frames`. Refuses an empty signal, a non-finite sample and
/// a signal under [`MIN_SAMPLES`].
pub fn logmel(signal: &[f32]) -> Result<(Vec<f32>, usize)> {
    check_signal(signal)?;
    let power = mel_spectrogram()?
        .compute(signal)
        .map_err(|e| MusicnnError::FrontEnd(e.to_string()))?; // [96, n_frames]
    let n_frames = power.ncols();
    let mut out = vec![0.0f32; n_frames * N_MELS];
    for ((m, t), &p) in power.indexed_iter() {
        out[t * N_MELS + m] = log_compress(p);
    }
    Ok((out, n_frames))
}

/// `log10(10000 * f16(p) + 1)` in float32, as extractor.py computes it under numpy 1.x.
#[inline]
pub(super) fn log_compress(power: f32) -> f32 {
    let rounded = crate::pretrained::float16::round_to_f16(power);
    (10000.0f32 * rounded + 1.0).log10()
}

/// Non-overlapping 187-frame patches of a `[n_frames, 96]` log-mel, row-major
/// `[n_patches, 187, 96]`, and `n_patches`: patches start at frames 0, 187, ...; a remainder is
/// dropped. Shorter than one patch, the frames are tiled from the start and cut at 187 (frame
/// `i` of the patch is frame `i % n_frames`), musicnn's training `repeat-pad`.
pub fn patches(logmel: &[f32], n_frames: usize) -> Result<(Vec<f32>, usize)> {
    if n_frames == 0 || logmel.len() != n_frames * N_MELS {
        return Err(MusicnnError::BadSignal(format!(
            "a log-mel of {} values is not {n_frames} (at least 1) frames of {N_MELS} bands",
            logmel.len()
        )));
    }
    if n_frames < PATCH_FRAMES {
        let mut out = Vec::with_capacity(PATCH_FRAMES * N_MELS);
        for i in 0..PATCH_FRAMES {
            let t = i % n_frames;
            out.extend_from_slice(&logmel[t * N_MELS..(t + 1) * N_MELS]);
        }
        return Ok((out, 1));
    }
    let n_patches = n_frames / PATCH_FRAMES;
    Ok((
        logmel[..n_patches * PATCH_FRAMES * N_MELS].to_vec(),
        n_patches,
    ))
}

/// [`logmel`] then [`patches`]: the network's input, `[n_patches, 187, 96]`, and `n_patches`.
pub fn logmel_patches(signal: &[f32]) -> Result<(Vec<f32>, usize)> {
    let (mel, n_frames) = logmel(signal)?;
    patches(&mel, n_frames)
}

/// [`logmel`] of a mono signal at `sample_rate` Hz, resampled to 16 kHz first when needed
/// (subgenre-audio's band-limited resampler, which follows librosa's soxr "hq" closely but not
/// bit for bit; the minimum length applies after resampling).
pub fn logmel_at(signal: &[f32], sample_rate: u32) -> Result<(Vec<f32>, usize)> {
    if sample_rate == SAMPLE_RATE {
        return logmel(signal);
    }
    if sample_rate == 0 {
        return Err(MusicnnError::BadSignal("the sample rate is 0 Hz".into()));
    }
    if signal.is_empty() {
        return Err(MusicnnError::BadSignal("the signal is empty".into()));
    }
    check_finite(signal)?;
    let resampled = subgenre_audio::resample(signal, sample_rate, SAMPLE_RATE)
        .map_err(|e| MusicnnError::FrontEnd(e.to_string()))?;
    logmel(&resampled)
}

/// [`logmel_patches`] of a mono signal at `sample_rate` Hz (see [`logmel_at`]).
pub fn logmel_patches_at(signal: &[f32], sample_rate: u32) -> Result<(Vec<f32>, usize)> {
    let (mel, n_frames) = logmel_at(signal, sample_rate)?;
    patches(&mel, n_frames)
}
