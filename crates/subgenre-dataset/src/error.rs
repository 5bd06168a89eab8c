use std::path::PathBuf;

/// Problems with a labels CSV or a data folder. Row numbers are the CSV's line numbers
/// (the header is line 1), so they can be found in an editor.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a readable CSV: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("{}: missing column `{column}` (the header must have sample_id, spot_id, clip_start and one column per label)", path.display())]
    MissingColumn { path: PathBuf, column: &'static str },
    #[error("{}: no label columns after clip_start", path.display())]
    NoLabelColumns { path: PathBuf },
    #[error("{}, line {line} ({sample_id}): {reason}", path.display())]
    BadRow {
        path: PathBuf,
        line: u64,
        sample_id: String,
        reason: String,
    },
    #[error("{}, line {line}: sample_id `{sample_id}` already used on line {first_line}", path.display())]
    DuplicateSampleId {
        path: PathBuf,
        line: u64,
        first_line: u64,
        sample_id: String,
    },
    #[error("unknown class `{name}` (known: {known})")]
    UnknownClass { name: String, known: String },
    #[error("class set `{spec}` has fewer than two classes")]
    TooFewClasses { spec: String },
    #[error("{}: not a data folder: {reason}", path.display())]
    NotADataFolder { path: PathBuf, reason: String },
    #[error("invalid option {name} = {value}: {reason}")]
    InvalidOption {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
}

pub type Result<T> = std::result::Result<T, DatasetError>;
