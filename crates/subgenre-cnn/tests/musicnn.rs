//! musicnn in Rust against TensorFlow: the parity fixtures of `fixtures/musicnn` (written by
//! `tools/musicnn/make_fixtures.py` with TensorFlow 2.15 and librosa 0.11.0), and bad inputs.

use std::collections::HashMap;
use std::path::PathBuf;

use subgenre_cnn::pretrained::float16::{f16_bits_to_f32, f32_to_f16_bits};
use subgenre_cnn::pretrained::musicnn::{
    logmel, logmel_at, logmel_patches, patches, Musicnn, MusicnnError, MusicnnLayer, MusicnnModel,
    MIN_SAMPLES, N_MELS, PATCH_FRAMES,
};
use subgenre_cnn::pretrained::tensor_file::{write_tensor_file, RawTensor, TensorFile};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/musicnn")
}

/// One fixture file: its tensors as f32 (and `layer_frames`).
struct Fixture {
    name: String,
    tensors: HashMap<String, (Vec<usize>, Vec<f32>)>,
    frames: Vec<usize>,
}

impl Fixture {
    fn get(&self, name: &str) -> &(Vec<usize>, Vec<f32>) {
        self.tensors
            .get(name)
            .unwrap_or_else(|| panic!("{}: no tensor {name}", self.name))
    }
}

fn fixtures() -> Vec<Fixture> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .expect("fixtures/musicnn")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
        .collect();
    paths.sort();
    assert_eq!(
        paths.len(),
        4,
        "the four fixture clips of fixtures/musicnn/index.json"
    );
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read fixture");
            let st = TensorFile::parse(&bytes).expect("fixture is safetensors");
            let mut tensors = HashMap::new();
            let mut frames = Vec::new();
            for view in st.tensors() {
                match view.dtype.as_str() {
                    "F32" => {
                        let v = view.to_f32().expect("f32");
                        tensors.insert(view.name.clone(), (view.shape.clone(), v));
                    }
                    "I64" => {
                        frames = view
                            .to_i64()
                            .expect("i64")
                            .into_iter()
                            .map(|f| usize::try_from(f).expect("a frame count"))
                            .collect();
                    }
                    other => panic!("unexpected dtype {other} of {}", view.name),
                }
            }
            assert_eq!(frames.len(), 19);
            Fixture {
                name: path
                    .file_stem()
                    .expect("stem")
                    .to_string_lossy()
                    .into_owned(),
                tensors,
                frames,
            }
        })
        .collect()
}

/// The largest `|rust - tf| / max(|tf|, 1)` and `|rust - tf|` of a layer.
fn worst(ours: &[f32], tf: &[f32]) -> (f64, f64) {
    assert_eq!(ours.len(), tf.len());
    ours.iter().zip(tf).fold((0.0, 0.0), |(r, a), (&o, &t)| {
        let d = (f64::from(o) - f64::from(t)).abs();
        (r.max(d / f64::from(t.abs()).max(1.0)), a.max(d))
    })
}

#[test]
fn network_matches_tensorflow_on_the_fixtures() {
    let fixtures = fixtures();
    let mut report = Vec::new();
    for model in MusicnnModel::ALL {
        let net = Musicnn::embedded(model).expect("embedded weights load");
        assert_eq!(net.name(), model.name());
        assert_eq!(net.tags().len(), 50);
        let mut worst_by_layer: Vec<(MusicnnLayer, f64, f64)> =
            MusicnnLayer::ALL.iter().map(|&l| (l, 0.0, 0.0)).collect();
        for fx in &fixtures {
            let (shape, patches) = fx.get("logmel_patches");
            let n = shape[0];
            let out = net.forward_parallel(patches).expect("forward");
            assert_eq!(out.n_patches, n);
            for (layer, rel, abs) in worst_by_layer.iter_mut() {
                let (tf_shape, tf) = fx.get(&format!("{model}.{layer}"));
                let ours = out.layer(*layer);
                assert_eq!(
                    out.shape(*layer),
                    [
                        if layer.per_frame() {
                            n * PATCH_FRAMES
                        } else {
                            n
                        },
                        layer.width()
                    ]
                );
                assert_eq!(ours.len(), out.shape(*layer).iter().product::<usize>());
                let picked: Vec<f32> = if layer.per_frame() {
                    // The fixtures keep 19 frames of each patch.
                    let w = layer.width();
                    assert_eq!(tf_shape, &vec![n, fx.frames.len(), w]);
                    (0..n)
                        .flat_map(|p| fx.frames.iter().map(move |&t| (p, t)))
                        .flat_map(move |(p, t)| {
                            ours[(p * PATCH_FRAMES + t) * w..(p * PATCH_FRAMES + t + 1) * w]
                                .iter()
                                .copied()
                        })
                        .collect()
                } else {
                    ours.to_vec()
                };
                let (r, a) = worst(&picked, tf);
                *rel = rel.max(r);
                *abs = abs.max(a);
            }
        }
        for (layer, rel, abs) in worst_by_layer {
            report.push(format!(
                "{model} {layer:12} max |d| {abs:.2e}  max |d|/max(|tf|,1) {rel:.2e}"
            ));
            if layer == MusicnnLayer::Taggram {
                assert!(
                    abs <= 1e-4,
                    "{model} taggram off TensorFlow by {abs:e} (bound 1e-4)"
                );
            } else {
                assert!(
                    rel <= 1e-3,
                    "{model} {layer} off TensorFlow by {rel:e} relative (bound 1e-3)"
                );
            }
        }
    }
    println!("{}", report.join("\n"));
}

#[test]
fn skipping_dead_filters_changes_nothing() {
    let fx = &fixtures()[0];
    let patches = &fx.get("logmel_patches").1;
    for model in MusicnnModel::ALL {
        let pruned = Musicnn::embedded(model).expect("load");
        let (dead, total) = pruned.dead_filters();
        assert!(
            dead > 0 && dead < total,
            "{model}: {dead} of {total} filters dead"
        );
        let full = pruned.clone().without_filter_pruning();
        assert_eq!(full.dead_filters().0, 0);
        let a = pruned.forward(patches).expect("pruned");
        let b = full.forward(patches).expect("full");
        for layer in MusicnnLayer::ALL {
            let (rel, _) = worst(a.layer(layer), b.layer(layer));
            assert!(
                rel <= 1e-5,
                "{model} {layer}: pruned and full differ by {rel:e}"
            );
        }
        // Threads change nothing either.
        assert_eq!(pruned.forward_parallel(patches).expect("parallel"), a);
    }
}

/// The float16 value whose musicnn log-compression is nearest `l` (an f32 log-mel value).
fn f16_bits_of(l: f32) -> i32 {
    let compress = |bits: u16| (10000.0f32 * f16_bits_to_f32(bits) + 1.0).log10();
    let estimate = f32_to_f16_bits(((10f64.powf(f64::from(l)) - 1.0) / 10000.0) as f32);
    (estimate.saturating_sub(3)..=estimate.saturating_add(3))
        .filter(|&b| f16_bits_to_f32(b).is_finite() && f16_bits_to_f32(b) >= 0.0)
        .min_by(|&a, &b| (compress(a) - l).abs().total_cmp(&(compress(b) - l).abs()))
        .map(i32::from)
        .expect("a candidate")
}

#[test]
fn logmel_matches_librosa_within_one_float16_step() {
    // Both log-mels are log10(10000 h + 1) of a float16 power h: each value is mapped back to
    // its float16 (the nearest of the candidates around the inverse), and the two float16s may
    // differ by at most one step (one unit in the last place: the float32 power on either side
    // of a float16 rounding boundary).
    for fx in fixtures() {
        let signal = &fx.get("signal").1;
        let (tf_shape, tf) = fx.get("logmel_patches");
        let (ours, n) = logmel_patches(signal).expect("logmel");
        assert_eq!(n, tf_shape[0], "{}: patches", fx.name);
        assert_eq!(ours.len(), tf.len());
        let mut off_by_one = 0;
        for (i, (&o, &t)) in ours.iter().zip(tf).enumerate() {
            let step = (f16_bits_of(o) - f16_bits_of(t)).abs();
            assert!(
                step <= 1,
                "{}: value {i} ({o} against {t}) is {step} float16 steps off",
                fx.name
            );
            off_by_one += usize::from(step == 1);
        }
        println!(
            "{}: {} values, {off_by_one} one float16 step off",
            fx.name,
            ours.len()
        );
    }
}

#[test]
fn short_signals_are_repeat_padded_and_long_ones_cut() {
    let signal: Vec<f32> = (0..40_000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
    let (mel, n_frames) = logmel(&signal).expect("logmel");
    assert_eq!(n_frames, 1 + 40_000 / 256);
    let (p, n) = patches(&mel, n_frames).expect("patches");
    assert_eq!(n, 1);
    for i in 0..PATCH_FRAMES {
        let t = i % n_frames;
        assert_eq!(
            p[i * N_MELS..(i + 1) * N_MELS],
            mel[t * N_MELS..(t + 1) * N_MELS]
        );
    }
    // 8 s: 501 frames, two patches, the remainder dropped.
    let (_, n) = patches(&vec![0.0; 501 * N_MELS], 501).expect("patches");
    assert_eq!(n, 2);
    // At 44.1 kHz the signal is resampled first.
    let long: Vec<f32> = (0..44_100 * 4)
        .map(|i| (i as f32 * 0.01).sin() * 0.3)
        .collect();
    let (_, frames) = logmel_at(&long, 44_100).expect("resampled");
    assert_eq!(frames, 1 + 64_000 / 256);
}

#[test]
fn bad_signals_and_patches_are_refused() {
    let bad_signal = |r: Result<(Vec<f32>, usize), MusicnnError>, what: &str| match r {
        Err(MusicnnError::BadSignal(msg)) => {
            assert!(msg.contains(what), "`{msg}` should say `{what}`")
        }
        other => panic!("expected a BadSignal error about {what}, got {other:?}"),
    };
    bad_signal(logmel(&[]), "empty");
    bad_signal(logmel_at(&[], 44_100), "empty");
    bad_signal(logmel(&vec![0.0; MIN_SAMPLES - 1]), "minimum");
    let mut nan = vec![0.1; 20_000];
    nan[123] = f32::NAN;
    bad_signal(logmel(&nan), "sample 123");
    bad_signal(logmel_at(&nan, 22_050), "sample 123");
    nan[123] = f32::INFINITY;
    bad_signal(logmel(&nan), "sample 123");
    bad_signal(logmel_at(&[0.1; 1000], 0), "0 Hz");
    bad_signal(patches(&[0.0; 95], 1), "bands");
    bad_signal(patches(&[], 0), "frames");

    let net = Musicnn::embedded(MusicnnModel::MTT_musicnn).expect("load");
    for len in [0, 96, PATCH_FRAMES * N_MELS + 1] {
        assert!(
            matches!(
                net.forward(&vec![0.5; len]),
                Err(MusicnnError::BadPatches(_))
            ),
            "{len} values"
        );
    }
    let mut patch = vec![0.5; PATCH_FRAMES * N_MELS];
    patch[7] = f32::NAN;
    assert!(
        matches!(net.forward_parallel(&patch), Err(MusicnnError::BadPatches(m)) if m.contains("band 7"))
    );
    // Finite values outside the log-mel range run every filter, without error.
    patch[7] = -3.0;
    let out = net.forward(&patch).expect("out-of-range patch");
    assert!(out.taggram.iter().all(|v| v.is_finite()));
}

#[test]
fn model_and_layer_names_are_musicnns() {
    for model in MusicnnModel::ALL {
        assert_eq!(
            model
                .to_string()
                .parse::<MusicnnModel>()
                .expect("round trip"),
            model
        );
    }
    assert_eq!(
        "MSD_musicnn".parse::<MusicnnModel>().expect("name"),
        MusicnnModel::MSD_musicnn
    );
    assert!(matches!(
        "msd_musicnn".parse::<MusicnnModel>(),
        Err(MusicnnError::UnknownModel(_))
    ));
    for layer in MusicnnLayer::ALL {
        assert_eq!(
            layer
                .to_string()
                .parse::<MusicnnLayer>()
                .expect("round trip"),
            layer
        );
    }
    assert!(matches!(
        "logits".parse::<MusicnnLayer>(),
        Err(MusicnnError::UnknownLayer(_))
    ));
}

/// The embedded MSD_musicnn weights rewritten with `edit` applied to the tensor list.
fn rewritten(edit: impl Fn(&mut Vec<(String, String, Vec<usize>, Vec<u8>)>)) -> Vec<u8> {
    let bytes = MusicnnModel::MSD_musicnn.embedded_weights();
    let file = TensorFile::parse(bytes).expect("weights");
    let mut list: Vec<(String, String, Vec<usize>, Vec<u8>)> = file
        .tensors()
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.dtype.clone(),
                t.shape.clone(),
                t.data.to_vec(),
            )
        })
        .collect();
    edit(&mut list);
    let views: Vec<RawTensor<'_>> = list
        .iter()
        .map(|(name, dtype, shape, data)| RawTensor {
            name: name.clone(),
            dtype: dtype.clone(),
            shape: shape.clone(),
            data,
        })
        .collect();
    write_tensor_file(&views, file.metadata())
}

#[test]
fn broken_weights_name_the_tensor() {
    let missing = rewritten(|list| list.retain(|(n, ..)| n != "midend_conv2.bn.gamma"));
    match Musicnn::from_bytes(&missing, "broken.safetensors") {
        Err(e @ MusicnnError::MissingTensor { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("midend_conv2.bn.gamma") && msg.contains("broken.safetensors"),
                "{msg}"
            );
        }
        other => panic!(
            "expected MissingTensor, got {:?}",
            other.map(|n| n.name().to_string())
        ),
    }
    let misshapen = rewritten(|list| {
        let t = list
            .iter_mut()
            .find(|(n, ..)| n == "timbral_f74.conv.kernel")
            .expect("tensor");
        t.2 = vec![7, 38, 1, 200];
        t.3.truncate(7 * 38 * 200 * 4);
    });
    match Musicnn::from_bytes(&misshapen, "broken.safetensors") {
        Err(e @ MusicnnError::BadTensor { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("timbral_f74.conv.kernel") && msg.contains("[7, 38, 1, 204]"),
                "{msg}"
            );
        }
        other => panic!(
            "expected BadTensor, got {:?}",
            other.map(|n| n.name().to_string())
        ),
    }
    assert!(matches!(
        Musicnn::from_bytes(b"not a safetensors file", "x"),
        Err(MusicnnError::BadWeights { .. })
    ));
    assert!(matches!(
        Musicnn::load("/nonexistent/MSD_musicnn.safetensors".as_ref()),
        Err(MusicnnError::Io { .. })
    ));
}
