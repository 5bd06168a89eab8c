//! Opening the library database: checks that leave foreign or newer files untouched, the
//! connection settings, the schema migrations and the lock that keeps writers apart.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::error::{LibraryError, Result};

/// How long a write waits for another process's transaction before giving up with
/// [`LibraryError::Busy`]. Each track is one short transaction, so a longer wait only
/// happens while another process holds the database for real.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// The schema each migration leaves; `MIGRATIONS[i]` takes version `i` to `i + 1`, so a v2
/// is one more entry (and [`SCHEMA_VERSION`] follows).
const MIGRATIONS: &[&str] = &[
    // v1. Per-track probabilities and windows are JSON text: they are always read and written
    // with the whole track and never queried one by one, so a child table would add rows and
    // joins without serving any query. Embeddings are little-endian f32 BLOBs.
    "CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE tracks (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        duration_s REAL NOT NULL,
        format TEXT NOT NULL,
        model_name TEXT NOT NULL,
        model_version TEXT NOT NULL,
        classes TEXT NOT NULL,
        label TEXT NOT NULL,
        confidence REAL NOT NULL,
        mean_probs TEXT NOT NULL,
        shares TEXT NOT NULL,
        tempo_bpm REAL,
        short INTEGER NOT NULL,
        windows TEXT NOT NULL,
        embedding BLOB NOT NULL,
        analysed_at INTEGER NOT NULL
    );
    CREATE INDEX tracks_content_hash ON tracks (content_hash);
    CREATE INDEX tracks_label ON tracks (label);
    CREATE TABLE errors (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        model_name TEXT NOT NULL,
        model_version TEXT NOT NULL,
        reason TEXT NOT NULL,
        failed_at INTEGER NOT NULL
    );",
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// An open library database.
#[derive(Debug)]
pub struct Library {
    pub(crate) conn: Connection,
    path: PathBuf,
}

/// Held while a process writes many rows (a scan, tagging): a second such writer is told the
/// library is busy at once instead of duplicating the work. The OS drops the lock with the
/// process, so a killed scan never leaves a stale one.
#[derive(Debug)]
pub(crate) struct WriterLock {
    _file: File,
}

impl Library {
    /// Open (or create) the library at `path`.
    ///
    /// A file that is not SQLite, or whose schema is newer than [`SCHEMA_VERSION`], gives
    /// [`LibraryError::NotALibrary`] / [`LibraryError::NewerSchema`] and is not written to:
    /// both checks run before the database is opened for writing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        check_existing(&path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| LibraryError::io(dir, e))?;
        }
        let conn = Connection::open(&path).map_err(|e| LibraryError::sqlite(&path, e))?;
        let library = Self { conn, path };
        library.configure()?;
        library.migrate()?;
        Ok(library)
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `PRAGMA integrity_check`: `ok`, or SQLite's list of problems.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> LibraryError {
        LibraryError::sqlite(&self.path, e)
    }

    pub(crate) fn writer_lock(&self) -> Result<WriterLock> {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        let lock_path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| LibraryError::io(&lock_path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(WriterLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(LibraryError::Busy {
                path: self.path.clone(),
            }),
            Err(TryLockError::Error(e)) => Err(LibraryError::io(&lock_path, e)),
        }
    }

    /// Run `f` in one `BEGIN IMMEDIATE` transaction (the write lock is taken up front, so a
    /// busy database fails here rather than half-way), committed when `f` succeeds.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| LibraryError::sqlite(&path, e))?;
        let value = f(&tx).map_err(|e| LibraryError::sqlite(&path, e))?;
        tx.commit().map_err(|e| LibraryError::sqlite(&path, e))?;
        Ok(value)
    }

    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    fn configure(&self) -> Result<()> {
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| self.err(e))?;
        // WAL lets readers go on during a scan; with synchronous=NORMAL a killed process
        // loses nothing that was committed (only a power cut may lose the last commits).
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %self.path.display(), mode, "WAL journal mode not available");
        }
        self.conn
            .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(|e| self.err(e))
    }

    fn migrate(&self) -> Result<()> {
        let current = self.user_version()?;
        if current >= SCHEMA_VERSION {
            return self.check_version(current);
        }
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        // Read again under the lock: another process may have migrated meanwhile.
        let current = self.user_version()?;
        self.check_version(current)?;
        for (from, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
            tx.execute_batch(sql).map_err(|e| self.err(e))?;
            tracing::debug!(path = %self.path.display(), to = from + 1, "library schema migrated");
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    fn user_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    fn check_version(&self, found: i64) -> Result<()> {
        if found > SCHEMA_VERSION {
            return Err(LibraryError::NewerSchema {
                path: self.path.clone(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        Ok(())
    }
}

/// An existing file must carry SQLite's header and, opened read-only, a schema this build
/// knows: checked before anything could write to it. An empty file is an empty database.
fn check_existing(path: &Path) -> Result<()> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(LibraryError::io(path, e)),
    };
    let mut header = Vec::with_capacity(SQLITE_HEADER.len());
    (&mut file)
        .take(SQLITE_HEADER.len() as u64)
        .read_to_end(&mut header)
        .map_err(|e| LibraryError::io(path, e))?;
    if header.is_empty() {
        return Ok(());
    }
    if header.as_slice() != SQLITE_HEADER {
        return Err(LibraryError::NotALibrary {
            path: path.to_path_buf(),
        });
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| LibraryError::sqlite(path, e))?;
    let err = |e| LibraryError::sqlite(path, e);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if found > SCHEMA_VERSION {
        return Err(LibraryError::NewerSchema {
            path: path.to_path_buf(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    // Version 0 with tables in it is some other program's database, not a fresh one.
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(err)?;
    if found == 0 && tables > 0 {
        return Err(LibraryError::NotALibrary {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// The default library: `$XDG_DATA_HOME/subgenre/library.sqlite`, else
/// `~/.local/share/subgenre/library.sqlite`; the folder is created.
pub fn default_library_path() -> Result<PathBuf> {
    let non_empty = |key| std::env::var_os(key).filter(|v| !v.is_empty());
    let data = match non_empty("XDG_DATA_HOME") {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(non_empty("HOME").ok_or(LibraryError::NoDataFolder)?).join(".local/share")
        }
    };
    let dir = data.join("subgenre");
    std::fs::create_dir_all(&dir).map_err(|e| LibraryError::io(&dir, e))?;
    Ok(dir.join("library.sqlite"))
}
