//! End-to-end checks on a tiny synthetic task: horizontal vs vertical stripes at 32x32.

use std::sync::{Arc, Mutex};

use subgenre_cnn::{
    load_model, predict, predict_proba, read_spec, replace_head, save_model, train, train_from,
    Arch, CnnError, EpochLog, InputSpec, ModelSpec, OptimizerConfig, Sample, TrainConfig,
};

mod common;

use common::{stripes, SIZE};

fn classes() -> Vec<String> {
    vec!["horizontal".into(), "vertical".into()]
}

fn config(arch: Arch) -> TrainConfig {
    TrainConfig::square(arch, SIZE, classes())
        .with_batch_size(16)
        .with_max_epochs(6)
        .with_patience(0)
        .with_threads(1)
}

fn collect() -> (
    Arc<Mutex<Vec<EpochLog>>>,
    impl FnMut(&EpochLog) + Send + 'static,
) {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = logs.clone();
    (logs, move |e: &EpochLog| {
        sink.lock().expect("lock").push(e.clone());
    })
}

fn accuracy(model: &subgenre_cnn::Cnn, data: &[Sample]) -> f64 {
    let predicted = predict(model, data, 32).expect("predict");
    let right = predicted
        .iter()
        .zip(data)
        .filter(|(p, s)| **p == s.label)
        .count();
    right as f64 / data.len() as f64
}

fn learns_stripes(arch: Arch, epochs: usize, lr: f64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (train_set, val_set) = (stripes(96, 1), stripes(32, 2));
    let (logs, on_epoch) = collect();
    let config = config(arch)
        .with_max_epochs(epochs)
        .with_optimizer(OptimizerConfig::new().with_learning_rate(lr));
    let outcome = train(&config, train_set, val_set.clone(), dir.path(), on_epoch).expect("train");
    let h = &outcome.history;
    assert_eq!(h.len(), epochs);
    assert_eq!(
        *logs.lock().expect("lock"),
        *h,
        "one callback per epoch, same numbers"
    );
    assert!(
        h[h.len() - 1].train_loss < h[0].train_loss,
        "{arch}: training loss must fall: {h:#?}"
    );
    let acc = accuracy(&outcome.model, &val_set);
    assert!(
        acc >= 0.8,
        "{arch}: validation accuracy {acc} must beat chance: {h:#?}"
    );
    // The returned network is the best epoch's: its accuracy is the one the history records.
    let best = &h[outcome.best_epoch - 1];
    assert!((best.val_acc - acc).abs() < 1e-9, "{best:?} vs {acc}");
}

#[test]
fn compact_learns_stripes() {
    learns_stripes(Arch::Compact, 6, 3e-3);
}

#[test]
fn cnn_drop_first_learns_stripes() {
    learns_stripes(Arch::CnnDropFirst, 6, 1e-3);
}

#[test]
fn saved_model_round_trips_bit_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(Arch::Compact).with_max_epochs(2);
    let val_set = stripes(16, 4);
    let outcome = train(
        &config,
        stripes(32, 3),
        val_set.clone(),
        &dir.path().join("run"),
        |_| {},
    )
    .expect("train");
    let mut input = InputSpec::new("normal", SIZE);
    input.extra.insert("hop".into(), 512.into());
    let spec = ModelSpec::new(&outcome.model, classes(), input)
        .with_trained(serde_json::json!({"seed": 42, "best_epoch": outcome.best_epoch}));
    let path = dir.path().join("model.sgcnn");
    save_model(&path, &outcome.model, &spec).expect("save");

    let loaded = load_model(&path).expect("load");
    assert_eq!(loaded.spec, spec);
    assert_eq!(read_spec(&path).expect("spec"), spec);
    let before = predict_proba(&outcome.model, &val_set, 5).expect("predict");
    let after = predict_proba(&loaded.model, &val_set, 7).expect("predict");
    let bits =
        |p: &Vec<Vec<f32>>| -> Vec<u32> { p.iter().flatten().map(|v| v.to_bits()).collect() };
    assert_eq!(bits(&before), bits(&after));
    for p in &after {
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    // Damaged files are errors, not panics.
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("write");
    assert!(matches!(
        load_model(&path),
        Err(CnnError::BadModelFile { .. })
    ));
    std::fs::write(&path, b"not a model").expect("write");
    assert!(matches!(
        load_model(&path),
        Err(CnnError::BadModelFile { .. })
    ));
    // Wrong input sizes are errors too.
    assert!(predict_proba(&loaded.model, &[vec![0.0f32; 10]], 1).is_err());
}

#[test]
fn resume_continues_at_the_next_epoch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (train_set, val_set) = (stripes(32, 5), stripes(16, 6));
    let config = config(Arch::Compact).with_max_epochs(2);
    let first = train(
        &config,
        train_set.clone(),
        val_set.clone(),
        dir.path(),
        |_| {},
    )
    .expect("train");
    assert_eq!((first.epochs_run, first.resumed_from), (2, None));

    // The same run with a larger budget continues after epoch 2 and keeps epochs 1-2.
    let (logs, on_epoch) = collect();
    let config = config.with_max_epochs(4);
    let second = train(
        &config,
        train_set.clone(),
        val_set.clone(),
        dir.path(),
        on_epoch,
    )
    .expect("resume");
    assert_eq!(second.resumed_from, Some(2));
    assert_eq!(second.epochs_run, 4);
    // Epochs 1-2 come back from history.json (JSON keeps f64 to within an ulp).
    for (a, b) in second.history[..2].iter().zip(&first.history) {
        assert_eq!(a.epoch, b.epoch);
        for (x, y) in [
            (a.train_loss, b.train_loss),
            (a.val_loss, b.val_loss),
            (a.val_acc, b.val_acc),
        ] {
            assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{a:?} vs {b:?}");
        }
    }
    let epochs: Vec<usize> = logs.lock().expect("lock").iter().map(|e| e.epoch).collect();
    assert_eq!(epochs, vec![3, 4], "only the new epochs run");

    // A run killed while writing epoch 4's checkpoint (one file missing) resumes after epoch 3.
    std::fs::remove_file(dir.path().join("checkpoint/optim-4.bpk")).expect("rm");
    let third = train(
        &config,
        train_set.clone(),
        val_set.clone(),
        dir.path(),
        |_| {},
    )
    .expect("resume");
    assert_eq!(third.resumed_from, Some(3));
    assert_eq!(third.epochs_run, 4);

    // A finished run is not rerun: it loads its best epoch.
    let (logs, on_epoch) = collect();
    let fourth = train(
        &config,
        train_set.clone(),
        val_set.clone(),
        dir.path(),
        on_epoch,
    )
    .expect("done");
    assert!(logs.lock().expect("lock").is_empty());
    assert_eq!(fourth.best_epoch, third.best_epoch);

    // Removing the checkpoints keeps the history; the folder then trains afresh.
    subgenre_cnn::remove_checkpoints(dir.path()).expect("rm");
    assert!(!dir.path().join("checkpoint").exists());
    assert!(dir.path().join("history.json").exists());

    // Another configuration in the same folder is refused.
    let other = config.with_seed(7);
    assert!(matches!(
        train(&other, train_set, val_set, dir.path(), |_| {}),
        Err(CnnError::ArtifactMismatch { .. })
    ));
}

#[test]
fn transfer_keeps_frozen_blocks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = train(
        &config(Arch::Cnn12).with_max_epochs(1),
        stripes(32, 10),
        stripes(16, 11),
        &dir.path().join("base"),
        |_| {},
    )
    .expect("base");
    // Three "new" classes: stripes with the label remapped, plus a third class of flat clips.
    let mut new_train = stripes(30, 12);
    for (i, s) in new_train.iter_mut().enumerate() {
        if i % 3 == 2 {
            s.pixels.iter_mut().for_each(|p| *p = 0.5);
            s.label = 2;
        }
    }
    let new_val = new_train.split_off(24);
    let head = replace_head(base.model, 3).expect("head");
    let before = head.conv_weights();
    let probe = stripes(4, 13);
    let config = TrainConfig::new(
        head.config().clone(),
        vec!["a".into(), "b".into(), "c".into()],
    )
    .with_batch_size(8)
    .with_max_epochs(1)
    .with_threads(1);
    let frozen = train_from(
        &config.clone().with_freeze_blocks(3),
        Some(head.clone()),
        new_train.clone(),
        new_val.clone(),
        &dir.path().join("frozen"),
        |_| {},
    )
    .expect("transfer");
    assert_eq!(frozen.model.config().num_classes, 3);
    assert_eq!(
        predict_proba(&frozen.model, &probe, 4).expect("p")[0].len(),
        3
    );
    assert_eq!(
        frozen.model.conv_weights(),
        before,
        "frozen blocks keep their weights"
    );

    // Without freezing, fine-tuning changes every block.
    let tuned = train_from(
        &config,
        Some(head),
        new_train,
        new_val,
        &dir.path().join("tuned"),
        |_| {},
    )
    .expect("transfer");
    let after = tuned.model.conv_weights();
    for (a, b) in after.iter().zip(&before) {
        assert_ne!(a, b);
    }
}
