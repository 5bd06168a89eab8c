//! Incremental scans: what is analysed again, and what is not.

mod common;

use std::path::PathBuf;

use common::{bump_mtime, fake_tracks, write_files, FakeAnalyser, TestResult};
use subgenre_library::{scan, Library, LibraryError, ScanEvent, ScanOptions, ScanReport};

fn run(lib: &mut Library, root: &PathBuf, a: &FakeAnalyser, prune: bool) -> ScanReport {
    a.reset();
    let options = ScanOptions::default()
        .with_jobs(3)
        .expect("3 jobs")
        .with_prune(prune);
    scan(lib, std::slice::from_ref(root), a, &options, |_| {}).expect("scan")
}

#[test]
fn scans_are_incremental() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("music");
    std::fs::create_dir_all(root.join("sub"))?;
    let files = fake_tracks(&root, 5)?;
    write_files(
        &root,
        &[
            ("sub/deep.flac", "label=peak conf=0.8 bpm=150"),
            ("notes.txt", "x"),
        ],
    )?;
    let mut lib = Library::open(dir.path().join("lib.sqlite"))?;
    let a = FakeAnalyser::new();

    let mut events = Vec::new();
    let options = ScanOptions::default().with_jobs(2)?;
    let r = scan(&mut lib, std::slice::from_ref(&root), &a, &options, |e| {
        events.push(e.clone())
    })?;
    assert_eq!((r.seen, r.analysed, a.calls()), (6, 6, 6));
    assert_eq!(
        events[0],
        ScanEvent::Planned {
            seen: 6,
            to_check: 6
        }
    );
    assert_eq!(events.len(), 7);
    assert_eq!(
        serde_json::to_value(&events[0])?,
        serde_json::json!({"event": "planned", "seen": 6, "to_check": 6})
    );
    let analysed = serde_json::to_value(&events[1])?;
    assert!(
        analysed["event"] == "analysed" && analysed["path"].is_string(),
        "{analysed}"
    );
    let deep = lib
        .tracks()?
        .into_iter()
        .find(|t| t.path().ends_with("sub/deep.flac"));
    let deep = deep.ok_or("deep.flac stored")?;
    assert_eq!(deep.analysis.label, "peak");
    assert_eq!(deep.analysis.tempo_bpm, Some(150.0));
    assert_eq!(deep.analysis.windows.len(), 2);
    assert_eq!(deep.format, "flac");
    assert!(deep.path().is_absolute());
    let (model, classes) = lib.model()?.ok_or("model stored")?;
    assert_eq!((model.name.as_str(), classes.len()), ("fake", 3));

    // Nothing changed: nothing read.
    let r = run(&mut lib, &root, &a, false);
    assert_eq!((r.analysed, r.unchanged, a.calls()), (0, 6, 0));

    // New content in one file: exactly that one again.
    std::fs::write(&files[0], "label=hard conf=0.99 bpm=140 changed")?;
    bump_mtime(&files[0], 10)?;
    let r = run(&mut lib, &root, &a, false);
    assert_eq!((r.analysed, r.unchanged, a.calls()), (1, 5, 1));
    let t0 = subgenre_library::find(&lib, "track00")?;
    assert_eq!(
        (t0.analysis.label.as_str(), t0.analysis.confidence),
        ("hard", 0.99)
    );

    // Touched but same content: re-stamped, not analysed, and not read next time.
    bump_mtime(&files[1], 20)?;
    let r = run(&mut lib, &root, &a, false);
    assert_eq!((r.analysed, r.unchanged, a.calls()), (0, 6, 0));

    // Renamed (into another folder): path updated, not analysed.
    let before = subgenre_library::find(&lib, "track02")?;
    let moved = root.join("sub/renamed.mp3");
    std::fs::rename(&files[2], &moved)?;
    let r = run(&mut lib, &root, &a, false);
    assert_eq!((r.analysed, r.moved, a.calls()), (0, 1, 0));
    let after = subgenre_library::find(&lib, "renamed")?;
    assert_eq!(after.id, before.id);
    // The same analysis, now at the new path.
    assert!(after.path().ends_with("sub/renamed.mp3"));
    let mut kept = before.analysis.clone();
    kept.path = after.path().to_path_buf();
    assert_eq!(after.analysis, kept);
    assert_eq!(after.format, before.format);
    assert!(matches!(
        subgenre_library::find(&lib, "track02"),
        Err(LibraryError::NotFound { .. })
    ));
    assert_eq!(lib.tracks()?.len(), 6);

    // Deleted: kept without prune, removed with it.
    std::fs::remove_file(&files[3])?;
    let r = run(&mut lib, &root, &a, false);
    assert_eq!((r.pruned, lib.tracks()?.len()), (0, 6));
    let r = run(&mut lib, &root, &a, true);
    assert_eq!((r.pruned, r.analysed, lib.tracks()?.len()), (1, 0, 5));

    // Another model: everything again.
    let b = FakeAnalyser::with_model("fake", "2");
    let r = run(&mut lib, &root, &b, false);
    assert_eq!((r.analysed, b.calls()), (5, 5));
    assert!(lib.tracks()?.iter().all(|t| t.model.version == "2"));
    let r = run(&mut lib, &root, &b, false);
    assert_eq!((r.analysed, b.calls()), (0, 0));
    assert_eq!(lib.integrity_check()?, "ok");
    Ok(())
}

#[test]
fn failures_are_stored_and_retried_only_when_changed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("music");
    std::fs::create_dir_all(&root)?;
    fake_tracks(&root, 2)?;
    write_files(&root, &[("bad.mp3", "broken bytes")])?;
    let bad = std::fs::canonicalize(root.join("bad.mp3"))?;
    let mut lib = Library::open(dir.path().join("lib.sqlite"))?;
    let a = FakeAnalyser::new();

    let r = run(&mut lib, &root, &a, false);
    assert_eq!((r.analysed, r.failed.len(), a.calls()), (2, 1, 3));
    assert_eq!(r.failed[0].path, bad);
    assert!(
        r.failed[0].reason.contains("fake decoder refused"),
        "{:?}",
        r.failed
    );
    let errors = lib.failed_files()?;
    assert_eq!(errors.len(), 1);
    assert!(errors[0].reason.contains("fake decoder refused"));

    // Unchanged: not retried, the error stays.
    let r = run(&mut lib, &root, &a, false);
    assert_eq!((r.failed.len(), r.known_failures, a.calls()), (0, 1, 0));
    assert_eq!(lib.failed_files()?.len(), 1);

    // Touched only: still not retried.
    bump_mtime(&bad, 10)?;
    let r = run(&mut lib, &root, &a, false);
    assert_eq!((r.known_failures, a.calls()), (1, 0));

    // Changed and still broken: retried once.
    std::fs::write(&bad, "still broken, differently")?;
    bump_mtime(&bad, 20)?;
    let r = run(&mut lib, &root, &a, false);
    assert_eq!((r.failed.len(), a.calls()), (1, 1));

    // Fixed: analysed, the error is gone.
    std::fs::write(&bad, "label=peak conf=0.7 bpm=145")?;
    bump_mtime(&bad, 30)?;
    let r = run(&mut lib, &root, &a, false);
    assert_eq!((r.analysed, a.calls()), (1, 1));
    assert!(lib.failed_files()?.is_empty());
    assert_eq!(lib.tracks()?.len(), 3);

    // A file that breaks after it was analysed loses its stale analysis.
    std::fs::write(&bad, "broken again")?;
    bump_mtime(&bad, 40)?;
    run(&mut lib, &root, &a, false);
    assert_eq!((lib.tracks()?.len(), lib.failed_files()?.len()), (2, 1));

    // Pruning removes the errors of gone files too.
    std::fs::remove_file(&bad)?;
    run(&mut lib, &root, &a, true);
    assert!(lib.failed_files()?.is_empty());
    Ok(())
}

#[test]
fn options_are_checked_and_roots_must_exist() -> TestResult {
    assert!(matches!(
        ScanOptions::default().with_jobs(0),
        Err(LibraryError::InvalidOption { .. })
    ));
    let dir = tempfile::tempdir()?;
    let mut lib = Library::open(dir.path().join("lib.sqlite"))?;
    let missing = dir.path().join("no such folder");
    let err = scan(
        &mut lib,
        std::slice::from_ref(&missing),
        &FakeAnalyser::new(),
        &ScanOptions::default(),
        |_| {},
    )
    .expect_err("missing root");
    assert!(err.to_string().contains("no such folder"), "{err}");
    Ok(())
}
