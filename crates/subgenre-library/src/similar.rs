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
    let query = &track.analysis.embedding;
    let Some(query_norm) = norm(query) else {
        return Ok(Vec::new());
    };
    let mut scored: Vec<(Track, f32)> = library
        .tracks()?
        .into_iter()
        .filter(|t| t.id != track.id && t.path != track.path)
        .filter(|t| !same_label || t.analysis.label == track.analysis.label)
        .filter_map(|t| {
            let e = &t.analysis.embedding;
            if e.len() != query.len() {
                return None;
            }
            let dot: f64 = e
                .iter()
                .zip(query)
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum();
            let cos = dot / (norm(e)? * query_norm);
            Some((t, cos as f32))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.path.cmp(&b.0.path)));
    scored.truncate(n);
    Ok(scored)
}

/// The Euclidean norm, or `None` for an empty or all-zero (or non-finite) vector.
fn norm(v: &[f32]) -> Option<f64> {
    let n = v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    (n.is_finite() && n > 0.0).then_some(n)
}
