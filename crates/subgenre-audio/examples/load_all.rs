//! Decode and resample every file named on the command line; prints totals.
//! `cargo run --release -p subgenre-audio --example load_all -- FILES...`
use std::time::Instant;

fn main() {
    let t = Instant::now();
    let mut n = 0usize;
    let mut samples = 0usize;
    let mut failures = 0usize;
    for path in std::env::args().skip(1) {
        match subgenre_audio::load(
            &path,
            &subgenre_audio::LoadOptions::default()
                .sr(std::env::var("NATIVE").ok().map_or(Some(22050), |_| None)),
        ) {
            Ok(a) => {
                n += 1;
                samples += a.samples.len();
            }
            Err(e) => {
                failures += 1;
                eprintln!("{e}");
            }
        }
    }
    println!(
        "{n} files, {samples} samples, {failures} failures, {:.2} s",
        t.elapsed().as_secs_f64()
    );
}
