//! A fake analyser and folder builders shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use subgenre_core::Fnv1a;
use subgenre_core::{TrackPrediction, Window};
use subgenre_library::{Analyser, AnalysisError, ModelId};

pub type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

pub const CLASSES: [&str; 3] = ["hard", "industrial", "peak"];

/// Derives everything from the file's bytes, so tests know what must be stored: a file that
/// starts with `label=L conf=C bpm=B emb=x,y,z` says so; `broken` anywhere fails; anything
/// else (real audio) is mapped through its FNV hash.
pub struct FakeAnalyser {
    pub model: ModelId,
    pub calls: AtomicUsize,
    pub delay: Duration,
}

impl FakeAnalyser {
    pub fn new() -> Self {
        Self::with_model("fake", "1")
    }

    pub fn with_model(name: &str, version: &str) -> Self {
        Self {
            model: ModelId::new(name, version),
            calls: AtomicUsize::new(0),
            delay: Duration::ZERO,
        }
    }

    pub fn slow(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.calls.store(0, Ordering::SeqCst);
    }
}

impl Analyser for FakeAnalyser {
    fn model_id(&self) -> ModelId {
        self.model.clone()
    }

    fn analyse(&self, path: &Path) -> Result<TrackPrediction, AnalysisError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        let bytes = std::fs::read(path).map_err(|e| AnalysisError::new(e.to_string()))?;
        let text = String::from_utf8_lossy(&bytes);
        if text.contains("broken") {
            return Err(AnalysisError::new(
                "not an audio file: fake decoder refused it",
            ));
        }
        let h = Fnv1a::of(&bytes).finish();
        let mut label = CLASSES[(h % 3) as usize].to_string();
        let mut confidence = 0.5 + (h % 50) as f32 / 100.0;
        let mut tempo = Some(130.0 + (h % 20) as f64);
        let mut embedding: Vec<f32> = (0..4).map(|i| ((h >> (i * 8)) & 0xff) as f32).collect();
        let first_line = text.lines().next().unwrap_or_default();
        for field in first_line.split_whitespace() {
            match field.split_once('=') {
                Some(("label", v)) => label = v.to_string(),
                Some(("conf", v)) => confidence = v.parse().unwrap_or(confidence),
                Some(("bpm", "none")) => tempo = None,
                Some(("bpm", v)) => tempo = v.parse().ok(),
                Some(("emb", v)) => {
                    embedding = v.split(',').filter_map(|x| x.parse().ok()).collect()
                }
                _ => {}
            }
        }
        let classes: Vec<String> = CLASSES.iter().map(|c| c.to_string()).collect();
        let mut mean_probs = vec![(1.0 - confidence) / 2.0; 3];
        if let Some(i) = classes.iter().position(|c| *c == label) {
            mean_probs[i] = confidence;
        }
        Ok(TrackPrediction {
            path: path.to_path_buf(),
            duration_s: bytes.len() as f64 / 100.0,
            classes,
            label,
            confidence,
            shares: mean_probs.iter().map(|p| f64::from(*p)).collect(),
            mean_probs: mean_probs.clone(),
            tempo_bpm: tempo,
            short: bytes.len() < 100,
            windows: vec![
                Window {
                    start_s: 0.0,
                    end_s: 1.0,
                    probs: mean_probs.clone(),
                },
                Window {
                    start_s: 0.5,
                    end_s: 1.5,
                    probs: mean_probs,
                },
            ],
            embedding: Some(embedding),
        })
    }
}

/// Write `files` (relative path, content) under `root`.
pub fn write_files(root: &Path, files: &[(&str, &str)]) -> std::io::Result<()> {
    for (rel, content) in files {
        let p = root.join(rel);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(p, content)?;
    }
    Ok(())
}

/// `n` distinct fake tracks `track00.mp3`… under `root`.
pub fn fake_tracks(root: &Path, n: usize) -> std::io::Result<Vec<PathBuf>> {
    (0..n)
        .map(|i| {
            let p = root.join(format!("track{i:02}.mp3"));
            std::fs::write(&p, format!("fake audio number {i}\n{}", "x".repeat(i)))?;
            Ok(p)
        })
        .collect()
}

/// The demo clips the repository carries.
pub fn demo_clips() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/clips");
    let mut clips: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    clips.retain(|p| p.extension().is_some_and(|e| e == "mp3"));
    clips.sort();
    clips
}

/// Change a file's mtime to something clearly different, so a content change of equal size
/// is seen even on filesystems with coarse timestamps.
pub fn bump_mtime(path: &Path, seconds: u64) -> std::io::Result<()> {
    let f = std::fs::File::options().write(true).open(path)?;
    let t = std::time::SystemTime::now() + Duration::from_secs(seconds);
    f.set_modified(t)
}
