//! Small vector arithmetic shared by similarity search and its evaluation.

/// The Euclidean norm, or `None` for an empty, all-zero or non-finite vector.
pub fn norm(v: &[f32]) -> Option<f64> {
    let n = v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    (n.is_finite() && n > 0.0).then_some(n)
}

/// The cosine of the angle between `a` and `b`, or `None` when they differ in length or
/// either has no direction (see [`norm`]).
pub fn cosine_similarity(a: &[f32], b: &[f32]) -> Option<f64> {
    if a.len() != b.len() {
        return None;
    }
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    Some(dot / (norm(a)? * norm(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_parallel_orthogonal_and_opposite_vectors() {
        let close = |x: Option<f64>, y: f64| x.is_some_and(|x| (x - y).abs() < 1e-12);
        assert!(close(cosine_similarity(&[1.0, 2.0], &[2.0, 4.0]), 1.0));
        assert!(close(cosine_similarity(&[1.0, 0.0], &[0.0, 3.0]), 0.0));
        assert!(close(cosine_similarity(&[1.0, -1.0], &[-2.0, 2.0]), -1.0));
    }

    #[test]
    fn cosine_is_undefined_without_a_direction_or_for_other_lengths() {
        assert_eq!(cosine_similarity(&[0.0, 0.0], &[1.0, 0.0]), None);
        assert_eq!(cosine_similarity(&[], &[]), None);
        assert_eq!(cosine_similarity(&[1.0], &[1.0, 0.0]), None);
        assert_eq!(cosine_similarity(&[f32::NAN, 1.0], &[1.0, 0.0]), None);
    }
}
