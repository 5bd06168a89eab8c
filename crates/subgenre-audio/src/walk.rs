//! Finding the files to work on: audio files (or files of any given extensions) under folders,
//! walked recursively, as real music collections have them.
//!
//! A folder is walked once however many links lead to it (so a link back up the tree, a loop,
//! ends at once), a file reached by two paths (a hard link, a link to a file) is one file listed
//! under the first path in sorted walk order, and only regular files are listed: named pipes,
//! sockets and devices would block or make no sense to read. What was left out is reported as
//! [`Skipped`] entries. Two separate copies of the same bytes stay two files.

use std::collections::HashMap;
use std::fmt;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use crate::AUDIO_EXTENSIONS;

/// What a path is, as far as reading it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Regular,
    Folder,
    NamedPipe,
    Socket,
    Device,
    Other,
}

impl FileKind {
    pub fn of(meta: &Metadata) -> Self {
        let kind = meta.file_type();
        if kind.is_file() {
            return Self::Regular;
        }
        if kind.is_dir() {
            return Self::Folder;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if kind.is_fifo() {
                return Self::NamedPipe;
            }
            if kind.is_socket() {
                return Self::Socket;
            }
            if kind.is_block_device() || kind.is_char_device() {
                return Self::Device;
            }
        }
        Self::Other
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Regular => "a file",
            Self::Folder => "a folder",
            Self::NamedPipe => "a named pipe",
            Self::Socket => "a socket",
            Self::Device => "a device",
            Self::Other => "not a regular file",
        })
    }
}

/// `path`'s metadata (links followed) when it is a regular file; otherwise an error of kind
/// `InvalidInput` saying what it is. Checked before opening a file to read it, since opening a
/// named pipe waits for a writer that may never come.
pub fn regular_file(path: &Path) -> std::io::Result<Metadata> {
    let meta = std::fs::metadata(path)?;
    match FileKind::of(&meta) {
        FileKind::Regular => Ok(meta),
        kind => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("not a regular file ({kind}): nothing to read"),
        )),
    }
}

/// Why the walk left a path out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A link (or mount) to a folder already walked, under `first`: a loop, or a second way in.
    FolderAlreadyWalked { first: PathBuf },
    /// A second path to a file already listed under `first` (a hard link, a link to a file).
    SameFile { first: PathBuf },
    /// A named pipe, socket or device with an audio file's name.
    NotARegularFile(FileKind),
    /// A folder that could not be listed, or a link that leads nowhere.
    Unreadable(std::io::ErrorKind),
}

/// A path the walk left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: SkipReason,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FolderAlreadyWalked { first } => {
                write!(f, "the folder {} again (walked once)", first.display())
            }
            Self::SameFile { first } => write!(f, "the same file as {}", first.display()),
            Self::NotARegularFile(kind) => write!(f, "{kind}, not a regular file"),
            Self::Unreadable(kind) => write!(f, "cannot be read ({kind})"),
        }
    }
}

/// `{"path": ..., "reason": ...}`, the reason as its sentence.
impl serde::Serialize for Skipped {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Skipped", 2)?;
        out.serialize_field("path", &self.path.display().to_string())?;
        out.serialize_field("reason", &self.reason.to_string())?;
        out.end()
    }
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: skipped: {}", self.path.display(), self.reason)
    }
}

/// The files a walk found (in order) and the paths it left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walked {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
}

/// Identity of a file or folder: device and inode where there are such, else the
/// canonical path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Canonical(PathBuf),
}

impl Identity {
    #[cfg(unix)]
    fn of(_path: &Path, meta: &Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        Some(Self::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    fn of(path: &Path, _meta: &Metadata) -> Option<Self> {
        std::fs::canonicalize(path).ok().map(Self::Canonical)
    }
}

/// A walk over several roots that shares what it has seen: a folder or file reached again
/// from a later root is skipped too. [`walk`] does it all at once; `Walker` serves callers
/// that need to know which root each file came from.
pub struct Walker<'a> {
    extensions: &'a [&'a str],
    folders: HashMap<Identity, PathBuf>,
    files: HashMap<Identity, PathBuf>,
    skipped: Vec<Skipped>,
}

impl<'a> Walker<'a> {
    /// A walker listing files whose extension (any case) is in `extensions`.
    pub fn new(extensions: &'a [&'a str]) -> Self {
        Self {
            extensions,
            folders: HashMap::new(),
            files: HashMap::new(),
            skipped: Vec::new(),
        }
    }

    /// A walker for the formats the loader reads ([`AUDIO_EXTENSIONS`]).
    pub fn audio() -> Walker<'static> {
        Walker::new(AUDIO_EXTENSIONS)
    }

    /// The files under `root` not already listed: a folder is walked recursively, each
    /// folder's entries in sorted order; a named file is taken whatever its extension or kind
    /// (the reader then says what is wrong with it), once.
    pub fn add(&mut self, root: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        match std::fs::metadata(root) {
            Ok(meta) if meta.is_dir() => {
                if self.first_folder(root, &meta) {
                    self.walk_folder(root, &mut out);
                }
            }
            Ok(meta) if meta.is_file() => {
                if self.first_file(root, &meta) {
                    out.push(root.to_path_buf());
                }
            }
            _ => out.push(root.to_path_buf()),
        }
        out
    }

    /// The paths left out so far.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    pub fn into_skipped(self) -> Vec<Skipped> {
        self.skipped
    }

    fn skip(&mut self, path: PathBuf, reason: SkipReason) {
        self.skipped.push(Skipped { path, reason });
    }

    fn first_folder(&mut self, path: &Path, meta: &Metadata) -> bool {
        self.first_time(true, path, meta)
    }

    fn first_file(&mut self, path: &Path, meta: &Metadata) -> bool {
        self.first_time(false, path, meta)
    }

    /// Whether this is the first path to the folder (or file) `meta` describes; if not, the
    /// path is skipped, naming the first.
    fn first_time(&mut self, folder: bool, path: &Path, meta: &Metadata) -> bool {
        let Some(id) = Identity::of(path, meta) else {
            return true;
        };
        let seen = if folder {
            &mut self.folders
        } else {
            &mut self.files
        };
        match seen.get(&id) {
            Some(first) => {
                let first = first.clone();
                let reason = if folder {
                    SkipReason::FolderAlreadyWalked { first }
                } else {
                    SkipReason::SameFile { first }
                };
                self.skip(path.to_path_buf(), reason);
                false
            }
            None => {
                seen.insert(id, path.to_path_buf());
                true
            }
        }
    }

    fn walk_folder(&mut self, dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.skip(dir.to_path_buf(), SkipReason::Unreadable(e.kind())),
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            let wanted = has_extension(&path, self.extensions);
            // Links followed: a link's target decides what it is.
            let meta = match std::fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) => {
                    // A dangling link or a vanished entry: worth a line only where a file of
                    // ours was expected.
                    if wanted {
                        self.skip(path, SkipReason::Unreadable(e.kind()));
                    }
                    continue;
                }
            };
            match FileKind::of(&meta) {
                FileKind::Folder => {
                    if self.first_folder(&path, &meta) {
                        self.walk_folder(&path, out);
                    }
                }
                _ if !wanted => {}
                FileKind::Regular => {
                    if self.first_file(&path, &meta) {
                        out.push(path);
                    }
                }
                kind => self.skip(path, SkipReason::NotARegularFile(kind)),
            }
        }
    }
}

/// Files under `paths` whose extension (any case) is in `extensions` (folders walked, named
/// files as given; see [`Walker::add`]), and what was skipped.
pub fn walk(paths: &[PathBuf], extensions: &[&str]) -> Walked {
    let mut walker = Walker::new(extensions);
    let files = paths.iter().flat_map(|p| walker.add(p)).collect();
    Walked {
        files,
        skipped: walker.into_skipped(),
    }
}

/// [`walk`] for [`AUDIO_EXTENSIONS`].
pub fn walk_audio(paths: &[PathBuf]) -> Walked {
    walk(paths, AUDIO_EXTENSIONS)
}

/// The files of [`walk`], for callers that report nothing of what was skipped.
pub fn files_with_extensions(paths: &[PathBuf], extensions: &[&str]) -> Vec<PathBuf> {
    walk(paths, extensions).files
}

/// The files of [`walk_audio`].
pub fn audio_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    walk_audio(paths).files
}

/// Files under the folder `dir` whose extension (any case) is in `extensions`, walked
/// recursively in sorted order (nothing when `dir` is not a folder or cannot be read).
pub fn folder_files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    if !dir.is_dir() {
        return Vec::new();
    }
    Walker::new(extensions).add(dir)
}

fn has_extension(p: &Path, extensions: &[&str]) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.contains(&e.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn relative(root: &Path, paths: &[PathBuf]) -> Vec<String> {
        paths
            .iter()
            .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
            .collect()
    }

    #[test]
    fn folders_are_walked_sorted_and_named_files_kept() -> TestResult {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/deeper"))?;
        for f in [
            "b/deeper/z.MP3",
            "b/a.wav",
            "a.flac",
            "notes.txt",
            "cover.png",
        ] {
            std::fs::write(root.join(f), b"x")?;
        }
        let named = root.join("notes.txt");
        let found = audio_files(&[root.to_path_buf(), named.clone()]);
        assert_eq!(
            relative(root, &found),
            ["a.flac", "b/a.wav", "b/deeper/z.MP3", "notes.txt"]
        );
        assert_eq!(folder_files(root, &["png"]), vec![root.join("cover.png")]);
        assert!(
            folder_files(&named, &["txt"]).is_empty(),
            "a file is no folder"
        );
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn loops_links_pipes_and_folders_named_like_audio() -> TestResult {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub/album.mp3"))?;
        std::fs::write(root.join("sub/album.mp3/inner.mp3"), b"x")?;
        std::fs::write(root.join("a.mp3"), b"x")?;
        std::fs::write(root.join("copy.mp3"), b"x")?; // same bytes, another file
        symlink("..", root.join("sub/loop"))?;
        symlink(root.join("a.mp3"), root.join("sub/link.mp3"))?;
        std::fs::hard_link(root.join("a.mp3"), root.join("z_hard.mp3"))?;
        symlink(root.join("gone.mp3"), root.join("dangling.mp3"))?;
        let fifo = root.join("x.mp3");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status()?;
        assert!(status.success(), "mkfifo");

        let walked = walk_audio(&[root.to_path_buf(), root.join("a.mp3")]);
        assert_eq!(
            relative(root, &walked.files),
            ["a.mp3", "copy.mp3", "sub/album.mp3/inner.mp3"]
        );
        let skipped: Vec<(String, &SkipReason)> = walked
            .skipped
            .iter()
            .map(|s| (relative(root, &[s.path.clone()])[0].clone(), &s.reason))
            .collect();
        let expect = |name: &str| {
            skipped
                .iter()
                .find(|(p, _)| p == name)
                .map(|(_, r)| (*r).clone())
        };
        assert!(matches!(
            expect("dangling.mp3"),
            Some(SkipReason::Unreadable(_))
        ));
        assert_eq!(
            expect("x.mp3"),
            Some(SkipReason::NotARegularFile(FileKind::NamedPipe))
        );
        assert_eq!(
            expect("sub/loop"),
            Some(SkipReason::FolderAlreadyWalked {
                first: root.to_path_buf()
            })
        );
        let same = Some(SkipReason::SameFile {
            first: root.join("a.mp3"),
        });
        assert_eq!(expect("sub/link.mp3"), same);
        assert_eq!(expect("z_hard.mp3"), same);
        // The named a.mp3 was listed by the folder's walk already.
        assert_eq!(walked.skipped.len(), 6, "{:?}", walked.skipped);
        let line = walked.skipped[0].to_string();
        assert!(line.contains(": skipped: "), "{line}");

        let err = regular_file(&fifo).expect_err("a pipe is refused without opening it");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("named pipe"), "{err}");
        assert!(regular_file(&root.join("a.mp3"))?.is_file());
        Ok(())
    }
}
