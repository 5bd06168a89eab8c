//! The `gemm` crate's single-thread rate on the matrix shapes of the networks' convolutions
//! (the Winograd products `[C_out, C_in] x [C_in, tiles]` and the first block's neighbourhood
//! products), in GFLOP/s. Run it in the dev profile and in release to see what debug
//! assertions inside a dependency's inner loops cost (BENCHMARKS.md, "Dependencies without
//! debug assertions"):
//!
//!     taskset -c 1 cargo run -p subgenre-cnn --example gemm_rate
//!     taskset -c 1 cargo run --release -p subgenre-cnn --example gemm_rate

use std::time::Instant;

fn main() {
    // (m, k, n): the Winograd products of compact's blocks 2-4 and cnn_drop_first's, then
    // neighbourhood products ([C_out, C_in * 9] x [C_in * 9, pixels]).
    let shapes = [
        (32, 16, 128),
        (64, 32, 256),
        (128, 64, 64),
        (16, 9, 4096),
        (32, 144, 4096),
        (128, 576, 256),
    ];
    for (m, k, n) in shapes {
        let lhs = vec![0.5f32; m * k];
        let rhs = vec![0.25f32; k * n];
        let mut dst = vec![0.0f32; m * n];
        // About 2 GFLOP per shape.
        let repeats = (2_000_000_000 / (2 * m * k * n)).max(3);
        let start = Instant::now();
        for _ in 0..repeats {
            // SAFETY: row-major [m, k], [k, n] and [m, n] buffers of exactly those sizes.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    dst.as_mut_ptr(),
                    1,
                    n as isize,
                    false,
                    lhs.as_ptr(),
                    1,
                    k as isize,
                    rhs.as_ptr(),
                    1,
                    n as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        let gflops = 2.0 * (m * k * n * repeats) as f64 / seconds * 1e-9;
        println!("[{m:>3}, {k:>3}] x [{k:>3}, {n:>4}]: {gflops:6.1} GFLOP/s");
    }
}
