//! Where a cnn_drop_first training step spends its time on the CPU backend: forward and
//! backward of each layer at batch 64, 128x128, timed alone, and each convolution beside the
//! same one as a kernel x neighbourhoods product (`subgenre_cnn::conv3x3_as_product`).
//!
//!     cargo run --release -p subgenre-cnn --example op_bench -- [--threads 1] [--batch 64]

use std::time::Instant;

use burn::{
    nn::{conv::Conv2dConfig, pool::MaxPool2dConfig, PaddingConfig2d},
    prelude::*,
    tensor::activation::relu,
};
use subgenre_cnn::conv3x3_as_product;

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
    let _ = f();
    let (start, cpu) = (Instant::now(), cpu_ns());
    for _ in 0..reps {
        let _ = f();
    }
    let wall = start.elapsed().as_secs_f64() * 1000.0 / reps as f64;
    let cpu = (cpu_ns() - cpu) as f64 / 1e6 / reps as f64;
    println!("{label:<44} {wall:8.1} ms wall {cpu:8.1} ms cpu");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads = arg(&args, "--threads", 1);
    let b = arg(&args, "--batch", 64);
    subgenre_cnn::with_threads(threads, || run(b));
}

fn run(b: usize) {
    let device = subgenre_cnn::default_device();
    let ad = device.clone().autodiff();
    {
        let conv = Conv2dConfig::new([1, 32], [3, 3])
            .with_padding(PaddingConfig2d::Same)
            .init(&ad);
        let x = Tensor::<4>::random(
            [b, 1, 128, 128],
            burn::tensor::Distribution::Default,
            &device,
        );
        let xa = Tensor::<4>::from_data(x.to_data(), &ad);
        let reference = conv.valid().forward(x.clone()).into_data();
        let fast = conv3x3_as_product(&conv.valid(), x.clone()).into_data();
        reference.assert_approx_eq::<f32>(&fast, burn::tensor::Tolerance::default());
        time("conv 1->32 @128 fwd, input constant", 2, || {
            conv.valid().forward(x.clone()).into_data()
        });
        time("conv 1->32 @128 fwd as patches x matmul", 2, || {
            conv3x3_as_product(&conv.valid(), x.clone()).into_data()
        });
        time("conv 1->32 @128 fwd+bwd, input constant", 2, || {
            conv.forward(xa.clone()).sum().backward()
        });
        time("conv 1->32 @128 fwd+bwd as patches x matmul", 2, || {
            conv3x3_as_product(&conv, xa.clone()).sum().backward()
        });
    }
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
        let xa = Tensor::<4>::from_data(x.to_data(), &ad).require_grad();
        let head = format!("conv {cin}->{cout} @{size}");
        let fast = conv3x3_as_product(&conv.valid(), x.clone()).into_data();
        conv.valid()
            .forward(x.clone())
            .into_data()
            .assert_approx_eq::<f32>(&fast, burn::tensor::Tolerance::default());
        time(&format!("{head} fwd as patches x matmul"), 2, || {
            conv3x3_as_product(&conv.valid(), x.clone()).into_data()
        });
        time(&format!("{head} fwd+bwd as patches x matmul"), 2, || {
            conv3x3_as_product(&conv, xa.clone()).sum().backward()
        });
        time(&format!("{head} forward (plain device)"), 2, || {
            conv.valid().forward(x.clone()).into_data()
        });
        time(&format!("{head} forward+backward"), 2, || {
            let y = conv.forward(xa.clone());
            y.sum().backward()
        });
        let y = relu(conv.valid().forward(x.clone()));
        let ya = Tensor::<4>::from_data(y.to_data(), &ad).require_grad();
        time(&format!("pool @{size} forward (plain)"), 3, || {
            pool.forward(y.clone()).into_data()
        });
        time(&format!("pool @{size} forward+backward"), 3, || {
            pool.forward(ya.clone()).sum().backward()
        });
        let pool_a = |x: Tensor<4>| {
            let [b, c, h, w] = x.dims();
            x.reshape([b, c, h / 2, 2, w / 2, 2])
                .max_dim(5)
                .max_dim(3)
                .reshape([b, c, h / 2, w / 2])
        };
        let pool_b = |x: Tensor<4>| {
            use burn::tensor::s;
            let a = x.clone().slice(s![.., .., 0..;2, 0..;2]);
            let b = x.clone().slice(s![.., .., 0..;2, 1..;2]);
            let c = x.clone().slice(s![.., .., 1..;2, 0..;2]);
            let d = x.slice(s![.., .., 1..;2, 1..;2]);
            a.max_pair(b).max_pair(c.max_pair(d))
        };
        assert_eq!(
            pool_a(y.clone()).into_data(),
            pool.forward(y.clone()).into_data()
        );
        assert_eq!(
            pool_b(y.clone()).into_data(),
            pool.forward(y.clone()).into_data()
        );
        time(
            &format!("pool(reshape+max_dim) @{size} fwd (plain)"),
            3,
            || pool_a(y.clone()).into_data(),
        );
        time(&format!("pool(reshape+max_dim) @{size} fwd+bwd"), 3, || {
            pool_a(ya.clone()).sum().backward()
        });
        time(
            &format!("pool(slices+max_pair) @{size} fwd (plain)"),
            3,
            || pool_b(y.clone()).into_data(),
        );
        time(&format!("pool(slices+max_pair) @{size} fwd+bwd"), 3, || {
            pool_b(ya.clone()).sum().backward()
        });
        time(&format!("relu @{size} forward+backward"), 3, || {
            relu(ya.clone()).sum().backward()
        });
    }
}
