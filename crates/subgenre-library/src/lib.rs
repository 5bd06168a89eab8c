//! A DJ's library database: music folders analysed incrementally into SQLite, filtered
//! listings, M3U playlists per label, similar tracks, and labels written into the files' tags.
//!
//! The classifier itself stays outside: a scan runs any [`Analyser`] (the CLI plugs in the
//! real predictor; tests use a fake one), so this crate builds in seconds.
//!
//! ```no_run
//! # fn demo(analyser: &dyn subgenre_library::Analyser) -> subgenre_library::Result<()> {
//! use subgenre_library::{scan, Library, ListFilter, ScanOptions};
//! let mut library = Library::open(subgenre_library::default_library_path()?)?;
//! let report = scan(&mut library, &["music".into()], analyser, &ScanOptions::default(), |_| {})?;
//! println!("{} analysed, {} unchanged", report.analysed, report.unchanged);
//! let listing = subgenre_library::list(&library, &ListFilter::default())?;
//! listing.write_json(std::io::stdout())?;
//! # Ok(()) }
//! ```

mod analyser;
mod db;
mod error;
mod hash;
mod m3u;
mod query;
mod scan;
mod similar;
mod tag;
mod track;

pub use analyser::{Analyser, AnalysisError, ModelId};
pub use db::{default_library_path, Library, BUSY_TIMEOUT, SCHEMA_VERSION};
pub use error::{LibraryError, Result};
pub use hash::content_hash;
pub use m3u::{
    export_m3u, relative_path, write_m3u, ExportOptions, ExportReport, Playlist, PlaylistOrder,
    UNCERTAIN,
};
pub use query::{find, list, BpmRange, ListFilter, Listing};
pub use scan::{scan, FileFailure, ScanEvent, ScanOptions, ScanReport};
pub use similar::similar;
pub use tag::{tag, TagChange, TagField, TagOptions, TagReport};
pub use track::{FailedFile, FileStamp, Track};
