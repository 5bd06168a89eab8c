//! What the library stores per file: analysed tracks, files that failed, and their rows.

use std::path::{Path, PathBuf};

use rusqlite::Row;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use subgenre_core::prediction::{ClassMap, TrackPrediction, Window};

use crate::analyser::ModelId;
use crate::db::Library;
use crate::error::{LibraryError, Result};

/// What identifies a file's state on disk without reading it (size, mtime) and after
/// reading it (content hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// [`crate::content_hash`] of the file.
    pub content_hash: u64,
}

/// An analysed track as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub id: i64,
    pub stamp: FileStamp,
    pub model: ModelId,
    /// The file's extension in lower case (e.g. `mp3`), as named when it was analysed.
    pub format: String,
    /// What the analyser found; its `path` is the track's path.
    pub analysis: TrackPrediction,
    /// When it was analysed, seconds since the Unix epoch.
    pub analysed_at: i64,
}

impl Track {
    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.analysis.path
    }

    /// The share of windows per class, as `(class, share)` in class order.
    pub fn shares(&self) -> impl Iterator<Item = (&str, f64)> {
        let a = &self.analysis;
        a.classes
            .iter()
            .map(String::as_str)
            .zip(a.shares.iter().copied())
    }

    /// The file name without extension: the title playlists show.
    pub fn title(&self) -> String {
        let path = self.path();
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    }
}

/// The summary a listing prints as JSON (windows and embedding are left out: they are large
/// and only the library itself uses them).
impl Serialize for Track {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let a = &self.analysis;
        let mut st = s.serialize_struct("Track", 10)?;
        st.serialize_field("path", self.path())?;
        st.serialize_field("label", &a.label)?;
        st.serialize_field("confidence", &a.confidence)?;
        st.serialize_field("tempo_bpm", &a.tempo_bpm)?;
        st.serialize_field("duration_s", &a.duration_s)?;
        st.serialize_field("format", &self.format)?;
        st.serialize_field("short", &a.short)?;
        st.serialize_field("shares", &ClassMap(&a.classes, &a.shares))?;
        st.serialize_field("mean_probs", &ClassMap(&a.classes, &a.mean_probs))?;
        st.serialize_field("model", &self.model.to_string())?;
        st.end()
    }
}

/// A file the analyser could not read; it is retried only once it changes (or the model does).
#[derive(Debug, Clone, PartialEq)]
pub struct FailedFile {
    pub path: PathBuf,
    pub stamp: FileStamp,
    pub model: ModelId,
    pub reason: String,
}

impl Serialize for FailedFile {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("FailedFile", 2)?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("error", &self.reason)?;
        st.end()
    }
}

pub(crate) const TRACK_COLUMNS: &str = "id, path, size, mtime_ns, content_hash, duration_s, \
    format, model_name, model_version, classes, label, confidence, mean_probs, shares, \
    tempo_bpm, short, windows, embedding, analysed_at";

/// A track row as SQLite gives it, before the JSON and BLOB columns are decoded (decoding
/// errors then name the track).
pub(crate) struct RawTrack {
    id: i64,
    path: String,
    stamp: FileStamp,
    duration_s: f64,
    format: String,
    model: ModelId,
    classes: String,
    label: String,
    confidence: f64,
    mean_probs: String,
    shares: String,
    tempo_bpm: Option<f64>,
    short: bool,
    windows: String,
    embedding: Vec<u8>,
    analysed_at: i64,
}

impl RawTrack {
    /// Read a row selected with [`TRACK_COLUMNS`].
    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            path: r.get(1)?,
            stamp: FileStamp {
                size: r.get::<_, i64>(2)?.max(0) as u64,
                mtime_ns: r.get(3)?,
                content_hash: parse_hash(&r.get::<_, String>(4)?),
            },
            duration_s: r.get(5)?,
            format: r.get(6)?,
            model: ModelId::new(r.get::<_, String>(7)?, r.get::<_, String>(8)?),
            classes: r.get(9)?,
            label: r.get(10)?,
            confidence: r.get(11)?,
            mean_probs: r.get(12)?,
            shares: r.get(13)?,
            tempo_bpm: r.get(14)?,
            short: r.get(15)?,
            windows: r.get(16)?,
            embedding: r.get(17)?,
            analysed_at: r.get(18)?,
        })
    }

    pub(crate) fn decode(self, library: &Path) -> Result<Track> {
        let corrupt = |reason: String| LibraryError::Corrupt {
            path: library.to_path_buf(),
            track: self.path.clone(),
            reason,
        };
        let json = |what: &str, text: &str| -> Result<serde_json::Value> {
            serde_json::from_str(text).map_err(|e| corrupt(format!("{what}: {e}")))
        };
        let classes: Vec<String> = from_value(json("classes", &self.classes)?, &corrupt)?;
        let mean_probs: Vec<f32> = from_value(json("mean_probs", &self.mean_probs)?, &corrupt)?;
        let shares: Vec<f64> = from_value(json("shares", &self.shares)?, &corrupt)?;
        let windows: Vec<Window> = from_value(json("windows", &self.windows)?, &corrupt)?;
        let embedding = embedding_from_blob(&self.embedding)
            .ok_or_else(|| corrupt("embedding is not a whole number of f32".into()))?;
        Ok(Track {
            id: self.id,
            stamp: self.stamp,
            model: self.model,
            format: self.format,
            analysis: TrackPrediction {
                path: PathBuf::from(&self.path),
                duration_s: self.duration_s,
                classes,
                label: self.label,
                confidence: self.confidence as f32,
                mean_probs,
                shares,
                tempo_bpm: self.tempo_bpm,
                short: self.short,
                windows,
                embedding: Some(embedding),
            },
            analysed_at: self.analysed_at,
        })
    }
}

fn from_value<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
    corrupt: &impl Fn(String) -> LibraryError,
) -> Result<T> {
    serde_json::from_value(v).map_err(|e| corrupt(e.to_string()))
}

/// Insert or replace the track at `path` (and drop any error recorded for it).
pub(crate) fn upsert_track(
    tx: &rusqlite::Transaction<'_>,
    path: &str,
    stamp: &FileStamp,
    model: &ModelId,
    a: &TrackPrediction,
    analysed_at: i64,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO tracks (path, size, mtime_ns, content_hash, duration_s, format, model_name,
            model_version, classes, label, confidence, mean_probs, shares, tempo_bpm, short,
            windows, embedding, analysed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
            content_hash = excluded.content_hash, duration_s = excluded.duration_s,
            format = excluded.format, model_name = excluded.model_name,
            model_version = excluded.model_version, classes = excluded.classes,
            label = excluded.label, confidence = excluded.confidence,
            mean_probs = excluded.mean_probs, shares = excluded.shares,
            tempo_bpm = excluded.tempo_bpm, short = excluded.short, windows = excluded.windows,
            embedding = excluded.embedding, analysed_at = excluded.analysed_at",
        rusqlite::params![
            path,
            size_to_sql(stamp.size),
            stamp.mtime_ns,
            hash_hex(stamp.content_hash),
            a.duration_s,
            format_of(Path::new(path)),
            model.name,
            model.version,
            json(&a.classes),
            a.label,
            f64::from(a.confidence),
            json(&a.mean_probs),
            json(&a.shares),
            a.tempo_bpm,
            a.short,
            json(&a.windows),
            embedding_to_blob(a.embedding.as_deref().unwrap_or_default()),
            analysed_at,
        ],
    )?;
    tx.execute("DELETE FROM errors WHERE path = ?1", [path])?;
    Ok(())
}

/// What the `format` column holds: the file's extension in lower case (empty without one).
fn format_of(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Plain vectors of strings and numbers always serialise; a NaN becomes `null`.
fn json<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// Record (or replace) the failure of the file at `path`; a stale track there is dropped,
/// since its analysis described content the file no longer has.
pub(crate) fn upsert_error(
    tx: &rusqlite::Transaction<'_>,
    path: &str,
    stamp: &FileStamp,
    model: &ModelId,
    reason: &str,
    failed_at: i64,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO errors (path, size, mtime_ns, content_hash, model_name, model_version,
            reason, failed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
            content_hash = excluded.content_hash, model_name = excluded.model_name,
            model_version = excluded.model_version, reason = excluded.reason,
            failed_at = excluded.failed_at",
        rusqlite::params![
            path,
            size_to_sql(stamp.size),
            stamp.mtime_ns,
            hash_hex(stamp.content_hash),
            model.name,
            model.version,
            reason,
            failed_at
        ],
    )?;
    tx.execute("DELETE FROM tracks WHERE path = ?1", [path])?;
    Ok(())
}

/// Set the stamp of the track at `path` (after a touch, a move or tagging).
pub(crate) fn update_stamp(
    tx: &rusqlite::Transaction<'_>,
    table: Table,
    path: &str,
    stamp: &FileStamp,
) -> rusqlite::Result<usize> {
    let sql = match table {
        Table::Tracks => {
            "UPDATE tracks SET size = ?2, mtime_ns = ?3, content_hash = ?4 WHERE path = ?1"
        }
        Table::Errors => {
            "UPDATE errors SET size = ?2, mtime_ns = ?3, content_hash = ?4 WHERE path = ?1"
        }
    };
    tx.execute(
        sql,
        rusqlite::params![
            path,
            size_to_sql(stamp.size),
            stamp.mtime_ns,
            hash_hex(stamp.content_hash)
        ],
    )
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Table {
    Tracks,
    Errors,
}

impl Library {
    /// Every track, sorted by path.
    pub fn tracks(&self) -> Result<Vec<Track>> {
        self.select_tracks("1", [])
    }

    /// Every file that failed, sorted by path.
    pub fn failed_files(&self) -> Result<Vec<FailedFile>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT path, size, mtime_ns, content_hash, model_name, model_version, reason
                 FROM errors ORDER BY path",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                Ok(FailedFile {
                    path: PathBuf::from(r.get::<_, String>(0)?),
                    stamp: FileStamp {
                        size: r.get::<_, i64>(1)?.max(0) as u64,
                        mtime_ns: r.get(2)?,
                        content_hash: parse_hash(&r.get::<_, String>(3)?),
                    },
                    model: ModelId::new(r.get::<_, String>(4)?, r.get::<_, String>(5)?),
                    reason: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// The model the last scan ran, and the classes it reported.
    pub fn model(&self) -> Result<Option<(ModelId, Vec<String>)>> {
        let (Some(name), Some(version)) = (self.meta("model_name")?, self.meta("model_version")?)
        else {
            return Ok(None);
        };
        let classes = self
            .meta("classes")?
            .and_then(|c| serde_json::from_str(&c).ok())
            .unwrap_or_default();
        Ok(Some((ModelId::new(name, version), classes)))
    }

    /// Tracks matching an SQL condition on the tracks table, sorted by path.
    pub(crate) fn select_tracks<P: rusqlite::Params>(
        &self,
        condition: &str,
        params: P,
    ) -> Result<Vec<Track>> {
        let sql = format!("SELECT {TRACK_COLUMNS} FROM tracks WHERE {condition} ORDER BY path");
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let raw = st
            .query_map(params, RawTrack::from_row)
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        raw.into_iter().map(|t| t.decode(self.path())).collect()
    }
}

/// SQLite integers are signed; no real file reaches 2^63 bytes.
pub(crate) fn size_to_sql(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

pub(crate) fn hash_hex(hash: u64) -> String {
    format!("{hash:016x}")
}

pub(crate) fn parse_hash(hex: &str) -> u64 {
    u64::from_str_radix(hex, 16).unwrap_or(0)
}

/// Little-endian f32s, so the BLOB reads the same on every machine.
pub(crate) fn embedding_to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub(crate) fn embedding_from_blob(bytes: &[u8]) -> Option<Vec<f32>> {
    let chunks = bytes.chunks_exact(4);
    if !chunks.remainder().is_empty() {
        return None;
    }
    Some(
        chunks
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// A path as stored: UTF-8 text (the library reports other paths as failures rather than
/// storing a lossy copy that would never match the file again).
pub(crate) fn path_text(path: &Path) -> Option<&str> {
    path.to_str()
}
