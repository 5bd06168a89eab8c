//! Writing labels into the files' own tags (ID3v2 in MP3, Vorbis comments in FLAC and Ogg,
//! the ilst atom in MP4), so other DJ software can sort by them.

use std::fs::File;
use std::path::{Path, PathBuf};

use lofty::config::{ParseOptions, WriteOptions};
use lofty::file::{AudioFile, FileType};
use lofty::prelude::{ItemKey, MergeTag, SplitTag, TagExt};
use serde::Serialize;

use crate::db::Library;
use crate::error::{LibraryError, Result};
use crate::hash::{content_hash, size_and_mtime};
use crate::query::{list, ListFilter};
use crate::scan::FileFailure;
use crate::track::{update_stamp, FileStamp, Table, Track};

/// Which tag field receives the label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum TagField {
    #[default]
    Genre,
    /// ID3v2 `TIT1`, Vorbis `GROUPING`, MP4 `©grp`.
    Grouping,
    Comment,
}

impl std::str::FromStr for TagField {
    type Err = LibraryError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "genre" => Ok(Self::Genre),
            "grouping" => Ok(Self::Grouping),
            "comment" => Ok(Self::Comment),
            other => Err(LibraryError::InvalidOption {
                what: "field",
                reason: format!("`{other}` is not genre, grouping or comment"),
            }),
        }
    }
}

impl TagField {
    fn key(self) -> ItemKey {
        match self {
            Self::Genre => ItemKey::Genre,
            Self::Grouping => ItemKey::ContentGroup,
            Self::Comment => ItemKey::Comment,
        }
    }
}

/// Which tracks get tagged, and whether to write at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagOptions {
    pub field: TagField,
    /// Only tracks at least this confident.
    pub min_confidence: Option<f32>,
    /// Only tracks of this label.
    pub label: Option<String>,
    /// Report what would change and write nothing.
    pub dry_run: bool,
}

/// One file's field, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagChange {
    pub path: PathBuf,
    pub old: Option<String>,
    pub new: String,
}

/// What `tag` did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TagReport {
    pub changes: Vec<TagChange>,
    /// Selected tracks whose field already holds their label.
    pub unchanged: usize,
    pub failed: Vec<FileFailure>,
}

/// Write each selected track's label into `options.field` of its file.
///
/// Only that one field of the format's native tag is rewritten (the tag is split into the
/// fields lofty maps and the rest, which is merged back as it was), and the audio data is
/// left alone. A tagged file gets a new size, mtime and content hash: when the file was
/// unchanged since its analysis, the new stamp is stored, so the next scan does not analyse
/// it again; a file that had changed since keeps its old stamp and is re-analysed.
pub fn tag(library: &mut Library, options: &TagOptions) -> Result<TagReport> {
    let _lock = if options.dry_run {
        None
    } else {
        Some(library.writer_lock()?)
    };
    let filter = ListFilter {
        label: options.label.clone(),
        min_confidence: options.min_confidence,
        tempo: None,
    };
    let tracks = list(library, &filter)?.tracks;
    let mut report = TagReport::default();
    for track in tracks {
        let label = track.analysis.label.clone();
        match tag_file(library, &track, options, &label) {
            Ok(Some(old)) => report.changes.push(TagChange {
                path: track.analysis.path,
                old,
                new: label,
            }),
            Ok(None) => report.unchanged += 1,
            Err(LibraryError::Tag { path, reason }) => {
                report.failed.push(FileFailure { path, reason });
            }
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

/// `Ok(Some(old value))` when the field changed (or would), `Ok(None)` when it already holds
/// `label`.
fn tag_file(
    library: &mut Library,
    track: &Track,
    options: &TagOptions,
    label: &str,
) -> Result<Option<Option<String>>> {
    let path = track.path();
    let fail = |reason: String| LibraryError::Tag {
        path: path.to_path_buf(),
        reason,
    };
    let before = size_and_mtime(path).map_err(|e| fail(e.to_string()))?;
    let key = options.field.key();
    let old = match rewrite(path, key, label, options.dry_run).map_err(fail)? {
        Edit::Same => return Ok(None),
        Edit::Changed(old) => old,
    };
    if options.dry_run {
        return Ok(Some(old));
    }
    let in_sync = before.0 == track.stamp.size && before.1 == track.stamp.mtime_ns;
    if in_sync {
        let (size, mtime_ns) = size_and_mtime(path).map_err(|e| fail(e.to_string()))?;
        let content_hash = content_hash(path).map_err(|e| fail(e.to_string()))?;
        let stamp = FileStamp {
            size,
            mtime_ns,
            content_hash,
        };
        let text = path.to_str().unwrap_or_default();
        library.write(|tx| update_stamp(tx, Table::Tracks, text, &stamp))?;
    }
    Ok(Some(old))
}

enum Edit {
    Same,
    Changed(Option<String>),
}

/// Read the native tag of `path`, set `key` to `value` and, unless `dry_run`, save the tag.
fn rewrite(
    path: &Path,
    key: ItemKey,
    value: &str,
    dry_run: bool,
) -> std::result::Result<Edit, String> {
    let file_type = lofty::probe::Probe::open(path)
        .and_then(|p| p.guess_file_type().map_err(Into::into))
        .map_err(|e| e.to_string())?
        .file_type();
    let mut file = File::open(path).map_err(|e| e.to_string())?;
    let options = ParseOptions::new();
    let parse = |e: lofty::error::FileParseError| e.to_string();
    match file_type {
        Some(FileType::Mpeg) => {
            let f = lofty::mpeg::MpegFile::read_from(&mut file, options).map_err(parse)?;
            edit_and_save(
                f.id3v2().cloned().unwrap_or_default(),
                path,
                key,
                value,
                dry_run,
            )
        }
        Some(FileType::Flac) => {
            let f = lofty::flac::FlacFile::read_from(&mut file, options).map_err(parse)?;
            let tag = f.vorbis_comments().cloned().unwrap_or_default();
            edit_and_save(tag, path, key, value, dry_run)
        }
        Some(FileType::Vorbis) => {
            let f = lofty::ogg::VorbisFile::read_from(&mut file, options).map_err(parse)?;
            edit_and_save(f.vorbis_comments().clone(), path, key, value, dry_run)
        }
        Some(FileType::Opus) => {
            let f = lofty::ogg::OpusFile::read_from(&mut file, options).map_err(parse)?;
            edit_and_save(f.vorbis_comments().clone(), path, key, value, dry_run)
        }
        Some(FileType::Mp4) => {
            let f = lofty::mp4::Mp4File::read_from(&mut file, options).map_err(parse)?;
            edit_and_save(
                f.ilst().cloned().unwrap_or_default(),
                path,
                key,
                value,
                dry_run,
            )
        }
        other => Err(format!(
            "tagging {} files is not supported (MP3, FLAC, Ogg Vorbis, Opus and MP4 are)",
            other.map_or_else(|| "unrecognised".to_owned(), |t| format!("{t:?}"))
        )),
    }
}

fn edit_and_save<T>(
    tag: T,
    path: &Path,
    key: ItemKey,
    value: &str,
    dry_run: bool,
) -> std::result::Result<Edit, String>
where
    T: SplitTag + TagExt,
    T::Remainder: MergeTag<Merged = T>,
{
    let (rest, mut generic) = tag.split_tag();
    let old = generic.get_string(key).map(str::to_owned);
    if old.as_deref() == Some(value) {
        return Ok(Edit::Same);
    }
    if !dry_run {
        generic.insert_text(key, value.to_owned());
        let tag = rest.merge_tag(generic);
        tag.save_to_path(path, WriteOptions::default())
            .map_err(|e| e.to_string())?;
    }
    Ok(Edit::Changed(old))
}
