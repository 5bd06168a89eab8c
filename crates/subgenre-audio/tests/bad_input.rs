//! Bad input gives samples or an error naming the file: never a panic, never a hang.
mod common;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use proptest::prelude::*;
use subgenre_audio::{decode_bytes, load, AudioError, LoadOptions};

fn load_err(path: &Path) -> AudioError {
    load(path, &LoadOptions::default()).expect_err("should fail")
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("empty.mp3");
    std::fs::write(&p, b"").expect("write");
    let e = load_err(&p);
    assert!(matches!(e, AudioError::Empty { .. }), "{e}");
    assert!(e.to_string().contains("empty.mp3"));
}

#[test]
fn random_bytes_and_png_named_mp3() {
    let dir = tempfile::tempdir().expect("tmp");
    let noise = dir.path().join("noise.mp3");
    let mut state = 12345u64;
    let bytes: Vec<u8> = (0..50_000)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect();
    std::fs::write(&noise, &bytes).expect("write");
    let png = dir.path().join("cover.mp3");
    let mut png_bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png_bytes.extend(std::iter::repeat_n(0u8, 500));
    std::fs::write(&png, &png_bytes).expect("write");
    for p in [&noise, &png] {
        let e = load_err(p);
        let name = p.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(e.to_string().contains(name), "{e}");
    }
}

#[test]
fn missing_file_names_it() {
    let e = load_err(Path::new("/no/such/dir/clip.mp3"));
    assert!(matches!(e, AudioError::Io { .. }));
    assert!(e.to_string().contains("/no/such/dir/clip.mp3"));
}

#[test]
fn truncated_mp3_gives_the_part_that_is_there() {
    let clip = &demo_clips()[0];
    let bytes = std::fs::read(clip).expect("read");
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("half.mp3");
    std::fs::write(&p, &bytes[..bytes.len() / 2]).expect("write");
    let a = load(&p, &LoadOptions::default()).expect("half a clip still decodes");
    let secs = a.duration_s();
    assert!((2.0..6.0).contains(&secs), "{secs} s");
}

#[test]
fn two_second_file_asked_for_eight() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("short.wav");
    let x = sine(220.0, 44100, 88200, 0.5);
    write_wav(
        &p,
        44100,
        1,
        false,
        &x.iter().map(|&s| vec![s]).collect::<Vec<_>>(),
    );
    let a = load(&p, &LoadOptions::default().duration(Some(8.0))).expect("short");
    assert_eq!(a.samples.len(), 44100);
}

#[test]
fn digital_silence_is_zeros_of_the_right_length() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("silence.wav");
    write_wav(&p, 48000, 1, false, &vec![vec![0.0]; 8 * 48000]);
    let a = load(&p, &LoadOptions::default()).expect("silence");
    assert_eq!(a.samples.len(), 176_400);
    assert!(a.samples.iter().all(|&v| v == 0.0));
}

/// Decode in a thread; fail if it takes more than `limit`.
fn decode_within(bytes: Vec<u8>, limit: Duration) -> Result<Result<usize, String>, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = decode_bytes(bytes, "mutated.mp3")
            .map(|d| d.samples.len())
            .map_err(|e| e.to_string());
        let _ = tx.send(r);
    });
    rx.recv_timeout(limit)
        .map_err(|_| "decoder hung".to_string())
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, xor: u8 },
    Cut { keep: usize },
    Splice { from: usize, len: usize, to: usize },
    Zero { at: usize, len: usize },
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len();
    match *m {
        Mutation::Flip { at, xor } => bytes[at % n] ^= xor.max(1),
        Mutation::Cut { keep } => bytes.truncate(keep % n),
        Mutation::Splice { from, len, to } => {
            let from = from % n;
            let end = (from + len).min(n);
            let chunk = bytes[from..end].to_vec();
            let to = to % n;
            bytes.splice(to..to, chunk);
        }
        Mutation::Zero { at, len } => {
            let at = at % n;
            let end = (at + len).min(n);
            bytes[at..end].iter_mut().for_each(|b| *b = 0);
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        1 => any::<usize>().prop_map(|keep| Mutation::Cut { keep }),
        1 => (any::<usize>(), 1usize..4000, any::<usize>()).prop_map(|(from, len, to)| Mutation::Splice { from, len, to }),
        1 => (any::<usize>(), 1usize..2000).prop_map(|(at, len)| Mutation::Zero { at, len }),
    ]
}

proptest! {
    // Thousands of damaged real clips: each decodes or fails cleanly, in bounded time.
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn mutated_clips_never_panic_or_hang(
        clip in 0usize..30,
        mutations in proptest::collection::vec(mutation(), 1..12),
    ) {
        let clips = demo_clips();
        let mut bytes = std::fs::read(&clips[clip % clips.len()]).expect("read");
        for m in &mutations {
            if bytes.is_empty() { break; }
            apply(&mut bytes, m);
        }
        let outcome = decode_within(bytes, Duration::from_secs(10));
        prop_assert!(outcome.is_ok(), "{:?} with {:?}", outcome, mutations);
        if let Ok(Err(msg)) = outcome {
            prop_assert!(msg.contains("mutated.mp3"), "error must name the file: {}", msg);
        }
    }
}
