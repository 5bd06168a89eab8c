//! The synthetic fixture shared by the integration tests.

use subgenre_cnn::Sample;

pub const SIZE: usize = 32;

/// `n` clips, alternately horizontal (label 0) and vertical (label 1) stripes of period 4 with
/// a random phase, plus uniform noise.
pub fn stripes(n: usize, seed: u64) -> Vec<Sample> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f32) / (1u64 << 31) as f32
    };
    (0..n)
        .map(|i| {
            let label = i % 2;
            let phase = (next() * 4.0) as usize;
            let pixels = (0..SIZE * SIZE)
                .map(|p| {
                    let (r, c) = (p / SIZE, p % SIZE);
                    let along = if label == 0 { r } else { c };
                    let base = if (along + phase) % 4 < 2 { 0.75 } else { 0.25 };
                    (base + (next() - 0.5) * 0.3f32).clamp(0.0, 1.0)
                })
                .collect();
            Sample { pixels, label }
        })
        .collect()
}
