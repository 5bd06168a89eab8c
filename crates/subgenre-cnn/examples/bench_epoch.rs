//! Seconds per epoch on synthetic data, for the timing table of issue 6.
//!
//!     cargo run --release -p subgenre-cnn --example bench_epoch -- \
//!         [--arch cnn_drop_first] [--size 128] [--train 900] [--val 200] [--epochs 1] \
//!         [--threads 1] [--batch 64] [--default-malloc] [--burn-ops]
//!
//! Run it under `/usr/bin/time -v` for the peak resident memory. Each epoch line is what a
//! real run prints: training (forward, backward, Adam), validation, and the checkpoint write.

use std::time::Instant;

use subgenre_cnn::{train_from, Arch, Engine, Sample, TrainConfig};

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn synthetic(n: usize, size: usize, classes: usize, seed: u64) -> Vec<Sample> {
    let mut state = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let pixels = (0..size * size)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    (state >> 40) as f32 / (1u64 << 24) as f32
                })
                .collect();
            Sample {
                pixels,
                label: i % classes,
            }
        })
        .collect()
}

/// CPU seconds (user + system, all threads) of this process so far (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which ends with ')'): utime and stime are the 12th and
    // 13th of those, in clock ticks (100 per second on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    // What the CLI should do too (see its docs); `--default-malloc` measures without it.
    let tuned = !args.iter().any(|a| a == "--default-malloc") && subgenre_cnn::keep_freed_memory();
    // `--burn-ops`: burn's own convolution and pooling (the network on `Engine::Burn`) instead
    // of the CPU engine's (`subgenre_cnn::engine::ops`).
    let burn_ops = args.iter().any(|a| a == "--burn-ops");
    let arch: Arch = arg(&args, "--arch", "cnn_drop_first".to_string()).parse()?;
    let size = arg(&args, "--size", 128usize);
    let n_train = arg(&args, "--train", 900usize);
    let n_val = arg(&args, "--val", 200usize);
    let epochs = arg(&args, "--epochs", 1usize);
    let threads = arg(&args, "--threads", 1usize);
    let batch = arg(&args, "--batch", 64usize);
    let classes: Vec<String> = (0..5).map(|c| format!("class{c}")).collect();
    let config = TrainConfig::square(arch, size, classes.clone())
        .with_max_epochs(epochs)
        .with_patience(0)
        .with_threads(threads)
        .with_batch_size(batch);
    let dir = std::env::temp_dir().join(format!("subgenre-cnn-bench-{}", std::process::id()));
    println!(
        "{arch} {size}x{size}, batch {batch}, {n_train} train / {n_val} val clips, {threads} thread(s), backend {}{}, malloc {}",
        subgenre_cnn::backend_name(),
        if burn_ops { " (burn's own conv and pooling)" } else { "" },
        if tuned { "keeps freed memory" } else { "default" }
    );
    // The network built here, seeded as training seeds it, so that it can be put on an engine.
    let device = subgenre_cnn::default_device();
    device.seed(config.seed);
    let engine = if burn_ops {
        Engine::Burn
    } else {
        Engine::for_build()
    };
    let network = config.model.init(&device)?.with_engine(engine);
    let start = Instant::now();
    let mut last_cpu = cpu_seconds();
    let outcome = train_from(
        &config,
        Some(network),
        synthetic(n_train, size, classes.len(), 1),
        synthetic(n_val, size, classes.len(), 2),
        &dir,
        move |e| {
            let cpu = cpu_seconds();
            println!(
                "epoch {}: {:.1} s wall, {:.1} s cpu  (loss {:.4}, val loss {:.4})",
                e.epoch,
                e.seconds,
                cpu - last_cpu,
                e.train_loss,
                e.val_loss
            );
            last_cpu = cpu;
        },
    )?;
    println!(
        "total {:.1} s, {:.1} s per epoch",
        start.elapsed().as_secs_f64(),
        outcome.train_seconds / outcome.epochs_run as f64
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
