//! Where a cnn_drop_first training step spends its time on the CPU backend: forward and
//! backward of each conv block's convolution and ReLU + max pooling at batch 64, 128x128,
//! timed alone, burn's own operations beside this crate's (`subgenre_cnn::engine::ops`), and the
//! block's convolution, ReLU and pooling as separate operations beside the fused one.
//!
//!     cargo run --release -p subgenre-cnn --example op_bench -- [--threads 1] [--batch 64] [--ours]

use std::time::Instant;

use burn::{
    nn::{conv::Conv2dConfig, pool::MaxPool2dConfig, PaddingConfig2d},
    prelude::*,
    tensor::activation::relu,
};
use subgenre_cnn::engine::ops;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Nanoseconds this thread has run on a CPU (Linux; 0 elsewhere): on a busy machine the
/// wall clock also counts time spent waiting for a core.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn time<T>(label: &str, reps: usize, mut f: impl FnMut() -> T) {
    // `--ours`: only this crate's operations (for a profile of them alone).
    if label.ends_with(", burn") && std::env::args().any(|a| a == "--ours") {
        return;
    }
    let _ = f();
    let (start, cpu) = (Instant::now(), cpu_ns());
    for _ in 0..reps {
        let _ = f();
    }
    let wall = start.elapsed().as_secs_f64() * 1000.0 / reps as f64;
    let cpu = (cpu_ns() - cpu) as f64 / 1e6 / reps as f64;
    println!("{label:<48} {wall:8.1} ms wall {cpu:8.1} ms cpu");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads = arg(&args, "--threads", 1);
    let b = arg(&args, "--batch", 64);
    subgenre_cnn::keep_freed_memory();
    subgenre_cnn::with_threads(threads, || run(b));
}

fn run(b: usize) {
    let device = subgenre_cnn::default_device();
    let ad = device.clone().autodiff();
    for (cin, cout, size) in [(1, 32, 128), (32, 64, 64), (64, 128, 32)] {
        let conv = Conv2dConfig::new([cin, cout], [3, 3])
            .with_padding(PaddingConfig2d::Same)
            .init(&ad);
        let pool = MaxPool2dConfig::new([2, 2]).init();
        let x = Tensor::<4>::random(
            [b, cin, size, size],
            burn::tensor::Distribution::Default,
            &device,
        );
        // The first block's input is data (no gradient); the others' come from a layer below.
        let xa = Tensor::<4>::from_data(x.to_data(), &ad);
        let xa = if cin == 1 { xa } else { xa.require_grad() };
        let head = format!("conv {cin}->{cout} @{size}");
        ops::conv3x3(&conv.valid(), x.clone())
            .into_data()
            .assert_approx_eq::<f32>(
                &conv.valid().forward(x.clone()).into_data(),
                burn::tensor::Tolerance::default(),
            );
        time(&format!("{head} forward, burn"), 2, || {
            conv.valid().forward(x.clone()).into_data()
        });
        time(&format!("{head} forward, train_ops"), 2, || {
            ops::conv3x3(&conv.valid(), x.clone()).into_data()
        });
        time(&format!("{head} forward+backward, burn"), 2, || {
            conv.forward(xa.clone()).sum().backward()
        });
        time(&format!("{head} forward+backward, train_ops"), 2, || {
            ops::conv3x3(&conv, xa.clone()).sum().backward()
        });
        let y = conv.valid().forward(x.clone());
        let ya = Tensor::<4>::from_data(y.to_data(), &ad).require_grad();
        time(&format!("relu+pool @{size} forward, burn"), 3, || {
            pool.forward(relu(y.clone())).into_data()
        });
        time(&format!("relu+pool @{size} forward, train_ops"), 3, || {
            ops::relu_max_pool(&pool, y.clone()).into_data()
        });
        time(
            &format!("relu+pool @{size} forward+backward, burn"),
            3,
            || pool.forward(relu(ya.clone())).sum().backward(),
        );
        time(
            &format!("relu+pool @{size} forward+backward, train_ops"),
            3,
            || ops::relu_max_pool(&pool, ya.clone()).sum().backward(),
        );
        // The block as the networks without batch norm run it: the two above as one operation.
        time(&format!("{head} + relu+pool, separate ops"), 2, || {
            ops::relu_max_pool(&pool, ops::conv3x3(&conv, xa.clone()))
                .sum()
                .backward()
        });
        time(&format!("{head} + relu+pool, one op"), 2, || {
            ops::conv3x3_relu_max_pool(&conv, &pool, xa.clone())
                .sum()
                .backward()
        });
    }
}
