//! Embeddings come from the same pass as the probabilities and change nothing about them.

use subgenre_cnn::{
    default_device, predict_proba, predict_proba_embedded, Arch, Ensemble, InputSpec, ModelConfig,
    ModelSpec, SavedModel,
};

fn inputs(n: usize, size: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|i| {
            (0..size * size)
                .map(|j| ((i * 7 + j * 13) % 97) as f32 / 97.0)
                .collect()
        })
        .collect()
}

fn saved(seed: u64) -> SavedModel {
    let device = default_device();
    device.seed(seed);
    let model = ModelConfig::square(Arch::Compact, 3, 32)
        .init(&device)
        .expect("init");
    let classes = vec!["a".into(), "b".into(), "c".into()];
    let spec = ModelSpec::new(&model, classes, InputSpec::new("normal", 32));
    SavedModel { model, spec }
}

#[test]
fn embedding_beside_the_same_probabilities() {
    let m = saved(1);
    let x = inputs(5, 32);
    let plain = predict_proba(&m.model, &x, 2).expect("probs");
    let (probs, embeddings) = predict_proba_embedded(&m.model, &x, 2).expect("embedded");
    assert_eq!(plain, probs);
    assert_eq!(embeddings.len(), 5);
    let width = embeddings[0].len();
    assert!(width > 0 && embeddings.iter().all(|e| e.len() == width));
    // ReLU activations, and different inputs give different embeddings.
    assert!(embeddings.iter().flatten().all(|v| *v >= 0.0));
    assert_ne!(embeddings[0], embeddings[1]);

    let first = SavedModel {
        model: m.model.clone(),
        spec: m.spec.clone(),
    };
    let ensemble =
        Ensemble::new(vec![("one".into(), first), ("two".into(), saved(2))]).expect("ensemble");
    let (mean, joined) = ensemble.predict_proba_embedded(&x, 4).expect("ensemble");
    assert_eq!(mean, ensemble.predict_proba(&x, 4).expect("probs"));
    assert_eq!(
        joined[0].len(),
        2 * width,
        "the members' embeddings concatenated"
    );
    assert_eq!(&joined[3][..width], &embeddings[3][..]);
}
