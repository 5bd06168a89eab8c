//! One exception hierarchy for the package, and the way every call leaves Python to work.
//!
//! `subgenre.Error` is the base; `subgenre.AudioError` (a file that cannot be read) carries
//! `.path` and `.reason`. A bad argument is a `ValueError` naming it. Work runs with the GIL
//! released and behind `catch_unwind`, so a Rust panic surfaces as `subgenre.Error`, never as
//! pyo3's `PanicException` (a `BaseException` that `except Exception` would not catch).

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use subgenre_audio::AudioError as RustAudioError;
use subgenre_dsp::DspError;
use subgenre_extract::ExtractError;
use subgenre_predict::PredictError;

pyo3::create_exception!(
    subgenre,
    Error,
    PyException,
    "Base class of every error subgenre raises (other than ValueError for a bad argument)."
);
pyo3::create_exception!(
    subgenre,
    AudioError,
    Error,
    "A file that cannot be read as audio (missing, empty, not audio, truncated...).\n\n\
     Attributes: `path` (str, the file) and `reason` (str, what is wrong with it)."
);
pyo3::create_exception!(
    subgenre,
    ModelError,
    Error,
    "A model file that cannot be loaded or used for this input."
);

/// Everything a binding can fail with, before it becomes a Python exception.
#[derive(Debug)]
pub enum Failure {
    /// A file that could not be read: its path and why.
    Audio { path: String, reason: String },
    /// A bad argument value: its Python name and why.
    Argument(String),
    /// A model that cannot be loaded or used.
    Model(String),
    /// Anything else, including a caught panic.
    Other(String),
}

pub type Outcome<T> = std::result::Result<T, Failure>;

impl From<RustAudioError> for Failure {
    fn from(e: RustAudioError) -> Self {
        match (&e, e.path()) {
            (RustAudioError::InvalidOption { .. }, _) => Failure::Argument(e.to_string()),
            (_, Some(path)) => {
                let reason = subgenre_core::reason_about(path, &e);
                let path = path.display().to_string();
                Failure::Audio { path, reason }
            }
            (_, None) => Failure::Other(e.to_string()),
        }
    }
}

impl From<DspError> for Failure {
    fn from(e: DspError) -> Self {
        match e {
            DspError::InvalidParam { .. } | DspError::ShapeMismatch { .. } => {
                Failure::Argument(e.to_string())
            }
            DspError::EmptyInput | DspError::InputTooShort { .. } | DspError::NonFinite { .. } => {
                Failure::Argument(format!("y: {e}"))
            }
            _ => Failure::Other(e.to_string()),
        }
    }
}

impl From<ExtractError> for Failure {
    fn from(e: ExtractError) -> Self {
        match e {
            ExtractError::Audio(a) => a.into(),
            ExtractError::Dsp(d) => d.into(),
            ExtractError::InvalidOption { .. } => Failure::Argument(e.to_string()),
            other => Failure::Other(other.to_string()),
        }
    }
}

impl From<PredictError> for Failure {
    fn from(e: PredictError) -> Self {
        match e {
            PredictError::Audio(a) => a.into(),
            PredictError::Extract(x) => x.into(),
            PredictError::Dsp(d) => d.into(),
            PredictError::InvalidOption { .. } => Failure::Argument(e.to_string()),
            PredictError::Model(_) | PredictError::UnsupportedModel { .. } => {
                Failure::Model(e.to_string())
            }
            // A signal musicnn cannot take (empty, NaN, under a second).
            PredictError::Musicnn(m) => Failure::Argument(m.to_string()),
            PredictError::Embed { path, source } => Failure::Audio {
                path: path.display().to_string(),
                reason: source.to_string(),
            },
            other => Failure::Other(other.to_string()),
        }
    }
}

impl Failure {
    /// The one-line message (`<path>: <reason>` for a file).
    pub fn message(&self) -> String {
        match self {
            Failure::Audio { path, reason } => format!("{path}: {reason}"),
            Failure::Argument(m) | Failure::Model(m) | Failure::Other(m) => m.clone(),
        }
    }

    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Audio { path, reason } => {
                let message = format!("{path}: {reason}");
                let made = py.get_type::<AudioError>().call1((message.clone(),));
                match made {
                    Ok(instance) => {
                        // Attribute assignment on a fresh exception instance cannot fail in
                        // practice; if it did, the message still names the file.
                        let _ = instance.setattr("path", path);
                        let _ = instance.setattr("reason", reason);
                        PyErr::from_value(instance)
                    }
                    Err(_) => AudioError::new_err(message),
                }
            }
            Failure::Argument(m) => PyValueError::new_err(m),
            Failure::Model(m) => ModelError::new_err(m),
            Failure::Other(m) => Error::new_err(m),
        }
    }
}

/// Run `work` with the GIL released, turning a panic into [`Failure::Other`] and the result
/// into a Python exception.
pub fn detached<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> Outcome<T> + Send,
{
    py.detach(|| guarded(work)).map_err(|f| f.into_pyerr(py))
}

/// `work` behind `catch_unwind` (for calls that must keep the GIL).
pub fn guarded<T>(work: impl FnOnce() -> Outcome<T>) -> Outcome<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            Err(Failure::Other(format!(
                "internal error in subgenre (please report it): {what}"
            )))
        }
    }
}

/// A `ValueError` for argument `name`.
pub fn bad_argument(name: &str, reason: impl std::fmt::Display) -> Failure {
    Failure::Argument(format!("{name}: {reason}"))
}

impl From<subgenre_study::StudyError> for Failure {
    fn from(e: subgenre_study::StudyError) -> Self {
        use subgenre_study::StudyError;
        match e {
            StudyError::Invalid { .. } => Failure::Argument(e.to_string()),
            StudyError::Extract(x) => x.into(),
            StudyError::Predict(p) => p.into(),
            StudyError::Cnn(_) => Failure::Model(e.to_string()),
            other => Failure::Other(other.to_string()),
        }
    }
}
