//! `predict_batch`: shards, the journal's lines, resuming, and the documents of its results.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use subgenre_fixtures::repo_root;
use subgenre_predict::batch::{predict_batch, BatchEvent, BatchSettings, JournalSettings};
use subgenre_predict::catalogue::Shard;
use subgenre_predict::documents::predictions_document;
use subgenre_predict::{PredictError, PredictOptions, Predictor};

/// Three demo clips and a file that is not audio, in a temporary folder.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let clips = repo_root().join("data/demo/clips");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&clips)
        .expect("demo clips")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "mp3"))
        .collect();
    names.sort();
    for clip in names.iter().take(3) {
        std::fs::copy(clip, dir.path().join(clip.file_name().expect("name"))).expect("copy");
    }
    std::fs::write(dir.path().join("broken.mp3"), b"not audio").expect("write");
    dir
}

fn journal_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn a_batch_journals_every_file_and_resumes_where_it_stopped() {
    let dir = folder();
    let predictor = Predictor::embedded().expect("models");
    let journal = dir.path().join("out.jsonl");
    let options = PredictOptions {
        tempo: false,
        ..PredictOptions::default()
    };
    let mut settings = BatchSettings::new(vec![dir.path().to_path_buf()], options);
    settings.journal = Some(JournalSettings {
        path: journal.clone(),
        resume: false,
        retry_errors: false,
    });
    let done = AtomicUsize::new(0);
    let outcome = predict_batch(&predictor, &settings, |event| {
        if let BatchEvent::FileDone { .. } = event {
            done.fetch_add(1, Ordering::Relaxed);
        }
    })
    .expect("batch");
    assert_eq!((outcome.files, outcome.tracks.len()), (4, 3));
    assert_eq!(done.load(Ordering::Relaxed), 4);
    assert_eq!(outcome.failures.len(), 1);
    assert!(outcome.failures[0].0.ends_with("broken.mp3"));
    let lines = journal_lines(&journal);
    assert_eq!(lines.len(), 4);
    let error = lines
        .iter()
        .find(|l| l.get("error").is_some())
        .expect("the error line");
    assert!(error["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("broken.mp3")));
    assert_eq!(error.as_object().map(|o| o.len()), Some(2), "{error}");

    let doc = predictions_document(&predictor, &outcome);
    assert_eq!(doc["tracks"].as_array().map(Vec::len), Some(3));
    assert_eq!(doc["errors"][0]["path"], outcome.failures[0].0.as_str());
    let reason = doc["errors"][0]["reason"].as_str().unwrap_or_default();
    assert!(!reason.contains("broken.mp3"), "the path once: {reason}");
    assert_eq!(doc["skipped"].as_array().map(Vec::len), Some(0));
    assert_eq!(doc["model"]["source"], "embedded");

    // Resumed: nothing left; with retry_errors, only the broken file again.
    let js = settings.journal.as_mut().expect("journal");
    js.resume = true;
    let again = predict_batch(&predictor, &settings, |_| {}).expect("resume");
    let resumed = again.resumed.as_ref().expect("resumed");
    assert_eq!((again.files, resumed.already, resumed.of), (0, 4, 4));
    settings.journal.as_mut().expect("journal").retry_errors = true;
    let retried = predict_batch(&predictor, &settings, |_| {}).expect("retry");
    assert_eq!((retried.files, retried.failures.len()), (1, 1));
    assert_eq!(journal_lines(&journal).len(), 5);
}

#[test]
fn shards_share_the_files_out_and_an_empty_one_is_an_error() {
    let dir = folder();
    let predictor = Predictor::embedded().expect("models");
    let options = PredictOptions {
        tempo: false,
        ..PredictOptions::default()
    };
    let mut total = 0;
    for i in 0..2 {
        let mut settings = BatchSettings::new(vec![dir.path().to_path_buf()], options.clone());
        settings.shard = Some(Shard::new(i, 2).expect("shard"));
        match predict_batch(&predictor, &settings, |_| {}) {
            Ok(outcome) => total += outcome.files,
            Err(PredictError::NoAudioFiles { shard }) => assert_eq!(shard, settings.shard),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(total, 4);
    let empty = tempfile::tempdir().expect("tmp");
    let settings = BatchSettings::new(vec![empty.path().to_path_buf()], options);
    let e = predict_batch(&predictor, &settings, |_| {}).expect_err("no files");
    assert_eq!(e.to_string(), "no audio files under the given paths");
}

#[test]
fn min_confidence_is_checked() {
    let options = PredictOptions::default();
    assert!(options.clone().with_min_confidence(Some(1.5)).is_err());
    assert!(options.clone().with_min_confidence(Some(-0.1)).is_err());
    let ok = options.with_min_confidence(Some(0.4)).expect("in range");
    assert_eq!(ok.min_confidence, Some(0.4));
}
