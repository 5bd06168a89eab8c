//! Finding the files to work on: audio files (or files of any given extensions) under
//! folders, walked recursively.

use std::path::{Path, PathBuf};

use crate::AUDIO_EXTENSIONS;

/// Files under `paths`: named files as given (whatever their extension: the reader then says
/// what is wrong), folders walked recursively for files whose extension (any case) is in
/// `extensions`, each folder's entries in sorted order. Unreadable folders are skipped.
pub fn files_with_extensions(paths: &[PathBuf], extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, extensions, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// [`files_with_extensions`] for [`AUDIO_EXTENSIONS`].
pub fn audio_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    files_with_extensions(paths, AUDIO_EXTENSIONS)
}

/// Files under the folder `dir` whose extension (any case) is in `extensions`, walked
/// recursively in sorted order (nothing when `dir` cannot be read).
pub fn folder_files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, extensions, &mut out);
    out
}

fn walk(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, extensions, out);
        } else if has_extension(&p, extensions) {
            out.push(p);
        }
    }
}

fn has_extension(p: &Path, extensions: &[&str]) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.contains(&e.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_walked_sorted_and_named_files_kept(
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
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
        let rel: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(root).unwrap_or(p).to_path_buf())
            .collect();
        assert_eq!(
            rel,
            ["a.flac", "b/a.wav", "b/deeper/z.MP3", "notes.txt"]
                .iter()
                .map(PathBuf::from)
                .collect::<Vec<_>>()
        );
        assert_eq!(folder_files(root, &["png"]), vec![root.join("cover.png")]);
        assert!(
            folder_files(&named, &["txt"]).is_empty(),
            "a file is no folder"
        );
        Ok(())
    }
}
