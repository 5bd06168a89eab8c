//! Incremental analysis of music folders: each file is skipped, re-stamped, moved, analysed
//! or recorded as failed, and every outcome is committed on its own as it arrives.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use subgenre_audio::walk::Skipped;
use subgenre_core::TrackPrediction;

use crate::analyser::{Analyser, ModelId};
use crate::db::Library;
use crate::error::{LibraryError, Result};
use crate::hash::{content_hash, now_s, size_and_mtime};
use crate::track::{
    parse_hash, path_text, update_stamp, upsert_error, upsert_track, FileStamp, Table,
};

/// How a scan runs. Built with checked setters: `ScanOptions::default().with_jobs(4)?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    jobs: NonZeroUsize,
    prune: bool,
}

impl Default for ScanOptions {
    /// One job per core; gone files are kept.
    fn default() -> Self {
        Self {
            jobs: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
            prune: false,
        }
    }
}

impl ScanOptions {
    /// Analyse on `jobs` threads (at least one).
    pub fn with_jobs(mut self, jobs: usize) -> Result<Self> {
        self.jobs = NonZeroUsize::new(jobs).ok_or(LibraryError::InvalidOption {
            what: "number of jobs",
            reason: "must be at least 1".into(),
        })?;
        Ok(self)
    }

    /// Remove tracks (and errors) under the scanned roots whose files are gone.
    pub fn with_prune(mut self, prune: bool) -> Self {
        self.prune = prune;
        self
    }

    pub fn jobs(&self) -> usize {
        self.jobs.get()
    }

    pub fn prune(&self) -> bool {
        self.prune
    }
}

/// What a scan reports as it goes, for a progress bar: one `Planned`, then one event per
/// file to check, then one `Pruned` per removed track. Serialises as one JSON object with an
/// `"event"` key (`"planned"`, `"analysed"`, ...) beside its fields.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScanEvent {
    /// `seen` audio files were found; `to_check` of them are new or changed and will be
    /// read (each ends with one of the events below).
    Planned {
        seen: usize,
        to_check: usize,
    },
    Analysed {
        path: PathBuf,
    },
    Moved {
        from: PathBuf,
        to: PathBuf,
    },
    /// Touched but not changed (same content hash): only the stamp was updated.
    Unchanged {
        path: PathBuf,
    },
    Failed {
        path: PathBuf,
        reason: String,
    },
    Pruned {
        path: PathBuf,
    },
}

/// A file that could not be analysed, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileFailure {
    pub path: PathBuf,
    pub reason: String,
}

/// What a scan did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ScanReport {
    /// Audio files found under the roots.
    pub seen: usize,
    pub analysed: usize,
    /// Files whose stored analysis still holds (same size and mtime, or same content).
    pub unchanged: usize,
    /// Tracks whose file was found under a new path (not analysed again).
    pub moved: usize,
    /// Files that failed in this scan.
    pub failed: Vec<FileFailure>,
    /// Files that failed before and have not changed since: not retried.
    pub known_failures: usize,
    /// Tracks removed because their files are gone (with `prune`).
    pub pruned: usize,
    /// Paths the folder walk left out: links to folders already walked (loops), second paths
    /// to one file, named pipes and other files that are not regular ones.
    pub skipped: Vec<Skipped>,
}

/// What the library knew of a path before the scan.
#[derive(Debug, Clone, Copy)]
enum Prior {
    None,
    Track { hash: u64, current: bool },
    Error { hash: u64, current: bool },
}

struct Job {
    path: PathBuf,
    text: String,
    size: u64,
    mtime_ns: i64,
    prior: Prior,
}

/// A stored track whose file is gone: a new file with its content is that track, moved.
struct MoveCandidate {
    path: String,
    current: bool,
}

enum Outcome {
    Touched(FileStamp),
    ErrorTouched(FileStamp),
    Moved {
        from: String,
        stamp: FileStamp,
    },
    Analysed {
        stamp: FileStamp,
        analysis: Box<TrackPrediction>,
        replaces: Option<String>,
    },
    Failed {
        stamp: Option<FileStamp>,
        reason: String,
    },
}

/// Bring the library up to date with the audio files under `roots` (folders walked
/// recursively, files taken as named).
///
/// Files whose size and mtime match the stored track (of the analyser's model) are not read.
/// Others are hashed ([`crate::content_hash`]) and then re-stamped (same content), moved (the
/// content of a track whose file is gone), or analysed on `options.jobs()` threads. Each
/// result is committed in its own transaction as it arrives, so a killed scan keeps every
/// finished track. A second scan of the same library at the same time gets
/// [`LibraryError::Busy`].
pub fn scan(
    library: &mut Library,
    roots: &[PathBuf],
    analyser: &dyn Analyser,
    options: &ScanOptions,
    mut progress: impl FnMut(&ScanEvent),
) -> Result<ScanReport> {
    let _lock = library.writer_lock()?;
    let model = analyser.model_id();
    let roots = roots
        .iter()
        .map(|r| std::fs::canonicalize(r).map_err(|e| LibraryError::io(r, e)))
        .collect::<Result<Vec<_>>>()?;
    let walked = subgenre_audio::walk::walk_audio(&roots);
    if walked.files.is_empty() && walked.skipped.is_empty() && !options.prune {
        return Err(LibraryError::NoAudioFiles);
    }
    let seen_paths: HashSet<PathBuf> = walked.files.iter().cloned().collect();
    let files = walked.files;
    library.write(|tx| {
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('model_name', ?1), ('model_version', ?2)",
            [&model.name, &model.version],
        )
    })?;

    let mut report = ScanReport {
        seen: files.len(),
        skipped: walked.skipped,
        ..ScanReport::default()
    };
    let (jobs, candidates) = plan(library, files, &seen_paths, &model, &mut report)?;
    progress(&ScanEvent::Planned {
        seen: report.seen,
        to_check: jobs.len(),
    });
    run_jobs(
        library,
        &jobs,
        candidates,
        analyser,
        &model,
        options,
        &mut report,
        &mut progress,
    )?;
    if options.prune {
        prune(library, &roots, &seen_paths, &mut report, &mut progress)?;
    }
    Ok(report)
}

type Candidates = HashMap<(u64, u64), Vec<MoveCandidate>>;

/// Sort the files into unchanged (counted now) and jobs; collect the tracks whose files are
/// gone, by content, as move candidates.
fn plan(
    library: &Library,
    files: Vec<PathBuf>,
    seen: &HashSet<PathBuf>,
    model: &ModelId,
    report: &mut ScanReport,
) -> Result<(Vec<Job>, Candidates)> {
    let tracks = known(library, "tracks")?;
    let errors = known(library, "errors")?;
    let mut candidates: Candidates = HashMap::new();
    for (path, (stamp, m)) in &tracks {
        let p = Path::new(path);
        if !seen.contains(p) && !p.exists() {
            candidates
                .entry((stamp.content_hash, stamp.size))
                .or_default()
                .push(MoveCandidate {
                    path: path.clone(),
                    current: m == model,
                });
        }
    }
    let mut jobs = Vec::new();
    for path in files {
        let Some(text) = path_text(&path).map(str::to_owned) else {
            report.failed.push(FileFailure {
                path,
                reason: "the path is not valid UTF-8".into(),
            });
            continue;
        };
        let (size, mtime_ns) = match size_and_mtime(&path) {
            Ok(s) => s,
            Err(e) => {
                report.failed.push(FileFailure {
                    path,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let same = |s: &FileStamp| s.size == size && s.mtime_ns == mtime_ns;
        let prior = if let Some((stamp, m)) = tracks.get(&text) {
            if same(stamp) && m == model {
                report.unchanged += 1;
                continue;
            }
            Prior::Track {
                hash: stamp.content_hash,
                current: m == model,
            }
        } else if let Some((stamp, m)) = errors.get(&text) {
            if same(stamp) && m == model {
                report.known_failures += 1;
                continue;
            }
            Prior::Error {
                hash: stamp.content_hash,
                current: m == model,
            }
        } else {
            Prior::None
        };
        jobs.push(Job {
            path,
            text,
            size,
            mtime_ns,
            prior,
        });
    }
    Ok((jobs, candidates))
}

/// Path → (stamp, model) of every row of `table` (`tracks` or `errors`).
fn known(library: &Library, table: &str) -> Result<HashMap<String, (FileStamp, ModelId)>> {
    let sql = format!(
        "SELECT path, size, mtime_ns, content_hash, model_name, model_version FROM {table}"
    );
    let mut st = library.conn.prepare(&sql).map_err(|e| library.err(e))?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (
                    FileStamp {
                        size: r.get::<_, i64>(1)?.max(0) as u64,
                        mtime_ns: r.get(2)?,
                        content_hash: parse_hash(&r.get::<_, String>(3)?),
                    },
                    ModelId::new(r.get::<_, String>(4)?, r.get::<_, String>(5)?),
                ),
            ))
        })
        .map_err(|e| library.err(e))?;
    rows.collect::<rusqlite::Result<HashMap<_, _>>>()
        .map_err(|e| library.err(e))
}

/// Hash and analyse the jobs on worker threads; this thread writes each outcome.
#[allow(clippy::too_many_arguments)]
fn run_jobs(
    library: &mut Library,
    jobs: &[Job],
    candidates: Candidates,
    analyser: &dyn Analyser,
    model: &ModelId,
    options: &ScanOptions,
    report: &mut ScanReport,
    progress: &mut impl FnMut(&ScanEvent),
) -> Result<()> {
    let candidates = Mutex::new(candidates);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers = options.jobs().min(jobs.len());
    let mut first_error = None;
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, candidates) = (&next, &stop, &candidates);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if stop.load(Ordering::Relaxed) || i >= jobs.len() {
                    break;
                }
                let outcome = check(&jobs[i], analyser, candidates);
                if tx.send((i, outcome)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut classes: Option<Vec<String>> = None;
        for (i, outcome) in rx {
            let job = &jobs[i];
            match record(library, job, outcome, model, &mut classes, report) {
                Ok(event) => progress(&event),
                Err(e) => {
                    // Stop the workers and leave; what was committed stays.
                    stop.store(true, Ordering::Relaxed);
                    first_error = Some(e);
                    break;
                }
            }
        }
    });
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// What to do with one file (runs on a worker thread).
fn check(job: &Job, analyser: &dyn Analyser, candidates: &Mutex<Candidates>) -> Outcome {
    let hash = match content_hash(&job.path) {
        Ok(h) => h,
        Err(e) => {
            return Outcome::Failed {
                stamp: None,
                reason: e.to_string(),
            }
        }
    };
    let stamp = FileStamp {
        size: job.size,
        mtime_ns: job.mtime_ns,
        content_hash: hash,
    };
    let mut replaces = None;
    match job.prior {
        Prior::Track {
            hash: h,
            current: true,
        } if h == hash => return Outcome::Touched(stamp),
        Prior::Error {
            hash: h,
            current: true,
        } if h == hash => return Outcome::ErrorTouched(stamp),
        Prior::None => {
            let taken = candidates.lock().ok().and_then(|mut c| {
                let list = c.get_mut(&(hash, job.size))?;
                list.pop()
            });
            if let Some(c) = taken {
                if c.current {
                    return Outcome::Moved {
                        from: c.path,
                        stamp,
                    };
                }
                replaces = Some(c.path);
            }
        }
        _ => {}
    }
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| analyser.analyse(&job.path)));
    match result {
        Ok(Ok(analysis)) => match inconsistency(&analysis) {
            None => Outcome::Analysed {
                stamp,
                analysis: Box::new(analysis),
                replaces,
            },
            Some(reason) => Outcome::Failed {
                stamp: Some(stamp),
                reason,
            },
        },
        Ok(Err(e)) => Outcome::Failed {
            stamp: Some(stamp),
            reason: e.reason,
        },
        Err(_) => Outcome::Failed {
            stamp: Some(stamp),
            reason: "the analyser panicked".into(),
        },
    }
}

/// An analysis whose per-class vectors do not match its classes is stored as a failure.
fn inconsistency(a: &TrackPrediction) -> Option<String> {
    let n = a.classes.len();
    let bad = |what: &str, len: usize| {
        Some(format!(
            "the analyser returned {len} {what} for {n} classes"
        ))
    };
    if a.mean_probs.len() != n {
        return bad("mean probabilities", a.mean_probs.len());
    }
    if a.shares.len() != n {
        return bad("shares", a.shares.len());
    }
    if let Some(w) = a.windows.iter().find(|w| w.probs.len() != n) {
        return bad("window probabilities", w.probs.len());
    }
    None
}

/// Commit one outcome in its own transaction and say what happened.
fn record(
    library: &mut Library,
    job: &Job,
    outcome: Outcome,
    model: &ModelId,
    classes: &mut Option<Vec<String>>,
    report: &mut ScanReport,
) -> Result<ScanEvent> {
    let path = job.path.clone();
    let text = job.text.as_str();
    Ok(match outcome {
        Outcome::Touched(stamp) => {
            library.write(|tx| update_stamp(tx, Table::Tracks, text, &stamp))?;
            report.unchanged += 1;
            ScanEvent::Unchanged { path }
        }
        Outcome::ErrorTouched(stamp) => {
            library.write(|tx| update_stamp(tx, Table::Errors, text, &stamp))?;
            report.known_failures += 1;
            ScanEvent::Unchanged { path }
        }
        Outcome::Moved { from, stamp } => {
            library.write(|tx| {
                tx.execute("DELETE FROM tracks WHERE path = ?1", [text])?;
                tx.execute("DELETE FROM errors WHERE path = ?1", [text])?;
                tx.execute("UPDATE tracks SET path = ?1 WHERE path = ?2", [text, &from])?;
                update_stamp(tx, Table::Tracks, text, &stamp)
            })?;
            report.moved += 1;
            ScanEvent::Moved {
                from: PathBuf::from(from),
                to: path,
            }
        }
        Outcome::Analysed {
            stamp,
            analysis,
            replaces,
        } => {
            let new_classes = classes.as_ref() != Some(&analysis.classes);
            library.write(|tx| {
                if let Some(old) = &replaces {
                    tx.execute("DELETE FROM tracks WHERE path = ?1", [old])?;
                }
                upsert_track(tx, text, &stamp, model, &analysis, now_s())?;
                if new_classes {
                    let json = serde_json::to_string(&analysis.classes).unwrap_or_default();
                    tx.execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('classes', ?1)",
                        [json],
                    )?;
                }
                Ok(())
            })?;
            if new_classes {
                *classes = Some(analysis.classes.clone());
            }
            report.analysed += 1;
            ScanEvent::Analysed { path }
        }
        Outcome::Failed { stamp, reason } => {
            if let Some(stamp) = stamp {
                library.write(|tx| upsert_error(tx, text, &stamp, model, &reason, now_s()))?;
            }
            tracing::debug!(path = %path.display(), %reason, "analysis failed");
            report.failed.push(FileFailure {
                path: path.clone(),
                reason: reason.clone(),
            });
            ScanEvent::Failed { path, reason }
        }
    })
}

/// Remove the tracks and errors under `roots` whose files the walk did not find and that do
/// not exist (a folder the walk could not read keeps its tracks).
fn prune(
    library: &mut Library,
    roots: &[PathBuf],
    seen: &HashSet<PathBuf>,
    report: &mut ScanReport,
    progress: &mut impl FnMut(&ScanEvent),
) -> Result<()> {
    let gone = |path: &str| {
        let p = Path::new(path);
        roots.iter().any(|r| p.starts_with(r)) && !seen.contains(p) && !p.exists()
    };
    let gone_tracks: Vec<String> = known(library, "tracks")?
        .into_keys()
        .filter(|p| gone(p))
        .collect();
    let gone_errors: Vec<String> = known(library, "errors")?
        .into_keys()
        .filter(|p| gone(p))
        .collect();
    library.write(|tx| {
        for p in &gone_tracks {
            tx.execute("DELETE FROM tracks WHERE path = ?1", [p])?;
        }
        for p in &gone_errors {
            tx.execute("DELETE FROM errors WHERE path = ?1", [p])?;
        }
        Ok(())
    })?;
    let mut sorted = gone_tracks;
    sorted.sort();
    for p in sorted {
        report.pruned += 1;
        progress(&ScanEvent::Pruned {
            path: PathBuf::from(p),
        });
    }
    Ok(())
}
