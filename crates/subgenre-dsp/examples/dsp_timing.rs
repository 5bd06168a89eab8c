//! Per-clip timings of the DSP (8 s at 22050 Hz), a benchmark harness, not a test. Run with
//! `cargo run --release -p subgenre-dsp --example dsp_timing`. Wall-clock times: on a busy
//! machine compare CPU time instead, e.g.
//! `TIMING_ONLY=extract_rich perf stat -e task-clock target/release/examples/dsp_timing`.

use std::time::Instant;

use subgenre_dsp::{DbRef, FeatureExtractor, FftPrecision, MelParams, AMIN, TOP_DB};
use subgenre_fixtures::{fixtures_dir, read_wav_i16};

fn clip_8s() -> Vec<f32> {
    let wav = fixtures_dir()
        .join("librosa")
        .join("exact")
        .join("060lwJRum4TGvfxns2Acyi_1588.wav");
    let y = read_wav_i16(&wav).map(|(_, y)| y).unwrap_or_else(|_| {
        // No fixtures: a deterministic noisy chord.
        (0..88200)
            .map(|i| {
                let t = i as f32 / 22050.0;
                0.3 * (2.0 * std::f32::consts::PI * 220.0 * t).sin()
                    + 0.2 * (2.0 * std::f32::consts::PI * 330.0 * t).sin()
                    + 0.05 * (((i * 7919) % 1000) as f32 / 500.0 - 1.0)
            })
            .collect()
    });
    let mut out = y.clone();
    out.extend_from_slice(&y);
    out.truncate(176_400);
    out
}

fn time<T>(label: &str, reps: usize, mut f: impl FnMut() -> T) {
    // TIMING_ONLY=<substring> runs one measurement (handy under `perf`).
    if std::env::var("TIMING_ONLY").is_ok_and(|only| !label.contains(&only)) {
        return;
    }
    // TIMING_REPS overrides the repetition count (e.g. 3 under valgrind --tool=callgrind).
    let reps = std::env::var("TIMING_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(reps);
    f(); // warm-up
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    // The minimum is the least disturbed by other load on a shared machine.
    println!(
        "{label:<40} min {:7.3} ms, median {:7.3} ms per 8 s clip",
        times[0],
        times[reps / 2]
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let y = clip_8s();
    for precision in [FftPrecision::F64, FftPrecision::F32] {
        let mut fx = FeatureExtractor::with_precision(22050.0, precision)?;
        time(
            &format!("extract (study set), {precision:?} FFT"),
            200,
            || fx.extract(&y),
        );
        time(&format!("extract_rich, {precision:?} FFT"), 200, || {
            fx.extract_rich(&y)
        });
        let mut normal = MelParams::new(22050.0)
            .n_fft(1024)
            .hop_length(512)
            .fmin(20.0)
            .fmax(11000.0)
            .precision(precision)
            .build()?;
        let mut out = ndarray::Array2::zeros((128, normal.n_frames(y.len())?));
        time(
            &format!("mel normal + dB(ref=max), {precision:?} FFT"),
            300,
            || normal.compute_db_into(&y, DbRef::Max, AMIN, TOP_DB, &mut out),
        );
    }
    Ok(())
}
