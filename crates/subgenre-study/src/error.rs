//! The one error type of `subgenre-study`.

use std::path::PathBuf;

/// Why a study operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StudyError {
    /// A setting is out of range or contradicts another: `name` is the setting, `reason`
    /// follows it in a sentence (`epochs must be at least 1`).
    #[error("{name} {reason}")]
    Invalid { name: &'static str, reason: String },
    /// The data set could not be opened or unpacked.
    #[error("{what}: {source}")]
    Dataset {
        what: String,
        #[source]
        source: subgenre_dataset::DatasetError,
    },
    /// An output could not be written.
    #[error("writing {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An input file (a split, a report, a base model) could not be read, or holds what
    /// cannot be used.
    #[error("reading {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The operation was given nothing to work on.
    #[error("{0}")]
    NothingToDo(String),
    /// A run folder holds a finished run made with other settings.
    #[error("{} was trained with other settings ({params}); use another output folder or delete that one", dir.display())]
    OtherSettings { dir: PathBuf, params: String },
    /// A training run failed.
    #[error("training {}: {source}", dir.display())]
    Training {
        dir: PathBuf,
        #[source]
        source: subgenre_cnn::CnnError,
    },
    /// A split or a report could not be made.
    #[error(transparent)]
    Eval(#[from] subgenre_eval::EvalError),
    #[error(transparent)]
    Cnn(#[from] subgenre_cnn::CnnError),
    #[error(transparent)]
    Extract(#[from] subgenre_extract::ExtractError),
    #[error(transparent)]
    Classic(#[from] subgenre_classic::ClassicError),
    /// The models could not be loaded for prediction.
    #[error(transparent)]
    Predict(#[from] subgenre_predict::PredictError),
    /// The study report (report.json and index.html) could not be written.
    #[error("writing the report: {0}")]
    Report(#[from] subgenre_report::ReportError),
    /// A value could not be turned into JSON (`what` names it).
    #[error("turning {what} into JSON: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl StudyError {
    pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        StudyError::Invalid {
            name,
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StudyError::Io {
            path: path.into(),
            source,
        }
    }

    /// `source` is the error met, or a sentence saying what is wrong with the file.
    pub(crate) fn read(
        path: impl Into<PathBuf>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StudyError::Read {
            path: path.into(),
            source: source.into(),
        }
    }

    pub(crate) fn json(what: &'static str) -> impl FnOnce(serde_json::Error) -> Self {
        move |source| StudyError::Json { what, source }
    }
}

pub type Result<T> = std::result::Result<T, StudyError>;
