//! Tracks that sound alike: cosine similarity of the analyser's embeddings.

use crate::db::Library;
use crate::error::Result;
use crate::track::Track;

/// The `n` tracks most similar to `track` (itself excluded), most similar first, each with
/// its cosine similarity. With `same_label` only tracks of the same label are considered.
/// Tracks whose embedding is empty, all zero or of another length (another model's) are
/// skipped.
pub fn similar(
    library: &Library,
    track: &Track,
    n: usize,
    same_label: bool,
) -> Result<Vec<(Track, f32)>> {
    let query = track.analysis.embedding.as_deref().unwrap_or_default();
    if subgenre_core::vector::norm(query).is_none() {
        return Ok(Vec::new());
    }
    let mut scored: Vec<(Track, f32)> = library
        .tracks()?
        .into_iter()
        .filter(|t| t.id != track.id && t.path() != track.path())
        .filter(|t| !same_label || t.analysis.label == track.analysis.label)
        .filter_map(|t| {
            let cos = subgenre_core::cosine_similarity(t.analysis.embedding.as_deref()?, query)?;
            Some((t, cos as f32))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.path().cmp(b.0.path())));
    scored.truncate(n);
    Ok(scored)
}
