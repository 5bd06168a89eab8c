//! The one error type of the library: each variant names the file and what is wrong with it.

use std::path::PathBuf;

/// What went wrong, sorted by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LibraryError {
    /// Another process holds the write lock for longer than the busy timeout.
    #[error("the library {} is busy (another scan is running)", path.display())]
    Busy { path: PathBuf },
    /// The file exists but is not a SQLite database; it was left untouched.
    #[error("{} is not a subgenre library (not a SQLite database); it was left untouched", path.display())]
    NotALibrary { path: PathBuf },
    /// The database was written by a newer build; it was left untouched.
    #[error(
        "the library {} has schema version {found}, newer than this build knows ({known}); \
         it was left untouched: use a newer subgenre",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    /// A stored row could not be read back (e.g. a JSON column edited by hand).
    #[error("the library {} holds a broken row for {track}: {reason}", path.display())]
    Corrupt {
        path: PathBuf,
        track: String,
        reason: String,
    },
    #[error("the library {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The paths given to a scan hold no audio file (and nothing skipped either).
    #[error("no audio files under the given paths")]
    NoAudioFiles,
    /// No home folder to put the default library in.
    #[error("no place for the default library: neither XDG_DATA_HOME nor HOME is set")]
    NoDataFolder,
    /// `find` matched nothing.
    #[error("no track in the library matches {query:?}")]
    NotFound { query: String },
    /// `find` matched several tracks.
    #[error("{query:?} matches {} tracks: {}", candidates.len(), list_paths(candidates))]
    Ambiguous {
        query: String,
        candidates: Vec<PathBuf>,
    },
    /// A filter or option that cannot hold (e.g. a tempo range with LO > HI).
    #[error("invalid {what}: {reason}")]
    InvalidOption { what: &'static str, reason: String },
    /// Reading or writing a file's tags failed.
    #[error("tags of {}: {reason}", path.display())]
    Tag { path: PathBuf, reason: String },
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, LibraryError>;

fn list_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl LibraryError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// A SQLite error of the library at `path`; "database is busy/locked" becomes [`Self::Busy`].
    pub(crate) fn sqlite(path: impl Into<PathBuf>, source: rusqlite::Error) -> Self {
        let path = path.into();
        if is_busy(&source) {
            Self::Busy { path }
        } else {
            Self::Sqlite { path, source }
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}
