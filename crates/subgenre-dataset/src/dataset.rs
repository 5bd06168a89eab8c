//! A data folder: `labels_final.csv` beside `clips/<sample_id>.<ext>`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{DatasetError, Result};
use crate::labels::{read_labels, ClassSet, LabelRow};

/// The labels file of a data folder.
pub const LABELS_FILE: &str = "labels_final.csv";
/// The clips folder of a data folder.
pub const CLIPS_DIR: &str = "clips";

/// A clip with its label, ready for a model: `label` indexes the chosen [`ClassSet`].
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub sample_id: String,
    pub spot_id: String,
    pub label: usize,
    pub path: PathBuf,
}

/// A data folder, its labels joined with the clip files present.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub root: PathBuf,
    pub rows: Vec<LabelRow>,
    /// sample_id -> clip file, for rows that have one.
    pub clips: HashMap<String, PathBuf>,
    /// Audio files in `clips/` whose name matches no row.
    pub clips_without_row: Vec<String>,
}

/// What a data folder holds, as `subgenre dataset stats --json` prints it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DatasetStats {
    pub rows: usize,
    pub tracks_in_csv: usize,
    pub clips: usize,
    pub tracks_with_clips: usize,
    pub rows_without_clip: usize,
    pub clips_without_row: usize,
    /// Clips per label, over every label in the CSV.
    pub per_class: BTreeMap<String, usize>,
    pub selected_classes: Vec<String>,
    pub selected_clips: usize,
    pub selected_tracks: usize,
    /// Pairs of rows that are the same clip twice (same track, same start).
    pub duplicates: Vec<[String; 2]>,
}

/// The chosen classes' clips, and how many rows were left out and why.
#[derive(Debug, Clone)]
pub struct Selection {
    pub classes: ClassSet,
    pub items: Vec<Item>,
    /// Rows with a clip whose label is not among the chosen classes.
    pub other_class: usize,
    /// Rows of the chosen classes that have no clip file.
    pub missing_clip: usize,
}

impl Dataset {
    /// Open a data folder; fails if it has no labels CSV or no clips folder.
    pub fn open(root: &Path) -> Result<Self> {
        let labels = root.join(LABELS_FILE);
        let clips_dir = root.join(CLIPS_DIR);
        if !root.is_dir() {
            return Err(DatasetError::NotADataFolder {
                path: root.to_owned(),
                reason: "no such folder".into(),
            });
        }
        if !labels.is_file() {
            return Err(DatasetError::NotADataFolder {
                path: root.to_owned(),
                reason: format!("it has no {LABELS_FILE}"),
            });
        }
        if !clips_dir.is_dir() {
            return Err(DatasetError::NotADataFolder {
                path: root.to_owned(),
                reason: format!("it has no {CLIPS_DIR}/ folder"),
            });
        }
        let rows = read_labels(&labels)?;
        let known: BTreeSet<&str> = rows.iter().map(|r| r.sample_id.as_str()).collect();
        let mut clips = HashMap::new();
        let mut clips_without_row = Vec::new();
        let entries = std::fs::read_dir(&clips_dir).map_err(|source| DatasetError::Io {
            path: clips_dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let is_audio = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                subgenre_audio::AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())
            });
            if !is_audio || !path.is_file() {
                continue;
            }
            let Some(stem) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            if known.contains(stem.as_str()) {
                clips.insert(stem, path);
            } else {
                clips_without_row.push(stem);
            }
        }
        clips_without_row.sort();
        Ok(Self {
            root: root.to_owned(),
            rows,
            clips,
            clips_without_row,
        })
    }

    /// Rows that have a clip file, in CSV order.
    pub fn rows_with_clips(&self) -> impl Iterator<Item = &LabelRow> {
        self.rows
            .iter()
            .filter(|r| self.clips.contains_key(&r.sample_id))
    }

    /// The clips of the chosen classes, sorted by sample_id.
    pub fn select(&self, classes: &ClassSet) -> Selection {
        let mut items = Vec::new();
        let (mut other_class, mut missing_clip) = (0, 0);
        for row in &self.rows {
            let Some(label) = classes.index(&row.label) else {
                if self.clips.contains_key(&row.sample_id) {
                    other_class += 1;
                }
                continue;
            };
            match self.clips.get(&row.sample_id) {
                Some(path) => items.push(Item {
                    sample_id: row.sample_id.clone(),
                    spot_id: row.spot_id.clone(),
                    label,
                    path: path.clone(),
                }),
                None => missing_clip += 1,
            }
        }
        items.sort_by(|a, b| a.sample_id.cmp(&b.sample_id));
        Selection {
            classes: classes.clone(),
            items,
            other_class,
            missing_clip,
        }
    }

    /// Rows that are the same clip twice: same track and same start, both with a clip.
    pub fn duplicate_pairs(&self) -> Vec<[String; 2]> {
        let mut by_start: BTreeMap<(&str, u64), Vec<&str>> = BTreeMap::new();
        for row in self.rows_with_clips() {
            // Millisecond key: starts are whole seconds in practice; this avoids float keys.
            let key = (
                row.spot_id.as_str(),
                (row.clip_start_s * 1000.0).round() as u64,
            );
            by_start.entry(key).or_default().push(&row.sample_id);
        }
        let mut pairs = Vec::new();
        for ids in by_start.values_mut() {
            ids.sort();
            for i in 0..ids.len() {
                for j in i + 1..ids.len() {
                    pairs.push([ids[i].to_string(), ids[j].to_string()]);
                }
            }
        }
        pairs.sort();
        pairs
    }

    pub fn stats(&self, classes: &ClassSet) -> DatasetStats {
        let tracks_in_csv: BTreeSet<&str> = self.rows.iter().map(|r| r.spot_id.as_str()).collect();
        let with_clips: Vec<&LabelRow> = self.rows_with_clips().collect();
        let tracks_with_clips: BTreeSet<&str> =
            with_clips.iter().map(|r| r.spot_id.as_str()).collect();
        let mut per_class: BTreeMap<String, usize> = BTreeMap::new();
        for row in &with_clips {
            *per_class.entry(row.label.clone()).or_default() += 1;
        }
        let selection = self.select(classes);
        let selected_tracks: BTreeSet<&str> =
            selection.items.iter().map(|i| i.spot_id.as_str()).collect();
        DatasetStats {
            rows: self.rows.len(),
            tracks_in_csv: tracks_in_csv.len(),
            clips: with_clips.len(),
            tracks_with_clips: tracks_with_clips.len(),
            rows_without_clip: self.rows.len() - with_clips.len(),
            clips_without_row: self.clips_without_row.len(),
            per_class,
            selected_classes: classes.names().to_vec(),
            selected_clips: selection.items.len(),
            selected_tracks: selected_tracks.len(),
            duplicates: self.duplicate_pairs(),
        }
    }
}
