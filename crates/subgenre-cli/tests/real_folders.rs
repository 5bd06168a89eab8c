//! Folders as real collections have them: a symlink loop, a link to a file already there, a
//! named pipe called `x.mp3`, a folder called `album.mp3` and an unreadable file. `predict DIR`
//! and `library scan` must finish (each run has a time limit, so a hang fails instead of
//! stalling CI), analyse each real file once and say what they skipped; a second scan adds
//! nothing.
#![cfg(unix)]

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use subgenre_fixtures::repo_root;

/// Run `subgenre args…`, killed after `limit` (then the test fails, naming the command).
fn run_within(limit: Duration, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_subgenre"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run subgenre");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "subgenre {args:?} still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Two demo clips, then every awkward thing beside them. Returns the folder and whether the
/// unreadable file really is unreadable (not for root).
fn awkward_folder(root: &Path) -> (PathBuf, bool) {
    let music = root.join("music");
    std::fs::create_dir_all(music.join("sub/album.mp3")).expect("mkdir");
    let mut clips: Vec<_> = std::fs::read_dir(repo_root().join("data/demo/clips"))
        .expect("demo clips")
        .flatten()
        .map(|e| e.path())
        .collect();
    clips.sort();
    std::fs::copy(&clips[0], music.join("a.mp3")).expect("copy");
    std::fs::copy(&clips[1], music.join("sub/album.mp3/b.mp3")).expect("copy");
    symlink("..", music.join("sub/loop")).expect("loop");
    symlink(music.join("a.mp3"), music.join("sub/same.mp3")).expect("link");
    let fifo = music.join("x.mp3");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let locked = music.join("locked.mp3");
    std::fs::copy(&clips[2], &locked).expect("copy");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let unreadable = std::fs::File::open(&locked).is_err();
    if !unreadable {
        eprintln!("running as root: locked.mp3 stays readable, so it is analysed");
    }
    (music, unreadable)
}

#[test]
fn predict_and_library_scan_finish_on_awkward_folders() {
    let dir = tempfile::tempdir().expect("tmp");
    let (music, unreadable) = awkward_folder(dir.path());
    let music_s = music.to_str().expect("utf-8");
    let limit = Duration::from_secs(120);
    let readable = if unreadable { 2 } else { 3 };

    let json = dir.path().join("p.json");
    let o = run_within(
        limit,
        &["predict", music_s, "--json", json.to_str().expect("utf-8")],
    );
    let err = text(&o.stderr);
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("json");
    let tracks = doc["tracks"].as_array().expect("tracks");
    assert_eq!(tracks.len(), readable, "{err}");
    for skipped in [
        "x.mp3: skipped",
        "sub/loop: skipped",
        "sub/same.mp3: skipped",
    ] {
        assert!(err.contains(skipped), "{skipped} in:\n{err}");
    }
    assert!(
        err.contains("named pipe"),
        "the pipe is said to be one:\n{err}"
    );
    if unreadable {
        assert!(err.contains("locked.mp3"), "{err}");
        for line in err.lines().filter(|l| l.contains("locked.mp3")) {
            assert_eq!(line.matches("locked.mp3").count(), 1, "named once: {line}");
        }
    }

    let db = dir.path().join("lib.sqlite");
    let db_s = db.to_str().expect("utf-8");
    let o = run_within(limit, &["library", "--db", db_s, "scan", music_s]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(
        out.contains(&format!(
            "{} files: {readable} analysed",
            readable + usize::from(unreadable)
        )),
        "{out}\n{err}"
    );
    assert!(out.contains("3 skipped"), "{out}");
    assert!(err.contains("x.mp3: skipped"), "{err}");

    let o = run_within(limit, &["library", "--db", db_s, "scan", music_s]);
    let out = text(&o.stdout);
    assert!(
        out.contains(" 0 analysed"),
        "a second scan adds nothing: {out}"
    );
    let o = run_within(limit, &["library", "--db", db_s, "list", "--json"]);
    let listing: serde_json::Value = serde_json::from_slice(&o.stdout).expect("list json");
    assert_eq!(
        listing["tracks"].as_array().map(Vec::len),
        Some(readable),
        "each real file once"
    );
}

#[test]
fn a_named_pipe_given_by_name_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let fifo = dir.path().join("live.mp3");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let o = run_within(
        Duration::from_secs(60),
        &["predict", fifo.to_str().expect("utf-8")],
    );
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("live.mp3") && err.contains("named pipe"),
        "{err}"
    );
    let o = run_within(
        Duration::from_secs(60),
        &["info", fifo.to_str().expect("utf-8")],
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stdout).contains("named pipe"),
        "{}",
        text(&o.stdout)
    );
}
