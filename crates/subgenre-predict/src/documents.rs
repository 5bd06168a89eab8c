//! What `subgenre predict` writes of its results: the JSON document for tools, one CSV row
//! per window, and timeline PNGs named after the tracks.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::batch::BatchOutcome;
use crate::{timeline_png, PredictError, Predictor, Result, TrackPrediction};

/// Where the model came from and what it is, as the JSON document's `model`.
pub fn model_summary(predictor: &Predictor) -> serde_json::Value {
    let spec = predictor.spec();
    json!({
        "source": predictor.name(),
        "arch": spec.arch.name(),
        "input": {"variant": spec.input.variant, "size": spec.input.size},
        "software": spec.software,
        "members": predictor.models().names(),
    })
}

/// `subgenre predict --json`'s document of a batch: `model`, `classes`, `tracks` (each as
/// [`TrackPrediction`] serialises), `errors` (`{path, reason}` per failed file) and `skipped`
/// (`{path, reason}` per path the folder walk left out).
pub fn predictions_document(predictor: &Predictor, outcome: &BatchOutcome) -> serde_json::Value {
    let errors: Vec<_> = outcome
        .failures
        .iter()
        .map(|(p, reason)| json!({"path": p, "reason": reason}))
        .collect();
    json!({
        "model": model_summary(predictor),
        "classes": predictor.spec().classes,
        "tracks": outcome.tracks,
        "errors": errors,
        "skipped": outcome.skipped,
    })
}

/// One row per window: `path, start_s, end_s`, one probability per class, `track_label`.
pub fn write_windows_csv(
    path: &Path,
    classes: &[String],
    tracks: &[TrackPrediction],
) -> Result<()> {
    subgenre_core::write_atomic_with(path, |w| {
        let mut csv = csv::Writer::from_writer(w);
        let mut header = vec!["path".to_string(), "start_s".into(), "end_s".into()];
        header.extend(classes.iter().cloned());
        header.push("track_label".into());
        csv.write_record(&header)?;
        for t in tracks {
            for win in &t.windows {
                let mut row = vec![
                    t.path.display().to_string(),
                    format!("{:.3}", win.start_s),
                    format!("{:.3}", win.end_s),
                ];
                row.extend(win.probs.iter().map(|p| format!("{p:.5}")));
                row.push(t.label.clone());
                csv.write_record(&row)?;
            }
        }
        csv.flush()
    })
    .map_err(|source| PredictError::Io {
        action: "writing",
        path: path.to_path_buf(),
        source,
    })
}

/// Where [`write_timelines`] put the PNGs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelinesWritten {
    /// One track's timeline, in this file.
    One(PathBuf),
    /// `count` timelines in this folder.
    Folder { dir: PathBuf, count: usize },
}

/// The file names of several tracks' timelines: `<stem>.png`, numbered (`<stem>-2.png`, ...)
/// where two tracks share a name.
pub fn timeline_names(tracks: &[TrackPrediction]) -> Vec<String> {
    let mut used = HashSet::new();
    tracks
        .iter()
        .map(|t| {
            let stem = t
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "track".into());
            let mut name = format!("{stem}.png");
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{stem}-{n}.png");
                n += 1;
            }
            name
        })
        .collect()
}

/// One track: `target` is the PNG (unless it is a folder). Several: a folder of
/// [`timeline_names`].
pub fn write_timelines(target: &Path, tracks: &[TrackPrediction]) -> Result<TimelinesWritten> {
    if tracks.len() == 1 && !target.is_dir() {
        timeline_png(target, &tracks[0])?;
        return Ok(TimelinesWritten::One(target.to_path_buf()));
    }
    std::fs::create_dir_all(target).map_err(|source| PredictError::Io {
        action: "creating",
        path: target.to_path_buf(),
        source,
    })?;
    for (t, name) in tracks.iter().zip(timeline_names(tracks)) {
        timeline_png(&target.join(name), t)?;
    }
    Ok(TimelinesWritten::Folder {
        dir: target.to_path_buf(),
        count: tracks.len(),
    })
}

/// The size in bytes of each model file (the shipped models' when `models` is empty); 0 for
/// a file that cannot be read.
pub fn model_file_sizes(models: &[PathBuf]) -> Vec<u64> {
    if models.is_empty() {
        crate::EMBEDDED_MODELS
            .iter()
            .map(|(_, b)| b.len() as u64)
            .collect()
    } else {
        models
            .iter()
            .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(path: &str) -> TrackPrediction {
        TrackPrediction {
            path: path.into(),
            classes: vec!["a".into(), "b".into()],
            label: "b".into(),
            confidence: 0.75,
            mean_probs: vec![0.25, 0.75],
            shares: vec![0.0, 1.0],
            tempo_bpm: None,
            short: false,
            duration_s: 12.0,
            windows: vec![crate::Window {
                start_s: 0.0,
                end_s: 8.0,
                probs: vec![0.25, 0.75],
            }],
            embedding: None,
        }
    }

    #[test]
    fn timelines_of_tracks_sharing_a_name_are_numbered() {
        let tracks = [
            track("x/set.mp3"),
            track("y/set.flac"),
            track("z/other.wav"),
            track("w/set.ogg"),
        ];
        assert_eq!(
            timeline_names(&tracks),
            ["set.png", "set-2.png", "other.png", "set-3.png"]
        );
    }

    #[test]
    fn the_windows_csv_has_a_row_per_window_and_a_column_per_class() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("w.csv");
        let classes = vec!["a".to_string(), "b".to_string()];
        write_windows_csv(&path, &classes, &[track("t.mp3"), track("u.mp3")]).expect("csv");
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "path,start_s,end_s,a,b,track_label");
        assert_eq!(lines[1], "t.mp3,0.000,8.000,0.25000,0.75000,b");
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn the_shipped_models_have_sizes() {
        let sizes = model_file_sizes(&[]);
        assert_eq!(sizes.len(), crate::EMBEDDED_MODELS.len());
        assert!(sizes.iter().all(|&b| b > 1000));
        assert_eq!(model_file_sizes(&["/no/such.sgcnn".into()]), [0]);
    }
}
