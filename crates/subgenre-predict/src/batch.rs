//! `subgenre predict` over many files as one operation ([`predict_batch`]): the audio files
//! under the paths given (one [`Shard`] of them), a [`Journal`] resumed, every file classified
//! on the current rayon pool, and a journal line appended as each finishes. The documents
//! made of the results are in [`crate::documents`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::json;
use subgenre_audio::walk::Skipped;
use subgenre_core::reason_about;

use crate::catalogue::{keyed_audio_files, Journal, Shard};
use crate::{PredictError, PredictOptions, Predictor, Result, TrackPrediction};

/// A JSON-lines journal to append to (and with `resume`, to skip the files it has).
#[derive(Debug, Clone, PartialEq)]
pub struct JournalSettings {
    pub path: PathBuf,
    /// Skip the files the journal already has a line for.
    pub resume: bool,
    /// With `resume`: classify the files whose line is an error again.
    pub retry_errors: bool,
}

/// What [`predict_batch`] classifies and how.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchSettings {
    /// Audio files or folders (walked recursively).
    pub paths: Vec<PathBuf>,
    pub options: PredictOptions,
    /// Only this part of the files.
    pub shard: Option<Shard>,
    pub journal: Option<JournalSettings>,
}

impl BatchSettings {
    pub fn new(paths: Vec<PathBuf>, options: PredictOptions) -> Self {
        Self {
            paths,
            options,
            shard: None,
            journal: None,
        }
    }
}

/// What a resumed journal already held.
#[derive(Debug, Clone, PartialEq)]
pub struct Resumed {
    pub journal: PathBuf,
    /// Files skipped because the journal has them.
    pub already: usize,
    /// Files of the shard in all.
    pub of: usize,
    /// A half-written last line (left by a kill) was cut off.
    pub dropped_partial_line: bool,
}

/// What [`predict_batch`] reports as it goes.
#[derive(Debug)]
#[non_exhaustive]
pub enum BatchEvent<'a> {
    /// `files` files will be classified (after the shard and the journal).
    Planned {
        files: usize,
        resumed: Option<&'a Resumed>,
    },
    /// One file finished (in finishing order).
    FileDone {
        path: &'a Path,
        result: &'a Result<TrackPrediction>,
    },
}

/// What [`predict_batch`] did.
#[derive(Debug)]
pub struct BatchOutcome {
    /// Files classified in this call.
    pub files: usize,
    /// The tracks classified, in file order.
    pub tracks: Vec<TrackPrediction>,
    /// (path, reason) of the files that failed, in file order.
    pub failures: Vec<(String, String)>,
    /// Paths the folder walk left out (loops, second paths to one file, pipes, ...).
    pub skipped: Vec<Skipped>,
    pub resumed: Option<Resumed>,
}

/// The journal's line for a finished file: the track's JSON object, or `{"path", "error"}`.
pub fn journal_line(path: &Path, result: &Result<TrackPrediction>) -> serde_json::Value {
    match result {
        Ok(t) => json!(t),
        Err(e) => json!({"path": path.display().to_string(), "error": e.to_string()}),
    }
}

/// Classify the files `settings` names, on the current rayon pool, appending each one's
/// [`journal_line`] to the journal as it finishes. A file that fails is listed in the outcome;
/// a journal that cannot be opened or appended to fails the whole call.
pub fn predict_batch(
    predictor: &Predictor,
    settings: &BatchSettings,
    on_event: impl Fn(BatchEvent<'_>) + Sync,
) -> Result<BatchOutcome> {
    let (keyed, skipped) = keyed_audio_files(&settings.paths);
    let mut files: Vec<PathBuf> = keyed
        .into_iter()
        .filter(|(_, key)| settings.shard.is_none_or(|s| s.holds(key)))
        .map(|(file, _)| file)
        .collect();
    // A skipped path is no audio file of ours, but it was asked for: say so rather than
    // "no audio files" when nothing else is left.
    if files.is_empty() && skipped.is_empty() {
        return Err(PredictError::NoAudioFiles {
            shard: settings.shard,
        });
    }
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| PredictError::Io {
            action,
            path,
            source,
        }
    };
    let mut resumed = None;
    let journal = match &settings.journal {
        Some(js) => {
            let (journal, state) =
                Journal::open(&js.path, js.resume).map_err(io("opening", &js.path))?;
            if js.resume {
                let before = files.len();
                files.retain(|f| {
                    let key = f.display().to_string();
                    !state.done.contains(&key) || (js.retry_errors && state.failed.contains(&key))
                });
                resumed = Some(Resumed {
                    journal: js.path.clone(),
                    already: before - files.len(),
                    of: before,
                    dropped_partial_line: state.dropped_partial_line,
                });
            }
            Some(journal)
        }
        None => None,
    };
    on_event(BatchEvent::Planned {
        files: files.len(),
        resumed: resumed.as_ref(),
    });
    let journal = Mutex::new(journal);
    let journal_error = Mutex::new(None);
    let results = predictor.predict_files(&files, &settings.options, |path, result| {
        if let Some(journal) = journal.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            if let Err(e) = journal.append(&journal_line(path, result)) {
                let mut first = journal_error.lock().unwrap_or_else(|e| e.into_inner());
                first.get_or_insert_with(|| io("appending to", journal.path())(e));
            }
        }
        on_event(BatchEvent::FileDone { path, result });
    });
    if let Some(e) = journal_error
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
    {
        return Err(e);
    }
    let mut tracks = Vec::new();
    let mut failures = Vec::new();
    for (path, result) in files.iter().zip(results) {
        match result {
            Ok(t) => tracks.push(t),
            Err(e) => failures.push((path.display().to_string(), reason_about(path, &e))),
        }
    }
    Ok(BatchOutcome {
        files: files.len(),
        tracks,
        failures,
        skipped,
        resumed,
    })
}
