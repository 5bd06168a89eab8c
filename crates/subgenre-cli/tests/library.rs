//! `subgenre library` end to end on copies of demo clips with the shipped models: scan,
//! rescan, list, show, similar, export and tag.

use std::path::Path;
use std::process::{Command, Output};

use subgenre_fixtures::repo_root;

fn library(db: &Path, args: &[&str]) -> Output {
    let mut all = vec!["library", "--db", db.to_str().expect("utf-8")];
    all.extend_from_slice(args);
    Command::new(env!("CARGO_BIN_EXE_subgenre"))
        .args(&all)
        .output()
        .expect("run subgenre")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_library_of_demo_clips() {
    let dir = tempfile::tempdir().expect("tmp");
    let music = dir.path().join("music");
    std::fs::create_dir_all(music.join("sub")).expect("mkdir");
    let mut clips: Vec<_> = std::fs::read_dir(repo_root().join("data/demo/clips"))
        .expect("demo clips")
        .flatten()
        .map(|e| e.path())
        .collect();
    clips.sort();
    for (i, clip) in clips.iter().take(4).enumerate() {
        let into = if i % 2 == 0 {
            music.clone()
        } else {
            music.join("sub")
        };
        std::fs::copy(clip, into.join(format!("clip{i}.mp3"))).expect("copy");
    }
    std::fs::write(music.join("broken.mp3"), b"not audio at all").expect("write");
    let db = dir.path().join("library.sqlite");
    let music_s = music.to_str().expect("utf-8");

    let o = library(&db, &["scan", music_s, "--jobs", "2"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("5 files: 4 analysed"), "{out}");
    assert!(out.contains("1 failed"), "{out}");
    assert!(
        text(&o.stderr).contains("broken.mp3"),
        "{}",
        text(&o.stderr)
    );

    let o = library(&db, &["scan", music_s]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("0 analysed"), "{out}");
    assert!(out.contains("1 failed earlier, not retried"), "{out}");

    let o = library(&db, &["list", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let listing: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let tracks = listing["tracks"].as_array().expect("tracks");
    assert_eq!(tracks.len(), 4);
    for t in tracks {
        for key in [
            "path",
            "label",
            "confidence",
            "tempo_bpm",
            "duration_s",
            "shares",
        ] {
            assert!(!t[key].is_null(), "{key} in {t}");
        }
    }
    assert_eq!(listing["errors"].as_array().map(Vec::len), Some(1));

    let png = dir.path().join("timeline.png");
    let o = library(
        &db,
        &["show", "clip0", "--timeline", png.to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("clip0.mp3"));
    assert!(png.metadata().expect("png").len() > 0);

    let m3u = dir.path().join("like.m3u");
    let o = library(
        &db,
        &[
            "similar",
            "clip1",
            "-n",
            "2",
            "--m3u",
            m3u.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let playlist = std::fs::read_to_string(&m3u).expect("m3u");
    assert!(playlist.starts_with("#EXTM3U"));
    assert_eq!(playlist.matches("#EXTINF").count(), 2);
    assert!(!playlist.contains("clip1.mp3"), "not itself: {playlist}");

    let lists = dir.path().join("playlists");
    let o = library(&db, &["export", "--m3u", lists.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let exported: usize = std::fs::read_dir(&lists)
        .expect("playlists")
        .flatten()
        .map(|e| {
            std::fs::read_to_string(e.path())
                .expect("read")
                .matches("#EXTINF")
                .count()
        })
        .sum();
    assert_eq!(exported, 4, "every track in one playlist");

    let before = std::fs::read(music.join("clip0.mp3")).expect("read");
    let o = library(&db, &["tag", "--dry-run"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("4 would set"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(
        std::fs::read(music.join("clip0.mp3")).expect("read"),
        before
    );

    // A moved file keeps its analysis.
    std::fs::rename(music.join("clip0.mp3"), music.join("sub").join("moved.mp3")).expect("mv");
    let o = library(&db, &["scan", music_s, "--prune"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("0 analysed") && out.contains("1 moved"),
        "{out}"
    );
}

#[test]
fn a_file_that_is_not_a_library_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("notes.txt");
    std::fs::write(&db, "my notes, not a database\n").expect("write");
    let o = library(&db, &["list"]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("notes.txt"), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(&db).expect("read"),
        "my notes, not a database\n"
    );
}
