//! Worker threads for the calls that take `jobs`.

use crate::errors::{bad_argument, Failure, Outcome};

/// A rayon pool of `jobs` threads (`None`: one per core).
pub fn pool(jobs: Option<usize>) -> Outcome<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = jobs {
        if n == 0 {
            return Err(bad_argument(
                "jobs",
                "must be at least 1 (or None for all cores)",
            ));
        }
        builder = builder.num_threads(n);
    }
    builder
        .build()
        .map_err(|e| Failure::Other(format!("starting worker threads: {e}")))
}
