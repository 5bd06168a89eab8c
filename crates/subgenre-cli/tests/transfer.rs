//! `subgenre transfer`: the GTZAN colour originals read as the study's grey copies, and small
//! end-to-end runs on class folders of audio (made from the demo clips) and of images.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use subgenre_extract::image::imread_gray;
use subgenre_fixtures::repo_root;

fn subgenre(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_subgenre"))
        .args(args)
        .arg("--cache")
        .arg(cache)
        .output()
        .expect("run subgenre")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `../shared/data/gtzan` next to the repository, if present.
fn gtzan_dir() -> Option<PathBuf> {
    let dir = repo_root().join("../shared/data/gtzan");
    dir.is_dir().then_some(dir)
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("json")
}

/// A tiny base model: `subgenre train` on the demo set (compact, 32x32, 4 channels, 2 epochs).
fn train_base(dir: &Path, cache: &Path) -> PathBuf {
    let out = dir.join("base");
    let o = subgenre(
        &[
            "train",
            "--size",
            "32",
            "--channels",
            "4",
            "--epochs",
            "2",
            "--seeds",
            "42",
            "--jobs",
            "1",
            "--out",
            utf8(&out),
        ],
        cache,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let model = out.join("runs/compact_normal32_seed42/model.sgcnn");
    assert!(model.is_file());
    model
}

#[test]
fn gtzan_colour_originals_read_as_the_grey_copies() {
    let Some(gtzan) = gtzan_dir() else {
        eprintln!("skipped: ../shared/data/gtzan not found");
        return;
    };
    let mut originals: Vec<PathBuf> = std::fs::read_dir(gtzan.join("original_rgba"))
        .expect("original_rgba")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    originals.sort();
    assert_eq!(originals.len(), 10, "one original per genre");
    for original in &originals {
        let name = original.file_name().and_then(|n| n.to_str()).expect("name");
        let genre = name.trim_end_matches("00000.png");
        let grey_path = gtzan.join("images").join(genre).join(name);
        let colour = imread_gray(original).expect("read original");
        let grey = imread_gray(&grey_path).expect("read grey copy");
        assert_eq!(
            (colour.width, colour.height),
            (grey.width, grey.height),
            "{name}"
        );
        let differing = colour
            .data
            .iter()
            .zip(&grey.data)
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(
            differing, 0,
            "{name}: {differing} pixels differ from the grey copy"
        );
        // The grey copy is also what the reader gives for it.
        assert_eq!(
            imread_gray(&grey_path).expect("read").data,
            grey.data,
            "{name}"
        );
    }
}

/// Class folders of audio made from the demo clips: per class, four 16 s files (two clips
/// joined: three 8 s windows each) and one 8 s file.
fn audio_set(dir: &Path) -> Vec<(String, PathBuf)> {
    let demo = repo_root().join("data/demo");
    let mut reader = csv::Reader::from_path(demo.join("labels_final.csv")).expect("labels");
    let headers = reader.headers().expect("headers").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let mut files = Vec::new();
    for (class, folder) in [
        ("tekno", "my-tekno"),
        ("warzone", "my-warzone"),
        ("industrial", "my-industrial"),
    ] {
        let col = headers
            .iter()
            .position(|h| h == class)
            .expect("class column");
        let mut ids: Vec<&str> = rows
            .iter()
            .filter(|r| &r[col] == "1")
            .map(|r| &r[0])
            .collect();
        ids.sort_unstable();
        assert!(ids.len() >= 5, "{class}: {} demo clips", ids.len());
        let clips: Vec<Vec<f32>> = ids
            .iter()
            .take(5)
            .map(|id| {
                let path = demo.join("clips").join(format!("{id}.mp3"));
                subgenre_audio::load(&path, &subgenre_audio::LoadOptions::default())
                    .expect("decode demo clip")
                    .samples
            })
            .collect();
        let out = dir.join(folder);
        std::fs::create_dir_all(&out).expect("mkdir");
        for k in 0..5 {
            let samples = if k < 4 {
                [clips[k].as_slice(), &clips[k + 1]].concat()
            } else {
                clips[k].clone()
            };
            let path = out.join(format!("track{k}.wav"));
            subgenre_audio::write_clip(&path, &samples, 22050, subgenre_audio::ClipFormat::Wav)
                .expect("write wav");
            files.push((folder.to_string(), path));
        }
    }
    files
}

#[test]
fn transfer_on_audio_folders_trains_and_predicts() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = tmp.path().join("cache");
    let base = train_base(tmp.path(), &cache);
    let audio = tmp.path().join("crates");
    let files = audio_set(&audio);
    let out = tmp.path().join("transfer");
    let transfer = [
        "transfer",
        "--base",
        utf8(&base),
        "--audio",
        utf8(&audio),
        "--epochs",
        "2",
        "--seeds",
        "42",
        "--jobs",
        "1",
        "--out",
        utf8(&out),
    ];
    let o = subgenre(&transfer, &cache);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("15 files, 3 classes"), "{text}");
    assert!(text.contains("epoch  2/2"), "per-epoch lines: {text}");
    assert!(text.contains("weighted F1 mean"), "{text}");
    let run_dir = out.join("runs/transfer_compact_seed42");
    for file in [
        "model.sgcnn",
        "result.json",
        "split.json",
        "curves.png",
        "confusion.png",
    ] {
        assert!(run_dir.join(file).is_file(), "{file} missing");
    }
    assert!(out.join("confusion_transfer.png").is_file());
    // No file has windows on two sides of the split.
    let split = read_json(&run_dir.join("split.json"));
    let file_of = |id: &serde_json::Value| {
        id.as_str()
            .expect("id")
            .split('#')
            .next()
            .map(str::to_owned)
    };
    let part_files = |part: &str| -> std::collections::BTreeSet<String> {
        split[part]
            .as_array()
            .expect("part")
            .iter()
            .filter_map(file_of)
            .collect()
    };
    let (train, val, test) = (part_files("train"), part_files("val"), part_files("test"));
    assert!(!train.is_empty() && !val.is_empty() && !test.is_empty());
    assert!(train.is_disjoint(&val) && train.is_disjoint(&test) && val.is_disjoint(&test));
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["runs"][0]["model"], "transfer:compact");
    assert_eq!(
        report["classes"],
        serde_json::json!(["my-industrial", "my-tekno", "my-warzone"])
    );

    // The fine-tuned model classifies audio with `subgenre predict`, in the new classes.
    let model = run_dir.join("model.sgcnn");
    let (class, file) = &files[0];
    let o = subgenre(
        &[
            "predict",
            "--model",
            utf8(&model),
            "--no-tempo",
            "--json",
            "-",
            "--jobs",
            "1",
            utf8(file),
        ],
        &cache,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("predict json");
    let label = doc["tracks"][0]["label"].as_str().expect("label");
    assert!(
        ["my-industrial", "my-tekno", "my-warzone"].contains(&label),
        "{label} ({class})"
    );
    assert_eq!(
        doc["tracks"][0]["windows"].as_array().map(Vec::len),
        Some(3)
    );

    // From scratch on the same split, into the same folder: the report then has both.
    let mut scratch = transfer.to_vec();
    scratch.push("--scratch");
    let o = subgenre(&scratch, &cache);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("transfer - scratch"), "{}", stdout(&o));
    assert!(out
        .join("runs/scratch_compact_seed42/model.sgcnn")
        .is_file());
    let scratch_split = read_json(&out.join("runs/scratch_compact_seed42/split.json"));
    assert_eq!(scratch_split, split, "scratch trains on the same split");
    let report = read_json(&out.join("report.json"));
    let models: Vec<&str> = report["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|r| r["model"].as_str())
        .collect();
    assert_eq!(models, ["transfer:compact", "scratch:compact"]);

    // A rerun skips the finished run.
    let o = subgenre(&transfer, &cache);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("finished earlier"), "{}", stdout(&o));
}

#[test]
fn transfer_on_image_folders() {
    let Some(gtzan) = gtzan_dir() else {
        eprintln!("skipped: ../shared/data/gtzan not found");
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = tmp.path().join("cache");
    let base = train_base(tmp.path(), &cache);
    let images = tmp.path().join("images");
    for genre in ["blues", "classical", "metal"] {
        let mut pngs: Vec<PathBuf> = std::fs::read_dir(gtzan.join("images").join(genre))
            .expect("genre folder")
            .flatten()
            .map(|e| e.path())
            .collect();
        pngs.sort();
        std::fs::create_dir_all(images.join(genre)).expect("mkdir");
        for png in pngs.iter().skip(1).take(5) {
            std::fs::copy(png, images.join(genre).join(png.file_name().expect("name")))
                .expect("copy");
        }
        // The colour original stands in for its grey copy.
        let original = format!("{genre}00000.png");
        std::fs::copy(
            gtzan.join("original_rgba").join(&original),
            images.join(genre).join(original),
        )
        .expect("copy");
    }
    let out = tmp.path().join("out");
    let o = subgenre(
        &[
            "transfer",
            "--base",
            utf8(&base),
            "--images",
            utf8(&images),
            "--epochs",
            "1",
            "--seeds",
            "42,43",
            "--jobs",
            "1",
            "--out",
            utf8(&out),
        ],
        &cache,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("18 images from 18 files, 3 classes"),
        "{text}"
    );
    // The study's split: 70/15/15 of 18 images, stratified: 12 / 3 / 3, the same for both seeds.
    assert!(
        text.contains("train 12 / validation 3 / test 3 images"),
        "{text}"
    );
    let split =
        |seed: u32| read_json(&out.join(format!("runs/transfer_compact_seed{seed}/split.json")));
    assert_eq!(split(42)["test"], split(43)["test"]);
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["runs"].as_array().map(Vec::len), Some(2));
    assert_eq!(report["runs"][0]["model"], "transfer:compact");
    assert_eq!(report["runs"][0]["variant"], "image");
    assert_eq!(report["summary"][0]["model"], "transfer:compact");
    // An image model is scored on an image folder with `evaluate`.
    let model = out.join("runs/transfer_compact_seed42/model.sgcnn");
    let o = subgenre(
        &[
            "evaluate",
            "--model",
            utf8(&model),
            "--images",
            utf8(&images),
            "--jobs",
            "1",
        ],
        &cache,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("weighted avg"), "{}", stdout(&o));
    // Bad combinations are refused clearly.
    let o = subgenre(
        &[
            "transfer",
            "--base",
            utf8(&base),
            "--images",
            utf8(&images),
            "--scratch",
            "--freeze",
            "1",
            "--out",
            utf8(&out),
        ],
        &cache,
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--freeze"), "{}", stderr(&o));
}
