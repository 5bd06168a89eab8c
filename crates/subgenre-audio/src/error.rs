use std::path::PathBuf;

/// Why a file could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("{}: cannot read file: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file has no bytes at all.
    #[error("{}: file is empty", path.display())]
    Empty { path: PathBuf },
    /// The container or codec is not one subgenre decodes (or the bytes are not audio at all).
    #[error("{}: not a supported audio file ({reason})", path.display())]
    Unsupported { path: PathBuf, reason: String },
    /// The stream is damaged beyond what decoding can skip over.
    #[error("{}: corrupt audio stream ({reason})", path.display())]
    Corrupt { path: PathBuf, reason: String },
    /// The file holds no audio track, or decoding produced no samples.
    #[error("{}: no audio in file", path.display())]
    NoAudio { path: PathBuf },
    /// `offset` lies at or past the end of the audio.
    #[error("{}: offset {offset_s:.3} s is past the end of the audio ({length_s:.3} s)", path.display())]
    OffsetPastEnd {
        path: PathBuf,
        offset_s: f64,
        length_s: f64,
    },
    /// A load option is out of range (negative offset, zero sample rate, ...).
    #[error("invalid option {name} = {value}: {reason}")]
    InvalidOption {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
    /// The resampler refused the rate pair.
    #[error("cannot resample {from} Hz to {to} Hz: {reason}")]
    Resample { from: u32, to: u32, reason: String },
}

impl AudioError {
    /// The file the error is about (`None` for a bad option or rate pair).
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Self::Io { path, .. }
            | Self::Empty { path }
            | Self::Unsupported { path, .. }
            | Self::Corrupt { path, .. }
            | Self::NoAudio { path }
            | Self::OffsetPastEnd { path, .. } => Some(path),
            Self::InvalidOption { .. } | Self::Resample { .. } => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, AudioError>;
