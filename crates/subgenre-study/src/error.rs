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
    /// An input file (a split, a report, a base model) could not be read.
    #[error("reading {}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },
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
    Eval(#[from] subgenre_eval::Error),
    #[error(transparent)]
    Cnn(#[from] subgenre_cnn::CnnError),
    #[error(transparent)]
    Extract(#[from] subgenre_extract::ExtractError),
    #[error(transparent)]
    Classic(#[from] subgenre_classic::Error),
    /// The models could not be loaded for prediction.
    #[error(transparent)]
    Predict(#[from] subgenre_predict::PredictError),
    /// The HTML report could not be written.
    #[error("writing the report: {0}")]
    Report(String),
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

    pub(crate) fn read(path: impl Into<PathBuf>, reason: impl ToString) -> Self {
        StudyError::Read {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}

pub type Result<T> = std::result::Result<T, StudyError>;
