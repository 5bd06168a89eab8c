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

/// What an error about `path` says, without the leading `"<path>: "` the audio and
/// prediction errors start with: for lists that name the file themselves (`path: reason`),
/// so that each line names the file once.
pub fn reason_about(path: &std::path::Path, error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    match text.strip_prefix(&format!("{}: ", path.display())) {
        Some(reason) => reason.to_string(),
        None => text,
    }
}

/// `0.1.0 (abc1234567)`: what `--version` prints and every report records.
pub fn version_string() -> String {
    format!("{VERSION} ({GIT_COMMIT})")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_reason_names_its_file_once() {
        let path = std::path::Path::new("/music/a.mp3");
        assert_eq!(
            super::reason_about(path, &"/music/a.mp3: file is empty"),
            "file is empty"
        );
        assert_eq!(super::reason_about(path, &"no model"), "no model");
        let other = "/music/b.mp3: file is empty";
        assert_eq!(super::reason_about(path, &other), other);
    }
}
