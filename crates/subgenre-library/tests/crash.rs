//! A scan killed part-way, and scans racing each other, never corrupt the library.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{fake_tracks, FakeAnalyser, TestResult};
use subgenre_library::{scan, Library, LibraryError, ScanOptions};

const CHILD_ENV: &str = "SUBGENRE_LIBRARY_KILL_CHILD";
const N: usize = 24;

/// Run as a child process by `killed_scan_keeps_finished_tracks` (does nothing otherwise):
/// a slow scan that the parent kills part-way.
#[test]
fn child_slow_scan() -> TestResult {
    let Some(spec) = std::env::var_os(CHILD_ENV) else {
        return Ok(());
    };
    let spec = PathBuf::from(spec);
    let db = spec.join("lib.sqlite");
    let root = spec.join("music");
    let mut lib = Library::open(&db)?;
    let a = FakeAnalyser::new().slow(Duration::from_millis(250));
    scan(
        &mut lib,
        &[root],
        &a,
        &ScanOptions::default().with_jobs(2)?,
        |_| {},
    )?;
    Ok(())
}

fn tracks_committed(db: &Path) -> usize {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row("SELECT count(*) FROM tracks", [], |r| r.get::<_, i64>(0))
        .map(|n| n as usize)
        .unwrap_or(0)
}

#[test]
fn killed_scan_keeps_finished_tracks() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("music");
    std::fs::create_dir_all(&root)?;
    fake_tracks(&root, N)?;
    let db = dir.path().join("lib.sqlite");
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--exact", "child_slow_scan", "--test-threads", "1"])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::null())
        .spawn()?;
    let start = Instant::now();
    while tracks_committed(&db) < 5 {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            return Err("the child scan committed nothing in 60 s".into());
        }
        if child.try_wait()?.is_some() {
            return Err("the child scan ended before it was killed".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill()?; // SIGKILL on Unix
    let status = child.wait()?;
    assert!(!status.success(), "killed, not finished: {status}");
    let kept = tracks_committed(&db);
    assert!((5..N).contains(&kept), "{kept} of {N} committed");

    let mut lib = Library::open(&db)?;
    assert_eq!(lib.integrity_check()?, "ok");
    let a = FakeAnalyser::new();
    let r = scan(&mut lib, &[root], &a, &ScanOptions::default(), |_| {})?;
    assert_eq!(
        (r.analysed, a.calls(), r.unchanged),
        (N - kept, N - kept, kept)
    );
    let tracks = lib.tracks()?;
    assert_eq!(tracks.len(), N);
    let mut paths: Vec<_> = tracks.iter().map(|t| t.path().to_path_buf()).collect();
    paths.dedup();
    assert_eq!(paths.len(), N, "every track once");
    assert_eq!(lib.integrity_check()?, "ok");
    Ok(())
}

#[test]
fn concurrent_scans_finish_or_report_busy() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("music");
    std::fs::create_dir_all(&root)?;
    fake_tracks(&root, 12)?;
    let db = dir.path().join("lib.sqlite");
    Library::open(&db)?;
    let results: Vec<Result<usize, LibraryError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| -> Result<usize, LibraryError> {
                    let mut lib = Library::open(&db)?;
                    let a = FakeAnalyser::new().slow(Duration::from_millis(20));
                    let r = scan(
                        &mut lib,
                        std::slice::from_ref(&root),
                        &a,
                        &ScanOptions::default(),
                        |_| {},
                    )?;
                    Ok(r.analysed)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(LibraryError::NoDataFolder)))
            .collect()
    });
    let mut finished = 0;
    for r in &results {
        match r {
            Ok(_) => finished += 1,
            Err(LibraryError::Busy { path }) => {
                assert_eq!(path, &db);
                let msg = r.as_ref().expect_err("busy").to_string();
                assert!(msg.contains("is busy (another scan is running)"), "{msg}");
            }
            Err(e) => return Err(format!("unexpected error: {e}").into()),
        }
    }
    assert!(finished >= 1, "{results:?}");
    let lib = Library::open(&db)?;
    assert_eq!(lib.integrity_check()?, "ok");
    assert_eq!(lib.tracks()?.len(), 12);
    Ok(())
}

#[test]
fn a_held_write_lock_gives_the_busy_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("music");
    std::fs::create_dir_all(&root)?;
    fake_tracks(&root, 2)?;
    let db = dir.path().join("lib.sqlite");
    let mut lib = Library::open(&db)?;
    // Another program (not a scan) holds SQLite's write lock longer than the busy timeout.
    let other = rusqlite::Connection::open(&db)?;
    other.execute_batch("BEGIN IMMEDIATE")?;
    let started = Instant::now();
    let err = scan(
        &mut lib,
        std::slice::from_ref(&root),
        &FakeAnalyser::new(),
        &ScanOptions::default(),
        |_| {},
    )
    .expect_err("busy");
    assert!(matches!(err, LibraryError::Busy { .. }), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(1500));
    other.execute_batch("ROLLBACK")?;
    let r = scan(
        &mut lib,
        &[root],
        &FakeAnalyser::new(),
        &ScanOptions::default(),
        |_| {},
    )?;
    assert_eq!(r.analysed, 2);
    Ok(())
}
