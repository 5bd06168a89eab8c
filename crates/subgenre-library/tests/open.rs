//! Opening: files that are not a library, or are a newer one, are refused and left as they are.

mod common;

use std::path::Path;

use common::TestResult;
use subgenre_library::{default_library_path, Library, LibraryError, SCHEMA_VERSION};

fn folder_listing(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

#[test]
fn non_sqlite_files_are_refused_untouched() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut random = vec![0u8; 4096];
    let mut x: u32 = 12345;
    for b in &mut random {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 16) as u8;
    }
    for (name, bytes) in [
        ("random.sqlite", random),
        ("notes.txt", b"my playlist notes\n".to_vec()),
        ("short.db", b"SQLite".to_vec()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes)?;
        let before = folder_listing(dir.path())?;
        let err = Library::open(&path).expect_err("not a library");
        assert!(matches!(err, LibraryError::NotALibrary { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains(name) && msg.contains("not a SQLite database"),
            "{msg}"
        );
        assert_eq!(std::fs::read(&path)?, bytes, "{name} byte for byte");
        assert_eq!(
            folder_listing(dir.path())?,
            before,
            "no -wal, -shm or lock file"
        );
    }
    Ok(())
}

#[test]
fn other_programs_databases_are_refused_untouched() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("mixxx.sqlite");
    {
        let conn = rusqlite::Connection::open(&path)?;
        conn.execute_batch("CREATE TABLE library (id INTEGER, location TEXT);")?;
    }
    let bytes = std::fs::read(&path)?;
    let err = Library::open(&path).expect_err("foreign");
    assert!(matches!(err, LibraryError::NotALibrary { .. }), "{err}");
    assert_eq!(std::fs::read(&path)?, bytes);
    Ok(())
}

#[test]
fn newer_schemas_are_refused_untouched() -> TestResult {
    let dir = tempfile::tempdir()?;
    // One written by a future build of this library (WAL mode, like ours)...
    let ours = dir.path().join("future.sqlite");
    drop(Library::open(&ours)?);
    {
        let conn = rusqlite::Connection::open(&ours)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)?;
    }
    // ...and a plain rollback-journal one.
    let plain = dir.path().join("plain.sqlite");
    {
        let conn = rusqlite::Connection::open(&plain)?;
        conn.execute_batch("CREATE TABLE tracks (path TEXT); PRAGMA user_version = 99;")?;
    }
    for path in [ours, plain] {
        let bytes = std::fs::read(&path)?;
        let err = Library::open(&path).expect_err("newer");
        match &err {
            LibraryError::NewerSchema { found, known, .. } => {
                assert!(*found > *known && *known == SCHEMA_VERSION)
            }
            other => return Err(format!("expected NewerSchema, got {other}").into()),
        }
        let msg = err.to_string();
        assert!(
            msg.contains(&path.display().to_string()) && msg.contains("newer"),
            "{msg}"
        );
        assert_eq!(std::fs::read(&path)?, bytes, "byte for byte");
    }
    Ok(())
}

#[test]
fn a_fresh_library_is_at_the_current_schema_in_wal_mode() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("new/deeper/lib.sqlite");
    let lib = Library::open(&path)?;
    assert_eq!(lib.path(), path);
    let conn = rusqlite::Connection::open(&path)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    assert_eq!((version, mode.as_str()), (SCHEMA_VERSION, "wal"));
    drop(lib);
    // Reopening an existing library (and an empty file) works.
    Library::open(&path)?;
    let empty = dir.path().join("empty.sqlite");
    std::fs::write(&empty, b"")?;
    Library::open(&empty)?;
    Ok(())
}

#[test]
fn the_default_path_follows_xdg() -> TestResult {
    // The only test touching these variables (tests in one binary share the environment).
    let dir = tempfile::tempdir()?;
    std::env::set_var("XDG_DATA_HOME", dir.path().join("xdg"));
    let p = default_library_path()?;
    assert_eq!(p, dir.path().join("xdg/subgenre/library.sqlite"));
    assert!(p.parent().is_some_and(Path::is_dir));
    std::env::remove_var("XDG_DATA_HOME");
    std::env::set_var("HOME", dir.path().join("home"));
    let p = default_library_path()?;
    assert_eq!(
        p,
        dir.path().join("home/.local/share/subgenre/library.sqlite")
    );
    Ok(())
}
