//! Same seed, same run. burn's Flex backend keeps one process-wide random generator (seeded by
//! `Device::seed`), so two trainings at once in one process would draw from it in turn: this
//! check lives in its own test binary (its own process) and runs its trainings one after the
//! other.

mod common;

use common::{stripes, SIZE};
use subgenre_cnn::{train, Arch, AugmentConfig, TrainConfig};

#[test]
fn same_seed_same_run() {
    let run = |threads| {
        let dir = tempfile::tempdir().expect("tempdir");
        let classes = vec!["horizontal".to_string(), "vertical".to_string()];
        let config = TrainConfig::square(Arch::Compact, SIZE, classes)
            .with_batch_size(16)
            .with_patience(0)
            .with_max_epochs(2)
            .with_threads(threads)
            .with_augment(
                AugmentConfig::new()
                    .with_spec_augment(true)
                    .with_mixup_alpha(0.2),
            );
        let outcome =
            train(&config, stripes(32, 8), stripes(16, 9), dir.path(), |_| {}).expect("train");
        outcome
            .history
            .iter()
            .map(|e| (e.train_loss, e.val_loss))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(1), run(1));
    assert_eq!(run(2), run(2));
}
