//! librosa's `feature.melspectrogram` as one value ([`MelRecipe`]), for callers that take its
//! keyword arguments (the Python package) and for the onset envelope `feature.tempo` reads
//! ([`tempo_onset_envelope`], also what `subgenre-predict` estimates a track's tempo from).
//!
//! Planning (the FFT plan, the filterbank) costs as much as transforming some 40 frames, so
//! each thread keeps its few most recent plans and repeated calls with the same parameters
//! reuse them.

use std::cell::RefCell;

use ndarray::{Array1, Array2};

use crate::{
    onset_strength, power_to_db_inplace, DbRef, FftPrecision, MelFilterbank, MelNorm, MelParams,
    MelSpectrogram, Result, Spectrum, StftParams, AMIN, TOP_DB,
};

/// The STFT framing of librosa's `_spectrogram` (Hann window, zero padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    /// FFT length.
    pub n_fft: usize,
    /// Samples between frames.
    pub hop_length: usize,
    /// Window length (`None`: `n_fft`).
    pub win_length: Option<usize>,
    /// Centred frames (the signal padded by `n_fft / 2` each side).
    pub center: bool,
}

impl Framing {
    /// Centred frames of `n_fft` every `hop_length` samples (librosa's defaults otherwise).
    pub fn new(n_fft: usize, hop_length: usize) -> Self {
        Self {
            n_fft,
            hop_length,
            win_length: None,
            center: true,
        }
    }

    /// The magnitude or power spectrogram of `y`, `[n_fft / 2 + 1, frames]`.
    pub fn spectrogram(self, y: &[f32], spectrum: Spectrum) -> Result<Array2<f32>> {
        let mut params = StftParams::new(self.n_fft)
            .hop_length(self.hop_length)
            .center(self.center);
        if let Some(w) = self.win_length {
            params = params.win_length(w);
        }
        params.build()?.compute(y, spectrum)
    }
}

/// `librosa.feature.melspectrogram`'s settings.
#[derive(Debug, Clone, PartialEq)]
pub struct MelRecipe {
    /// Sample rate in Hz.
    pub sr: f64,
    /// How the signal is framed.
    pub framing: Framing,
    /// Exponent of the magnitude spectrogram (2: power).
    pub power: f32,
    /// Number of mel bands.
    pub n_mels: usize,
    /// Lowest frequency in Hz.
    pub fmin: f64,
    /// Highest frequency in Hz (`None`: `sr / 2`).
    pub fmax: Option<f64>,
    /// The HTK mel scale instead of Slaney's.
    pub htk: bool,
    /// Filter normalisation.
    pub norm: Option<MelNorm>,
    /// FFT arithmetic of the fused path (f64, as librosa).
    pub precision: FftPrecision,
}

thread_local! {
    /// This thread's recently planned mel spectrograms (see the module's note).
    static MEL_PLANS: RefCell<Vec<(MelParams, MelSpectrogram)>> = const { RefCell::new(Vec::new()) };
}

const MEL_PLANS_KEPT: usize = 4;

fn with_plan<T>(
    params: &MelParams,
    work: impl FnOnce(&mut MelSpectrogram) -> Result<T>,
) -> Result<T> {
    MEL_PLANS.with(|cell| {
        let mut plans = cell.borrow_mut();
        let i = match plans.iter().position(|(p, _)| p == params) {
            Some(i) => i,
            None => {
                if plans.len() >= MEL_PLANS_KEPT {
                    plans.remove(0);
                }
                plans.push((params.clone(), params.build()?));
                plans.len() - 1
            }
        };
        work(&mut plans[i].1)
    })
}

impl MelRecipe {
    /// librosa's defaults (power 2, Slaney scale and norm, centred frames of `n_fft`) with
    /// these settings.
    pub fn librosa(
        sr: f64,
        n_fft: usize,
        hop_length: usize,
        n_mels: usize,
        fmin: f64,
        fmax: Option<f64>,
    ) -> Self {
        Self {
            sr,
            framing: Framing::new(n_fft, hop_length),
            power: 2.0,
            n_mels,
            fmin,
            fmax,
            htk: false,
            norm: Some(MelNorm::Slaney),
            precision: FftPrecision::F64,
        }
    }

    /// The same recipe with `precision` FFTs on the fused path.
    pub fn with_precision(mut self, precision: FftPrecision) -> Self {
        self.precision = precision;
        self
    }

    /// The mel spectrogram of `y`, `[n_mels, frames]`.
    pub fn of_signal(&self, y: &[f32]) -> Result<Array2<f32>> {
        let f = self.framing;
        if f.center && f.win_length.is_none_or(|w| w == f.n_fft) {
            // The fused path (one pass: frame, FFT, power, filterbank), planned once a thread.
            let params = MelParams::new(self.sr)
                .n_fft(f.n_fft)
                .hop_length(f.hop_length)
                .n_mels(self.n_mels)
                .fmin(self.fmin)
                .fmax_or_nyquist(self.fmax)
                .htk(self.htk)
                .norm(self.norm)
                .power(self.power)
                .precision(self.precision);
            return with_plan(&params, |mel| mel.compute(y));
        }
        let mut s = f.spectrogram(y, Spectrum::Magnitude)?;
        if self.power != 1.0 {
            let p = self.power;
            s.mapv_inplace(|v| if p == 2.0 { v * v } else { v.powf(p) });
        }
        self.of_spectrogram(&s)
    }

    /// The filterbank applied to a spectrogram `s` as given, `[n_fft / 2 + 1, frames]`.
    pub fn of_spectrogram(&self, s: &Array2<f32>) -> Result<Array2<f32>> {
        let n_fft = 2 * s.nrows().saturating_sub(1);
        let fb = MelFilterbank::new(
            self.sr,
            n_fft,
            self.n_mels,
            self.fmin,
            self.fmax,
            self.htk,
            self.norm,
        )?;
        fb.apply(s)
    }

    /// `power_to_db(melspectrogram(y))` with librosa's `ref=1.0`, `top_db=80`.
    pub fn db_of_signal(&self, y: &[f32]) -> Result<Array2<f32>> {
        let mut m = self.of_signal(y)?;
        power_to_db_inplace(&mut m, DbRef::Value(1.0), AMIN, TOP_DB)?;
        Ok(m)
    }
}

/// The onset envelope `librosa.feature.tempo(y=y, sr=sr, hop_length=hop_length)` reads:
/// `onset.onset_strength` of the dB mel spectrogram (n_fft 2048, 128 mels, 0 Hz to sr / 2,
/// ref 1.0), with `precision` FFTs. Give it to a [`crate::TempoEstimator`].
pub fn tempo_onset_envelope(
    y: &[f32],
    sr: f64,
    hop_length: usize,
    precision: FftPrecision,
) -> Result<Array1<f32>> {
    const LIBROSA_N_FFT: usize = 2048;
    let s_db = MelRecipe::librosa(sr, LIBROSA_N_FFT, hop_length, 128, 0.0, None)
        .with_precision(precision)
        .db_of_signal(y)?;
    onset_strength(&s_db, LIBROSA_N_FFT, hop_length)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize) -> Vec<f32> {
        (0..n).map(|i| (i as f32 * 0.07).sin() * 0.5).collect()
    }

    /// The fused, cached path gives what a fresh plan of the same parameters gives, and the
    /// STFT path (a window shorter than n_fft) the filterbank over its own spectrogram.
    #[test]
    fn the_recipe_matches_a_fresh_plan_and_reuses_it() -> Result<()> {
        let y = tone(22050);
        let recipe = MelRecipe::librosa(22050.0, 1024, 256, 64, 20.0, Some(8000.0));
        let fresh = MelParams::new(22050.0)
            .n_fft(1024)
            .hop_length(256)
            .n_mels(64)
            .fmin(20.0)
            .fmax(8000.0)
            .build()?
            .compute(&y)?;
        assert_eq!(recipe.of_signal(&y)?, fresh);
        assert_eq!(recipe.of_signal(&y)?, fresh);
        assert_eq!(MEL_PLANS.with(|p| p.borrow().len()), 1);

        let mut short_window = recipe.clone();
        short_window.framing.win_length = Some(512);
        let mut s = short_window.framing.spectrogram(&y, Spectrum::Magnitude)?;
        s.mapv_inplace(|v| v * v);
        assert_eq!(short_window.of_signal(&y)?, recipe.of_spectrogram(&s)?);
        Ok(())
    }

    #[test]
    fn the_setters_fill_every_mel_setting() {
        let p = MelParams::new(16000.0)
            .fmax_or_nyquist(None)
            .htk(true)
            .norm(None);
        assert_eq!((p.fmax, p.htk, p.norm), (None, true, None));
        assert_eq!(MelParams::new(1.0).fmax(3.0).fmax, Some(3.0));
    }

    #[test]
    fn the_tempo_envelope_is_the_onset_strength_of_the_db_mel() -> Result<()> {
        let y = tone(3 * 22050);
        let mut mel = MelParams::new(22050.0)
            .n_fft(2048)
            .hop_length(512)
            .precision(FftPrecision::F32)
            .build()?;
        let s_db = mel.compute_db(&y, DbRef::Value(1.0), AMIN, TOP_DB)?;
        let want = onset_strength(&s_db, 2048, 512)?;
        assert_eq!(
            tempo_onset_envelope(&y, 22050.0, 512, FftPrecision::F32)?,
            want
        );
        Ok(())
    }
}
