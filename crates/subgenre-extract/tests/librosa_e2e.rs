//! End to end from the MP3 file (decoding and resampling included) against librosa 0.11:
//! the study's 13 features within 1 % (MFCC within 0.5), and the dB mel-spectrogram's 99th
//! percentile difference under 0.5 dB below 10 kHz; the top bands, at the resamplers' roll-off
//! (rubato vs soxr), are reported separately.

use subgenre_dsp::features::FeatureExtractor;
use subgenre_extract::MelVariant;
use subgenre_fixtures::{fixtures_dir, read_npy, repo_root};

/// The six spectral columns of the study's table (the MFCCs follow).
const SCALARS: &[&str] = subgenre_dsp::STUDY_COLUMNS.split_at(6).0;

fn ids() -> Vec<String> {
    std::fs::read_to_string(fixtures_dir().join("librosa/exact/clips.txt"))
        .expect("clips.txt")
        .lines()
        .map(str::to_string)
        .collect()
}

fn percentile(mut v: Vec<f32>, q: f64) -> f32 {
    v.sort_by(f32::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

#[test]
fn features_and_mels_from_mp3_match_librosa() {
    let dir = fixtures_dir().join("librosa/e2e");
    let mut extractor = FeatureExtractor::new(22050.0).expect("extractor");
    let mut spec = MelVariant::Normal.spectrogram().expect("mel");
    let centres = subgenre_dsp::convert::mel_frequencies(130, 20.0, 11_000.0, false);
    let below_10k: Vec<bool> = (0..128).map(|b| centres[b + 1] < 10_000.0).collect();
    let (mut worst_rel, mut worst_mfcc, mut worst_p99, mut worst_top) = (0f64, 0f64, 0f32, 0f32);
    for id in ids() {
        let clip = repo_root().join(format!("data/demo/clips/{id}.mp3"));
        let y = subgenre_audio::load(&clip, &Default::default())
            .expect("load")
            .samples;
        let want: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{id}.json"))).expect("json"),
        )
        .expect("parse");
        let got = extractor.study_means(&y).expect("features").study13();
        for (i, name) in SCALARS.iter().enumerate() {
            let w = want["means"][name].as_f64().expect(name);
            let rel = (f64::from(got[i]) - w).abs() / w.abs();
            worst_rel = worst_rel.max(rel);
            assert!(
                rel < 0.01,
                "{id} {name}: {} vs librosa {w} ({:.3} %)",
                got[i],
                rel * 100.0
            );
        }
        for k in 0..7 {
            let name = format!("mfcc{}", k + 1);
            let w = want["means"][&name].as_f64().expect("mfcc");
            let d = (f64::from(got[6 + k]) - w).abs();
            worst_mfcc = worst_mfcc.max(d);
            assert!(d < 0.5, "{id} {name}: {} vs librosa {w}", got[6 + k]);
        }
        let s_db = subgenre_extract::db_mel(&mut spec, &y).expect("mel");
        let (shape, fixture) = read_npy(dir.join(format!("{id}.mel_normal.npy"))).expect("npy");
        assert_eq!(shape, vec![128, s_db.ncols()]);
        let (mut low, mut top) = (Vec::new(), 0f32);
        for b in 0..128 {
            for t in 0..s_db.ncols() {
                let d = (s_db[[b, t]] - fixture[b * s_db.ncols() + t]).abs();
                if below_10k[b] {
                    low.push(d);
                } else {
                    top = top.max(d);
                }
            }
        }
        let p99 = percentile(low, 0.99);
        worst_p99 = worst_p99.max(p99);
        worst_top = worst_top.max(top);
        assert!(
            p99 < 0.5,
            "{id}: 99th percentile dB difference below 10 kHz {p99}"
        );
    }
    eprintln!(
        "worst: scalar features {:.4} %, mfcc {worst_mfcc:.4}, mel p99 below 10 kHz {worst_p99:.3} dB, \
         max above 10 kHz {worst_top:.2} dB",
        worst_rel * 100.0
    );
}
