//! Parity with librosa 0.11 on the committed fixtures (`fixtures/librosa/`, see its README).

use std::path::{Path, PathBuf};

use subgenre_dsp::{
    chroma_stft, mfcc, onset_strength, power_to_db, rms, spectral_bandwidth, spectral_centroid,
    spectral_rolloff, zero_crossing_rate, DbRef, FeatureExtractor, FftPrecision, FrameRow,
    MelFilterbank, MelNorm, MelParams, RichFrames, SpectralContrast, Spectrum, StftParams,
    TempoEstimator, AMIN, FRAME_ROWS, TOP_DB,
};
use subgenre_fixtures::{fixtures_dir, read_npy, read_wav_i16};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn librosa_dir() -> PathBuf {
    fixtures_dir().join("librosa")
}

/// `(name, wav)` of every clip with frame fixtures: the exact set and the synthetic signals.
fn clips() -> Vec<(String, PathBuf)> {
    let dir = librosa_dir();
    let mut out = Vec::new();
    if let Ok(list) = std::fs::read_to_string(dir.join("exact").join("clips.txt")) {
        for id in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
            out.push((id.to_string(), dir.join("exact").join(format!("{id}.wav"))));
        }
    }
    for name in ["chirp", "silence"] {
        out.push((
            name.to_string(),
            dir.join("synthetic").join(format!("{name}.wav")),
        ));
    }
    out
}

fn sibling(wav: &Path, suffix: &str) -> PathBuf {
    let stem = wav.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    wav.with_file_name(format!("{stem}.{suffix}"))
}

fn json(wav: &Path) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_str(&std::fs::read_to_string(sibling(
        wav, "json",
    ))?)?)
}

fn have_fixtures() -> bool {
    let ok = librosa_dir().join("exact").join("clips.txt").exists();
    if !ok {
        eprintln!("skipped: fixtures/librosa not found");
    }
    ok
}

/// Largest relative error of `ours` against `theirs`, with the denominator floored at
/// `floor` (so values at or near zero are compared absolutely at that scale).
fn max_rel(ours: impl IntoIterator<Item = f32>, theirs: &[f32], floor: f64) -> f64 {
    ours.into_iter()
        .zip(theirs)
        .map(|(a, &b)| (f64::from(a) - f64::from(b)).abs() / f64::from(b).abs().max(floor))
        .fold(0.0, f64::max)
}

fn max_abs(ours: impl IntoIterator<Item = f32>, theirs: &[f32]) -> f64 {
    ours.into_iter()
        .zip(theirs)
        .map(|(a, &b)| (f64::from(a) - f64::from(b)).abs())
        .fold(0.0, f64::max)
}

struct Clip {
    name: String,
    wav: PathBuf,
    rich: RichFrames,
}

fn extract_all() -> Result<Vec<Clip>, Box<dyn std::error::Error>> {
    let mut fx = FeatureExtractor::new(22050.0)?;
    let mut out = Vec::new();
    for (name, wav) in clips() {
        let (sr, y) = read_wav_i16(&wav)?;
        assert_eq!(sr, 22050, "{name}");
        let rich = fx.extract_rich(&y)?;
        out.push(Clip { name, wav, rich });
    }
    Ok(out)
}

#[test]
fn frame_features_match_librosa() -> TestResult {
    if !have_fixtures() {
        return Ok(());
    }
    let mut worst = vec![0f64; FRAME_ROWS.len()];
    for clip in extract_all()? {
        let (shape, expect) = read_npy(sibling(&clip.wav, "frames.npy"))?;
        let ours = clip.rich.frames.to_matrix();
        assert_eq!(shape, vec![ours.nrows(), ours.ncols()], "{}", clip.name);
        let t = ours.ncols();
        for (r, name) in FRAME_ROWS.iter().enumerate() {
            let theirs = &expect[r * t..(r + 1) * t];
            let err = if name.starts_with("mfcc") {
                max_abs(ours.row(r).iter().copied(), theirs)
            } else {
                // Relative, with near-zero values compared at 1e-6 of the row's scale.
                let scale = theirs.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs()));
                max_rel(
                    ours.row(r).iter().copied(),
                    theirs,
                    (scale * 1e-6).max(1e-30),
                )
            };
            if err > worst[r] {
                worst[r] = err;
            }
            let tol = if name.starts_with("mfcc") { 0.01 } else { 1e-3 };
            assert!(
                err <= tol,
                "{}: row {r} ({name}) error {err:e} > {tol}",
                clip.name
            );
        }
        // The tuning chroma_stft estimated internally.
        let j = json(&clip.wav)?;
        let tuning = j["tuning"]["chroma_stft_internal"]
            .as_f64()
            .unwrap_or(f64::NAN);
        assert!(
            (clip.rich.frames.tuning - tuning).abs() < 1e-9,
            "{}: tuning {} vs {tuning}",
            clip.name,
            clip.rich.frames.tuning
        );
    }
    for (name, w) in FRAME_ROWS.iter().zip(&worst) {
        println!("{name:>20}: max error {w:.3e}");
    }
    Ok(())
}

#[test]
fn clip_means_match_librosa() -> TestResult {
    if !have_fixtures() {
        return Ok(());
    }
    let keys = subgenre_dsp::STUDY_COLUMNS;
    let mut worst = vec![0f64; keys.len()];
    for clip in extract_all()? {
        if clip.name == "chirp" || clip.name == "silence" {
            continue;
        }
        let j = json(&clip.wav)?;
        let ours = clip.rich.frames.means().to_vector();
        for (i, key) in keys.iter().enumerate() {
            let theirs = j["means"][key].as_f64().ok_or("missing mean")?;
            let mfcc = key.starts_with("mfcc");
            let err = if mfcc {
                (f64::from(ours[i]) - theirs).abs()
            } else {
                (f64::from(ours[i]) - theirs).abs() / theirs.abs().max(1e-12)
            };
            worst[i] = worst[i].max(err);
            let tol = if mfcc { 0.01 } else { 1e-3 };
            assert!(err <= tol, "{}: {key} {} vs {theirs}", clip.name, ours[i]);
        }
    }
    for (k, w) in keys.iter().zip(&worst) {
        println!("{k:>12}: max error {w:.3e}");
    }
    Ok(())
}

#[test]
fn rich_features_match_librosa() -> TestResult {
    if !have_fixtures() {
        return Ok(());
    }
    let (mut onset_worst, mut contrast_worst, mut tempo_mismatch, mut n) = (0f64, 0f64, 0, 0);
    for clip in extract_all()? {
        if clip.name == "chirp" || clip.name == "silence" {
            continue;
        }
        n += 1;
        let j = json(&clip.wav)?;
        let (_, onset) = read_npy(sibling(&clip.wav, "onset.npy"))?;
        let scale = onset.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs()));
        let e = max_abs(clip.rich.onset_strength.iter().copied(), &onset) / scale;
        onset_worst = onset_worst.max(e);
        let summary = clip.rich.summary();
        for (b, theirs) in j["contrast_means"]
            .as_array()
            .ok_or("no contrast")?
            .iter()
            .enumerate()
        {
            let theirs = theirs.as_f64().ok_or("contrast")?;
            contrast_worst =
                contrast_worst.max((f64::from(summary.contrast_mean[b]) - theirs).abs());
        }
        let tempo = j["tempo_feature"].as_f64().ok_or("no tempo")?;
        if (f64::from(clip.rich.tempo) - tempo).abs() > 1e-3 {
            tempo_mismatch += 1;
            println!(
                "{}: tempo {} vs librosa {tempo}",
                clip.name, clip.rich.tempo
            );
        }
    }
    println!("onset: max abs error / max = {onset_worst:.3e}");
    println!("contrast means: max abs error {contrast_worst:.3e} dB");
    println!("tempo: {tempo_mismatch} of {n} clips differ");
    assert!(onset_worst < 1e-4);
    assert!(contrast_worst < 1e-3);
    assert_eq!(tempo_mismatch, 0);
    Ok(())
}

#[test]
fn mel_db_matches_librosa() -> TestResult {
    if !have_fixtures() {
        return Ok(());
    }
    let mut normal = MelParams::new(22050.0)
        .n_fft(1024)
        .hop_length(512)
        .fmin(20.0)
        .fmax(11000.0)
        .build()?;
    let mut low = MelParams::new(22050.0)
        .n_fft(1024)
        .hop_length(512)
        .fmin(20.0)
        .fmax(2000.0)
        .build()?;
    let (mut worst_normal, mut worst_low) = (0f64, 0f64);
    for (name, wav) in clips() {
        let (_, y) = read_wav_i16(&wav)?;
        for (variant, mel, worst) in [
            ("mel_normal", &mut normal, &mut worst_normal),
            ("mel_low", &mut low, &mut worst_low),
        ] {
            let path = sibling(&wav, &format!("{variant}.npy"));
            if !path.exists() {
                continue;
            }
            let (shape, theirs) = read_npy(&path)?;
            let ours = mel.compute_db(&y, DbRef::Max, AMIN, TOP_DB)?;
            assert_eq!(shape, vec![ours.nrows(), ours.ncols()], "{name} {variant}");
            let err = max_abs(ours.iter().copied(), &theirs);
            assert!(err <= 0.01, "{name} {variant}: max error {err} dB");
            *worst = worst.max(err);
        }
    }
    println!("mel_normal: max abs error {worst_normal:.3e} dB");
    println!("mel_low: max abs error {worst_low:.3e} dB");
    Ok(())
}

/// The standalone functions (no extractor) on one clip against the same fixtures.
#[test]
fn standalone_functions_match_librosa() -> TestResult {
    if !have_fixtures() {
        return Ok(());
    }
    let Some((name, wav)) = clips().into_iter().next() else {
        return Ok(());
    };
    let (_, y) = read_wav_i16(&wav)?;
    let sr = 22050.0;
    let (_, frames) = read_npy(sibling(&wav, "frames.npy"))?;
    let mut stft = StftParams::default().build()?;
    let mag = stft.compute(&y, Spectrum::Magnitude)?;
    let power = stft.compute(&y, Spectrum::Power)?;
    let t = mag.ncols();
    let row = |r: usize| &frames[r * t..(r + 1) * t];
    let check = |what: &str, ours: Vec<f32>, theirs: &[f32], tol: f64| {
        let scale = theirs.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs()));
        let err = max_rel(ours, theirs, (scale * 1e-6).max(1e-30));
        assert!(err <= tol, "{name}: {what} error {err:e}");
    };
    let chroma = chroma_stft(&power, sr, 12, None)?;
    for c in 0..12 {
        check("chroma", chroma.row(c).to_vec(), row(c), 1e-3);
    }
    check("rms", rms(&y, 2048, 512, true)?.to_vec(), row(12), 1e-3);
    check(
        "centroid",
        spectral_centroid(&mag, sr)?.mapv(|v| v as f32).to_vec(),
        row(13),
        1e-3,
    );
    check(
        "bandwidth",
        spectral_bandwidth(&mag, sr)?.mapv(|v| v as f32).to_vec(),
        row(14),
        1e-3,
    );
    check(
        "rolloff",
        spectral_rolloff(&mag, sr, 0.85)?
            .mapv(|v| v as f32)
            .to_vec(),
        row(15),
        1e-3,
    );
    check(
        "zcr",
        zero_crossing_rate(&y, 2048, 512, true)?
            .mapv(|v| v as f32)
            .to_vec(),
        row(16),
        1e-3,
    );
    let fb = MelFilterbank::new(sr, 2048, 128, 0.0, None, false, Some(MelNorm::Slaney))?;
    let s_db = power_to_db(&fb.apply(&power)?, DbRef::Value(1.0), AMIN, TOP_DB)?;
    let m = mfcc(&s_db, 20)?;
    for k in 0..20 {
        let err = max_abs(m.row(k).iter().copied(), row(17 + k));
        assert!(err <= 0.01, "{name}: mfcc{k} error {err}");
    }
    let onset = onset_strength(&s_db, 2048, 512)?;
    let (_, theirs) = read_npy(sibling(&wav, "onset.npy"))?;
    assert!(max_abs(onset.iter().copied(), &theirs) < 1e-4);
    let j = json(&wav)?;
    let tempo = TempoEstimator::new(sr, 512)?.estimate(onset.as_slice().ok_or("onset layout")?)?;
    assert!((tempo - j["tempo_feature"].as_f64().ok_or("tempo")?).abs() < 1e-6);
    let contrast = SpectralContrast::new(sr, 2048)?.compute(&mag)?;
    for (b, theirs) in j["contrast_means"]
        .as_array()
        .ok_or("contrast")?
        .iter()
        .enumerate()
    {
        let ours = contrast.row(b).sum() / t as f64;
        assert!(
            (ours - theirs.as_f64().ok_or("contrast")?).abs() < 1e-3,
            "{name}: contrast band {b}"
        );
    }
    Ok(())
}

/// The f32 FFT is a speed option: report how far it moves the features on the fixtures.
#[test]
fn f32_fft_stays_close() -> TestResult {
    if !have_fixtures() {
        return Ok(());
    }
    let mut exact = FeatureExtractor::new(22050.0)?;
    let mut fast = FeatureExtractor::with_precision(22050.0, FftPrecision::F32)?;
    let (mut worst_rel, mut worst_mfcc, mut tuning_changes, mut rolloff_moves, mut frames) =
        (0f64, 0f64, 0, 0, 0);
    for (_, wav) in clips() {
        let (_, y) = read_wav_i16(&wav)?;
        let a = exact.extract(&y)?;
        let b = fast.extract(&y)?;
        tuning_changes += usize::from(a.tuning != b.tuning);
        let (ma, mb) = (a.to_matrix(), b.to_matrix());
        for (r, name) in FRAME_ROWS.iter().enumerate() {
            let theirs = ma.row(r).to_vec();
            if name.starts_with("mfcc") {
                worst_mfcc = worst_mfcc.max(max_abs(mb.row(r).iter().copied(), &theirs));
            } else if *name == "rolloff" {
                rolloff_moves += mb
                    .row(r)
                    .iter()
                    .zip(&theirs)
                    .filter(|(x, y)| x != y)
                    .count();
                frames += theirs.len();
            } else {
                let scale = theirs.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs()));
                worst_rel = worst_rel.max(max_rel(
                    mb.row(r).iter().copied(),
                    &theirs,
                    (scale * 1e-6).max(1e-30),
                ));
            }
        }
    }
    println!(
        "f32 FFT vs f64: max rel {worst_rel:.2e} (chroma, rms, centroid, bandwidth, zcr), mfcc max abs \
         {worst_mfcc:.2e}, tuning changed on {tuning_changes} clips, rolloff moved in {rolloff_moves} of {frames} frames"
    );
    assert_eq!(tuning_changes, 0);
    assert!(worst_rel < 1e-3 && worst_mfcc < 0.01);
    Ok(())
}

#[test]
fn extractor_is_send() {
    fn send<T: Send>() {}
    send::<FeatureExtractor>();
    send::<subgenre_dsp::MelSpectrogram>();
}

#[test]
fn row_enum_matches_fixture_layout() {
    assert_eq!(FrameRow::Chroma(0).index(), 0);
    assert_eq!(FrameRow::Rms.index(), 12);
    assert_eq!(FrameRow::SpectralCentroid.index(), 13);
    assert_eq!(FrameRow::SpectralBandwidth.index(), 14);
    assert_eq!(FrameRow::Rolloff.index(), 15);
    assert_eq!(FrameRow::ZeroCrossingRate.index(), 16);
    assert_eq!(FrameRow::Mfcc(0).index(), 17);
    assert_eq!(FrameRow::Mfcc(19).index(), 36);
}
