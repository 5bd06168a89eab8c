#![allow(dead_code)]
use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn demo_clips() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo_root().join("data/demo/clips"))
        .expect("data/demo/clips")
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// `../shared/data/hardtechno` beside the repo, if present.
pub fn shared_data() -> Option<PathBuf> {
    let p = repo_root().join("../shared/data/hardtechno");
    p.join("clips").is_dir().then_some(p)
}

pub fn write_wav(path: &Path, sr: u32, channels: u16, float: bool, frames: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: sr,
        bits_per_sample: if float { 32 } else { 16 },
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut w = hound::WavWriter::create(path, spec).expect("wav");
    for frame in frames {
        for &s in frame {
            if float {
                w.write_sample(s).expect("sample");
            } else {
                w.write_sample((s * 32767.0).round() as i16)
                    .expect("sample");
            }
        }
    }
    w.finalize().expect("finalize");
}

pub fn sine(freq: f32, sr: u32, n: usize, amp: f32) -> Vec<f32> {
    (0..n)
        .map(|i| amp * (2.0 * std::f32::consts::PI * freq * i as f32 / sr as f32).sin())
        .collect()
}

/// Frequency of a clean tone from its zero-crossing rate.
pub fn tone_freq(x: &[f32], sr: u32) -> f32 {
    let crossings = x
        .windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count();
    crossings as f32 * sr as f32 / (2.0 * x.len() as f32)
}
