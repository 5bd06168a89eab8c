//! End to end from the MP3 file against pyAudioAnalysis 0.3.14 (`fixtures/pyaa/e2e.json`):
//! symphonia decoding at the file's own rate, ffmpeg's int16 conversion, the 50 ms / 25 ms
//! short-term features and both mappings into the study's 13 columns, each within 1 % of what
//! pyAudioAnalysis (fed by pydub/ffmpeg) gives on the 20 clips of `fixtures/librosa/exact`.

use std::path::PathBuf;
use std::time::Instant;

use subgenre_dsp::pyaa::{self, ShortTermExtractor, FEATURE_NAMES, N_FEATURES};
use subgenre_extract::{extract_features, FeatureSet, PyaaMapping};
use subgenre_fixtures::{fixtures_dir, hardtechno_dir, repo_root};

/// The study's 13 columns.
const COLUMNS: &[&str] = subgenre_dsp::STUDY_COLUMNS.split_at(13).0;

fn manifest() -> Option<serde_json::Value> {
    let path = fixtures_dir().join("pyaa/e2e.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("e2e.json parses")),
        Err(_) => {
            eprintln!("skipped: {} not found", path.display());
            None
        }
    }
}

/// `(sample_id, mp3)` of every fixture clip found locally: `data/demo/clips` first (always
/// there), else `../shared/data/hardtechno/clips`; missing ones are reported and skipped.
fn clips(manifest: &serde_json::Value) -> Vec<(String, PathBuf)> {
    let ids = manifest["clips"].as_object().expect("clips section");
    let mut out = Vec::new();
    for id in ids.keys() {
        let demo = repo_root().join(format!("data/demo/clips/{id}.mp3"));
        let shared = hardtechno_dir().map(|d| d.join(format!("clips/{id}.mp3")));
        match (demo.exists(), shared) {
            (true, _) => out.push((id.clone(), demo)),
            (false, Some(p)) if p.exists() => out.push((id.clone(), p)),
            _ => eprintln!(
                "skipped {id}: not in data/demo/clips, and ../shared/data/hardtechno not found"
            ),
        }
    }
    out
}

fn rel(ours: f64, theirs: f64) -> f64 {
    (ours - theirs).abs() / theirs.abs()
}

#[test]
fn study_columns_from_mp3_match_pyaudioanalysis() {
    let Some(manifest) = manifest() else {
        return;
    };
    let clips = clips(&manifest);
    assert!(!clips.is_empty() || hardtechno_dir().is_none());
    let paths: Vec<PathBuf> = clips.iter().map(|(_, p)| p.clone()).collect();
    for (mapping, key) in [
        (PyaaMapping::Study, "study13"),
        (PyaaMapping::Corrected, "corrected13"),
    ] {
        let set = FeatureSet::PyAudioAnalysis(mapping);
        assert_eq!(set.columns(), COLUMNS);
        let results = extract_features(&paths, set, &|| {});
        let mut worst = [0f64; 13];
        for ((id, _), result) in clips.iter().zip(results) {
            let got = result.unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(got.len(), 13);
            let want = &manifest["clips"][id][key];
            for (i, name) in COLUMNS.iter().enumerate() {
                let w = want[name].as_f64().expect(name);
                let r = rel(f64::from(got[i]), w);
                worst[i] = worst[i].max(r);
                assert!(
                    r < 0.01,
                    "{mapping} {id} {name}: {} vs pyAudioAnalysis {w} ({:.3} %)",
                    got[i],
                    r * 100.0
                );
            }
            if mapping == PyaaMapping::Study {
                assert_eq!(got[11], got[12], "{id}: the notebook's mfcc6 == mfcc7");
            }
        }
        let report: Vec<String> = COLUMNS
            .iter()
            .zip(worst)
            .map(|(n, w)| format!("{n} {:.4} %", w * 100.0))
            .collect();
        eprintln!(
            "{mapping} mapping, {} clips, worst relative deviation per column: {}",
            clips.len(),
            report.join(", ")
        );
    }
}

/// All 34 row means, one thread, timed: reports the worst deviation per row (rows whose mean
/// is near zero, like the flux, are compared relative to the row's largest mean) and asserts
/// 1 % on each.
#[test]
fn all_rows_from_mp3_match_pyaudioanalysis() {
    let Some(manifest) = manifest() else {
        return;
    };
    let clips = clips(&manifest);
    let mut fx: Option<ShortTermExtractor> = None;
    let (mut t_load, mut t_feat) = (0f64, 0f64);
    let mut rows: Vec<Vec<(f64, f64)>> = vec![Vec::new(); N_FEATURES];
    for (id, path) in &clips {
        let info = &manifest["clips"][id];
        let t0 = Instant::now();
        let audio = subgenre_audio::load(path, &subgenre_audio::LoadOptions::default().sr(None))
            .expect("load");
        let x = pyaa::pcm16(&audio.samples);
        let t1 = Instant::now();
        let fs = audio.sample_rate;
        assert_eq!(u64::from(fs), info["fs"].as_u64().expect("fs"), "{id}");
        assert_eq!(
            x.len() as u64,
            info["n_samples"].as_u64().expect("n"),
            "{id}: decoded length"
        );
        let plan = match fx.take() {
            Some(p) if p.fs() == fs => p,
            _ => {
                let (w, s) = pyaa::window_step(fs, pyaa::STUDY_WINDOW_S, pyaa::STUDY_STEP_S);
                ShortTermExtractor::new(fs, w, s).expect("plan")
            }
        };
        let plan = fx.insert(plan);
        let feats = plan.extract(&x).expect("features");
        t_feat += t1.elapsed().as_secs_f64();
        t_load += (t1 - t0).as_secs_f64();
        assert_eq!(
            feats.ncols() as u64,
            info["n_frames"].as_u64().expect("frames")
        );
        let want = info["means34"].as_array().expect("means34");
        for (r, w) in want.iter().enumerate() {
            let got = feats.row(r).mean().expect("frames");
            rows[r].push((got, w.as_f64().expect("mean")));
        }
    }
    if clips.is_empty() {
        return;
    }
    let mut report = Vec::new();
    for (r, pairs) in rows.iter().enumerate() {
        let scale = pairs.iter().fold(0f64, |m, &(_, w)| m.max(w.abs()));
        let worst = pairs
            .iter()
            .map(|&(g, w)| (g - w).abs() / w.abs().max(0.05 * scale))
            .fold(0f64, f64::max);
        report.push(format!("{} {:.4} %", FEATURE_NAMES[r], worst * 100.0));
        assert!(
            worst < 0.01,
            "row {r} ({}): {:.3} % off pyAudioAnalysis",
            FEATURE_NAMES[r],
            worst * 100.0
        );
    }
    let n = clips.len() as f64;
    eprintln!(
        "{} clips, one thread: decode + int16 {:.1} ms/clip, short-term features {:.1} ms/clip",
        clips.len(),
        1000.0 * t_load / n,
        1000.0 * t_feat / n
    );
    eprintln!(
        "worst relative deviation of the 34 row means: {}",
        report.join(", ")
    );
}
