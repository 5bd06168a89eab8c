//! End-to-end runs of the `subgenre` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use subgenre_fixtures::{hardtechno_dir, repo_root};

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

fn demo_clip(id: &str) -> PathBuf {
    repo_root()
        .join("data/demo/clips")
        .join(format!("{id}.mp3"))
}

#[test]
fn version_names_the_commit() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = subgenre(&["--version"], dir.path());
    assert!(o.status.success());
    let v = stdout(&o);
    assert!(v.starts_with("subgenre 0."), "{v}");
    assert!(v.contains('('), "version should name the commit: {v}");
}

#[test]
fn dataset_stats_on_the_embedded_demo() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = subgenre(&["dataset", "stats", "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["clips"], 30);
    assert_eq!(v["selected_clips"], 30);
    assert_eq!(v["selected_tracks"], 30);
    assert_eq!(v["per_class"]["tekno"], 6);
    // The demo was unpacked into the cache, not next to the repo.
    assert!(dir.path().join("demo").is_dir());
    let o = subgenre(
        &["dataset", "stats", "--classes", "tekno,bouncy", "--json"],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["selected_clips"], 12);
    let o = subgenre(&["dataset", "stats", "--classes", "dubstep"], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("dubstep"), "{}", stderr(&o));
}

#[test]
fn dataset_stats_on_the_full_set() {
    let Some(data) = hardtechno_dir() else {
        eprintln!("skipped: ../shared/data/hardtechno not found (full-data test)");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let data = data.to_string_lossy().into_owned();
    let o = subgenre(&["dataset", "stats", "--data", &data, "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["rows"], 1787);
    assert_eq!(v["tracks_in_csv"], 282);
    assert_eq!(v["clips"], 1772);
    assert_eq!(v["tracks_with_clips"], 275);
    assert_eq!(v["rows_without_clip"], 15);
    assert_eq!(v["selected_clips"], 1305);
    assert_eq!(v["selected_tracks"], 225);
    for (class, n) in [
        ("psytech", 270),
        ("warzone", 266),
        ("bouncy", 261),
        ("non-techno-drop", 260),
        ("industrial", 259),
        ("tekno", 259),
        ("oldschool-hardstyle", 197),
    ] {
        assert_eq!(v["per_class"][class], n, "{class}");
    }
    assert_eq!(
        v["duplicates"],
        serde_json::json!([["7sBNVkE0cEG4zpsfYEWdco_1766", "7sBNVkE0cEG4zpsfYEWdco_1767"]])
    );
}

#[test]
fn info_reports_good_and_bad_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("broken.mp3");
    std::fs::write(&bad, b"not audio at all").expect("write");
    let clip = demo_clip("015gfAONcKFzUzW5OGEaaV_0754");
    let o = subgenre(
        &[
            "info",
            "--json",
            &clip.to_string_lossy(),
            &bad.to_string_lossy(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "one file loaded, so exit 0");
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines[0]["codec"], "mp3");
    assert_eq!(lines[0]["sample_rate"], 48000);
    assert_eq!(lines[0]["channels"], 1);
    assert_eq!(lines[0]["samples_22050"], 176400);
    assert!((lines[0]["duration_s"].as_f64().expect("f64") - 8.0).abs() < 1e-9);
    assert!(lines[1]["error"]
        .as_str()
        .expect("error")
        .contains("broken.mp3"));
    let o = subgenre(&["info", &bad.to_string_lossy()], dir.path());
    assert_eq!(o.status.code(), Some(1), "no file loaded");
}

/// Full tracks are not shipped: build one by joining three demo clips, cut it, compare.
#[test]
fn clip_cuts_labelled_clips_from_full_tracks() {
    let dir = tempfile::tempdir().expect("tmp");
    let tracks = dir.path().join("tracks");
    std::fs::create_dir_all(&tracks).expect("mkdir");
    let ids = [
        "015gfAONcKFzUzW5OGEaaV_0754",
        "01WKKJ2dsCTfWynshuaVTa_0704",
        "02PUFFmPi2nTyn7jnkl219_1500",
    ];
    let parts: Vec<Vec<f32>> = ids
        .iter()
        .map(|id| {
            subgenre_audio::decode(demo_clip(id))
                .expect("decode")
                .samples
        })
        .collect();
    assert!(parts.iter().all(|p| p.len() == 8 * 48000));
    let joined: Vec<f32> = parts.concat();
    subgenre_audio::write_clip(
        &tracks.join("TRACK.wav"),
        &joined,
        48000,
        subgenre_audio::ClipFormat::Wav,
    )
    .expect("write track");
    let labels = dir.path().join("labels.csv");
    std::fs::write(
        &labels,
        "sample_id,spot_id,spotify_link,clip_start,bouncy,tekno,warzone,industrial,non-techno-drop\n\
         TRACK_1,TRACK,,0:00,1,0,0,0,0\n\
         TRACK_2,TRACK,,0:08,0,1,0,0,0\n\
         TRACK_3,TRACK,,0:16,0,0,1,0,0\n\
         TRACK_4,TRACK,,0:30,0,0,1,0,0\n\
         TRACK_5,TRACK,,0:20,0,0,1,0,0\n\
         GONE_1,GONE,,0:10,1,0,0,0,0\n",
    )
    .expect("labels");
    let out = dir.path().join("clips");
    let args = [
        "clip",
        "--tracks",
        &tracks.to_string_lossy(),
        "--labels",
        &labels.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ];
    let o = subgenre(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("3 clips written"), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("3 clips failed"), "{err}");
    assert!(err.contains("past the end"), "{err}");
    assert!(err.contains("ends at 24.0 s"), "{err}");
    assert!(err.contains("no track file GONE"), "{err}");
    for (i, id) in ids.iter().enumerate() {
        let clip = subgenre_audio::decode(out.join(format!("TRACK_{}.wav", i + 1))).expect("clip");
        assert_eq!(clip.info.sample_rate, 48000);
        assert_eq!(clip.samples.len(), 8 * 48000, "{id}");
        let max_err = clip
            .samples
            .iter()
            .zip(&parts[i])
            .map(|(a, b)| (a - b.clamp(-1.0, 1.0)).abs())
            .fold(0.0f32, f32::max);
        assert!(max_err < 1e-3, "{id}: max error {max_err}");
    }
    // A second run skips what is there.
    let o = subgenre(&args, dir.path());
    assert!(
        stdout(&o).contains("0 clips written, 3 already there"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn cache_info_and_clean() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = dir.path().join("c");
    let o = subgenre(&["dataset", "stats"], &cache);
    assert!(o.status.success());
    let o = subgenre(&["cache", "info"], &cache);
    assert!(stdout(&o).contains("demo"), "{}", stdout(&o));
    let o = subgenre(&["cache", "clean"], &cache);
    assert!(o.status.success());
    assert!(!cache.exists());
}

/// The README's main job on the embedded demo: features, then the classic models.
#[test]
fn features_then_baseline_on_the_demo() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("features.csv");
    let o = subgenre(&["features", "--out", &csv.to_string_lossy()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&csv).expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 31);
    assert_eq!(
        lines[0],
        "sample_id,spot_id,chroma_stft,rmse,spec_cent,spec_bw,rolloff,zcr,mfcc1,mfcc2,mfcc3,mfcc4,mfcc5,mfcc6,mfcc7,label"
    );
    assert!(lines[1..].iter().all(|l| l.split(',').count() == 16));
    let out = dir.path().join("baseline");
    let o = subgenre(
        &[
            "baseline",
            "--features",
            &csv.to_string_lossy(),
            "--seeds",
            "42,43",
            "--out",
            &out.to_string_lossy(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("report"))
            .expect("json");
    assert_eq!(report["protocol"], "group");
    assert_eq!(report["runs"].as_array().map(Vec::len), Some(6));
    let models: Vec<&str> = report["summary"]
        .as_array()
        .expect("summary")
        .iter()
        .filter_map(|r| r["model"].as_str())
        .collect();
    assert_eq!(models, ["svm", "boost", "vote"]);
    assert!(out.join("confusion_vote.png").is_file());
}

#[test]
fn split_json_keeps_tracks_apart() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = subgenre(&["dataset", "split", "--seed", "7", "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let part = |name: &str| -> Vec<String> {
        v[name]
            .as_array()
            .expect("part")
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let (train, val, test) = (part("train"), part("val"), part("test"));
    assert_eq!(train.len() + val.len() + test.len(), 30);
    // Demo sample ids are <spot_id>_<n>: no track in two parts.
    let track = |id: &String| {
        id.rsplit_once('_')
            .map(|(t, _)| t.to_string())
            .unwrap_or_default()
    };
    for a in &train {
        assert!(
            !val.iter().chain(&test).any(|b| track(a) == track(b)),
            "{a}"
        );
    }
    for a in &val {
        assert!(!test.iter().any(|b| track(a) == track(b)), "{a}");
    }
}

#[test]
fn train_resume_and_evaluate_on_the_demo() {
    let cache = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let out_dir = out.path().join("run");
    let out_s = out_dir.to_str().expect("utf-8 path");
    let train = [
        "train",
        "--arch",
        "compact",
        "--size",
        "64",
        "--seeds",
        "42",
        "--epochs",
        "3",
        "--channels",
        "4",
        "--jobs",
        "1",
        "--out",
        out_s,
    ];
    let o = subgenre(&train, cache.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("epoch  3/3"), "per-epoch lines: {text}");
    assert!(text.contains("=== SUMMARY [normal | 64x64] ==="), "{text}");
    let run_dir = out_dir.join("runs/compact_normal64_seed42");
    for file in ["model.sgcnn", "result.json", "curves.png", "confusion.png"] {
        assert!(run_dir.join(file).is_file(), "{file} missing");
    }
    // Checkpoints are gone once the model is saved.
    assert!(!run_dir.join("training/checkpoint").exists());
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("report.json")).expect("report"),
    )
    .expect("json");
    let run = &report["runs"][0];
    assert_eq!(run["model"], "compact");
    assert_eq!(run["variant"], "normal");
    assert_eq!(run["size"], 64);
    assert_eq!(run["epochs_run"], 3);
    assert_eq!(run["history"].as_array().map(Vec::len), Some(3));
    let best = run["best_epoch"].as_u64().expect("best epoch");
    assert!((1..=3).contains(&best));
    let f1 = run["weighted_f1"].as_f64().expect("f1");
    assert!((0.0..=1.0).contains(&f1));
    assert_eq!(report["summary"][0]["size"], 64);

    // A rerun skips the finished run and reports the same score.
    let o = subgenre(&train, cache.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("finished earlier"), "{}", stdout(&o));
    // A finished run kept without its model (to save space) is reused, not trained again.
    let (model_file, aside) = (run_dir.join("model.sgcnn"), out.path().join("model.aside"));
    std::fs::rename(&model_file, &aside).expect("move the model aside");
    let o = subgenre(&train, cache.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("finished earlier"), "{}", stdout(&o));
    assert!(!model_file.exists(), "retrained");
    std::fs::rename(&aside, &model_file).expect("put the model back");
    // Other settings on the same folder are refused, not mixed in.
    let mut other = train.to_vec();
    other.extend(["--lr", "0.01"]);
    let o = subgenre(&other, cache.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("other settings"), "{}", stderr(&o));

    // evaluate scores the same test part the run was scored on.
    let model = run_dir.join("model.sgcnn");
    let o = subgenre(
        &[
            "evaluate",
            "--model",
            model.to_str().expect("utf-8"),
            "--jobs",
            "1",
        ],
        cache.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("the test part"), "{text}");
    assert!(
        text.contains(&format!("{f1:.4}")),
        "same weighted F1 {f1:.4}: {text}"
    );

    // An ensemble of the model with itself averages equal probabilities: the same score.
    let model_s = model.to_str().expect("utf-8");
    let o = subgenre(
        &[
            "evaluate", "--model", model_s, "--model", model_s, "--jobs", "1",
        ],
        cache.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("an ensemble of 2 models"), "{text}");
    assert!(text.contains(&format!("{f1:.4}")), "{f1:.4}: {text}");
    // Models of different inputs (the shipped one takes 128x128) do not mix.
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/hardtechno-1.sgcnn");
    let o = subgenre(
        &[
            "evaluate",
            "--model",
            model_s,
            "--model",
            shipped.to_str().expect("utf-8"),
            "--jobs",
            "1",
        ],
        cache.path(),
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("the same input"), "{}", stderr(&o));
    // A model of another seed's split has seen part of this one's test clips: refused unless
    // the part to score is named.
    let other_dir = out.path().join("seed43");
    let mut train43 = train.to_vec();
    let seeds = train43.iter().position(|a| *a == "42").expect("seed");
    train43[seeds] = "43";
    let last = train43.len() - 1;
    train43[last] = other_dir.to_str().expect("utf-8");
    let o = subgenre(&train43, cache.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let model43 = other_dir.join("runs/compact_normal64_seed43/model.sgcnn");
    let pair = [
        "evaluate",
        "--model",
        model_s,
        "--model",
        model43.to_str().expect("utf-8"),
    ];
    let o = subgenre(&pair, cache.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("different splits"), "{}", stderr(&o));
    let o = subgenre(&[&pair[..], &["--seed", "42"]].concat(), cache.path());
    assert!(o.status.success(), "{}", stderr(&o));

    // predict and model info take an ensemble the same way.
    let clip = demo_clip("015gfAONcKFzUzW5OGEaaV_0754");
    let ensemble = [
        "--model",
        model_s,
        "--model",
        model43.to_str().expect("utf-8"),
    ];
    let o = subgenre(
        &[
            &["predict", "--no-tempo", "--json", "-"][..],
            &ensemble,
            &[clip.to_str().expect("utf-8")],
        ]
        .concat(),
        cache.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(doc["model"]["members"].as_array().map(Vec::len), Some(2));
    let probs = doc["tracks"][0]["mean_probs"].as_object().expect("probs");
    let sum: f64 = probs.values().filter_map(serde_json::Value::as_f64).sum();
    assert!(
        (sum - 1.0).abs() < 1e-4,
        "mean probabilities sum to 1: {sum}"
    );
    let o = subgenre(&[&["model", "info"][..], &ensemble].concat(), cache.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("2 models"), "{}", stdout(&o));
    let o = subgenre(
        &[
            "predict",
            "--model",
            model_s,
            "--model",
            shipped.to_str().expect("utf-8"),
            clip.to_str().expect("utf-8"),
        ],
        cache.path(),
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("the same input"), "{}", stderr(&o));
}

#[test]
fn train_rejects_bad_options_clearly() {
    let cache = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let out_s = out.path().to_str().expect("utf-8");
    for (args, needle) in [
        (vec!["train", "--arch", "resnet", "--out", out_s], "resnet"),
        (vec!["train", "--variant", "high", "--out", out_s], "high"),
        (vec!["train", "--size", "4", "--out", out_s], "--size"),
        (vec!["train", "--augment", "flip", "--out", out_s], "flip"),
        (
            vec!["train", "--arch", "compact,cnn_main", "--out", out_s],
            "experiment",
        ),
    ] {
        let o = subgenre(&args, cache.path());
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn pyaudioanalysis_extractor_keeps_the_study_mapping_and_offers_a_corrected_one() {
    let cache = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let read = |mapping: &str| -> Vec<Vec<String>> {
        let csv = out.path().join(format!("{mapping}.csv"));
        let o = subgenre(
            &[
                "features",
                "--extractor",
                "pyaudioanalysis",
                "--mapping",
                mapping,
                "--out",
                csv.to_str().expect("utf-8"),
            ],
            cache.path(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let mut reader = csv::Reader::from_path(&csv).expect("csv");
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        assert_eq!(header[2], "chroma_stft");
        assert_eq!(header[14], "mfcc7");
        reader
            .records()
            .map(|r| r.expect("row").iter().map(String::from).collect())
            .collect()
    };
    let study = read("study");
    let corrected = read("corrected");
    assert_eq!(study.len(), 30);
    // The notebook's quirk: mfcc6 and mfcc7 are both the mean of MFCC 1-5.
    assert!(study.iter().all(|r| r[13] == r[14]));
    assert!(corrected.iter().any(|r| r[13] != r[14]));
    // Corrected spectral columns are in Hz, the study's are fractions of fs/2.
    let cent = |rows: &[Vec<String>]| rows[0][4].parse::<f64>().expect("number");
    assert!(cent(&study) < 1.0 && cent(&corrected) > 100.0);
    let o = subgenre(
        &["features", "--extractor", "essentia", "--out", "x.csv"],
        cache.path(),
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("essentia"));
}

#[test]
fn reproduce_runs_every_step_on_the_demo_and_resumes() {
    let cache = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let out_dir = out.path().join("study");
    let out_s = out_dir.to_str().expect("utf-8 path");
    let args = [
        "reproduce",
        "--seeds",
        "42",
        "--epochs",
        "2",
        "--jobs",
        "2",
        "--out",
        out_s,
    ];
    let o = subgenre(&args, cache.path());
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out_dir.join(name)).expect(name))
            .expect("json")
    };
    let report = read("report.json");
    let steps = report["steps"].as_array().expect("steps");
    let names: Vec<&str> = steps.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "dataset",
            "features",
            "features-rich",
            "classic-study",
            "classic-group",
            "classic-group-rich",
            "mels-normal",
            "cnn-compact",
            "cnn-study",
            "report"
        ]
    );
    assert!(steps.iter().all(|s| s["status"] == "done"), "{steps:?}");
    assert_eq!(report["classic"].as_array().map(Vec::len), Some(3));
    let cnn = report["cnn"].as_array().expect("cnn sections");
    let models: Vec<&str> = cnn
        .iter()
        .filter_map(|s| s["report"]["runs"][0]["model"].as_str())
        .collect();
    assert_eq!(models, ["compact", "cnn_drop_first"]);
    assert_eq!(report["dataset"]["selected_clips"], 30);

    let html = std::fs::read_to_string(out_dir.join("index.html")).expect("index.html");
    for needle in [
        "Classic models",
        "CNNs on mel-spectrograms",
        "cnn_drop_first",
        "0.777 ± 0.031", // the study's published cnn_drop_first figure beside ours
        "Learning curves",
        "non-techno-drop",
    ] {
        assert!(html.contains(needle), "index.html lacks {needle}");
    }
    // Every figure is embedded: 3 classic sections x 3 models + 2 CNN confusions + 2 curves.
    let images = html.matches("src=\"data:image/png;base64,").count();
    assert!(images >= 13, "{images} embedded figures");
    assert!(!html.contains("unreadable"));

    // A rerun skips the finished steps and runs.
    let o = subgenre(&args, cache.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("finished earlier"), "{}", stdout(&o));
    let report = read("report.json");
    let status = |name: &str| {
        report["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == name))
            .map(|s| s["status"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(status("features").as_deref(), Some("cached"));
    assert_eq!(status("classic-group").as_deref(), Some("cached"));
    // Training steps always run, but their finished runs are kept.
    assert_eq!(status("cnn-compact").as_deref(), Some("done"));
}

#[test]
fn train_final_fits_train_and_test_parts_and_says_so() {
    let cache = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let out_s = out.path().to_str().expect("utf-8 path");
    let common = [
        "--arch",
        "compact",
        "--size",
        "64",
        "--seeds",
        "42",
        "--epochs",
        "1",
        "--channels",
        "4",
        "--jobs",
        "1",
        "--out",
        out_s,
    ];
    let mut args = vec!["train"];
    args.extend(common);
    let o = subgenre(&args, cache.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let plain: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("runs/compact_normal64_seed42/result.json"))
            .expect("result"),
    )
    .expect("json");
    let test_clips: u64 = plain["per_class"]
        .as_object()
        .expect("per class")
        .values()
        .map(|m| m["support"].as_u64().unwrap_or(0))
        .sum();

    // `common` ends with `--out DIR`: the same options with --final, into `dir`.
    fn final_into<'a>(common: &[&'a str], dir: &'a str) -> Vec<&'a str> {
        let mut a = vec!["train", "--final"];
        a.extend(&common[..common.len() - 1]);
        a.push(dir);
        a
    }
    // --final on the same folder is another setting: refused, not mixed in.
    let o = subgenre(&final_into(&common, out_s), cache.path());
    assert!(stderr(&o).contains("other settings"), "{}", stderr(&o));

    let out2 = tempfile::tempdir().expect("tmp");
    let out2_s = out2.path().to_str().expect("utf-8 path");
    let o = subgenre(&final_into(&common, out2_s), cache.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("scored on validation"),
        "{}",
        stdout(&o)
    );
    let run_dir = out2.path().join("runs/compact_normal64_seed42");
    let result: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("result.json")).expect("result"),
    )
    .expect("json");
    assert_eq!(result["params"]["fit"], "train+test");
    let o = subgenre(
        &[
            "model",
            "info",
            "--json",
            "--model",
            run_dir.join("model.sgcnn").to_str().expect("utf-8"),
        ],
        cache.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let infos: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(
        infos.as_array().map(Vec::len),
        Some(1),
        "one record per model"
    );
    let info = &infos[0];
    assert_eq!(info["trained"]["test_clips"], 0, "{info}");
    assert!(info["trained"]["test_weighted_f1"].is_null(), "{info}");
    assert_eq!(info["trained"]["val_weighted_f1"], result["weighted_f1"]);
    // The validation part it is scored on differs in size from the test part it trained on.
    let scored: u64 = result["per_class"]
        .as_object()
        .expect("per class")
        .values()
        .map(|m| m["support"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        scored,
        info["trained"]["val_clips"].as_u64().expect("val clips")
    );
    assert!(test_clips > 0);
    // evaluate scores a model on its own split's test part by default: a --final model
    // trained on it, and evaluate says so.
    let o = subgenre(
        &[
            "evaluate",
            "--jobs",
            "1",
            "--model",
            run_dir.join("model.sgcnn").to_str().expect("utf-8"),
        ],
        cache.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("trained on its split's test part too"),
        "{}",
        stderr(&o)
    );

    let mut experiment = vec!["experiment", "--final"];
    experiment.extend(common);
    let o = subgenre(&experiment, cache.path());
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--final is for `train`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn evaluate_measures_similarity_search_without_the_clip_s_own_track() {
    let cache = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/hardtechno-1.sgcnn");
    let args = [
        "evaluate",
        "--model",
        shipped.to_str().expect("utf-8"),
        "--all",
        "--neighbours",
        "3",
        "--jobs",
        "1",
        "--out",
        out.path().to_str().expect("utf-8"),
    ];
    let o = subgenre(&args, cache.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("nearest 3 clips of other tracks by embedding"),
        "{}",
        stdout(&o)
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("neighbours.json")).expect("neighbours.json"),
    )
    .expect("json");
    assert_eq!(json["k"], 3);
    // Every demo clip has clips of other tracks to compare with.
    assert_eq!(json["queries"], 30);
    let (same, chance) = (
        json["same_label"].as_f64().expect("same_label"),
        json["chance"].as_f64().expect("chance"),
    );
    // The shipped model has learnt these sub-genres: its embedding finds a clip's own kind
    // well above the one-in-five of a random pick.
    assert!((0.1..0.35).contains(&chance), "chance {chance}");
    assert!(same > chance + 0.2, "same label {same} vs chance {chance}");

    let mut zero = args.to_vec();
    zero[5] = "0";
    let o = subgenre(&zero, cache.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--neighbours"), "{}", stderr(&o));
}

#[test]
fn melgrams_writes_one_png_per_clip_and_rejects_bad_settings() {
    let cache = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let pngs = out.path().join("pngs");
    let pngs_s = pngs.to_str().expect("utf-8");
    let o = subgenre(
        &[
            "melgrams", "--route", "array", "--size", "32", "--out", pngs_s,
        ],
        cache.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("images (32x32, array) ->"),
        "{}",
        stdout(&o)
    );
    let written = std::fs::read_dir(&pngs).expect("pngs").count();
    assert!(written > 0 && stdout(&o).starts_with(&format!("{written} images")));
    for (args, needle) in [
        (vec!["melgrams", "--route", "svg", "--out", pngs_s], "svg"),
        (vec!["melgrams", "--size", "4", "--out", pngs_s], "size"),
        (
            vec!["predict", "--min-confidence", "2", pngs_s],
            "min_confidence",
        ),
    ] {
        let o = subgenre(&args, cache.path());
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}
