/// Why a study operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StudyError {
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
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The operation was given nothing to work on.
    #[error("{0}")]
    NothingToDo(String),
    /// A split or a report could not be made.
    #[error(transparent)]
    Eval(#[from] subgenre_eval::Error),
}

pub type Result<T> = std::result::Result<T, StudyError>;
