//! The shipped models on the bundled demo clips, and sliding windows over a track made of
//! five clips of five classes.

use std::path::PathBuf;

use subgenre_audio::{load, write_clip, ClipFormat, LoadOptions};
use subgenre_fixtures::repo_root;
use subgenre_predict::{PredictOptions, Predictor, TrackPrediction};

/// (clip path, class name) of every demo clip in the five classes.
fn demo_clips() -> Vec<(PathBuf, String)> {
    let root = repo_root().join("data/demo");
    let mut reader = csv::Reader::from_path(root.join("labels_final.csv")).expect("labels");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let five = subgenre_core::classes::FIVE_CLASSES;
    reader
        .records()
        .filter_map(|r| {
            let r = r.expect("row");
            let class = five.iter().find(|c| {
                header
                    .iter()
                    .position(|h| h == *c)
                    .is_some_and(|i| r.get(i) == Some("1"))
            })?;
            Some((
                root.join("clips").join(format!("{}.mp3", &r[0])),
                class.to_string(),
            ))
        })
        .collect()
}

fn top(track: &TrackPrediction, window: usize) -> &str {
    let p = &track.windows[window].probs;
    let best = (0..p.len()).fold(0, |b, i| if p[i] > p[b] { i } else { b });
    &track.classes[best]
}

#[test]
fn shipped_model_classifies_the_demo_clips() {
    let predictor = Predictor::embedded().expect("embedded model");
    let spec = predictor.spec();
    assert_eq!(spec.classes, subgenre_core::classes::FIVE_CLASSES);
    let options = PredictOptions {
        tempo: false,
        ..PredictOptions::default()
    };
    let clips = demo_clips();
    assert_eq!(clips.len(), 30);
    let mut right = 0;
    for (path, class) in &clips {
        let t = predictor.predict_file(path, &options).expect("predict");
        assert_eq!(t.windows.len(), 1, "an 8 s clip is one window");
        assert!(!t.short);
        let sum: f32 = t.windows[0].probs.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "probabilities sum to 1: {sum}");
        right += usize::from(&t.label == class);
    }
    // Chance is 0.2; the model scores about 0.8 on unseen clips.
    assert!(right >= 18, "only {right} of 30 demo clips right");
}

#[test]
fn the_shipped_models_are_averaged() {
    let embedded = Predictor::embedded().expect("embedded models");
    assert_eq!(embedded.models().len(), 3);
    let files: Vec<PathBuf> = (1..=3)
        .map(|i| repo_root().join(format!("models/hardtechno-{i}.sgcnn")))
        .collect();
    let from_files = Predictor::from_files(&files).expect("model files");
    let members: Vec<Predictor> = files
        .iter()
        .map(|f| Predictor::from_file(f).expect("model file"))
        .collect();
    let options = PredictOptions {
        tempo: false,
        ..PredictOptions::default()
    };
    let probs = |p: &Predictor, clip: &PathBuf| {
        p.predict_file(clip, &options).expect("predict").windows[0]
            .probs
            .clone()
    };
    let mut largest_disagreement = 0f32;
    for (clip, _) in demo_clips() {
        let together = probs(&embedded, &clip);
        assert_eq!(together, probs(&from_files, &clip));
        let alone: Vec<Vec<f32>> = members.iter().map(|m| probs(m, &clip)).collect();
        for (c, p) in together.iter().enumerate() {
            let mean = alone.iter().map(|a| a[c]).sum::<f32>() / 3.0;
            assert!((p - mean).abs() < 1e-5, "class {c}: {p} vs mean {mean}");
            for a in &alone {
                largest_disagreement = largest_disagreement.max((a[c] - mean).abs());
            }
        }
    }
    // Three different networks (the same one three times would average to itself).
    assert!(largest_disagreement > 0.05, "{largest_disagreement}");
}

#[test]
fn windows_follow_a_track_of_five_classes() {
    let predictor = Predictor::embedded().expect("embedded model");
    let options = PredictOptions {
        tempo: false,
        ..PredictOptions::default()
    };
    // One clip per class, each one the model gets right on its own.
    let mut parts: Vec<(String, Vec<f32>, TrackPrediction)> = Vec::new();
    for (path, class) in demo_clips() {
        if parts.iter().any(|(c, _, _)| *c == class) {
            continue;
        }
        let alone = predictor.predict_file(&path, &options).expect("predict");
        if alone.label == class {
            let audio = load(&path, &LoadOptions::default()).expect("load");
            assert_eq!(audio.samples.len(), 176_400);
            parts.push((class, audio.samples, alone));
        }
    }
    assert!(
        parts.len() >= 4,
        "the model gets at least four classes right on some clip"
    );
    let joined: Vec<f32> = parts
        .iter()
        .flat_map(|(_, s, _)| s.iter().copied())
        .collect();
    let dir = tempfile::tempdir().expect("tmp");
    let wav = dir.path().join("five.wav");
    write_clip(&wav, &joined, 22_050, ClipFormat::Wav).expect("write");

    let track = predictor
        .predict_file(
            &wav,
            &PredictOptions {
                tempo: true,
                ..PredictOptions::default()
            },
        )
        .expect("predict");
    let n = parts.len();
    // Windows every 4 s: 0, 4, ..., 8 (n - 1).
    assert_eq!(track.windows.len(), 2 * n - 1);
    assert!((track.duration_s - 8.0 * n as f64).abs() < 0.01);
    for (i, (class, _, alone)) in parts.iter().enumerate() {
        let w = &track.windows[2 * i];
        // Windows start on the spectrogram's 512-sample frame grid, nearest to every 4 s.
        assert!((w.start_s - 8.0 * i as f64).abs() <= 256.0 / 22_050.0 + 1e-9);
        assert_eq!(top(&track, 2 * i), class, "window at {} s", w.start_s);
        // The aligned window sees the clip's samples, but for a few ms (and the 16-bit WAV
        // round trip).
        for (a, b) in w.probs.iter().zip(&alone.windows[0].probs) {
            assert!(
                (a - b).abs() < 0.05,
                "window {i}: {:?} vs {:?}",
                w.probs,
                alone.windows[0].probs
            );
        }
    }
    // Each class holds at least its own window's share.
    for (class, _, _) in &parts {
        let c = track
            .classes
            .iter()
            .position(|x| x == class)
            .expect("class");
        assert!(track.shares[c] >= 1.0 / (2 * n - 1) as f64 - 1e-9);
    }
    let bpm = track.tempo_bpm.expect("tempo");
    assert!((60.0..=320.0).contains(&bpm), "tempo {bpm}");
    let png = dir.path().join("timeline.png");
    subgenre_predict::timeline_png(&png, &track).expect("timeline");
    assert!(std::fs::metadata(&png).expect("png").len() > 1000);
}

#[test]
fn short_and_broken_files() {
    let predictor = Predictor::embedded().expect("embedded model");
    let options = PredictOptions {
        tempo: false,
        ..PredictOptions::default()
    };
    let dir = tempfile::tempdir().expect("tmp");
    // 3 s of a clip: zero-padded to one window and flagged.
    let clip = &demo_clips()[0].0;
    let audio = load(clip, &LoadOptions::default()).expect("load");
    let short = dir.path().join("short.wav");
    write_clip(
        &short,
        &audio.samples[..3 * 22_050],
        22_050,
        ClipFormat::Wav,
    )
    .expect("write");
    let t = predictor
        .predict_file(&short, &options)
        .expect("short file");
    assert!(t.short);
    assert_eq!(t.windows.len(), 1);
    assert!((t.duration_s - 3.0).abs() < 1e-6);
    // Broken files give errors that name them.
    for (name, bytes) in [
        ("empty.mp3", &b""[..]),
        ("noise.mp3", &b"\x13\x37 not audio"[..]),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        let e = predictor.predict_file(&p, &options).expect_err("broken");
        assert!(e.to_string().contains(name), "{e}");
    }
    let bad_hop = PredictOptions {
        hop_s: 0.0,
        ..options
    };
    assert!(predictor.predict_file(&short, &bad_hop).is_err());
}

#[test]
fn many_files_at_once_keep_their_order_and_report_each_once() {
    let predictor = Predictor::embedded().expect("shipped models");
    let dir = tempfile::tempdir().expect("tmp");
    let broken = dir.path().join("broken.mp3");
    std::fs::write(&broken, b"not audio").expect("write");
    let mut paths: Vec<PathBuf> = demo_clips().into_iter().take(5).map(|(p, _)| p).collect();
    paths.insert(2, broken.clone());
    let options = PredictOptions {
        tempo: false,
        ..PredictOptions::default()
    };
    let seen = std::sync::Mutex::new(Vec::new());
    let results = predictor.predict_files(&paths, &options, |path, result| {
        seen.lock()
            .expect("lock")
            .push((path.to_path_buf(), result.is_ok()));
    });
    assert_eq!(results.len(), paths.len());
    for (path, result) in paths.iter().zip(&results) {
        match result {
            Ok(track) => {
                assert_eq!(&track.path, path);
                let alone = predictor.predict_file(path, &options).expect("alone");
                assert_eq!(track.label, alone.label);
                assert!((track.confidence - alone.confidence).abs() < 1e-6);
            }
            Err(_) => assert_eq!(path, &broken),
        }
    }
    let mut seen = seen.into_inner().expect("lock");
    seen.sort();
    let mut expected: Vec<(PathBuf, bool)> =
        paths.iter().map(|p| (p.clone(), p != &broken)).collect();
    expected.sort();
    assert_eq!(seen, expected, "on_done once per file");
}
