//! Every supported format decodes to the right samples, rate and length.
mod common;

use common::*;
use subgenre_audio::{load, LoadOptions};

#[test]
fn wav_16bit_mono_at_target_rate_is_exact() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("a.wav");
    let x = sine(440.0, 22050, 22050, 0.5);
    write_wav(
        &p,
        22050,
        1,
        false,
        &x.iter().map(|&s| vec![s]).collect::<Vec<_>>(),
    );
    let a = load(&p, &LoadOptions::default()).expect("load");
    assert_eq!(a.sample_rate, 22050);
    assert_eq!(a.samples.len(), 22050);
    for (got, want) in a.samples.iter().zip(&x) {
        // soundfile's int16 -> float scale is 1/32768
        let q = (want * 32767.0).round() / 32768.0;
        assert!((got - q).abs() < 1e-6, "{got} vs {q}");
    }
}

#[test]
fn float_wav_96k_stereo_is_mixed_and_resampled() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("b.wav");
    let n = 96000;
    let left = sine(1000.0, 96000, n, 0.8);
    let frames: Vec<Vec<f32>> = left.iter().map(|&l| vec![l, 0.0]).collect();
    write_wav(&p, 96000, 2, true, &frames);
    let a = load(&p, &LoadOptions::default()).expect("load");
    assert_eq!(a.source.sample_rate, 96000);
    assert_eq!(a.source.channels, 2);
    assert_eq!(a.samples.len(), 22050);
    // Mean of channels: amplitude halves; the tone keeps its pitch.
    let peak = a.samples[1000..21000]
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()));
    assert!((peak - 0.4).abs() < 0.01, "peak {peak}");
    assert!((tone_freq(&a.samples[1000..21000], 22050) - 1000.0).abs() < 5.0);
}

#[test]
fn offset_and_duration_cut_at_the_native_rate() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("ramp.wav");
    let sr = 8000;
    let x: Vec<Vec<f32>> = (0..sr * 3)
        .map(|i| vec![(i % 1000) as f32 / 1000.0])
        .collect();
    write_wav(&p, sr, 1, true, &x);
    let opts = LoadOptions::default()
        .sr(None)
        .offset(1.25)
        .duration(Some(0.5));
    let a = load(&p, &opts).expect("load");
    assert_eq!(a.samples.len(), 4000);
    assert_eq!(a.samples[0], x[10000][0]);
    assert_eq!(a.samples[3999], x[13999][0]);
    // Asking for more than is there gives what is there, as librosa does.
    let b = load(
        &p,
        &LoadOptions::default()
            .sr(None)
            .offset(2.5)
            .duration(Some(8.0)),
    )
    .expect("load");
    assert_eq!(b.samples.len(), 4000);
    let err = load(&p, &LoadOptions::default().offset(5.0)).expect_err("past end");
    assert!(err.to_string().contains("past the end"), "{err}");
    assert!(load(&p, &LoadOptions::default().offset(-1.0)).is_err());
}

#[test]
fn flac_written_by_subgenre_reads_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("c.flac");
    let x = sine(300.0, 44100, 44100, 0.3);
    subgenre_audio::write_clip(&p, &x, 44100, subgenre_audio::ClipFormat::Flac).expect("write");
    let a = load(&p, &LoadOptions::default().sr(None)).expect("load");
    assert_eq!(a.source.codec, "flac");
    assert_eq!(a.samples.len(), x.len());
    let err = a
        .samples
        .iter()
        .zip(&x)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(err < 1e-4, "max err {err}");
}

#[test]
fn encoded_formats_decode_to_the_right_tone() {
    // Made by tools/fixtures/make_audio_fixtures.sh: 1.5 s, 440 Hz left, 660 Hz right.
    for name in [
        "tone_stereo_44100.ogg",
        "tone_stereo_44100.m4a",
        "tone_stereo_44100.mp3",
        "tone_stereo_44100.flac",
    ] {
        let p = repo_root().join("fixtures/audio").join(name);
        let a = load(&p, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(a.source.channels, 2, "{name}");
        assert_eq!(a.source.sample_rate, 44100, "{name}");
        let secs = a.samples.len() as f64 / 22050.0;
        // AAC in MP4 keeps its ~1 k-sample encoder priming (symphonia does not apply the edit
        // list), so it runs ~33 ms long; the others are trimmed exactly.
        let tolerance = if name.ends_with(".m4a") { 0.05 } else { 0.002 };
        assert!((secs - 1.5).abs() < tolerance, "{name}: {secs} s");
        // ffmpeg's sine source has amplitude 1/8; the mono mean halves each tone to 1/16.
        // Measure each tone's amplitude, and a frequency that is not there.
        let mid = &a.samples[2205..30870];
        for (f, want) in [(440.0f32, 0.0625), (660.0, 0.0625), (550.0, 0.0)] {
            let (mut c, mut s) = (0.0f64, 0.0f64);
            for (i, v) in mid.iter().enumerate() {
                let ph = 2.0 * std::f64::consts::PI * f64::from(f) * i as f64 / 22050.0;
                c += f64::from(*v) * ph.cos();
                s += f64::from(*v) * ph.sin();
            }
            let amp = 2.0 * (c * c + s * s).sqrt() / mid.len() as f64;
            assert!(
                (amp - want).abs() < 0.006,
                "{name}: {f} Hz amplitude {amp}, want {want}"
            );
        }
    }
}

#[test]
fn demo_mp3s_decode_gapless_to_exactly_8_seconds() {
    for p in demo_clips() {
        let a = load(&p, &LoadOptions::default()).expect("demo clip");
        assert_eq!(a.samples.len(), 176_400, "{}", p.display());
        let native = load(&p, &LoadOptions::default().sr(None)).expect("native");
        assert_eq!(
            native.samples.len() as u32,
            8 * native.sample_rate,
            "{}",
            p.display()
        );
    }
}

#[test]
fn bytes_in_memory_load_as_the_file_does() {
    let mut files: Vec<_> = std::fs::read_dir(repo_root().join("fixtures/audio"))
        .expect("fixtures/audio")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.push(demo_clips()[0].clone());
    for path in files {
        for options in [
            LoadOptions::default(),
            LoadOptions::default().sr(None),
            LoadOptions::default().offset(0.5).duration(Some(1.0)),
        ] {
            let from_file = load(&path, &options).expect("load");
            let bytes = std::fs::read(&path).expect("read");
            let from_bytes =
                subgenre_audio::load_bytes(bytes, &path, &options).expect("load_bytes");
            assert_eq!(from_bytes.sample_rate, from_file.sample_rate);
            assert_eq!(
                from_bytes.samples,
                from_file.samples,
                "{} {options:?}",
                path.display()
            );
        }
    }
    let past_end = LoadOptions::default().offset(3600.0);
    let bytes = std::fs::read(&demo_clips()[0]).expect("read");
    let err = subgenre_audio::load_bytes(bytes, "clip.mp3", &past_end).expect_err("past end");
    assert!(err.to_string().contains("clip.mp3"), "{err}");
    let err = subgenre_audio::load_bytes(Vec::new(), "nothing.wav", &LoadOptions::default())
        .expect_err("empty");
    assert_eq!(err.path(), Some(std::path::Path::new("nothing.wav")));
}

#[test]
fn channels_kept_apart_average_to_the_mono_load() {
    let opts = LoadOptions::default().offset(0.25).duration(Some(0.5));
    for ext in ["flac", "mp3", "ogg", "m4a"] {
        let path = repo_root().join(format!("fixtures/audio/tone_stereo_44100.{ext}"));
        let mono = load(&path, &opts).expect("load");
        let both = subgenre_audio::load_channels(&path, &opts).expect("load_channels");
        assert_eq!(both.channels.len(), 2, "{ext}");
        assert_eq!(both.sample_rate, 22050);
        for ch in &both.channels {
            assert_eq!(ch.len(), mono.samples.len(), "{ext}");
        }
        let worst = mono
            .samples
            .iter()
            .enumerate()
            .map(|(i, &m)| (0.5 * (both.channels[0][i] + both.channels[1][i]) - m).abs())
            .fold(0f32, f32::max);
        assert!(worst < 1e-4, "{ext}: mean of channels vs mono {worst}");
    }
    let clip = &demo_clips()[0];
    let one = subgenre_audio::load_channels(clip, &LoadOptions::default()).expect("mono file");
    assert_eq!(one.channels.len(), 1);
    assert_eq!(
        one.channels[0],
        load(clip, &LoadOptions::default()).expect("load").samples
    );
}
