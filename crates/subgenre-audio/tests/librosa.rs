//! Parity with librosa.load (fixtures made by tools/fixtures/make_librosa_fixtures.py).
mod common;

use common::*;
use rayon::prelude::*;
use subgenre_audio::{load, LoadOptions};
use subgenre_fixtures::{fixtures_dir, read_npy};

fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    let (ma, mb) = (
        a.iter().map(|&v| f64::from(v)).sum::<f64>() / n,
        b.iter().map(|&v| f64::from(v)).sum::<f64>() / n,
    );
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x) - ma, f64::from(*y) - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    sab / (saa * sbb).sqrt()
}

#[test]
fn demo_clips_correlate_with_librosa_load() {
    let dir = fixtures_dir().join("librosa/load");
    let mut worst = 1.0f64;
    for clip in demo_clips() {
        let id = clip.file_stem().and_then(|s| s.to_str()).expect("id");
        let (_, want) = read_npy(dir.join(format!("{id}.npy"))).expect("fixture");
        let got = load(&clip, &LoadOptions::default()).expect("load");
        let seg = &got.samples[44100..88200];
        let r = correlation(seg, &want);
        if std::env::var("SHOW_LAGS").is_ok() {
            let best = (-3i32..=3)
                .map(|lag| {
                    let s = &got.samples[(44100 + lag) as usize..(88200 + lag) as usize];
                    (lag, correlation(s, &want))
                })
                .fold((0, -1.0), |b, x| if x.1 > b.1 { x } else { b });
            eprintln!("{id}: r={r:.5} best lag {best:?}");
        }
        worst = worst.min(r);
        assert!(r >= 0.99, "{id}: correlation {r:.4} with librosa.load");
    }
    eprintln!("worst correlation over demo clips: {worst:.5}");
}

#[test]
fn every_real_clip_decodes_to_librosa_length() {
    let Some(data) = shared_data() else {
        eprintln!("skipped: ../shared/data/hardtechno not found (full-data test)");
        return;
    };
    let table = std::fs::read_to_string(fixtures_dir().join("librosa/load_lengths.csv"))
        .expect("load_lengths.csv");
    let rows: Vec<(String, usize)> = table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f.first()?.to_string(), f.get(2)?.parse().ok()?))
        })
        .collect();
    assert_eq!(rows.len(), 1772);
    let bad: Vec<String> = rows
        .par_iter()
        .filter_map(|(id, want)| {
            let p = data.join("clips").join(format!("{id}.mp3"));
            match load(&p, &LoadOptions::default()) {
                Ok(a) => {
                    let rel = (a.samples.len() as f64 - *want as f64).abs() / *want as f64;
                    (rel > 0.01).then(|| format!("{id}: {} vs librosa {want}", a.samples.len()))
                }
                Err(e) => Some(e.to_string()),
            }
        })
        .collect();
    assert!(bad.is_empty(), "{} clips off: {bad:?}", bad.len());
}
