//! `subgenre.feature`: librosa's feature functions with librosa's keyword names, defaults,
//! shapes and dtypes, computed by subgenre-dsp.
//!
//! Each function takes either the signal `y` or a precomputed spectrogram `S` (of the kind
//! librosa expects there). Parameters librosa has but subgenre implements only at librosa's
//! default (`window="hann"`, `pad_mode="constant"`, `dct_type=2`, ...) are accepted at that
//! value and rejected with a `ValueError` naming them otherwise.

use std::borrow::Cow;

use ndarray::{Array1, Array2, ArrayD, IxDyn};
use numpy::{AllowTypeChange, PyArray1, PyArray2, PyArrayDyn};
use numpy::{PyArrayLike1, PyArrayLike2, PyArrayLikeDyn};
use pyo3::prelude::*;
use subgenre_dsp::{
    chroma_stft as dsp_chroma, mfcc as dsp_mfcc, onset_strength as dsp_onset, power_to_db_inplace,
    tempo_onset_envelope, DbRef, FftPrecision, Framing, MelNorm, MelRecipe, SpectralContrast,
    Spectrum, TempoEstimator,
};

use crate::convert::{numpy_1d, numpy_2d, numpy_dyn, owned_2d};
use crate::errors::{bad_argument, detached, Failure, Outcome};

pub(crate) type Signal<'py> = PyArrayLike1<'py, f32, AllowTypeChange>;
type Matrix<'py> = PyArrayLike2<'py, f32, AllowTypeChange>;

/// The samples of `y` without a copy when they are contiguous float32.
pub(crate) fn samples<'a>(y: &'a Signal<'_>) -> Cow<'a, [f32]> {
    match y.as_slice() {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(y.as_array().to_vec()),
    }
}

/// Exactly one of `y` and `S`, taken from the numpy arrays (the signal borrowed: the array
/// stays alive meanwhile) so the work can run without the GIL.
enum Input<'a> {
    Signal(Cow<'a, [f32]>),
    Spectrogram(Array2<f32>),
}

fn input<'a>(y: &'a Option<Signal<'_>>, s: &'a Option<Matrix<'_>>) -> PyResult<Input<'a>> {
    match (y, s) {
        (Some(y), None) => Ok(Input::Signal(samples(y))),
        (None, Some(s)) => Ok(Input::Spectrogram(owned_2d(s))),
        (None, None) => Err(pyo3::exceptions::PyValueError::new_err(
            "give either y (the signal) or S (a spectrogram)",
        )),
        (Some(_), Some(_)) => Err(pyo3::exceptions::PyValueError::new_err(
            "give y or S, not both",
        )),
    }
}

fn only<T: PartialEq + std::fmt::Debug>(name: &str, value: T, supported: T) -> Outcome<()> {
    if value == supported {
        Ok(())
    } else {
        Err(bad_argument(
            name,
            format!("only {supported:?} is supported (got {value:?})"),
        ))
    }
}

fn mel_norm(norm: Option<&str>) -> Outcome<Option<MelNorm>> {
    match norm {
        Some("slaney") => Ok(Some(MelNorm::Slaney)),
        None => Ok(None),
        Some(other) => Err(bad_argument(
            "norm",
            format!("must be \"slaney\" or None, not {other:?}"),
        )),
    }
}

/// Compute a mel-scaled spectrogram (`librosa.feature.melspectrogram`).
///
/// From `y`: the STFT (`n_fft`, `hop_length`, `win_length`, `center`, Hann window, zero
/// padding), raised to `power`, through a mel filterbank (`n_mels`, `fmin`, `fmax`, `htk`,
/// `norm`). From `S`: the filterbank applied to `S` as given (a power spectrogram, by
/// librosa's convention). Returns float32 `[n_mels, n_frames]`.
#[pyfunction]
#[pyo3(signature = (*, y=None, sr=22050.0, S=None, n_fft=2048, hop_length=512, win_length=None,
    window="hann", center=true, pad_mode="constant", power=2.0, n_mels=128, fmin=0.0, fmax=None,
    htk=false, norm=Some("slaney")))]
#[allow(non_snake_case, clippy::too_many_arguments)]
pub fn melspectrogram<'py>(
    py: Python<'py>,
    y: Option<Signal<'py>>,
    sr: f64,
    S: Option<Matrix<'py>>,
    n_fft: usize,
    hop_length: usize,
    win_length: Option<usize>,
    window: &str,
    center: bool,
    pad_mode: &str,
    power: f32,
    n_mels: usize,
    fmin: f64,
    fmax: Option<f64>,
    htk: bool,
    norm: Option<&str>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let input = input(&y, &S)?;
    let out = detached(py, || {
        only("window", window, "hann")?;
        only("pad_mode", pad_mode, "constant")?;
        let recipe = MelRecipe {
            framing: Framing {
                n_fft,
                hop_length,
                win_length,
                center,
            },
            power,
            htk,
            norm: mel_norm(norm)?,
            ..MelRecipe::librosa(sr, n_fft, hop_length, n_mels, fmin, fmax)
        };
        Ok(match &input {
            Input::Signal(y) => recipe.of_signal(y)?,
            Input::Spectrogram(s) => recipe.of_spectrogram(s)?,
        })
    })?;
    numpy_2d(py, out)
}

/// What `ref` of `power_to_db` asks for.
fn db_reference(
    py: Python<'_>,
    reference: &Bound<'_, PyAny>,
    s: &Bound<'_, PyAny>,
) -> PyResult<DbRef> {
    if reference.is_callable() {
        let np_max = py.import("numpy")?.getattr("max")?;
        if reference.is(&np_max) {
            return Ok(DbRef::Max);
        }
        // Any other callable: librosa calls it on |S| and uses the number it returns.
        let abs = py.import("numpy")?.getattr("abs")?.call1((s,))?;
        let value: f64 = reference.call1((abs,))?.extract()?;
        return Ok(DbRef::Value(value as f32));
    }
    let value: f64 = reference.extract().map_err(|_| {
        pyo3::exceptions::PyValueError::new_err(
            "ref: must be a number or a callable such as np.max",
        )
    })?;
    Ok(DbRef::Value(value as f32))
}

/// Convert a power spectrogram to decibels (`librosa.power_to_db`).
///
/// `10 * log10(max(amin, S) / max(amin, ref))`, then everything below `max - top_db` raised
/// to it (`top_db=None`: no floor). `ref` is a number or a callable; `np.max` is computed in
/// Rust. Any shape; returns float32 of the same shape.
#[pyfunction]
#[pyo3(name = "power_to_db", signature = (S, *, r#ref=None, amin=1e-10, top_db=Some(80.0)))]
#[allow(non_snake_case)]
pub fn power_to_db_py<'py>(
    py: Python<'py>,
    S: Bound<'py, PyAny>,
    r#ref: Option<Bound<'py, PyAny>>,
    amin: f32,
    top_db: Option<f32>,
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    let reference = match &r#ref {
        None => DbRef::Value(1.0),
        Some(r) => db_reference(py, r, &S)?,
    };
    let array: PyArrayLikeDyn<'py, f32, AllowTypeChange> = S.extract()?;
    let shape = array.as_array().shape().to_vec();
    let data: Vec<f32> = match array.as_slice() {
        Ok(contiguous) => contiguous.to_vec(),
        Err(_) => array.as_array().iter().copied().collect(),
    };
    let out = detached(py, move || {
        let mut out =
            ArrayD::from_shape_vec(IxDyn(&shape), data).map_err(|e| bad_argument("S", e))?;
        power_to_db_inplace(&mut out, reference, amin, top_db)?;
        Ok(out)
    })?;
    numpy_dyn(py, out)
}

/// Mel-frequency cepstral coefficients (`librosa.feature.mfcc`).
///
/// From `y`: `power_to_db(melspectrogram(y, sr, n_fft, hop_length, n_mels, fmin, fmax))`
/// (ref 1.0, top_db 80); from `S`: that log-power mel spectrogram as given. Then the
/// orthonormal DCT-II, keeping `n_mfcc` coefficients. Returns float32 `[n_mfcc, n_frames]`.
#[pyfunction]
#[pyo3(signature = (*, y=None, sr=22050.0, S=None, n_mfcc=20, dct_type=2, norm=Some("ortho"),
    lifter=0.0, n_fft=2048, hop_length=512, n_mels=128, fmin=0.0, fmax=None))]
#[allow(non_snake_case, clippy::too_many_arguments)]
pub fn mfcc<'py>(
    py: Python<'py>,
    y: Option<Signal<'py>>,
    sr: f64,
    S: Option<Matrix<'py>>,
    n_mfcc: usize,
    dct_type: u32,
    norm: Option<&str>,
    lifter: f64,
    n_fft: usize,
    hop_length: usize,
    n_mels: usize,
    fmin: f64,
    fmax: Option<f64>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let input = input(&y, &S)?;
    let out = detached(py, || {
        only("dct_type", dct_type, 2)?;
        only("norm", norm, Some("ortho"))?;
        only("lifter", lifter, 0.0)?;
        let s_db = match input {
            Input::Signal(y) => {
                MelRecipe::librosa(sr, n_fft, hop_length, n_mels, fmin, fmax).db_of_signal(&y)?
            }
            Input::Spectrogram(s) => s,
        };
        Ok(dsp_mfcc(&s_db, n_mfcc)?)
    })?;
    numpy_2d(py, out)
}

/// Chromagram from a power spectrogram (`librosa.feature.chroma_stft`).
///
/// `tuning=None` estimates the tuning as librosa does (piptrack on the power spectrogram);
/// each frame is scaled to a maximum of 1 (`norm=np.inf`). Returns float32 `[n_chroma, n_frames]`.
#[pyfunction]
#[pyo3(signature = (*, y=None, sr=22050.0, S=None, norm=None, n_fft=2048, hop_length=512,
    win_length=None, window="hann", center=true, pad_mode="constant", tuning=None, n_chroma=12))]
#[allow(non_snake_case, clippy::too_many_arguments)]
pub fn chroma_stft<'py>(
    py: Python<'py>,
    y: Option<Signal<'py>>,
    sr: f64,
    S: Option<Matrix<'py>>,
    norm: Option<f64>,
    n_fft: usize,
    hop_length: usize,
    win_length: Option<usize>,
    window: &str,
    center: bool,
    pad_mode: &str,
    tuning: Option<f64>,
    n_chroma: usize,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let input = input(&y, &S)?;
    let out = detached(py, || {
        only("window", window, "hann")?;
        only("pad_mode", pad_mode, "constant")?;
        if norm.is_some_and(|n| n != f64::INFINITY) {
            return Err(bad_argument("norm", "only np.inf is supported"));
        }
        let power = match input {
            Input::Signal(y) => Framing {
                n_fft,
                hop_length,
                win_length,
                center,
            }
            .spectrogram(&y, Spectrum::Power)?,
            Input::Spectrogram(s) => s,
        };
        Ok(dsp_chroma(&power, sr, n_chroma, tuning)?)
    })?;
    numpy_2d(py, out)
}

/// A `[1, n]` row, as librosa's per-frame features are shaped.
fn row<T: numpy::Element + Clone>(
    py: Python<'_>,
    v: Array1<T>,
) -> PyResult<Bound<'_, PyArray2<T>>> {
    let n = v.len();
    numpy_2d(
        py,
        v.into_shape_with_order((1, n))
            .map_err(|e| crate::errors::Error::new_err(e.to_string()))?,
    )
}

/// Root-mean-square energy per frame (`librosa.feature.rms`).
///
/// From `y`: frames of `frame_length` every `hop_length` samples (centred, zero padding).
/// From `S` (a magnitude spectrogram `[frame_length // 2 + 1, n_frames]`): Parseval's sum.
/// Returns float32 `[1, n_frames]`.
#[pyfunction]
#[pyo3(signature = (*, y=None, S=None, frame_length=2048, hop_length=512, center=true,
    pad_mode="constant"))]
#[allow(non_snake_case)]
pub fn rms<'py>(
    py: Python<'py>,
    y: Option<Signal<'py>>,
    S: Option<Matrix<'py>>,
    frame_length: usize,
    hop_length: usize,
    center: bool,
    pad_mode: &str,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let input = input(&y, &S)?;
    let out = detached(py, || {
        only("pad_mode", pad_mode, "constant")?;
        Ok(match &input {
            Input::Signal(y) => subgenre_dsp::rms(y, frame_length, hop_length, center)?,
            Input::Spectrogram(s) => subgenre_dsp::rms_from_spectrogram(s, frame_length)?,
        })
    })?;
    row(py, out)
}

/// The magnitude spectrogram a spectral shape feature reads: `S` as given, or `|stft(y)|`.
fn magnitude(input: Input<'_>, framing: Framing) -> Outcome<Array2<f32>> {
    match input {
        Input::Signal(y) => Ok(framing.spectrogram(&y, Spectrum::Magnitude)?),
        Input::Spectrogram(s) => Ok(s),
    }
}

macro_rules! spectral_shape {
    ($name:ident, $doc:literal, |$s:ident, $sr:ident| $body:expr) => {
        #[doc = $doc]
        #[pyfunction]
        #[pyo3(signature = (*, y=None, sr=22050.0, S=None, n_fft=2048, hop_length=512,
                            win_length=None, window="hann", center=true, pad_mode="constant"))]
        #[allow(non_snake_case, clippy::too_many_arguments)]
        pub fn $name<'py>(
            py: Python<'py>,
            y: Option<Signal<'py>>,
            sr: f64,
            S: Option<Matrix<'py>>,
            n_fft: usize,
            hop_length: usize,
            win_length: Option<usize>,
            window: &str,
            center: bool,
            pad_mode: &str,
        ) -> PyResult<Bound<'py, PyArray2<f64>>> {
            let input = input(&y, &S)?;
            let out = detached(py, || {
                only("window", window, "hann")?;
                only("pad_mode", pad_mode, "constant")?;
                let framing = Framing {
                    n_fft,
                    hop_length,
                    win_length,
                    center,
                };
                let $s = magnitude(input, framing)?;
                let $sr = sr;
                Ok($body?)
            })?;
            row(py, out)
        }
    };
}

spectral_shape!(
    spectral_centroid,
    "Spectral centroid per frame (`librosa.feature.spectral_centroid`), of `|stft(y)|` or of a \
     magnitude spectrogram `S`. Returns float64 `[1, n_frames]` (Hz).",
    |s, sr| subgenre_dsp::spectral_centroid(&s, sr)
);

spectral_shape!(
    spectral_bandwidth,
    "Spectral bandwidth per frame (`librosa.feature.spectral_bandwidth`, `p=2`, normalised), of \
     `|stft(y)|` or of a magnitude spectrogram `S`. Returns float64 `[1, n_frames]` (Hz).",
    |s, sr| subgenre_dsp::spectral_bandwidth(&s, sr)
);

/// Roll-off frequency per frame (`librosa.feature.spectral_rolloff`): the lowest bin holding
/// `roll_percent` of the frame's magnitude. Returns float64 `[1, n_frames]` (Hz).
#[pyfunction]
#[pyo3(signature = (*, y=None, sr=22050.0, S=None, n_fft=2048, hop_length=512,
    win_length=None, window="hann", center=true, pad_mode="constant", roll_percent=0.85))]
#[allow(non_snake_case, clippy::too_many_arguments)]
pub fn spectral_rolloff<'py>(
    py: Python<'py>,
    y: Option<Signal<'py>>,
    sr: f64,
    S: Option<Matrix<'py>>,
    n_fft: usize,
    hop_length: usize,
    win_length: Option<usize>,
    window: &str,
    center: bool,
    pad_mode: &str,
    roll_percent: f32,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let input = input(&y, &S)?;
    let out = detached(py, || {
        only("window", window, "hann")?;
        only("pad_mode", pad_mode, "constant")?;
        let framing = Framing {
            n_fft,
            hop_length,
            win_length,
            center,
        };
        let s = magnitude(input, framing)?;
        Ok(subgenre_dsp::spectral_rolloff(&s, sr, roll_percent)?)
    })?;
    row(py, out)
}

/// Spectral contrast per octave band (`librosa.feature.spectral_contrast`), of `|stft(y)|` or
/// of a magnitude spectrogram `S`. Returns float64 `[n_bands + 1, n_frames]` (dB).
#[pyfunction]
#[pyo3(signature = (*, y=None, sr=22050.0, S=None, n_fft=2048, hop_length=512,
    win_length=None, window="hann", center=true, pad_mode="constant", fmin=200.0, n_bands=6,
    quantile=0.02, linear=false))]
#[allow(non_snake_case, clippy::too_many_arguments)]
pub fn spectral_contrast<'py>(
    py: Python<'py>,
    y: Option<Signal<'py>>,
    sr: f64,
    S: Option<Matrix<'py>>,
    n_fft: usize,
    hop_length: usize,
    win_length: Option<usize>,
    window: &str,
    center: bool,
    pad_mode: &str,
    fmin: f64,
    n_bands: usize,
    quantile: f64,
    linear: bool,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let input = input(&y, &S)?;
    let out = detached(py, || {
        only("window", window, "hann")?;
        only("pad_mode", pad_mode, "constant")?;
        only("linear", linear, false)?;
        let framing = Framing {
            n_fft,
            hop_length,
            win_length,
            center,
        };
        let s = magnitude(input, framing)?;
        let n_fft = 2 * s.nrows().saturating_sub(1);
        let mut contrast = SpectralContrast::with_params(sr, n_fft, fmin, n_bands, quantile)?;
        Ok(contrast.compute(&s)?)
    })?;
    numpy_2d(py, out)
}

/// Zero-crossing rate per frame (`librosa.feature.zero_crossing_rate`). Returns
/// `[1, n_frames]`.
#[pyfunction]
#[pyo3(signature = (y, *, frame_length=2048, hop_length=512, center=true))]
pub fn zero_crossing_rate<'py>(
    py: Python<'py>,
    y: Signal<'py>,
    frame_length: usize,
    hop_length: usize,
    center: bool,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let y = samples(&y);
    let out = detached(py, || {
        Ok(subgenre_dsp::zero_crossing_rate(
            &y,
            frame_length,
            hop_length,
            center,
        )?)
    })?;
    row(py, out)
}

/// Spectral-flux onset strength (`librosa.onset.onset_strength`, `lag=1`, `max_size=1`,
/// mean over bands, centred).
///
/// From `y`: of `power_to_db(melspectrogram(y, sr, n_fft, hop_length, n_mels, fmin, fmax))`;
/// from `S`: of that log-power mel spectrogram as given. Returns float32 `[n_frames]`.
#[pyfunction]
#[pyo3(signature = (*, y=None, sr=22050.0, S=None, lag=1, max_size=1, n_fft=2048,
    hop_length=512, n_mels=128, fmin=0.0, fmax=None))]
#[allow(non_snake_case, clippy::too_many_arguments)]
pub fn onset_strength<'py>(
    py: Python<'py>,
    y: Option<Signal<'py>>,
    sr: f64,
    S: Option<Matrix<'py>>,
    lag: usize,
    max_size: usize,
    n_fft: usize,
    hop_length: usize,
    n_mels: usize,
    fmin: f64,
    fmax: Option<f64>,
) -> PyResult<Bound<'py, PyArray1<f32>>> {
    let input = input(&y, &S)?;
    let out = detached(py, || {
        only("lag", lag, 1)?;
        only("max_size", max_size, 1)?;
        let s_db = match input {
            Input::Signal(y) => {
                MelRecipe::librosa(sr, n_fft, hop_length, n_mels, fmin, fmax).db_of_signal(&y)?
            }
            Input::Spectrogram(s) => s,
        };
        Ok(dsp_onset(&s_db, n_fft, hop_length)?)
    })?;
    numpy_1d(py, out)
}

/// Global tempo in BPM (`librosa.feature.tempo`, `aggregate=np.mean`): an autocorrelation
/// tempogram of `ac_size` seconds over the onset envelope (of `y`, or `onset_envelope` as
/// given), averaged over time, weighted by a log-normal prior around `start_bpm`. Returns
/// float64 `[1]`.
#[pyfunction]
#[pyo3(signature = (*, y=None, sr=22050.0, onset_envelope=None, hop_length=512,
    start_bpm=120.0, std_bpm=1.0, ac_size=8.0, max_tempo=Some(320.0)))]
#[allow(clippy::too_many_arguments)]
pub fn tempo<'py>(
    py: Python<'py>,
    y: Option<Signal<'py>>,
    sr: f64,
    onset_envelope: Option<Signal<'py>>,
    hop_length: usize,
    start_bpm: f64,
    std_bpm: f64,
    ac_size: f64,
    max_tempo: Option<f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let envelope_given = onset_envelope.is_some();
    let source = match (y, onset_envelope) {
        (Some(y), None) => y,
        (None, Some(e)) => e,
        _ => {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "give either y (the signal) or onset_envelope, not both or neither",
            ))
        }
    };
    let source = samples(&source);
    let bpm = detached(py, || {
        let envelope: Vec<f32> = if envelope_given {
            source.to_vec()
        } else {
            tempo_onset_envelope(&source, sr, hop_length, FftPrecision::F64)?.to_vec()
        };
        let mut estimator =
            TempoEstimator::with_params(sr, hop_length, start_bpm, std_bpm, ac_size, max_tempo)?;
        estimator.estimate(&envelope).map_err(Failure::from)
    })?;
    Ok(PyArray1::from_vec(py, vec![bpm]))
}
