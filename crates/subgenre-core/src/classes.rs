//! The data set's classes, and the class weighting every model uses.

/// The seven labels of the data set, in the labels CSV's column order.
pub const ALL_CLASSES: [&str; 7] = [
    "psytech",
    "oldschool-hardstyle",
    "bouncy",
    "tekno",
    "warzone",
    "industrial",
    "non-techno-drop",
];

/// The study's five-class setting (psytech and oldschool-hardstyle set aside).
pub const FIVE_CLASSES: [&str; 5] = [
    "bouncy",
    "tekno",
    "warzone",
    "industrial",
    "non-techno-drop",
];

/// A label at or past the number of classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelOutOfRange {
    /// Position of the label in its input.
    pub index: usize,
    pub label: usize,
    pub n_classes: usize,
}

/// How many labels of each class `y` holds.
pub fn class_counts(y: &[usize], n_classes: usize) -> Result<Vec<usize>, LabelOutOfRange> {
    let mut counts = vec![0usize; n_classes];
    for (index, &label) in y.iter().enumerate() {
        *counts.get_mut(label).ok_or(LabelOutOfRange {
            index,
            label,
            n_classes,
        })? += 1;
    }
    Ok(counts)
}

/// Balanced class weights, scikit-learn's `compute_class_weight("balanced")` (which the study
/// passed to its models): `n_samples / (n_present_classes * count[c])`. A class absent from
/// `y` gets weight 0 (scikit-learn refuses such input; here it simply has no samples to
/// weigh), and only classes present count in the denominator.
pub fn balanced_class_weights(y: &[usize], n_classes: usize) -> Result<Vec<f64>, LabelOutOfRange> {
    let counts = class_counts(y, n_classes)?;
    let present = counts.iter().filter(|&&c| c > 0).count();
    Ok(counts
        .iter()
        .map(|&c| {
            if c == 0 {
                0.0
            } else {
                y.len() as f64 / (present as f64 * c as f64)
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_weights_follow_scikit_learn() {
        // n = 6, 3 classes present: 6 / (3 * count).
        let w = balanced_class_weights(&[0, 0, 0, 1, 2, 2], 3).expect("in range");
        assert_eq!(w, vec![6.0 / 9.0, 2.0, 1.0]);
        // An absent class weighs 0 and does not count.
        assert_eq!(
            balanced_class_weights(&[0, 0], 2).expect("in range"),
            vec![1.0, 0.0]
        );
        assert_eq!(
            balanced_class_weights(&[0, 5], 2),
            Err(LabelOutOfRange {
                index: 1,
                label: 5,
                n_classes: 2
            })
        );
    }

    #[test]
    fn five_classes_are_all_but_the_two_set_aside() {
        let rest: Vec<_> = ALL_CLASSES
            .iter()
            .filter(|c| !["psytech", "oldschool-hardstyle"].contains(c))
            .collect();
        assert_eq!(rest, FIVE_CLASSES.iter().collect::<Vec<_>>());
    }
}
