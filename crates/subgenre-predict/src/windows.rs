//! A track's 8 s windows, from one spectrogram of the whole track, and its tempo.
//!
//! Each window's model input is the slice of the track's mel power spectrogram under it, in dB
//! relative to the slice's own maximum: the values the window's own spectrogram has, except
//! in the two frames at each end, where librosa's centred frames see the window's reflected
//! edge and these see the real neighbouring samples. So that slices fall on whole frames,
//! windows start on the spectrogram's frame grid (multiples of 512 samples: within 12 ms of
//! one every `hop_s` seconds). The overlapping windows (two per 8 s at the default 4 s hop)
//! are no longer transformed twice. BENCHMARKS.md ("Predicting whole tracks") says how far
//! labels moved (1 track label in 100, none of the clips').
//!
//! The tempo stays librosa.feature.tempo's own (n_fft 2048, 0 to 11 025 Hz): an onset
//! envelope from the windows' spectrogram (n_fft 1024, 20 Hz to 11 kHz) would save its
//! transform, but moved the BPM of 12 of 100 joined tracks and 14 % of the clips, some by
//! an octave (measured, same page).
//!
//! Both spectrograms take float32 FFTs (librosa's run in float64): the tempo's transform is
//! faster (0.51 -> 0.39 s for 6 minutes on one core), and on the full set's 1 772 clips and
//! 100 joined tracks no label and no BPM moved, nor any probability by 0.0005 (BENCHMARKS.md,
//! "Prediction on this VM, float32 spectrograms").

use ndarray::{s, ArrayView2};
use rayon::prelude::*;
use subgenre_dsp::{db_relative_to_max, power_to_db_inplace, DbRef, FftPrecision, AMIN, TOP_DB};
use subgenre_extract::mel::{CLIP_SAMPLES, HOP_LENGTH, SAMPLE_RATE};
use subgenre_extract::{db_mel, model_input, InputRoute, MelVariant};

use crate::{PredictError, Result};

/// Spectrogram frames of one 8 s window (librosa's centred frames: 1 + samples / hop).
pub(crate) const WINDOW_FRAMES: usize = 1 + CLIP_SAMPLES / HOP_LENGTH;

/// What the models and the tempo need of a track.
#[derive(Debug, Clone)]
pub struct TrackWindows {
    /// Each window's first sample (22 050 Hz).
    pub starts: Vec<usize>,
    /// Each window's model input (`size` x `size`, row major).
    pub inputs: Vec<Vec<f32>>,
}

/// Sample offsets of the 8 s windows over a track of `n_samples` samples (22 050 Hz): one
/// every `hop_s` seconds while a whole window fits, each moved to the nearest multiple of 512
/// samples (the spectrogram's frame grid); or a single window at 0 (to be zero-padded) when
/// the track is shorter than 8 s.
pub fn window_starts(n_samples: usize, hop_s: f64) -> Result<Vec<usize>> {
    let hop = window_hop(hop_s)?;
    if n_samples < CLIP_SAMPLES {
        return Ok(vec![0]);
    }
    let last_frame = (n_samples - CLIP_SAMPLES) / HOP_LENGTH;
    let mut starts: Vec<usize> = (0..=n_samples - CLIP_SAMPLES)
        .step_by(hop)
        .map(|nominal| {
            let frame = (nominal as f64 / HOP_LENGTH as f64).round() as usize;
            frame.min(last_frame) * HOP_LENGTH
        })
        .collect();
    starts.dedup();
    Ok(starts)
}

/// Samples between the nominal starts of windows `hop_s` seconds apart (at least 0.05 s).
pub(crate) fn window_hop(hop_s: f64) -> Result<usize> {
    if !(hop_s.is_finite() && hop_s >= 0.05) {
        return Err(PredictError::InvalidOption {
            name: "hop",
            value: hop_s.to_string(),
            reason: "must be at least 0.05 seconds",
        });
    }
    Ok(((hop_s * f64::from(SAMPLE_RATE)).round() as usize).max(1))
}

/// The spectrogram plan of a track's windows: the clip path's `variant` settings with a
/// float32 FFT (see the module's note).
pub(crate) fn window_spectrogram(variant: MelVariant) -> Result<subgenre_dsp::MelSpectrogram> {
    Ok(variant.params().precision(FftPrecision::F32).build()?)
}

/// The windows (one every `hop_s` seconds, see [`window_starts`]) of mono 22 050 Hz
/// `samples`, each as the input of a model that takes `variant` mel-spectrograms made by
/// `route` at `size` x `size`, all from one spectrogram of the track.
pub fn track_windows(
    samples: &[f32],
    variant: MelVariant,
    route: InputRoute,
    size: usize,
    hop_s: f64,
) -> Result<TrackWindows> {
    let starts = window_starts(samples.len(), hop_s)?;
    if samples.len() < CLIP_SAMPLES {
        return Ok(TrackWindows {
            starts,
            inputs: vec![padded_window_input(samples, variant, route, size)?],
        });
    }
    let power = window_spectrogram(variant)?.compute(samples)?;
    // The logarithm once per track: each value's dB relative to 1 serves every window over it
    // (two at the default hop), and only the reference (the window's maximum) differs.
    let mut track_db = power.clone();
    power_to_db_inplace(&mut track_db, DbRef::Value(1.0), AMIN, None)?;
    let inputs = starts
        .par_iter()
        .map(|&start| {
            let frames = s![.., start / HOP_LENGTH..start / HOP_LENGTH + WINDOW_FRAMES];
            window_input(
                power.slice(frames),
                track_db.slice(frames),
                variant,
                route,
                size,
            )
        })
        .collect::<Result<_>>()?;
    Ok(TrackWindows { starts, inputs })
}

/// The model input of a track shorter than a window: the track zero-padded to 8 s, as the
/// models were trained on whole clips.
pub(crate) fn padded_window_input(
    samples: &[f32],
    variant: MelVariant,
    route: InputRoute,
    size: usize,
) -> Result<Vec<f32>> {
    let mut padded = samples.to_vec();
    padded.resize(CLIP_SAMPLES, 0.0);
    let mut spec = window_spectrogram(variant)?;
    Ok(model_input(
        &db_mel(&mut spec, &padded)?,
        variant,
        route,
        size,
    ))
}

/// A window's model input from its frames of the track's spectrogram: their power and each
/// value's dB relative to 1.
pub(crate) fn window_input(
    power: ArrayView2<f32>,
    db: ArrayView2<f32>,
    variant: MelVariant,
    route: InputRoute,
    size: usize,
) -> Result<Vec<f32>> {
    let s_db = db_relative_to_max(power, db, AMIN, TOP_DB)?;
    Ok(model_input(&s_db, variant, route, size))
}

/// `librosa.feature.tempo(y=y, sr=22050)`: onset strength of the dB mel spectrogram
/// (n_fft 2048, hop 512, 128 mels, ref 1.0), then the autocorrelation tempo estimate; the FFT
/// in float32 (see the module's note).
pub fn track_tempo(samples: &[f32]) -> Result<f64> {
    let sr = f64::from(SAMPLE_RATE);
    let envelope = subgenre_dsp::tempo_onset_envelope(samples, sr, HOP_LENGTH, FftPrecision::F32)?;
    let envelope = envelope
        .as_slice()
        .map(<[f32]>::to_vec)
        .unwrap_or_else(|| envelope.to_vec());
    tempo_of_envelope(&envelope)
}

/// The tempo (BPM) of a track's onset envelope (hop 512 at 22 050 Hz).
pub(crate) fn tempo_of_envelope(envelope: &[f32]) -> Result<f64> {
    let sr = f64::from(SAMPLE_RATE);
    Ok(subgenre_dsp::TempoEstimator::new(sr, HOP_LENGTH)?.estimate(envelope)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 20 s of kick-like clicks at `bpm` over a quiet tone: something with a tempo.
    fn clicks(bpm: f64, seconds: f64) -> Vec<f32> {
        let sr = f64::from(SAMPLE_RATE);
        let n = (seconds * sr) as usize;
        let beat = (60.0 / bpm * sr) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / sr;
                let since = i % beat;
                let click = if since < 600 {
                    (1.0 - since as f64 / 600.0) * (2.0 * std::f64::consts::PI * 60.0 * t).sin()
                } else {
                    0.0
                };
                (0.8 * click + 0.05 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as f32
            })
            .collect()
    }

    #[test]
    fn windows_start_on_the_frame_grid_near_each_hop() {
        let n = 30 * SAMPLE_RATE as usize + 123;
        let starts = window_starts(n, 4.0).expect("starts");
        let nominal: Vec<usize> = (0..=n - CLIP_SAMPLES).step_by(88_200).collect();
        assert_eq!(starts.len(), nominal.len());
        for (s, t) in starts.iter().zip(&nominal) {
            assert_eq!(s % HOP_LENGTH, 0);
            assert!(s.abs_diff(*t) <= HOP_LENGTH / 2, "{s} vs {t}");
            assert!(s + CLIP_SAMPLES <= n);
        }
        assert_eq!(window_starts(1000, 4.0).expect("short"), vec![0]);
        assert!(window_starts(n, 0.0).is_err());
    }

    /// Each window from the track's spectrogram equals the window's own spectrogram except
    /// near its two ends (the frames that see past the window).
    #[test]
    fn one_spectrogram_gives_each_windows_own_input() {
        let y = clicks(140.0, 20.0);
        let size = 64;
        let w =
            track_windows(&y, MelVariant::Normal, InputRoute::Array, size, 2.0).expect("windows");
        assert_eq!(w.inputs.len(), w.starts.len());
        let mut spec = MelVariant::Normal.spectrogram().expect("plan");
        let mut worst_inside = 0f32;
        for (start, input) in w.starts.iter().zip(&w.inputs) {
            let own = db_mel(&mut spec, &y[*start..start + CLIP_SAMPLES]).expect("mel");
            let own = model_input(&own, MelVariant::Normal, InputRoute::Array, size);
            for (row_ours, row_own) in input.chunks(size).zip(own.chunks(size)) {
                // Columns 0 and size-1 hold the two end frames of each side.
                for (a, b) in row_ours[1..size - 1].iter().zip(&row_own[1..size - 1]) {
                    worst_inside = worst_inside.max((a - b).abs());
                }
            }
        }
        assert!(
            worst_inside < 1e-3,
            "largest difference inside the windows {worst_inside}"
        );
    }

    /// The dB of a window from the track's dB values is `power_to_db`'s of the window, exactly.
    #[test]
    fn window_db_from_the_track_db_is_power_to_db_of_the_window() {
        let y = clicks(140.0, 12.0);
        let mut spec = window_spectrogram(MelVariant::Normal).expect("plan");
        let power = spec.compute(&y).expect("power");
        let mut track_db = power.clone();
        power_to_db_inplace(&mut track_db, DbRef::Value(1.0), AMIN, None).expect("db");
        for first in [0, 17, power.ncols() - WINDOW_FRAMES] {
            let frames = s![.., first..first + WINDOW_FRAMES];
            let mut want = power.slice(frames).to_owned();
            power_to_db_inplace(&mut want, DbRef::Max, AMIN, TOP_DB).expect("db");
            let ours =
                db_relative_to_max(power.slice(frames), track_db.slice(frames), AMIN, TOP_DB)
                    .expect("db");
            assert_eq!(ours, want);
        }
    }

    #[test]
    fn a_short_track_is_one_padded_window() {
        let y = clicks(140.0, 5.0);
        let short =
            track_windows(&y, MelVariant::Normal, InputRoute::Array, 32, 4.0).expect("short");
        assert_eq!((short.starts, short.inputs.len()), (vec![0], 1));
        let mut padded = y.clone();
        padded.resize(CLIP_SAMPLES, 0.0);
        let clip_input = |mut spec: subgenre_dsp::MelSpectrogram| {
            let s_db = db_mel(&mut spec, &padded).expect("mel");
            model_input(&s_db, MelVariant::Normal, InputRoute::Array, 32)
        };
        // Bit for bit the clip path under the same (float32) plan...
        let same_plan = clip_input(window_spectrogram(MelVariant::Normal).expect("plan"));
        assert_eq!(short.inputs[0], same_plan);
        // ...and within float32 rounding of the clip path the models were trained on.
        let trained = clip_input(MelVariant::Normal.spectrogram().expect("plan"));
        let worst = short.inputs[0]
            .iter()
            .zip(&trained)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst < 1e-3,
            "largest difference from the float64 plan {worst}"
        );
    }
}
