//! Unit conversions, as in `librosa.core.convert` (computed in f64 like numpy).

/// `numpy.linspace(start, stop, num)` (endpoint included), with numpy's exact arithmetic:
/// `i * step + start`, and the last element set to `stop`.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 0 {
        return Vec::new();
    }
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut y: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    y[num - 1] = stop;
    y
}

/// Hz to mels (`librosa.hz_to_mel`): Slaney's auditory toolbox scale, or HTK's when `htk`.
pub fn hz_to_mel(frequency: f64, htk: bool) -> f64 {
    if htk {
        return 2595.0 * (1.0 + frequency / 700.0).log10();
    }
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if frequency >= min_log_hz {
        min_log_mel + (frequency / min_log_hz).ln() / logstep
    } else {
        frequency / f_sp
    }
}

/// Mels to Hz (`librosa.mel_to_hz`), the inverse of [`hz_to_mel`].
pub fn mel_to_hz(mel: f64, htk: bool) -> f64 {
    if htk {
        return 700.0 * (10f64.powf(mel / 2595.0) - 1.0);
    }
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

/// `librosa.mel_frequencies(n_mels, fmin, fmax, htk)`: `n_mels` frequencies evenly spaced in mels.
pub fn mel_frequencies(n_mels: usize, fmin: f64, fmax: f64, htk: bool) -> Vec<f64> {
    linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels)
        .into_iter()
        .map(|m| mel_to_hz(m, htk))
        .collect()
}

/// `librosa.fft_frequencies(sr, n_fft)`: the centre frequency of each of the `1 + n_fft/2` bins.
pub fn fft_frequencies(sr: f64, n_fft: usize) -> Vec<f64> {
    // numpy.fft.rfftfreq: arange(0, n//2 + 1) * (1.0 / (n * d)) with d = 1.0 / sr.
    let val = 1.0 / (n_fft as f64 * (1.0 / sr));
    (0..=n_fft / 2).map(|k| k as f64 * val).collect()
}

/// `librosa.hz_to_octs(frequency, tuning, bins_per_octave)`: octaves above C0 (A4 = 440 Hz).
pub fn hz_to_octs(frequency: f64, tuning: f64, bins_per_octave: usize) -> f64 {
    let a440 = 440.0 * 2f64.powf(tuning / bins_per_octave as f64);
    (frequency / (a440 / 16.0)).log2()
}

/// `librosa.tempo_frequencies(n_bins, hop_length, sr)`: BPM of each autocorrelation lag
/// (`inf` at lag 0).
pub fn tempo_frequencies(n_bins: usize, hop_length: usize, sr: f64) -> Vec<f64> {
    (0..n_bins)
        .map(|k| {
            if k == 0 {
                f64::INFINITY
            } else {
                60.0 * sr / (hop_length as f64 * k as f64)
            }
        })
        .collect()
}

/// `librosa.time_to_frames(time, sr, hop_length)` for one time in seconds.
pub fn time_to_frames(time: f64, sr: f64, hop_length: usize) -> usize {
    // time_to_samples truncates towards zero, samples_to_frames floors.
    let samples = (time * sr) as i64;
    (samples.max(0) as usize) / hop_length.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn slaney_mel_scale_is_linear_then_log() {
        assert_relative_eq!(hz_to_mel(0.0, false), 0.0);
        assert_relative_eq!(hz_to_mel(1000.0, false), 15.0, epsilon = 1e-12);
        assert_relative_eq!(hz_to_mel(500.0, false), 7.5, epsilon = 1e-12);
        // librosa.hz_to_mel(4000) = 35.16...
        assert_relative_eq!(
            hz_to_mel(4000.0, false),
            35.163_760_314_616_646,
            epsilon = 1e-12
        );
        for f in [10.0, 400.0, 999.0, 1000.0, 1234.5, 11025.0] {
            assert_relative_eq!(
                mel_to_hz(hz_to_mel(f, false), false),
                f,
                max_relative = 1e-12
            );
            assert_relative_eq!(mel_to_hz(hz_to_mel(f, true), true), f, max_relative = 1e-12);
        }
    }

    #[test]
    fn linspace_matches_numpy() {
        let v = linspace(-0.5, 0.5, 101);
        assert_eq!(v.len(), 101);
        assert_eq!(v[0], -0.5);
        assert_eq!(v[100], 0.5);
        assert_eq!(v[50], 50.0 * 0.01 - 0.5);
    }

    #[test]
    fn fft_and_tempo_frequencies() {
        let f = fft_frequencies(22050.0, 2048);
        assert_eq!(f.len(), 1025);
        assert_relative_eq!(f[1024], 11025.0, max_relative = 1e-12);
        let t = tempo_frequencies(4, 512, 22050.0);
        assert!(t[0].is_infinite());
        assert_relative_eq!(t[1], 60.0 * 22050.0 / 512.0);
        assert_eq!(time_to_frames(8.0, 22050.0, 512), 344);
    }

    #[test]
    fn octaves_from_c0() {
        assert_relative_eq!(hz_to_octs(440.0, 0.0, 12), 4.0, epsilon = 1e-12);
        assert_relative_eq!(hz_to_octs(27.5, 0.0, 12), 0.0, epsilon = 1e-12);
        assert_relative_eq!(hz_to_octs(55.0, 0.0, 12), 1.0, epsilon = 1e-12);
    }
}
