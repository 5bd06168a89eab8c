use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    #[error(transparent)]
    Audio(#[from] subgenre_audio::AudioError),
    #[error(transparent)]
    Dataset(#[from] subgenre_dataset::DatasetError),
    #[error("DSP: {0}")]
    Dsp(#[from] subgenre_dsp::DspError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a readable image ({reason})", path.display())]
    BadImage { path: PathBuf, reason: String },
    #[error("{}: not a subgenre mel store ({reason})", path.display())]
    BadStore { path: PathBuf, reason: String },
    #[error("{}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("invalid option {name} = {value}: {reason}")]
    InvalidOption {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
}

pub type Result<T> = std::result::Result<T, ExtractError>;
