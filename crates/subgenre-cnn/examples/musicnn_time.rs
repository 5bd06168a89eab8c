//! Milliseconds per 3 s patch of each musicnn network on one thread (the figure for
//! BENCHMARKS.md), with and without skipping the dead front-end filters, and the front end's
//! time per 8 s clip.
//!
//!     cargo run --release -p subgenre-cnn --example musicnn_time [-- ROUNDS]

use std::time::Instant;

use subgenre_cnn::pretrained::musicnn::{
    logmel_patches, Musicnn, MusicnnModel, N_MELS, PATCH_FRAMES,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(5);
    // 8 s of a deterministic noisy chord at 16 kHz: 501 frames, 2 patches, as a data-set clip.
    let mut state = 12345u32;
    let signal: Vec<f32> = (0..128_000)
        .map(|i| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            let t = i as f32 / 16_000.0;
            0.2 * (t * 2.0 * std::f32::consts::PI * 110.0).sin()
                + 0.1 * (t * 2.0 * std::f32::consts::PI * 1760.0).sin()
                + 0.05 * noise
        })
        .collect();
    let start = Instant::now();
    let (patches, n) = logmel_patches(&signal)?;
    println!(
        "front end: {:.1} ms per 8 s clip ({n} patches)",
        start.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(patches.len(), n * PATCH_FRAMES * N_MELS);
    for model in MusicnnModel::ALL {
        let net = Musicnn::embedded(model)?;
        let (dead, total) = net.dead_filters();
        let (macs, all_macs) = net.front_end_macs();
        for (label, net) in [
            ("dead filters skipped", net.clone()),
            ("every filter", net.without_filter_pruning()),
        ] {
            net.forward(&patches)?; // warm-up
            let start = Instant::now();
            for _ in 0..rounds {
                std::hint::black_box(net.forward(&patches)?);
            }
            let ms = start.elapsed().as_secs_f64() * 1e3 / (rounds * n) as f64;
            println!("{model}: {ms:.1} ms per patch, one thread ({label})");
        }
        println!(
            "{model}: {dead} of {total} front-end filters skipped; front-end convolutions {:.0} of {:.0} M multiply-adds per patch",
            macs as f64 / 1e6,
            all_macs as f64 / 1e6
        );
    }
    Ok(())
}
