//! Parity with pyAudioAnalysis 0.3.14 on identical input (`fixtures/pyaa/`, see its README):
//! the int16 samples pyAudioAnalysis read, saved as WAV, and its full 68 x frames
//! `feature_extraction` matrix (34 base rows and 34 deltas).

use std::path::{Path, PathBuf};

use subgenre_dsp::pyaa::{self, ShortTermExtractor, FEATURE_NAMES, N_FEATURES};
use subgenre_fixtures::{fixtures_dir, read_wav_i16};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Relative tolerance on identical input. Both sides compute in f64; what is left (about 1e-11
/// at worst) is the summation order of numpy and of this crate, and the FFT's rounding.
const REL_TOL: f64 = 1e-8;

/// A `<f8` C-order `.npy` (what the fixture script writes) as `(shape, values)`, exactly:
/// `subgenre_fixtures::read_npy` rounds to f32, too coarse for this comparison.
fn read_npy_f64(path: &Path) -> Result<(Vec<usize>, Vec<f64>), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" || bytes[6] != 1 {
        return Err(format!("{}: not a version 1 .npy file", path.display()).into());
    }
    let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    let header = std::str::from_utf8(&bytes[10..10 + header_len])?;
    if !header.contains("'descr': '<f8'") || !header.contains("'fortran_order': False") {
        return Err(format!("{}: not a C-order <f8 array: {header}", path.display()).into());
    }
    let shape_txt = header
        .split("'shape': (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .ok_or("no shape")?;
    let shape = shape_txt
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse::<usize>)
        .collect::<Result<Vec<_>, _>>()?;
    let values: Vec<f64> = bytes[10 + header_len..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect();
    if values.len() != shape.iter().product::<usize>() {
        return Err(format!("{}: data does not match shape {shape:?}", path.display()).into());
    }
    Ok((shape, values))
}

fn pyaa_dir() -> PathBuf {
    fixtures_dir().join("pyaa")
}

fn manifest() -> Option<serde_json::Value> {
    let path = pyaa_dir().join("e2e.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("e2e.json parses")),
        Err(_) => {
            eprintln!("skipped: {} not found", path.display());
            None
        }
    }
}

/// Error of `ours` against `theirs` relative to `|theirs|`, floored at `1e-9` of the row's
/// largest magnitude (so entries at or near zero, e.g. MFCCs crossing zero or the first
/// frame's flux and deltas, are compared absolutely at the row's scale).
fn row_error(ours: &[f64], theirs: &[f64]) -> f64 {
    let scale = theirs.iter().fold(0f64, |m, v| m.max(v.abs()));
    let floor = (scale * 1e-9).max(f64::MIN_POSITIVE);
    ours.iter()
        .zip(theirs)
        .map(|(a, b)| (a - b).abs() / b.abs().max(floor))
        .fold(0.0, f64::max)
}

#[test]
fn feature_matrix_matches_pyaudioanalysis_on_identical_input() -> TestResult {
    let Some(manifest) = manifest() else {
        return Ok(());
    };
    let exact = manifest["exact"].as_object().ok_or("no exact section")?;
    assert!(exact.len() >= 4);
    let mut worst = [0f64; 2 * N_FEATURES];
    for (name, info) in exact {
        let fs = info["fs"].as_u64().ok_or("fs")? as u32;
        let (sr, y) = read_wav_i16(pyaa_dir().join("exact").join(format!("{name}.wav")))?;
        assert_eq!(sr, fs, "{name}");
        // read_wav_i16 gives i16 / 32768 exactly: back to the int16 values pyAudioAnalysis read.
        let x: Vec<i16> = y.iter().map(|&v| (v * 32768.0) as i16).collect();
        let window = info["window"].as_u64().ok_or("window")? as usize;
        let step = info["step"].as_u64().ok_or("step")? as usize;
        if info.get("sample_id").is_some() {
            // A clip excerpt: the study's int(0.050 * fs), int(0.025 * fs).
            let study = pyaa::window_step(fs, pyaa::STUDY_WINDOW_S, pyaa::STUDY_STEP_S);
            assert_eq!(study, (window, step), "{name}");
        }
        let ours = pyaa::with_deltas(&pyaa::short_term_features(&x, fs, window, step)?);
        let (shape, theirs) = read_npy_f64(&pyaa_dir().join("exact").join(format!("{name}.npy")))?;
        assert_eq!(shape, vec![ours.nrows(), ours.ncols()], "{name}");
        let t = ours.ncols();
        for r in 0..ours.nrows() {
            let want = &theirs[r * t..(r + 1) * t];
            let got = ours.row(r).to_vec();
            let err = row_error(&got, want);
            worst[r] = worst[r].max(err);
            let label = if r < N_FEATURES {
                FEATURE_NAMES[r].to_string()
            } else {
                format!("delta {}", FEATURE_NAMES[r - N_FEATURES])
            };
            assert!(
                err < REL_TOL,
                "{name} row {r} ({label}): relative error {err:.3e}\n ours   {:?}\n theirs {:?}",
                &got[..t.min(6)],
                &want[..t.min(6)]
            );
        }
    }
    let mut report = String::new();
    for (r, name) in FEATURE_NAMES.iter().enumerate() {
        report += &format!(
            "{name} {:.1e} (delta {:.1e}), ",
            worst[r],
            worst[r + N_FEATURES]
        );
    }
    eprintln!("worst relative error per row, identical input: {report}");
    Ok(())
}

#[test]
fn silence_matches_pyaudioanalysis() -> TestResult {
    let Some(manifest) = manifest() else {
        return Ok(());
    };
    let info = &manifest["synthetic"]["silence_48000_24000"];
    let n = info["n_samples"].as_u64().ok_or("n_samples")? as usize;
    let fs = info["fs"].as_u64().ok_or("fs")? as u32;
    let mut fx = ShortTermExtractor::new(fs, 2400, 1200)?;
    let feats = fx.extract(&vec![0i16; n])?;
    assert_eq!(
        feats.ncols() as u64,
        info["n_frames"].as_u64().ok_or("frames")?
    );
    let want = info["means34"].as_array().ok_or("means34")?;
    for (r, w) in want.iter().enumerate() {
        let w = w.as_f64().ok_or("mean")?;
        let got = feats.row(r).mean().ok_or("no frames")?;
        assert!(
            (got - w).abs() <= 1e-9 * w.abs().max(1.0),
            "silence row {r} ({}): {got} vs {w}",
            FEATURE_NAMES[r]
        );
    }
    Ok(())
}

#[test]
fn any_sample_scale_gives_the_same_features() -> TestResult {
    // The peak normalisation makes the input scale irrelevant (up to pyAudioAnalysis's 1e-10
    // guard): f32 samples in [-1, 1] times 32768 equal the int16 values.
    let x: Vec<i16> = (0..24_000)
        .map(|i| ((f64::from(i) * 0.031).sin() * 12_000.0 + f64::from(i % 7) * 30.0) as i16)
        .collect();
    let as_f32: Vec<f32> = x
        .iter()
        .map(|&v| f32::from(v) / 32768.0 * 32768.0)
        .collect();
    let a = pyaa::short_term_features(&x, 48_000, 2400, 1200)?;
    let b = pyaa::short_term_features(&as_f32, 48_000, 2400, 1200)?;
    assert_eq!(a, b);
    Ok(())
}
