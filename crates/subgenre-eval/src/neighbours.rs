//! How well an embedding finds music of the same kind: for each clip, do its nearest
//! neighbours (by cosine) share its label more often than chance? Neighbours from the clip's
//! own track (its group) are left out, as they would flatter the embedding: clips of one track
//! sound alike whatever their label means.

use serde::Serialize;

use crate::error::{EvalError, Result};

/// The share of same-label clips among each clip's `k` nearest neighbours, beside the share
/// a random pick from the same candidates would give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeighbourAgreement {
    /// Neighbours looked at per clip.
    pub k: usize,
    /// Clips that had at least one candidate (a clip of another track with an embedding).
    pub queries: usize,
    /// Mean over the queries of the share of its nearest neighbours with its label.
    pub same_label: f64,
    /// Mean over the queries of the share of its candidates with its label: what `same_label`
    /// would be if the neighbours were picked at random.
    pub chance: f64,
}

/// Each clip's `k` nearest clips of other groups by cosine of `embeddings` (ties broken by
/// position), scored against its label. `labels` and `groups` run parallel to `embeddings`;
/// an embedding without a direction (all zero, non-finite) or of another length than the
/// first is never a neighbour and never a query.
pub fn neighbour_agreement<G: AsRef<str>>(
    embeddings: &[Vec<f32>],
    labels: &[usize],
    groups: &[G],
    k: usize,
) -> Result<NeighbourAgreement> {
    for (what, found) in [("labels", labels.len()), ("groups", groups.len())] {
        if found != embeddings.len() {
            return Err(EvalError::LengthMismatch {
                what,
                expected: embeddings.len(),
                found,
            });
        }
    }
    if k == 0 {
        return Err(EvalError::Zero {
            what: "the number of neighbours per clip",
        });
    }
    let (mut same_total, mut chance_total, mut queries) = (0.0, 0.0, 0usize);
    for (i, query) in embeddings.iter().enumerate() {
        let mut candidates: Vec<(usize, f64)> = embeddings
            .iter()
            .enumerate()
            .filter(|(j, _)| groups[*j].as_ref() != groups[i].as_ref())
            .filter_map(|(j, e)| Some((j, subgenre_core::cosine_similarity(query, e)?)))
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let same = |js: &[(usize, f64)]| js.iter().filter(|(j, _)| labels[*j] == labels[i]).count();
        chance_total += same(&candidates) as f64 / candidates.len() as f64;
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        candidates.truncate(k);
        same_total += same(&candidates) as f64 / candidates.len() as f64;
        queries += 1;
    }
    let mean = |total: f64| {
        if queries == 0 {
            0.0
        } else {
            total / queries as f64
        }
    };
    Ok(NeighbourAgreement {
        k,
        queries,
        same_label: mean(same_total),
        chance: mean(chance_total),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two labels pointing two ways, three tracks of two clips each.
    fn two_directions() -> (Vec<Vec<f32>>, Vec<usize>, Vec<&'static str>) {
        let embeddings = vec![
            vec![1.0, 0.1],
            vec![1.0, 0.2],
            vec![0.9, 0.0],
            vec![0.1, 1.0],
            vec![0.0, 1.0],
            vec![0.2, 0.9],
        ];
        let labels = vec![0, 0, 0, 1, 1, 1];
        let groups = vec!["a", "a", "b", "c", "c", "b"];
        (embeddings, labels, groups)
    }

    #[test]
    fn an_embedding_that_separates_the_labels_beats_chance() -> Result<()> {
        let (e, labels, groups) = two_directions();
        let got = neighbour_agreement(&e, &labels, &groups, 1)?;
        assert_eq!(got.queries, 6);
        assert!((got.same_label - 1.0).abs() < 1e-12, "{got:?}");
        // Clip 0 (track a) has candidates 2, 3, 4, 5: one of them shares its label.
        // Clip 2 (track b) has 0, 1, 3, 4: two share it. By symmetry the mean is 1/3.
        assert!((got.chance - (0.25 + 0.25 + 0.5 + 0.25 + 0.25 + 0.5) / 6.0).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn neighbours_from_the_query_s_own_track_never_count() -> Result<()> {
        // Each label's clips all come from one track: left to other tracks, every nearest
        // neighbour has the other label.
        let e = vec![
            vec![1.0, 0.0],
            vec![1.0, 0.1],
            vec![0.0, 1.0],
            vec![0.1, 1.0],
        ];
        let got = neighbour_agreement(&e, &[0, 0, 1, 1], &["a", "a", "b", "b"], 2)?;
        assert_eq!(got.same_label, 0.0);
        assert_eq!(got.chance, 0.0);
        // The same clips as separate tracks find their own kind.
        let got = neighbour_agreement(&e, &[0, 0, 1, 1], &["a", "b", "c", "d"], 1)?;
        assert_eq!(got.same_label, 1.0);
        Ok(())
    }

    #[test]
    fn clips_without_a_direction_are_neither_queries_nor_neighbours() -> Result<()> {
        let e = vec![vec![1.0, 0.0], vec![0.0, 0.0], vec![1.0, 0.1]];
        let got = neighbour_agreement(&e, &[0, 1, 0], &["a", "b", "c"], 5)?;
        assert_eq!(got.queries, 2);
        assert_eq!(got.same_label, 1.0);
        Ok(())
    }

    #[test]
    fn mismatched_inputs_and_k_zero_are_errors() {
        let (e, labels, groups) = two_directions();
        assert!(neighbour_agreement(&e, &labels[1..], &groups, 1).is_err());
        assert!(neighbour_agreement(&e, &labels, &groups[1..], 1).is_err());
        assert!(neighbour_agreement(&e, &labels, &groups, 0).is_err());
    }
}
