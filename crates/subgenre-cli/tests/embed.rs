//! `subgenre embed`: musicnn's layers over demo clips, as JSON and as .npy files.

use std::process::Command;

use subgenre_fixtures::{read_npy, repo_root};

#[test]
fn embed_writes_json_and_npy_and_names_a_bad_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let clips = repo_root().join("data/demo/clips");
    let mut names: Vec<_> = std::fs::read_dir(&clips)
        .expect("clips")
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    let bad = dir.path().join("broken.mp3");
    std::fs::write(&bad, b"not audio").expect("write");
    let npy = dir.path().join("npy");
    let o = Command::new(env!("CARGO_BIN_EXE_subgenre"))
        .args([
            "embed",
            "--model",
            "MTT_musicnn",
            "--layer",
            "penultimate",
            "--json",
            "-",
        ])
        .arg("--npy")
        .arg(&npy)
        .arg(&names[0])
        .arg(&bad)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("broken.mp3"), "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json on stdout");
    assert_eq!(doc["model"], "MTT_musicnn");
    assert_eq!(doc["layer"], "penultimate");
    assert_eq!(doc["width"], 200);
    assert_eq!(doc["tags"].as_array().map(Vec::len), Some(50));
    let file = &doc["files"][0];
    assert_eq!(file["rows"], 2, "an 8 s clip is two 3 s patches");
    assert_eq!(file["mean"].as_array().map(Vec::len), Some(200));
    assert_eq!(doc["errors"][0]["path"], bad.display().to_string());

    let stem = names[0].file_stem().expect("stem").to_string_lossy();
    let (shape, rows) = read_npy(npy.join(format!("{stem}.npy"))).expect("rows npy");
    assert_eq!(shape, vec![2, 200]);
    let (_, mean) = read_npy(npy.join(format!("{stem}.mean.npy"))).expect("mean npy");
    for (j, m) in mean.iter().enumerate() {
        let want = (rows[j] + rows[200 + j]) / 2.0;
        assert!((m - want).abs() < 1e-5, "mean {j}: {m} vs {want}");
        let json = file["mean"][j].as_f64().expect("number") as f32;
        assert_eq!(json, *m);
    }

    let o = Command::new(env!("CARGO_BIN_EXE_subgenre"))
        .args(["embed", "--layer", "nope"])
        .arg(&names[0])
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("max_pool"));
}
