//! Mel spectrogram + dB of one 8 s clip at 22 050 Hz, the Python package's `mel_array` workload
//! (`melspectrogram(y, sr=22050, n_fft=1024, hop_length=512, n_mels=128, fmin=20, fmax=11000)`
//! then `power_to_db(S, ref=np.max)`), timed in Rust. A benchmark harness, not a test:
//!
//! `taskset -c 1 cargo run -p subgenre-dsp --release --example mel_clip_time [REPS]`
//!
//! Rows: "recipe + power_to_db" is what the Python package runs (`MelRecipe::of_signal`, then
//! `power_to_db` on a copy); "fused" is `MelSpectrogram::compute_db_into`. With
//! `MEL_DUMP=FILE` the outputs are written to FILE; with `MEL_COMPARE=FILE` (a dump from another
//! build) the largest differences to it are printed. With the librosa fixtures present, every
//! variant's largest error against librosa is printed too.

use std::time::Instant;

use ndarray::Array2;
use subgenre_dsp::{power_to_db_inplace, DbRef, FftPrecision, MelParams, MelRecipe, AMIN, TOP_DB};
use subgenre_fixtures::{fixtures_dir, read_npy, read_wav_i16};

/// A deterministic 8 s clip: two tones, a sweep and white noise.
fn clip_8s() -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..176_400)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            let t = i as f32 / 22050.0;
            let two_pi = 2.0 * std::f32::consts::PI;
            0.3 * (two_pi * 220.0 * t).sin()
                + 0.2 * (two_pi * 3520.0 * t).sin()
                + 0.1 * (two_pi * (100.0 + 600.0 * t) * t).sin()
                + 0.1 * noise
        })
        .collect()
}

fn recipe(precision: FftPrecision) -> MelRecipe {
    MelRecipe::librosa(22050.0, 1024, 512, 128, 20.0, Some(11000.0)).with_precision(precision)
}

/// The mel power and its dB (ref=np.max) as the Python package computes them.
fn python_path(y: &[f32], precision: FftPrecision) -> (Array2<f32>, Array2<f32>) {
    let s = recipe(precision).of_signal(y).expect("mel");
    let mut db = s.clone();
    power_to_db_inplace(&mut db, DbRef::Max, AMIN, TOP_DB).expect("db");
    (s, db)
}

fn median_ms(label: &str, reps: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..20 {
        f();
    }
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[reps / 2];
    println!(
        "{label:<44} median {median:6.3} ms, min {:6.3} ms per 8 s clip ({reps} reps)",
        times[0]
    );
    median
}

fn max_abs(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).abs())
        .fold(0.0, f64::max)
}

/// The parity tests' measure: relative error, the denominator floored at 1e-6 of the scale.
fn max_rel(a: &[f32], b: &[f32]) -> f64 {
    let scale = b.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs()));
    let floor = (scale * 1e-6).max(1e-30);
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).abs() / f64::from(y).abs().max(floor))
        .fold(0.0, f64::max)
}

const PRECISIONS: [FftPrecision; 2] = [FftPrecision::F64, FftPrecision::F32];

/// Every variant's outputs on `y`: per precision, the Python path's power and dB, the fused dB.
fn outputs(y: &[f32]) -> Vec<(String, Vec<f32>)> {
    let mut out = Vec::new();
    for precision in PRECISIONS {
        let (s, db) = python_path(y, precision);
        let mut mel = MelParams::new(22050.0)
            .n_fft(1024)
            .hop_length(512)
            .fmin(20.0)
            .fmax(11000.0)
            .precision(precision)
            .build()
            .expect("plan");
        let fused = mel.compute_db(y, DbRef::Max, AMIN, TOP_DB).expect("fused");
        out.push((format!("{precision:?} power"), s.iter().copied().collect()));
        out.push((format!("{precision:?} dB"), db.iter().copied().collect()));
        out.push((
            format!("{precision:?} fused dB"),
            fused.iter().copied().collect(),
        ));
    }
    out
}

fn librosa_parity() {
    let dir = fixtures_dir().join("librosa").join("exact");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("librosa fixtures not found: parity skipped");
        return;
    };
    let mut wavs: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    wavs.sort();
    // Per variant: worst dB error, worst power relative error.
    let mut worst = vec![(0f64, 0f64); PRECISIONS.len()];
    let mut n = 0;
    for wav in &wavs {
        let stem = wav.with_extension("");
        let db_path = stem.with_extension("mel_normal.npy");
        let power_path = stem.with_extension("mel_power_normal.npy");
        let (Ok((_, y)), Ok((_, db_ref)), Ok((_, power_ref))) =
            (read_wav_i16(wav), read_npy(&db_path), read_npy(&power_path))
        else {
            continue;
        };
        n += 1;
        for (i, precision) in PRECISIONS.into_iter().enumerate() {
            let (s, db) = python_path(&y, precision);
            let s: Vec<f32> = s.iter().copied().collect();
            let db: Vec<f32> = db.iter().copied().collect();
            worst[i].0 = worst[i].0.max(max_abs(&db, &db_ref));
            worst[i].1 = worst[i].1.max(max_rel(&s, &power_ref));
        }
    }
    for (precision, (db, rel)) in PRECISIONS.iter().zip(worst) {
        println!(
            "librosa parity, {n} clips, {precision:?} FFT: dB max abs error {db:.3e} (tolerance 0.01), \
             power max rel error {rel:.3e} (tolerance 1e-3)"
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reps = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(1000);
    let y = clip_8s();
    for precision in PRECISIONS {
        median_ms(
            &format!("recipe + power_to_db copy, {precision:?} FFT"),
            reps,
            || {
                std::hint::black_box(python_path(&y, precision));
            },
        );
        let mut mel = MelParams::new(22050.0)
            .n_fft(1024)
            .hop_length(512)
            .fmin(20.0)
            .fmax(11000.0)
            .precision(precision)
            .build()?;
        let mut out = Array2::zeros((128, mel.n_frames(y.len())?));
        median_ms(
            &format!("fused compute_db_into, {precision:?} FFT"),
            reps,
            || {
                mel.compute_db_into(&y, DbRef::Max, AMIN, TOP_DB, &mut out)
                    .expect("fused");
                std::hint::black_box(&out);
            },
        );
    }
    let ours = outputs(&y);
    if let Ok(path) = std::env::var("MEL_DUMP") {
        let bytes: Vec<u8> = ours
            .iter()
            .flat_map(|(_, v)| v.iter().flat_map(|x| x.to_le_bytes()))
            .collect();
        std::fs::write(path, bytes)?;
    }
    if let Ok(path) = std::env::var("MEL_COMPARE") {
        let bytes = std::fs::read(path)?;
        let theirs: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let mut at = 0;
        for (name, v) in &ours {
            let other = &theirs[at..at + v.len()];
            at += v.len();
            let same = v
                .iter()
                .zip(other)
                .filter(|(a, b)| a.to_bits() == b.to_bits())
                .count();
            println!(
                "against the dump, {name:<14}: max abs diff {:.3e}, max rel diff {:.3e}, {same}/{} identical bits",
                max_abs(v, other),
                max_rel(v, other),
                v.len()
            );
        }
    }
    if std::env::var("MEL_PARITY").is_ok() {
        librosa_parity();
    }
    Ok(())
}
