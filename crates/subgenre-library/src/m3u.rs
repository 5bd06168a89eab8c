//! Extended M3U playlists: one per label, one for uncertain tracks, and any list of tracks
//! (e.g. similar ones), with paths relative to the playlist's folder.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::db::Library;
use crate::error::{LibraryError, Result};
use crate::track::Track;

// The predictor's label for tracks below its own confidence threshold; such tracks go to
// the uncertain playlist too.
pub use subgenre_core::UNCERTAIN;

/// How playlists are sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PlaylistOrder {
    /// Most confident first.
    #[default]
    Confidence,
    /// Slowest first; tracks without a tempo estimate last.
    Tempo,
}

impl std::str::FromStr for PlaylistOrder {
    type Err = LibraryError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "confidence" => Ok(Self::Confidence),
            "tempo" => Ok(Self::Tempo),
            other => Err(LibraryError::InvalidOption {
                what: "order",
                reason: format!("`{other}` is not confidence or tempo"),
            }),
        }
    }
}

/// What `export_m3u` writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportOptions {
    /// Tracks below this confidence go to `uncertain.m3u` instead of their label's playlist.
    pub min_confidence: Option<f32>,
    pub order: PlaylistOrder,
}

/// One playlist written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Playlist {
    pub path: PathBuf,
    pub label: String,
    pub tracks: usize,
}

/// The playlists `export_m3u` wrote, sorted by label.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExportReport {
    pub playlists: Vec<Playlist>,
}

/// Write `<label>.m3u` for each label and `uncertain.m3u` for tracks labelled uncertain or
/// below `min_confidence`, into `dir` (created). Each file is replaced atomically; playlists
/// of labels no longer in the library are left as they are.
pub fn export_m3u(library: &Library, dir: &Path, options: &ExportOptions) -> Result<ExportReport> {
    std::fs::create_dir_all(dir).map_err(|e| LibraryError::io(dir, e))?;
    let mut groups: std::collections::BTreeMap<String, Vec<Track>> = Default::default();
    for t in library.tracks()? {
        let a = &t.analysis;
        let uncertain =
            a.label == UNCERTAIN || options.min_confidence.is_some_and(|c| a.confidence < c);
        let label = if uncertain { UNCERTAIN } else { &a.label };
        groups.entry(label.to_owned()).or_default().push(t);
    }
    let mut report = ExportReport::default();
    for (label, mut tracks) in groups {
        sort_tracks(&mut tracks, options.order);
        let path = dir.join(format!("{}.m3u", file_name_of(&label)));
        write_m3u(&path, &tracks)?;
        report.playlists.push(Playlist {
            path,
            label,
            tracks: tracks.len(),
        });
    }
    Ok(report)
}

fn sort_tracks(tracks: &mut [Track], order: PlaylistOrder) {
    match order {
        PlaylistOrder::Confidence => tracks.sort_by(|a, b| {
            b.analysis
                .confidence
                .total_cmp(&a.analysis.confidence)
                .then_with(|| a.path().cmp(b.path()))
        }),
        PlaylistOrder::Tempo => tracks.sort_by(|a, b| {
            let key = |t: &Track| t.analysis.tempo_bpm.unwrap_or(f64::INFINITY);
            key(a)
                .total_cmp(&key(b))
                .then_with(|| a.path().cmp(b.path()))
        }),
    }
}

/// A label as a file name: path separators and other awkward characters become `_`, and a
/// leading dot is dropped so the playlist is not hidden.
fn file_name_of(label: &str) -> String {
    let name: String = label
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let name = name.trim_start_matches('.');
    if name.is_empty() {
        "unnamed".into()
    } else {
        name.to_owned()
    }
}

/// Write `tracks` in order as an extended M3U playlist at `path` (atomically), each entry's
/// path relative to the playlist's folder.
pub fn write_m3u<'a>(path: &Path, tracks: impl IntoIterator<Item = &'a Track>) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| LibraryError::io(&dir, e))?;
    let base = std::fs::canonicalize(&dir).map_err(|e| LibraryError::io(&dir, e))?;
    let mut text = String::from("#EXTM3U\n");
    for t in tracks {
        let seconds = t.analysis.duration_s.round() as i64;
        let title = t.title().replace(['\n', '\r'], " ");
        let entry = relative_path(t.path(), &base);
        text.push_str(&format!("#EXTINF:{seconds},{title}\n{}\n", entry.display()));
    }
    subgenre_core::write_atomic_with(path, |w| w.write_all(text.as_bytes()))
        .map_err(|e| LibraryError::io(path, e))
}

/// `target` relative to the folder `base` (both absolute), climbing with `..` where needed:
/// `/m/a.mp3` from `/m/lists` is `../a.mp3`. Where no relative path exists (another Windows
/// drive) the absolute path is kept.
pub fn relative_path(target: &Path, base: &Path) -> PathBuf {
    if !target.is_absolute() || !base.is_absolute() {
        return target.to_path_buf();
    }
    let t: Vec<Component<'_>> = target.components().collect();
    let b: Vec<Component<'_>> = base.components().collect();
    if t.first() != b.first() {
        return target.to_path_buf();
    }
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_out_of_the_base() {
        let rel = |t: &str, b: &str| relative_path(Path::new(t), Path::new(b));
        assert_eq!(rel("/m/lists/a.mp3", "/m/lists"), PathBuf::from("a.mp3"));
        assert_eq!(
            rel("/m/lists/x/a.mp3", "/m/lists"),
            PathBuf::from("x/a.mp3")
        );
        assert_eq!(
            rel("/m/music/a.mp3", "/m/lists"),
            PathBuf::from("../music/a.mp3")
        );
        assert_eq!(
            rel("/a.mp3", "/m/lists/deep"),
            PathBuf::from("../../../a.mp3")
        );
        assert_eq!(rel("rel/a.mp3", "/m"), PathBuf::from("rel/a.mp3"));
    }

    #[test]
    fn labels_become_safe_file_names() {
        assert_eq!(file_name_of("hard/industrial"), "hard_industrial");
        assert_eq!(file_name_of("..hidden"), "hidden");
        assert_eq!(file_name_of(""), "unnamed");
        assert_eq!(file_name_of("peak-time"), "peak-time");
    }
}
