//! `subgenre library` arguments: the DJ's library database and what is done with it.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use subgenre_library::{PlaylistOrder, TagField};

#[derive(Debug, Args)]
#[command(
    after_help = "The database (default: ~/.local/share/subgenre/library.sqlite, or \
$XDG_DATA_HOME/subgenre) keeps each track's label, probabilities, tempo, windows and an \
embedding. A rescan analyses only new or changed files; a moved file is recognised by its \
content. Examples:\n  subgenre library scan ~/Music/hardtechno\n  subgenre library list --label \
tekno --bpm 145-160\n  subgenre library export --m3u ~/Music/playlists --min-confidence 0.6\n  \
subgenre library similar 'Some Track' -n 10 --m3u similar.m3u"
)]
pub struct LibraryArgs {
    /// The library database (created on the first scan).
    #[arg(long, value_name = "FILE", global = true)]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: LibraryCommand,
}

#[derive(Debug, Subcommand)]
pub enum LibraryCommand {
    /// Analyse new and changed audio files under the folders into the database.
    Scan {
        /// Folders (walked recursively; each real folder and file once, links followed, loops,
        /// second paths to one file and named pipes skipped and listed) or files.
        #[arg(value_name = "DIR", required = true)]
        paths: Vec<PathBuf>,
        /// Remove tracks whose files are gone.
        #[arg(long)]
        prune: bool,
        /// Saved models to analyse with (default: the shipped ones). A model change
        /// re-analyses every track.
        #[arg(long, value_name = "FILE")]
        model: Vec<PathBuf>,
        /// Files analysed at once (default: all cores).
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
    },
    /// The tracks (and the files that could not be analysed), filtered.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// `{"tracks": [...], "errors": [...]}` on stdout.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// One CSV row per track on stdout.
        #[arg(long)]
        csv: bool,
    },
    /// One track's row (TRACK: a path, or a unique part of one).
    Show {
        #[arg(value_name = "TRACK")]
        track: String,
        /// Draw its per-window timeline into this PNG.
        #[arg(long, value_name = "FILE")]
        timeline: Option<PathBuf>,
    },
    /// One extended-M3U playlist per sub-genre (and `uncertain`), paths relative to DIR.
    Export {
        #[arg(long, value_name = "DIR")]
        m3u: PathBuf,
        /// Tracks below this confidence go to uncertain.m3u.
        #[arg(long, value_name = "P")]
        min_confidence: Option<f32>,
        /// `confidence` (most confident first) or `tempo` (slowest first).
        #[arg(long, default_value = "confidence", value_name = "ORDER")]
        order: PlaylistOrder,
    },
    /// The tracks that sound most like TRACK (cosine of the embeddings).
    Similar {
        #[arg(value_name = "TRACK")]
        track: String,
        /// How many.
        #[arg(short = 'n', default_value_t = 20, value_name = "N")]
        n: usize,
        /// Only tracks of TRACK's label.
        #[arg(long)]
        same_label: bool,
        /// Also write them as an extended-M3U playlist.
        #[arg(long, value_name = "FILE")]
        m3u: Option<PathBuf>,
    },
    /// Write each chosen track's label into its file's tags (only that field; never the audio).
    Tag {
        /// `genre`, `grouping` or `comment`.
        #[arg(long, default_value = "genre", value_name = "FIELD")]
        field: TagField,
        #[arg(long, value_name = "P")]
        min_confidence: Option<f32>,
        #[arg(long, value_name = "LABEL")]
        label: Option<String>,
        /// Print what would change and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    #[arg(long, value_name = "LABEL")]
    pub label: Option<String>,
    #[arg(long, value_name = "P")]
    pub min_confidence: Option<f32>,
    /// Tempo range, e.g. `145-160`.
    #[arg(long, value_name = "LO-HI")]
    pub bpm: Option<subgenre_library::BpmRange>,
}
