//! The features table (`subgenre features`, `subgenre.features_table`): the study's per-clip
//! features of a data set's clips or of any audio files, as the CSV the classic models read.

use std::path::{Path, PathBuf};

use subgenre_classic::FeatureCsvWriter;
use subgenre_dataset::ClassSet;
use subgenre_extract::{extract_features, FeatureSet};

use crate::data::DataSource;
use crate::error::{Result, StudyError};

/// What a table is made of.
#[derive(Debug, Clone)]
pub enum FeatureInput {
    /// The clips of a data set in the chosen classes (rows keyed by sample id and track,
    /// labelled): what `baseline` trains on.
    Data {
        source: DataSource,
        classes: ClassSet,
    },
    /// Audio files: files as given, folders walked recursively (rows keyed by path).
    Files(Vec<PathBuf>),
}

/// Progress events of [`write_features_table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableProgress {
    /// The inputs are known: this many files will be analysed.
    Started { files: usize },
    /// One more file analysed (or failed).
    FileDone,
}

/// What [`write_features_table`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct TableWritten {
    /// Rows written.
    pub rows: usize,
    /// Feature columns per row.
    pub columns: usize,
    /// Clips of the data set left out: their class is not among the chosen ones.
    pub other_class: usize,
    /// Files that could not be analysed: (file, reason), in input order.
    pub failures: Vec<(String, String)>,
}

/// One row to compute: its key columns and the file.
struct Row {
    keys: Vec<String>,
    path: PathBuf,
}

/// Analyse every input (in parallel on the current rayon pool, reporting to `on_progress`) and
/// write the CSV to `out` atomically. A file that fails is left out and listed; the call fails
/// only when there is nothing to analyse or the table cannot be written.
pub fn write_features_table(
    input: &FeatureInput,
    set: FeatureSet,
    out: &Path,
    on_progress: &(dyn Fn(TableProgress) + Sync),
) -> Result<TableWritten> {
    let (labelled, rows, other_class) = rows_of(input)?;
    if rows.is_empty() {
        return Err(StudyError::NothingToDo(
            "no clips or audio files to analyse".into(),
        ));
    }
    on_progress(TableProgress::Started { files: rows.len() });
    let paths: Vec<PathBuf> = rows.iter().map(|r| r.path.clone()).collect();
    let results = extract_features(&paths, set, &|| on_progress(TableProgress::FileDone));
    let mut written = 0usize;
    let mut failures = Vec::new();
    subgenre_core::write_atomic_with(out, |w| -> std::io::Result<()> {
        let mut csv = FeatureCsvWriter::new(w, set.columns(), labelled)?;
        for (row, result) in rows.iter().zip(&results) {
            match result {
                Ok(values) if labelled => {
                    csv.write_clip(&row.keys[0], &row.keys[1], values, &row.keys[2])?;
                    written += 1;
                }
                Ok(values) => {
                    csv.write_file(&row.keys[0], values)?;
                    written += 1;
                }
                Err(reason) => failures.push((row.path.display().to_string(), reason.clone())),
            }
        }
        csv.flush()
    })
    .map_err(|source| StudyError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(TableWritten {
        rows: written,
        columns: set.columns().len(),
        other_class,
        failures,
    })
}

fn rows_of(input: &FeatureInput) -> Result<(bool, Vec<Row>, usize)> {
    Ok(match input {
        FeatureInput::Data { source, classes } => {
            let selection = source.open()?.select(classes);
            let rows = selection
                .items
                .iter()
                .map(|item| Row {
                    keys: vec![
                        item.sample_id.clone(),
                        item.spot_id.clone(),
                        classes.names()[item.label].clone(),
                    ],
                    path: item.path.clone(),
                })
                .collect();
            (true, rows, selection.other_class)
        }
        FeatureInput::Files(paths) => {
            let rows = subgenre_audio::walk::audio_files(paths)
                .into_iter()
                .map(|p| Row {
                    keys: vec![p.display().to_string()],
                    path: p,
                })
                .collect();
            (false, rows, 0)
        }
    })
}
