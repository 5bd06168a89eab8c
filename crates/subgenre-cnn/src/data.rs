//! Samples, the burn dataset over them, and the batcher that turns them into tensors (with the
//! optional SpecAugment-style masking and mixup of training batches).

use std::sync::{Arc, Mutex};

use burn::{
    data::{dataloader::batcher::Batcher, dataset::InMemDataset},
    prelude::*,
};
use serde::{Deserialize, Serialize};
use subgenre_core::SplitMix64;

use crate::error::{CnnError, Result};

/// One clip's model input: `height * width` grey values in `[0, 1]`, row-major, row 0 = the
/// highest mel band, column 0 = the earliest frame; and its class index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// `height * width` values, row-major.
    pub pixels: Vec<f32>,
    /// Index into the class list.
    pub label: usize,
}

impl AsRef<[f32]> for Sample {
    fn as_ref(&self) -> &[f32] {
        &self.pixels
    }
}

/// The burn dataset of a list of samples, kept in memory.
pub type SampleDataset = InMemDataset<Sample>;

/// Check every sample against the input size and class count, so that no tensor operation
/// later fails on user data.
pub fn check_samples(
    samples: &[Sample],
    part: &'static str,
    height: usize,
    width: usize,
    num_classes: usize,
) -> Result<()> {
    for (index, s) in samples.iter().enumerate() {
        let bad = |reason: String| CnnError::InvalidSample {
            part,
            index,
            reason,
        };
        if s.pixels.len() != height * width {
            return Err(bad(format!(
                "{} values, expected {height}x{width} = {}",
                s.pixels.len(),
                height * width
            )));
        }
        if s.label >= num_classes {
            return Err(bad(format!(
                "label {} but only {num_classes} classes",
                s.label
            )));
        }
        if let Some(v) = s.pixels.iter().find(|v| !v.is_finite()) {
            return Err(bad(format!("non-finite value {v}")));
        }
    }
    Ok(())
}

/// Balanced class weights as scikit-learn's `compute_class_weight('balanced')` (which the
/// study passed to Keras; [`subgenre_core::classes::balanced_class_weights`]), in the loss's
/// f32. Labels past `num_classes` are left out (the samples were checked before training).
pub fn balanced_class_weights(labels: &[usize], num_classes: usize) -> Vec<f32> {
    let in_range: Vec<usize> = labels
        .iter()
        .copied()
        .filter(|&l| l < num_classes)
        .collect();
    subgenre_core::classes::balanced_class_weights(&in_range, num_classes)
        .map(|w| w.into_iter().map(|v| v as f32).collect())
        .unwrap_or_default()
}

/// Training-time augmentation. All off by default; each can be switched on for ablations.
#[derive(Config, Debug, PartialEq)]
pub struct AugmentConfig {
    /// SpecAugment-style masking: blank random bands of time frames and mel bins.
    #[config(default = false)]
    pub spec_augment: bool,
    /// Number of time masks per clip.
    #[config(default = 2)]
    pub time_masks: usize,
    /// Widest time mask, as a fraction of the frames.
    #[config(default = 0.1)]
    pub time_mask_max: f64,
    /// Number of frequency masks per clip.
    #[config(default = 2)]
    pub freq_masks: usize,
    /// Widest frequency mask, as a fraction of the mel bins.
    #[config(default = 0.1)]
    pub freq_mask_max: f64,
    /// Mixup: each clip is blended with another clip of the batch with weight
    /// `lambda ~ Beta(alpha, alpha)` (folded to >= 0.5), labels blended likewise. 0 = off.
    #[config(default = 0.0)]
    pub mixup_alpha: f64,
}

impl AugmentConfig {
    /// Is any augmentation on?
    pub fn enabled(&self) -> bool {
        self.spec_augment || self.mixup_alpha > 0.0
    }
}

/// A batch: images `[B, 1, H, W]`, hard targets `[B]` (the dominant label under mixup),
/// soft targets `[B, classes]` and per-sample loss weights `[B]`.
#[derive(Clone, Debug)]
pub struct CnnBatch {
    /// `[B, 1, H, W]`.
    pub images: Tensor<4>,
    /// `[B]` class indices, for accuracy.
    pub targets: Tensor<1, Int>,
    /// `[B, classes]` target distribution (one-hot unless mixup blends two).
    pub soft_targets: Tensor<2>,
    /// `[B]` class weight of each sample (1 for validation).
    pub weights: Tensor<1>,
}

/// Turns samples into [`CnnBatch`]es. The training batcher carries class weights and the
/// augmentation; the validation batcher has neither.
#[derive(Clone)]
pub struct CnnBatcher {
    height: usize,
    width: usize,
    num_classes: usize,
    class_weights: Option<Arc<Vec<f32>>>,
    augment: Option<(AugmentConfig, Arc<Mutex<Rng>>)>,
}

impl CnnBatcher {
    /// A batcher without weights or augmentation (validation, evaluation).
    pub fn plain(height: usize, width: usize, num_classes: usize) -> Self {
        Self {
            height,
            width,
            num_classes,
            class_weights: None,
            augment: None,
        }
    }

    /// A training batcher: class weights applied in the loss, augmentation seeded by `seed`.
    pub fn training(
        height: usize,
        width: usize,
        num_classes: usize,
        class_weights: Option<Vec<f32>>,
        augment: &AugmentConfig,
        seed: u64,
    ) -> Self {
        Self {
            height,
            width,
            num_classes,
            class_weights: class_weights.map(Arc::new),
            augment: augment
                .enabled()
                .then(|| (augment.clone(), Arc::new(Mutex::new(Rng::new(seed))))),
        }
    }

    fn weight(&self, label: usize) -> f32 {
        match &self.class_weights {
            Some(w) => w.get(label).copied().unwrap_or(1.0),
            None => 1.0,
        }
    }
}

/// Stack pixel slices into `[B, 1, H, W]` (each slice must hold `height * width` values).
pub(crate) fn images_tensor(
    pixels: &[&[f32]],
    height: usize,
    width: usize,
    device: &Device,
) -> Tensor<4> {
    let mut data = Vec::with_capacity(pixels.len() * height * width);
    for p in pixels {
        data.extend_from_slice(p);
    }
    Tensor::from_data(
        TensorData::new(data, [pixels.len(), 1, height, width]),
        device,
    )
}

impl Batcher<Sample, CnnBatch> for CnnBatcher {
    fn batch(&self, items: Vec<Sample>, device: &Device) -> CnnBatch {
        let (b, hw, k) = (items.len(), self.height * self.width, self.num_classes);
        let mut pixels = Vec::with_capacity(b * hw);
        let mut soft = vec![0f32; b * k];
        let mut weights = Vec::with_capacity(b);
        let mut targets = Vec::with_capacity(b);
        for (i, item) in items.iter().enumerate() {
            // Samples were checked on entry; a wrong length here would be a bug, so pad or cut
            // rather than panic.
            let mut p = item.pixels.clone();
            p.resize(hw, 0.0);
            pixels.extend_from_slice(&p);
            let label = item.label.min(k.saturating_sub(1));
            soft[i * k + label] = 1.0;
            weights.push(self.weight(label));
            targets.push(label as i64);
        }
        if let Some((aug, rng)) = &self.augment {
            // A poisoned lock only means another batch panicked; the generator is still valid.
            let mut rng = match rng.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            if aug.spec_augment {
                for clip in pixels.chunks_mut(hw) {
                    spec_augment(clip, self.height, self.width, aug, &mut rng);
                }
            }
            if aug.mixup_alpha > 0.0 && b > 1 {
                let originals = pixels.clone();
                let soft_orig = soft.clone();
                let weights_orig = weights.clone();
                for i in 0..b {
                    let j = rng.below(b);
                    let lam = rng.beta(aug.mixup_alpha);
                    let lam = lam.max(1.0 - lam) as f32;
                    for (x, y) in pixels[i * hw..(i + 1) * hw]
                        .iter_mut()
                        .zip(&originals[j * hw..(j + 1) * hw])
                    {
                        *x = lam * *x + (1.0 - lam) * y;
                    }
                    let (own, other) = (
                        &soft_orig[i * k..(i + 1) * k],
                        &soft_orig[j * k..(j + 1) * k],
                    );
                    for ((t, a), b) in soft[i * k..(i + 1) * k].iter_mut().zip(own).zip(other) {
                        *t = lam * a + (1.0 - lam) * b;
                    }
                    weights[i] = lam * weights_orig[i] + (1.0 - lam) * weights_orig[j];
                }
            }
        }
        CnnBatch {
            images: Tensor::from_data(
                TensorData::new(pixels, [b, 1, self.height, self.width]),
                device,
            ),
            targets: Tensor::from_data(TensorData::new(targets, [b]), device),
            soft_targets: Tensor::from_data(TensorData::new(soft, [b, k]), device),
            weights: Tensor::from_data(TensorData::new(weights, [b]), device),
        }
    }
}

/// Blank `time_masks` random column bands and `freq_masks` random row bands of one clip with
/// the clip's mean value.
fn spec_augment(clip: &mut [f32], height: usize, width: usize, aug: &AugmentConfig, rng: &mut Rng) {
    let mean = clip.iter().sum::<f32>() / clip.len().max(1) as f32;
    let max_t = ((aug.time_mask_max * width as f64) as usize).min(width);
    for _ in 0..aug.time_masks {
        let len = rng.below(max_t + 1);
        let start = rng.below(width - len + 1);
        for row in clip.chunks_mut(width) {
            row[start..start + len].fill(mean);
        }
    }
    let max_f = ((aug.freq_mask_max * height as f64) as usize).min(height);
    for _ in 0..aug.freq_masks {
        let len = rng.below(max_f + 1);
        let start = rng.below(height - len + 1);
        clip[start * width..(start + len) * width].fill(mean);
    }
}

/// The augmentation's random stream: the project's SplitMix64 ([`subgenre_core::rng`]), so runs
/// repeat per seed without another dependency, with the draws augmentation needs. Its values
/// are pinned by a test (training runs are deterministic).
#[derive(Clone, Debug)]
pub(crate) struct Rng(SplitMix64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(SplitMix64::new(seed ^ 0x5DEE_CE66_D1CE_4E5B))
    }

    /// Uniform in `[0, 1)`, 53 random bits.
    fn uniform(&mut self) -> f64 {
        self.0.next_f64()
    }

    /// Uniform integer in `0..n` (0 when `n` is 0), scaled from [`Rng::uniform`] (not
    /// [`SplitMix64::below`]'s multiply-shift: each stream keeps its values).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.uniform() * n as f64) as usize % n
        }
    }

    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang.
    fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let u = self.uniform().max(f64::MIN_POSITIVE);
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    /// Beta(a, a).
    fn beta(&mut self, a: f64) -> f64 {
        let x = self.gamma(a);
        let y = self.gamma(a);
        if x + y > 0.0 {
            x / (x + y)
        } else {
            0.5
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_weights_follow_the_sklearn_formula() {
        // 6 samples, 3 classes: counts 3, 2, 1 -> 6 / (3 * count).
        let w = balanced_class_weights(&[0, 0, 0, 1, 1, 2], 3);
        let expected = [6.0 / 9.0, 6.0 / 6.0, 6.0 / 3.0];
        for (a, b) in w.iter().zip(expected) {
            assert!((a - b).abs() < 1e-6, "{w:?}");
        }
        // The study's seed-42 train split: 872 clips, weights [.948, .953, .985, 1.026, 1.104].
        let counts = [184usize, 183, 177, 170, 158];
        let labels: Vec<usize> = counts
            .iter()
            .enumerate()
            .flat_map(|(c, &n)| std::iter::repeat_n(c, n))
            .collect();
        let w = balanced_class_weights(&labels, 5);
        let expected = [0.948, 0.953, 0.985, 1.026, 1.104];
        for (a, b) in w.iter().zip(expected) {
            assert!((a - b).abs() < 0.001, "{w:?}");
        }
        // A class absent from the data gets 0 and does not change the others' weights.
        let w = balanced_class_weights(&[0, 1], 3);
        assert_eq!(w, vec![1.0, 1.0, 0.0]);
    }

    #[test]
    fn batcher_stacks_and_weights() {
        let device = crate::backend::default_device();
        let batcher = CnnBatcher::training(2, 3, 2, Some(vec![0.5, 2.0]), &AugmentConfig::new(), 1);
        let items = vec![
            Sample {
                pixels: vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
                label: 1,
            },
            Sample {
                pixels: vec![1.0; 6],
                label: 0,
            },
        ];
        let batch = batcher.batch(items, &device);
        assert_eq!(batch.images.dims(), [2, 1, 2, 3]);
        let px: Vec<f32> = batch.images.into_data().try_to_vec::<f32>().expect("vec");
        assert_eq!(px[..6], [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]);
        let w: Vec<f32> = batch.weights.into_data().try_to_vec::<f32>().expect("vec");
        assert_eq!(w, vec![2.0, 0.5]);
        let soft: Vec<f32> = batch
            .soft_targets
            .into_data()
            .try_to_vec::<f32>()
            .expect("vec");
        assert_eq!(soft, vec![0.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn augmentation_masks_and_mixes_deterministically() {
        let device = crate::backend::default_device();
        let aug = AugmentConfig::new()
            .with_spec_augment(true)
            .with_time_mask_max(0.5)
            .with_freq_mask_max(0.5)
            .with_mixup_alpha(0.4);
        let items: Vec<Sample> = (0..4)
            .map(|i| Sample {
                pixels: (0..64)
                    .map(|p| ((p * 7 + i * 13) % 17) as f32 / 16.0)
                    .collect(),
                label: i % 2,
            })
            .collect();
        let run = || {
            let batcher = CnnBatcher::training(8, 8, 2, None, &aug, 7);
            let b = batcher.batch(items.clone(), &device);
            let px: Vec<f32> = b.images.into_data().try_to_vec::<f32>().expect("vec");
            let soft: Vec<f32> = b.soft_targets.into_data().try_to_vec::<f32>().expect("vec");
            (px, soft)
        };
        let (a, soft) = run();
        let (b, _) = run();
        assert_eq!(a, b, "same seed, same batch");
        let original: Vec<f32> = items.iter().flat_map(|s| s.pixels.clone()).collect();
        assert_ne!(a, original);
        // Soft targets stay distributions, dominated by the clip's own label.
        for (i, row) in soft.chunks(2).enumerate() {
            assert!((row[0] + row[1] - 1.0).abs() < 1e-6);
            assert!(row[i % 2] >= 0.5);
        }
    }

    #[test]
    fn beta_samples_stay_in_range() {
        let mut rng = Rng::new(3);
        for a in [0.2, 0.4, 1.0, 2.0] {
            let mean = (0..2000)
                .map(|_| rng.beta(a))
                .inspect(|x| assert!((0.0..=1.0).contains(x)))
                .sum::<f64>()
                / 2000.0;
            assert!((mean - 0.5).abs() < 0.05, "Beta({a},{a}) mean {mean}");
        }
    }

    /// The augmentation stream's values for seed 7, pinned: training runs repeat per seed, so
    /// every draw (integers, uniforms, normals, Beta samples) must stay bit for bit.
    #[test]
    fn the_augmentation_stream_is_pinned() {
        let mut r = Rng::new(7);
        let uniform: Vec<u64> = (0..3).map(|_| r.uniform().to_bits()).collect();
        assert_eq!(
            uniform,
            [
                4605777915928412648,
                4587261835649385264,
                4602011270435348668
            ]
        );
        let below: Vec<usize> = (0..6).map(|_| r.below(10)).collect();
        assert_eq!(below, [1, 0, 7, 0, 0, 3]);
        let normal: Vec<u64> = (0..2).map(|_| r.normal().to_bits()).collect();
        assert_eq!(normal, [13828092865927408765, 4595017742501767595]);
        let beta: Vec<u64> = [0.2, 0.4, 2.0].map(|a| r.beta(a).to_bits()).to_vec();
        assert_eq!(
            beta,
            [
                4607173474509725956,
                4601584241002524448,
                4599953017472438421
            ]
        );
    }

    #[test]
    fn check_samples_rejects_bad_input() {
        let ok = Sample {
            pixels: vec![0.5; 4],
            label: 1,
        };
        assert!(check_samples(std::slice::from_ref(&ok), "train", 2, 2, 2).is_ok());
        let short = Sample {
            pixels: vec![0.5; 3],
            label: 1,
        };
        assert!(check_samples(&[short], "train", 2, 2, 2).is_err());
        let label = Sample {
            pixels: vec![0.5; 4],
            label: 2,
        };
        assert!(check_samples(&[label], "train", 2, 2, 2).is_err());
        let nan = Sample {
            pixels: vec![f32::NAN; 4],
            label: 0,
        };
        assert!(check_samples(&[nan], "train", 2, 2, 2).is_err());
    }
}
