//! A file classified as it is decoded (`predict_file`, bounded memory) against the whole-file
//! path (`load`, then `predict_samples`): the same windows, probabilities, tempo and length, to
//! the bit, on demo clips and on a few minutes of joined clips in a stereo 44.1 kHz WAV (so the
//! decoding, mixing and resampling are streamed too).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use subgenre_audio::{load, LoadOptions};
use subgenre_fixtures::repo_root;
use subgenre_predict::{PredictOptions, Predictor};

fn demo_clips() -> Vec<PathBuf> {
    let mut clips: Vec<PathBuf> = std::fs::read_dir(repo_root().join("data/demo/clips"))
        .expect("demo clips")
        .flatten()
        .map(|e| e.path())
        .collect();
    clips.sort();
    clips
}

fn assert_same_result(predictor: &Predictor, path: &Path, options: &PredictOptions) {
    let streamed = predictor.predict_file(path, options).expect("streamed");
    let audio = load(path, &LoadOptions::default()).expect("load");
    let whole = predictor
        .predict_samples(path, &audio.samples, options)
        .expect("whole");
    assert_eq!(streamed, whole, "{}", path.display());
}

#[test]
fn streamed_samples_are_loads() {
    for clip in demo_clips().iter().take(3) {
        let whole = load(clip, &LoadOptions::default()).expect("load");
        let mut pieces = Vec::new();
        let mut calls = 0;
        let streamed = subgenre_audio::stream(clip, &LoadOptions::default(), |s| {
            pieces.extend_from_slice(s);
            calls += 1;
            ControlFlow::Continue(())
        })
        .expect("stream");
        assert!(calls > 10, "in pieces: {calls}");
        assert_eq!(streamed.samples as usize, whole.samples.len());
        assert!(pieces == whole.samples, "{}", clip.display());
    }
}

#[test]
fn clips_streamed_equal_clips_loaded() {
    let predictor = Predictor::embedded().expect("models");
    let with_embedding = PredictOptions {
        embedding: true,
        ..PredictOptions::default()
    };
    for clip in demo_clips().iter().take(4) {
        assert_same_result(&predictor, clip, &PredictOptions::default());
    }
    assert_same_result(&predictor, &demo_clips()[0], &with_embedding);
}

#[test]
fn a_long_stereo_track_streamed_equals_it_loaded() {
    let dir = tempfile::tempdir().expect("tmp");
    // 24 demo clips joined (3.2 minutes), duplicated to two slightly different channels at
    // 44.1 kHz, plus a short tail so the last window is pulled back onto the frame grid.
    let mut mono = Vec::new();
    for clip in demo_clips().iter().take(24) {
        let options = LoadOptions::default().sr(Some(44_100));
        mono.extend(load(clip, &options).expect("load").samples);
    }
    mono.extend(std::iter::repeat_n(0.01f32, 12_345));
    let stereo: Vec<f32> = mono
        .iter()
        .enumerate()
        .flat_map(|(i, &v)| [v, v * 0.5 + if i % 2 == 0 { 0.001 } else { -0.001 }])
        .collect();
    let track = dir.path().join("joined.wav");
    write_interleaved_wav(&track, &stereo, 44_100, 2);
    let predictor = Predictor::embedded().expect("models");
    for hop_s in [4.0, 2.7] {
        let options = PredictOptions {
            hop_s,
            batch_size: 7,
            ..PredictOptions::default()
        };
        assert_same_result(&predictor, &track, &options);
    }
}

/// A 16-bit PCM WAV of interleaved `samples`.
fn write_interleaved_wav(path: &Path, samples: &[f32], sr: u32, channels: u16) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: sr,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("wav");
    for &v in samples {
        w.write_sample((v.clamp(-1.0, 1.0) * 32767.0) as i16)
            .expect("sample");
    }
    w.finalize().expect("finalize");
}
