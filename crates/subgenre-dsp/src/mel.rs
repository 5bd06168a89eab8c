//! Mel filterbank (`librosa.filters.mel`) and mel spectrograms (`librosa.feature.melspectrogram`).

use ndarray::Array2;

use crate::convert::{fft_frequencies, mel_frequencies};
use crate::db::DbRef;
use crate::error::{invalid, DspError, Result};
use crate::kernels;
use crate::stft::{FftPrecision, Stft, StftParams};

/// Filter normalisation (`norm` of `librosa.filters.mel`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MelNorm {
    /// Divide each triangle by its width in Hz (Slaney's constant-area filters), librosa's default.
    #[default]
    Slaney,
}

/// A mel filterbank stored sparsely: each filter keeps only its non-zero FFT-bin range.
///
/// Filters that cover no FFT bin (possible with a low `fmax` and a short FFT) are empty and give
/// zero rows, as in librosa.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilterbank {
    n_bins: usize,
    /// First bin of each filter.
    starts: Vec<usize>,
    /// `weights[offsets[m]..offsets[m + 1]]` are filter `m`'s weights from `starts[m]` on.
    offsets: Vec<usize>,
    weights: Vec<f32>,
}

impl MelFilterbank {
    /// `librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk,
    /// norm=norm)`; `fmax = None` means `sr / 2`.
    pub fn new(
        sr: f64,
        n_fft: usize,
        n_mels: usize,
        fmin: f64,
        fmax: Option<f64>,
        htk: bool,
        norm: Option<MelNorm>,
    ) -> Result<Self> {
        let fmax = fmax.unwrap_or(sr / 2.0);
        check_mel_params(sr, n_fft, n_mels, fmin, fmax)?;
        let fftfreqs = fft_frequencies(sr, n_fft);
        let mel_f = mel_frequencies(n_mels + 2, fmin, fmax, htk);
        let mut starts = Vec::with_capacity(n_mels);
        let mut offsets = Vec::with_capacity(n_mels + 1);
        let mut weights = Vec::new();
        offsets.push(0);
        let mut row = vec![0f32; fftfreqs.len()];
        for i in 0..n_mels {
            let fdiff_lo = mel_f[i + 1] - mel_f[i];
            let fdiff_hi = mel_f[i + 2] - mel_f[i + 1];
            let enorm = norm.map(|MelNorm::Slaney| 2.0 / (mel_f[i + 2] - mel_f[i]));
            for (w, &f) in row.iter_mut().zip(&fftfreqs) {
                let lower = -(mel_f[i] - f) / fdiff_lo;
                let upper = (mel_f[i + 2] - f) / fdiff_hi;
                // librosa stores the triangle in float32, then scales it in float64.
                let tri = 0f64.max(lower.min(upper)) as f32;
                *w = match enorm {
                    Some(e) => (f64::from(tri) * e) as f32,
                    None => tri,
                };
            }
            let first = row.iter().position(|&w| w > 0.0);
            let last = row.iter().rposition(|&w| w > 0.0);
            match (first, last) {
                (Some(a), Some(b)) => {
                    starts.push(a);
                    weights.extend_from_slice(&row[a..=b]);
                }
                _ => starts.push(0),
            }
            offsets.push(weights.len());
        }
        Ok(Self {
            n_bins: fftfreqs.len(),
            starts,
            offsets,
            weights,
        })
    }

    /// Number of mel bands.
    pub fn n_mels(&self) -> usize {
        self.starts.len()
    }

    /// Number of FFT bins expected, `1 + n_fft / 2`.
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Filter `m` as `(first bin, weights)`; empty for filters that cover no bin.
    pub fn filter(&self, m: usize) -> (usize, &[f32]) {
        (
            self.starts[m],
            &self.weights[self.offsets[m]..self.offsets[m + 1]],
        )
    }

    /// The dense `[n_mels, 1 + n_fft/2]` matrix, as librosa returns it.
    pub fn to_dense(&self) -> Array2<f32> {
        let mut out = Array2::zeros((self.n_mels(), self.n_bins));
        for m in 0..self.n_mels() {
            let (start, w) = self.filter(m);
            for (k, &v) in w.iter().enumerate() {
                out[[m, start + k]] = v;
            }
        }
        out
    }

    /// Applies the filterbank to one spectrum frame (`spectrum.len() == n_bins`).
    #[inline]
    pub fn apply_frame(&self, spectrum: &[f32], out: &mut [f32]) {
        self.apply_frame_inlined(spectrum, out);
    }

    /// [`MelFilterbank::apply_frame`], always inlined (into the vectorised frame loops).
    #[inline(always)]
    fn apply_frame_inlined(&self, spectrum: &[f32], out: &mut [f32]) {
        for ((o, &start), ends) in out
            .iter_mut()
            .zip(&self.starts)
            .zip(self.offsets.windows(2))
        {
            let w = &self.weights[ends[0]..ends[1]];
            *o = crate::chroma::dot_f32(w, &spectrum[start..start + w.len()]);
        }
    }

    /// Mel spectrogram from a spectrogram `s` of shape `[1 + n_fft/2, n_frames]`
    /// (`librosa.feature.melspectrogram(S=s)`); returns `[n_mels, n_frames]`.
    pub fn apply(&self, s: &Array2<f32>) -> Result<Array2<f32>> {
        if s.nrows() != self.n_bins {
            return Err(DspError::ShapeMismatch {
                what: "spectrogram",
                expected: vec![self.n_bins, s.ncols()],
                found: s.shape().to_vec(),
            });
        }
        let mut out = Array2::zeros((self.n_mels(), s.ncols()));
        let mut frame = vec![0f32; self.n_bins];
        let mut mel = vec![0f32; self.n_mels()];
        for (t, col) in s.columns().into_iter().enumerate() {
            for (f, &v) in frame.iter_mut().zip(col.iter()) {
                *f = v;
            }
            self.apply_frame(&frame, &mut mel);
            out.column_mut(t)
                .iter_mut()
                .zip(&mel)
                .for_each(|(o, &v)| *o = v);
        }
        Ok(out)
    }
}

fn check_mel_params(sr: f64, n_fft: usize, n_mels: usize, fmin: f64, fmax: f64) -> Result<()> {
    if sr.is_nan() || sr <= 0.0 {
        return Err(invalid("sr", sr, "must be positive"));
    }
    if n_fft == 0 {
        return Err(invalid("n_fft", 0.0, "must be positive"));
    }
    if n_mels == 0 {
        return Err(invalid("n_mels", 0.0, "must be positive"));
    }
    if fmin.is_nan() || fmin < 0.0 {
        return Err(invalid("fmin", fmin, "must be non-negative"));
    }
    if fmax.is_nan() || fmax <= fmin {
        return Err(invalid("fmax", fmax, "must be greater than fmin"));
    }
    if fmax > sr / 2.0 {
        return Err(invalid("fmax", fmax, "must not exceed sr / 2"));
    }
    Ok(())
}

/// Mel-spectrogram parameters, with librosa's names and defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct MelParams {
    /// Sample rate in Hz (22050).
    pub sr: f64,
    /// FFT length (2048).
    pub n_fft: usize,
    /// Hop length (512).
    pub hop_length: usize,
    /// Number of mel bands (128).
    pub n_mels: usize,
    /// Lowest frequency in Hz (0).
    pub fmin: f64,
    /// Highest frequency in Hz; `None` means `sr / 2`.
    pub fmax: Option<f64>,
    /// HTK mel scale instead of Slaney's (false).
    pub htk: bool,
    /// Filter normalisation (Slaney).
    pub norm: Option<MelNorm>,
    /// Exponent of the magnitude spectrogram (2.0: power).
    pub power: f32,
    /// FFT arithmetic (f64, as librosa).
    pub precision: FftPrecision,
}

impl Default for MelParams {
    fn default() -> Self {
        Self {
            sr: 22050.0,
            n_fft: 2048,
            hop_length: 512,
            n_mels: 128,
            fmin: 0.0,
            fmax: None,
            htk: false,
            norm: Some(MelNorm::Slaney),
            power: 2.0,
            precision: FftPrecision::F64,
        }
    }
}

impl MelParams {
    /// Defaults at sample rate `sr`.
    pub fn new(sr: f64) -> Self {
        Self {
            sr,
            ..Self::default()
        }
    }

    /// Sets `n_fft`.
    pub fn n_fft(mut self, n_fft: usize) -> Self {
        self.n_fft = n_fft;
        self
    }

    /// Sets `hop_length`.
    pub fn hop_length(mut self, hop_length: usize) -> Self {
        self.hop_length = hop_length;
        self
    }

    /// Sets `n_mels`.
    pub fn n_mels(mut self, n_mels: usize) -> Self {
        self.n_mels = n_mels;
        self
    }

    /// Sets `fmin`.
    pub fn fmin(mut self, fmin: f64) -> Self {
        self.fmin = fmin;
        self
    }

    /// Sets `fmax`.
    pub fn fmax(mut self, fmax: f64) -> Self {
        self.fmax = Some(fmax);
        self
    }

    /// Sets `fmax`, `None` meaning `sr / 2` (librosa's `fmax=None`).
    pub fn fmax_or_nyquist(mut self, fmax: Option<f64>) -> Self {
        self.fmax = fmax;
        self
    }

    /// Sets `htk` (the HTK mel scale instead of Slaney's).
    pub fn htk(mut self, htk: bool) -> Self {
        self.htk = htk;
        self
    }

    /// Sets the filter normalisation (`None`: none).
    pub fn norm(mut self, norm: Option<MelNorm>) -> Self {
        self.norm = norm;
        self
    }

    /// Sets `power`.
    pub fn power(mut self, power: f32) -> Self {
        self.power = power;
        self
    }

    /// Sets the FFT arithmetic.
    pub fn precision(mut self, precision: FftPrecision) -> Self {
        self.precision = precision;
        self
    }

    /// Validates and plans the STFT and filterbank.
    pub fn build(&self) -> Result<MelSpectrogram> {
        if self.power.is_nan() || self.power <= 0.0 {
            return Err(invalid("power", self.power, "must be positive"));
        }
        let stft = StftParams::new(self.n_fft)
            .hop_length(self.hop_length)
            .precision(self.precision)
            .build()?;
        let filterbank = MelFilterbank::new(
            self.sr,
            self.n_fft,
            self.n_mels,
            self.fmin,
            self.fmax,
            self.htk,
            self.norm,
        )?;
        Ok(MelSpectrogram {
            block: vec![0.0; FRAME_BLOCK * filterbank.n_mels()],
            stft,
            filterbank,
            power: self.power,
        })
    }
}

/// A planned mel spectrogram (`librosa.feature.melspectrogram`), reusable across clips.
#[derive(Debug, Clone)]
pub struct MelSpectrogram {
    stft: Stft,
    filterbank: MelFilterbank,
    power: f32,
    /// Mel values of [`FRAME_BLOCK`] frames, frame after frame.
    block: Vec<f32>,
}

impl MelSpectrogram {
    /// The filterbank.
    pub fn filterbank(&self) -> &MelFilterbank {
        &self.filterbank
    }

    /// The STFT.
    pub fn stft(&self) -> &Stft {
        &self.stft
    }

    /// Number of frames for a signal of `len` samples.
    pub fn n_frames(&self, len: usize) -> Result<usize> {
        self.stft.n_frames(len)
    }

    /// `out` must be `[n_mels, n_frames]` for a signal of `len` samples.
    fn check_output(&self, len: usize, out: &Array2<f32>) -> Result<()> {
        let expected = [self.filterbank.n_mels(), self.stft.n_frames(len)?];
        if out.shape() != expected {
            return Err(DspError::ShapeMismatch {
                what: "mel spectrogram output",
                expected: expected.to_vec(),
                found: out.shape().to_vec(),
            });
        }
        Ok(())
    }

    /// Mel spectrogram of `y` into `out` (`[n_mels, n_frames]`).
    pub fn compute_into(&mut self, y: &[f32], out: &mut Array2<f32>) -> Result<()> {
        self.check_output(y.len(), out)?;
        mel_frames(self, y, out, None)?;
        Ok(())
    }

    /// Mel frames `frames` of a signal that `part` holds only a piece of, the samples from
    /// `part_start` on, as columns handed to `f(t, column)`: the columns
    /// [`MelSpectrogram::compute`] gives of the whole signal (see
    /// [`Stft::for_each_frame_of_part`] for what `part` must hold; the caller checks that its
    /// samples are finite).
    pub fn for_each_frame_of_part<F>(
        &mut self,
        part: &[f32],
        part_start: usize,
        frames: std::ops::Range<usize>,
        mut f: F,
    ) -> Result<()>
    where
        F: FnMut(usize, &[f32]),
    {
        let MelSpectrogram {
            stft,
            filterbank,
            power,
            block,
            ..
        } = self;
        let mel = &mut block[..filterbank.n_mels()];
        for t in frames {
            let spectrum = stft.power_frame(part, part_start, t, *power)?;
            filterbank.apply_frame_inlined(spectrum, mel);
            f(t, mel);
        }
        Ok(())
    }

    /// Allocating version of [`MelSpectrogram::compute_into`].
    pub fn compute(&mut self, y: &[f32]) -> Result<Array2<f32>> {
        let mut out = Array2::zeros((self.filterbank.n_mels(), self.stft.n_frames(y.len())?));
        self.compute_into(y, &mut out)?;
        Ok(out)
    }

    /// `power_to_db(melspectrogram(y), ref, amin, top_db)` into `out`.
    pub fn compute_db_into(
        &mut self,
        y: &[f32],
        reference: DbRef,
        amin: f32,
        top_db: Option<f32>,
        out: &mut Array2<f32>,
    ) -> Result<()> {
        crate::db::check_db_params(amin, top_db)?;
        self.check_output(y.len(), out)?;
        // The logarithms are taken as the mel values come (`power_to_db`'s
        // `10 log10(max(amin, S))`); the reference, known at the end with `ref=np.max`, is
        // subtracted after, with the `top_db` floor. The same operations as
        // `power_to_db_inplace` after `compute_into`, so the same values.
        let (largest_power, largest_db) = mel_frames(self, y, out, Some(amin))?;
        let ref_value = match reference {
            DbRef::Max => largest_power,
            DbRef::Value(v) => v.abs(),
        };
        let offset = 10.0 * crate::db::log10(amin.max(ref_value));
        let floor = top_db.map(|top| (largest_db - offset) - top);
        match out.as_slice_memory_order_mut() {
            Some(values) => subtract_and_floor(values, offset, floor),
            None => out.map_inplace(|v| *v = (*v - offset).max(floor.unwrap_or(f32::NEG_INFINITY))),
        }
        Ok(())
    }

    /// Allocating version of [`MelSpectrogram::compute_db_into`].
    pub fn compute_db(
        &mut self,
        y: &[f32],
        reference: DbRef,
        amin: f32,
        top_db: Option<f32>,
    ) -> Result<Array2<f32>> {
        let mut out = Array2::zeros((self.filterbank.n_mels(), self.stft.n_frames(y.len())?));
        self.compute_db_into(y, reference, amin, top_db, &mut out)?;
        Ok(out)
    }
}

/// Frames whose mel values are gathered before they are written to the output, a row
/// segment at a time.
const FRAME_BLOCK: usize = 8;

kernels::avx2_dispatch! {
    /// The mel spectrogram of `y` into `out` (shape checked by the caller); with `Some(amin)`,
    /// `10 log10(max(amin, S))` instead, and the largest mel power and dB value are returned.
    fn mel_frames(
        mel: &mut MelSpectrogram,
        y: &[f32],
        out: &mut Array2<f32>,
        db_amin: Option<f32>,
    ) -> Result<(f32, f32)> => mel_frames_inlined
}

#[inline(always)]
fn mel_frames_inlined(
    mel: &mut MelSpectrogram,
    y: &[f32],
    out: &mut Array2<f32>,
    db_amin: Option<f32>,
) -> Result<(f32, f32)> {
    if let Some(index) = kernels::first_non_finite(y) {
        return Err(DspError::NonFinite { index });
    }
    let MelSpectrogram {
        stft,
        filterbank,
        power,
        block,
        ..
    } = mel;
    let n_mels = filterbank.n_mels();
    let n_frames = out.ncols();
    let mut largest = (f32::NEG_INFINITY, f32::NEG_INFINITY);
    for t0 in (0..n_frames).step_by(FRAME_BLOCK) {
        let frames = FRAME_BLOCK.min(n_frames - t0);
        let values = &mut block[..frames * n_mels];
        for (j, mel_frame) in values.chunks_exact_mut(n_mels).enumerate() {
            let spectrum = stft.power_frame(y, 0, t0 + j, *power)?;
            filterbank.apply_frame_inlined(spectrum, mel_frame);
        }
        if let Some(amin) = db_amin {
            largest.0 = largest.0.max(kernels::max_f32(values));
            largest.1 = largest.1.max(kernels::db_in_place(values, amin, 0.0));
        }
        match out.as_slice_mut() {
            Some(rows) => {
                for (m, row) in rows.chunks_exact_mut(n_frames).enumerate() {
                    for (j, o) in row[t0..t0 + frames].iter_mut().enumerate() {
                        *o = values[j * n_mels + m];
                    }
                }
            }
            None => {
                for (j, mel_frame) in values.chunks_exact(n_mels).enumerate() {
                    out.column_mut(t0 + j).assign(&ndarray::aview1(mel_frame));
                }
            }
        }
    }
    Ok(largest)
}

kernels::avx2_dispatch! {
    /// `v = max(v - offset, floor)` (no floor: `None`).
    fn subtract_and_floor(values: &mut [f32], offset: f32, floor: Option<f32>)
        => subtract_and_floor_inlined
}

#[inline(always)]
fn subtract_and_floor_inlined(values: &mut [f32], offset: f32, floor: Option<f32>) {
    match floor {
        Some(floor) => values
            .iter_mut()
            .for_each(|v| *v = (*v - offset).max(floor)),
        None => values.iter_mut().for_each(|v| *v -= offset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::hz_to_mel;
    use approx::assert_relative_eq;

    #[test]
    fn slaney_filters_have_unit_area_in_hz() -> Result<()> {
        // With Slaney norm each triangle has height 2 / (f_hi - f_lo), i.e. area 1 in Hz; summing
        // weights times the bin spacing approximates that for filters much wider than a bin.
        let sr = 22050.0;
        let n_fft = 4096;
        let fb = MelFilterbank::new(sr, n_fft, 40, 0.0, None, false, Some(MelNorm::Slaney))?;
        let df = sr / n_fft as f64;
        for m in 10..40 {
            let (_, w) = fb.filter(m);
            let area: f64 = w.iter().map(|&v| f64::from(v) * df).sum();
            assert_relative_eq!(area, 1.0, max_relative = 0.02);
        }
        Ok(())
    }

    #[test]
    fn filter_peaks_sit_on_mel_centres() -> Result<()> {
        let fb = MelFilterbank::new(22050.0, 2048, 128, 0.0, None, false, None)?;
        let dense = fb.to_dense();
        // Without norm the triangles peak at (nearly) 1.
        let mel_f = mel_frequencies(130, 0.0, 11025.0, false);
        for m in [40usize, 80, 120] {
            let row = dense.row(m);
            let (argmax, max) =
                row.iter().enumerate().fold(
                    (0, 0.0f32),
                    |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc },
                );
            assert!(max > 0.5 && max <= 1.0);
            let centre = mel_f[m + 1];
            assert!((argmax as f64 * 22050.0 / 2048.0 - centre).abs() < 22050.0 / 2048.0);
        }
        assert_relative_eq!(
            hz_to_mel(11025.0, false),
            hz_to_mel(mel_f[129], false),
            max_relative = 1e-12
        );
        Ok(())
    }

    #[test]
    fn low_fmax_gives_empty_filters() -> Result<()> {
        // librosa.filters.mel(sr=22050, n_fft=512, n_mels=128, fmin=20, fmax=2000) has 38 all-zero
        // rows (n_fft=256: 83; n_fft=1024: none).
        let count = |n_fft| -> Result<usize> {
            let fb = MelFilterbank::new(
                22050.0,
                n_fft,
                128,
                20.0,
                Some(2000.0),
                false,
                Some(MelNorm::Slaney),
            )?;
            Ok((0..128).filter(|&m| fb.filter(m).1.is_empty()).count())
        };
        assert_eq!(count(512)?, 38);
        assert_eq!(count(256)?, 83);
        assert_eq!(count(1024)?, 0);
        Ok(())
    }

    #[test]
    fn rejects_bad_params() {
        let bad = |r: Result<MelFilterbank>, name: &str| {
            assert!(matches!(r, Err(DspError::InvalidParam { name: n, .. }) if n == name));
        };
        bad(
            MelFilterbank::new(22050.0, 2048, 128, 0.0, Some(12000.0), false, None),
            "fmax",
        );
        bad(
            MelFilterbank::new(22050.0, 2048, 128, 500.0, Some(400.0), false, None),
            "fmax",
        );
        bad(
            MelFilterbank::new(22050.0, 2048, 0, 0.0, None, false, None),
            "n_mels",
        );
        bad(
            MelFilterbank::new(0.0, 2048, 128, 0.0, None, false, None),
            "sr",
        );
        bad(
            MelFilterbank::new(22050.0, 2048, 128, -1.0, None, false, None),
            "fmin",
        );
        assert!(matches!(
            MelParams::default().power(0.0).build(),
            Err(DspError::InvalidParam { name: "power", .. })
        ));
    }

    #[test]
    fn mel_from_samples_equals_mel_from_power() -> Result<()> {
        let y: Vec<f32> = (0..10000)
            .map(|i| ((i as f32) * 0.05).sin() * 0.3)
            .collect();
        let mut mel = MelParams::default().build()?;
        let direct = mel.compute(&y)?;
        let mut stft = StftParams::default().build()?;
        let p = stft.compute(&y, crate::Spectrum::Power)?;
        let via = mel.filterbank().apply(&p)?;
        assert_eq!(direct, via);
        Ok(())
    }
}
