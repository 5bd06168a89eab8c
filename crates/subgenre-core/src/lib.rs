//! Pieces every subgenre crate shares.

pub mod atomic;
pub mod classes;
pub mod hash;
pub mod prediction;
pub mod rng;
pub mod vector;

pub use atomic::{write_atomic, write_atomic_with};
pub use hash::Fnv1a;
pub use prediction::{TrackPrediction, Window, UNCERTAIN};
pub use rng::SplitMix64;
pub use vector::cosine_similarity;

/// The crate version, e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git commit the build came from (`unknown` outside a git checkout; `-dirty` with local edits).
pub const GIT_COMMIT: &str = env!("SUBGENRE_GIT_COMMIT");

/// `0.1.0 (abc1234567)`: what `--version` prints and every report records.
pub fn version_string() -> String {
    format!("{VERSION} ({GIT_COMMIT})")
}
