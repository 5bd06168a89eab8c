//! Which data set an operation reads: a data folder, or the bundled demo set.

use std::path::{Path, PathBuf};

use subgenre_dataset::{demo, Cache, ClassSet, Dataset, DatasetStats, Selection};
use subgenre_eval::{group_split, Split, SplitItem};

use crate::error::{Result, StudyError};

/// A data folder (`labels_final.csv` + `clips/`), or the demo set unpacked into the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSource {
    pub root: PathBuf,
    pub is_demo: bool,
}

impl DataSource {
    /// `dir`, or the bundled demo set (unpacked into `cache` on first use) when `None`.
    pub fn new(dir: Option<&Path>, cache: &Cache) -> Result<Self> {
        match dir {
            Some(dir) => Ok(Self {
                root: dir.to_path_buf(),
                is_demo: false,
            }),
            None => Ok(Self {
                root: demo::unpack(cache).map_err(|source| StudyError::Dataset {
                    what: "unpacking the bundled demo set".into(),
                    source,
                })?,
                is_demo: true,
            }),
        }
    }

    /// What reports call it: the folder, or `demo (bundled)`.
    pub fn name(&self) -> String {
        if self.is_demo {
            demo::DEMO_NAME.to_string()
        } else {
            self.root.display().to_string()
        }
    }

    pub fn open(&self) -> Result<Dataset> {
        Dataset::open(&self.root).map_err(|source| StudyError::Dataset {
            what: format!("opening data set {}", self.name()),
            source,
        })
    }

    /// Rows, tracks, clips and per-class counts (`subgenre dataset stats`).
    pub fn stats(&self, classes: &ClassSet) -> Result<DatasetStats> {
        Ok(self.open()?.stats(classes))
    }

    /// The study's grouped train/validation/test split of the chosen classes for `seed`
    /// (`subgenre dataset split`), with the selection it was made from.
    pub fn split(&self, classes: &ClassSet, seed: u64) -> Result<(Selection, Split)> {
        let selection = self.open()?.select(classes);
        let split = group_split(&split_items(&selection), seed)?;
        Ok((selection, split))
    }
}

/// The selection's clips as split items: grouped by track (`spot_id`), stratified by class.
pub fn split_items(selection: &Selection) -> Vec<SplitItem<'_>> {
    selection
        .items
        .iter()
        .map(|i| SplitItem {
            sample_id: &i.sample_id,
            group: &i.spot_id,
            class: i.label,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_set_splits_by_track() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let cache = Cache::new(Some(dir.path().to_path_buf()))?;
        let source = DataSource::new(None, &cache)?;
        assert!(source.is_demo);
        assert_eq!(source.name(), demo::DEMO_NAME);
        let classes = ClassSet::five();
        let stats = source.stats(&classes)?;
        assert_eq!(stats.selected_clips, 30);
        let (selection, split) = source.split(&classes, 42)?;
        assert_eq!(selection.items.len(), 30);
        let summary = split.summary(&split_items(&selection), classes.names())?;
        assert!(!format!("{summary}").is_empty());
        let missing = DataSource::new(Some(Path::new("/no/such/data")), &cache)?;
        let err = missing.open().expect_err("no such folder");
        assert!(err.to_string().contains("/no/such/data"), "{err}");
        Ok(())
    }
}
