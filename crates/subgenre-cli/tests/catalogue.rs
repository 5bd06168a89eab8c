//! `subgenre predict --shard/--jsonl/--resume`: array jobs over a folder of demo clips.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use subgenre_fixtures::repo_root;

fn predict(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_subgenre"))
        .arg("predict")
        .args(args)
        .output()
        .expect("run subgenre")
}

/// A folder of `n` demo clips in two subfolders, and one broken file.
fn folder(dir: &Path, n: usize) -> PathBuf {
    let music = dir.join("music");
    for sub in ["a", "b/c"] {
        std::fs::create_dir_all(music.join(sub)).expect("mkdir");
    }
    let mut clips: Vec<_> = std::fs::read_dir(repo_root().join("data/demo/clips"))
        .expect("demo clips")
        .flatten()
        .map(|e| e.path())
        .collect();
    clips.sort();
    for (i, clip) in clips.iter().take(n).enumerate() {
        let sub = if i % 2 == 0 { "a" } else { "b/c" };
        std::fs::copy(clip, music.join(sub).join(format!("t{i}.mp3"))).expect("copy");
    }
    std::fs::write(music.join("a").join("broken.mp3"), b"").expect("write");
    music
}

/// path -> how many lines name it.
fn lines_per_path(jsonl: &Path) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for line in std::fs::read_to_string(jsonl).unwrap_or_default().lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        *seen
            .entry(v["path"].as_str().expect("path").to_string())
            .or_insert(0) += 1;
    }
    seen
}

#[test]
fn shards_are_disjoint_and_cover_the_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    let music = folder(dir.path(), 9);
    let music_s = music.to_str().expect("utf-8");
    let mut all = BTreeMap::new();
    for i in 0..3 {
        let jsonl = dir.path().join(format!("part{i}.jsonl"));
        let shard = format!("{i}/3");
        let o = predict(&[
            music_s,
            "--shard",
            &shard,
            "--no-tempo",
            "--jsonl",
            jsonl.to_str().expect("utf-8"),
        ]);
        // A shard may hold only the broken file (exit 1) or nothing at all (exit 2).
        assert!(
            o.status.code().is_some(),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        for (path, n) in lines_per_path(&jsonl) {
            assert_eq!(n, 1);
            assert!(
                all.insert(path.clone(), i).is_none(),
                "{path} in two shards"
            );
        }
    }
    assert_eq!(all.len(), 10, "every file once: {all:?}");
    let o = predict(&[music_s, "--shard", "3/3"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("shard"));
}

#[test]
fn a_killed_run_resumed_ends_with_each_track_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let music = folder(dir.path(), 12);
    let jsonl = dir.path().join("out.jsonl");
    let args = [
        music.to_str().expect("utf-8"),
        "--jobs",
        "1",
        "--jsonl",
        jsonl.to_str().expect("utf-8"),
        "--resume",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_subgenre"))
        .arg("predict")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Kill it (SIGKILL) once a few lines are there, then leave half a line as a kill would.
    let started = std::time::Instant::now();
    while lines_per_path(&jsonl).len() < 3 && started.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    let before = lines_per_path(&jsonl).len();
    assert!((3..13).contains(&before), "{before} lines before the kill");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&jsonl)
        .expect("open");
    std::io::Write::write_all(&mut f, b"{\"path\": \"half").expect("write");
    drop(f);

    let o = predict(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("half-written"), "{stderr}");
    let seen = lines_per_path(&jsonl);
    assert_eq!(seen.len(), 13, "{seen:?}");
    assert!(seen.values().all(|&n| n == 1), "{seen:?}");
    // Nothing left: a third run repeats nothing.
    let o = predict(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(lines_per_path(&jsonl), seen);
    // The broken file is retried only when asked.
    let mut retry = args.to_vec();
    retry.push("--retry-errors");
    let _ = predict(&retry);
    let again = lines_per_path(&jsonl);
    assert_eq!(again.values().filter(|&&n| n == 2).count(), 1, "{again:?}");
}
