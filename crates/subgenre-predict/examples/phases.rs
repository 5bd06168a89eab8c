//! Where a whole-track prediction's time goes, phase by phase, for BENCHMARKS.md:
//! decode and resample, the windows' spectrogram and model inputs, the tempo, the networks
//! (and the networks through burn's tensors, as before `CpuCnn`).
//!
//!     cargo run --release -p subgenre-predict --example phases -- TRACK.mp3 [REPEATS]
//!
//! Run it on one core (`taskset -c 1`, and `RAYON_NUM_THREADS=1`). Each phase's fastest of
//! REPEATS runs (default 5) is printed in seconds; the shipped models unless
//! `SUBGENRE_MODELS` names model files (comma-separated).

use std::path::{Path, PathBuf};
use std::time::Instant;

use subgenre_predict::{track_tempo, track_windows, Predictor};

/// The fastest of `repeats` runs of `work` (at least one), and the last run's value.
fn fastest<T>(repeats: usize, mut work: impl FnMut() -> T) -> (f64, T) {
    let start = Instant::now();
    let mut value = work();
    let mut best = start.elapsed().as_secs_f64();
    for _ in 1..repeats {
        let start = Instant::now();
        value = work();
        best = best.min(start.elapsed().as_secs_f64());
    }
    (best, value)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let track = PathBuf::from(args.next().ok_or("usage: phases TRACK [REPEATS]")?);
    let repeats: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5);
    let predictor = match std::env::var("SUBGENRE_MODELS") {
        Ok(list) => Predictor::from_files(&list.split(',').map(PathBuf::from).collect::<Vec<_>>())?,
        Err(_) => Predictor::embedded()?,
    };
    let spec = predictor.spec().clone();
    let input = subgenre_predict::ModelInput::from_spec(&spec.input)?;
    let (variant, route) = input.audio().ok_or("the model does not read audio")?;
    let options = subgenre_audio::LoadOptions::default();
    let (decode, audio) = fastest(repeats, || {
        subgenre_audio::load(Path::new(&track), &options)
    });
    let samples = audio?.samples;
    let size = spec.input.size;
    let (windows, w) = fastest(repeats, || {
        track_windows(&samples, variant, route, size, 4.0)
    });
    let w = w?;
    let (tempo, bpm) = fastest(repeats, || track_tempo(&samples));
    bpm?;
    let (networks, probs) = fastest(repeats, || predictor.models().predict_proba(&w.inputs, 64));
    probs?;
    let (burn, probs) = fastest(repeats.min(2), || {
        predictor
            .models()
            .members()
            .iter()
            .map(|m| subgenre_cnn::predict_proba_burn(&m.model, &w.inputs, 64))
            .collect::<Result<Vec<_>, _>>()
    });
    probs?;
    println!(
        "track {} ({:.0} s, {} windows, {} models)",
        track.display(),
        samples.len() as f64 / 22050.0,
        w.inputs.len(),
        predictor.models().len()
    );
    println!("decode+resample {decode:.3} s");
    println!("spectrogram+inputs {windows:.3} s");
    println!("tempo {tempo:.3} s");
    println!("networks {networks:.3} s (through burn's tensors: {burn:.3} s)");
    println!("sum {:.3} s", decode + windows + tempo + networks);
    Ok(())
}
