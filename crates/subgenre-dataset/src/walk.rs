//! Image files under folders and folders of class folders. (Audio files are found by
//! `subgenre_audio::walk`, which this walks with.)

use std::path::{Path, PathBuf};

use crate::error::{DatasetError, Result};

/// Image extensions the image routes read.
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg"];

/// Image files ([`IMAGE_EXTENSIONS`]) under `folder`, walked recursively, sorted.
pub fn image_files(folder: &Path) -> Vec<PathBuf> {
    subgenre_audio::walk::folder_files(folder, IMAGE_EXTENSIONS)
}

/// A folder of class folders (`DIR/<class>/...`, the layout of GTZAN's images or of anyone's
/// own sorted music): each class with its files, in name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassFolders {
    pub classes: Vec<(String, Vec<PathBuf>)>,
    /// Class folders left out because `files_of` found nothing in them.
    pub empty: Vec<PathBuf>,
}

/// The class folders of `dir` (sorted by name, hidden ones skipped), each with the files
/// `files_of` finds in it. At least two classes with files are needed.
pub fn class_folders(dir: &Path, files_of: impl Fn(&Path) -> Vec<PathBuf>) -> Result<ClassFolders> {
    let entries = std::fs::read_dir(dir).map_err(|source| DatasetError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut folders: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.'))
        })
        .collect();
    folders.sort();
    let mut found = ClassFolders {
        classes: Vec::new(),
        empty: Vec::new(),
    };
    for folder in folders {
        let Some(name) = folder.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let files = files_of(&folder);
        if files.is_empty() {
            found.empty.push(folder);
        } else {
            found.classes.push((name, files));
        }
    }
    if found.classes.len() < 2 {
        return Err(DatasetError::NotADataFolder {
            path: dir.to_path_buf(),
            reason: format!(
                "needs at least two class folders with files (DIR/<class>/...), found {}",
                found.classes.len()
            ),
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_class_folders_are_found() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let audio_files = subgenre_audio::walk::audio_files;
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/deeper"))?;
        for f in ["b/deeper/z.MP3", "b/a.wav", "notes.txt", "cover.png"] {
            std::fs::write(root.join(f), b"x")?;
        }
        assert_eq!(image_files(root), vec![root.join("cover.png")]);
        // Class folders: `b` has audio, `empty` and hidden `.git` are left out; one class is
        // not enough.
        std::fs::create_dir_all(root.join("empty"))?;
        std::fs::create_dir_all(root.join(".git"))?;
        let err = class_folders(root, |f| audio_files(&[f.to_path_buf()])).expect_err("one class");
        assert!(err.to_string().contains("two class folders"), "{err}");
        std::fs::create_dir_all(root.join("c"))?;
        std::fs::write(root.join("c/x.ogg"), b"x")?;
        let found = class_folders(root, |f| audio_files(&[f.to_path_buf()]))?;
        let names: Vec<&str> = found.classes.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["b", "c"]);
        assert_eq!(found.empty, vec![root.join("empty")]);
        Ok(())
    }
}
