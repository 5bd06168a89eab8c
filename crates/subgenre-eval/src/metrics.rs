//! scikit-learn-style classification metrics.
//!
//! [`ClassificationReport`] matches `sklearn.metrics.classification_report`
//! with `labels=range(n_classes)` and `zero_division=0`: a class never
//! predicted has precision 0, a class absent from the truth has recall 0 (and
//! still counts in the macro average), F1 is 0 when precision + recall is 0.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};

/// Arithmetic mean; 0 for an empty slice.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// Population standard deviation (numpy's `np.std`, `ddof=0`); 0 for an empty slice.
pub fn std_population(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let m = mean(values);
    (values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / values.len() as f64).sqrt()
}

/// Balanced class weights, scikit-learn's `compute_class_weight("balanced")` (see
/// [`subgenre_core::classes::balanced_class_weights`]).
pub fn balanced_class_weights(y: &[usize], n_classes: usize) -> Result<Vec<f64>> {
    subgenre_core::classes::balanced_class_weights(y, n_classes).map_err(|e| out_of_range("y", e))
}

/// Per-class counts of `y`, checking every label is below `n_classes`.
pub fn class_counts(y: &[usize], n_classes: usize, what: &'static str) -> Result<Vec<usize>> {
    subgenre_core::classes::class_counts(y, n_classes).map_err(|e| out_of_range(what, e))
}

fn out_of_range(what: &'static str, e: subgenre_core::classes::LabelOutOfRange) -> EvalError {
    EvalError::LabelOutOfRange {
        what,
        index: e.index,
        label: e.label,
        n_classes: e.n_classes,
    }
}

/// Fraction of equal labels; 0 for empty input.
pub fn accuracy(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    check_lengths(y_true, y_pred)?;
    if y_true.is_empty() {
        return Ok(0.0);
    }
    let hits = y_true.iter().zip(y_pred).filter(|(a, b)| a == b).count();
    Ok(hits as f64 / y_true.len() as f64)
}

fn check_lengths(y_true: &[usize], y_pred: &[usize]) -> Result<()> {
    if y_true.len() != y_pred.len() {
        return Err(EvalError::LengthMismatch {
            what: "y_pred",
            expected: y_true.len(),
            found: y_pred.len(),
        });
    }
    Ok(())
}

/// Confusion matrix: `counts[true][predicted]`, as scikit-learn's `confusion_matrix`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Class names, in index order.
    pub classes: Vec<String>,
    /// Rows are true classes, columns predicted ones.
    pub counts: Vec<Vec<u64>>,
}

impl ConfusionMatrix {
    /// Counts `(y_true[i], y_pred[i])` pairs.
    pub fn new(y_true: &[usize], y_pred: &[usize], classes: &[String]) -> Result<Self> {
        check_lengths(y_true, y_pred)?;
        let k = classes.len();
        class_counts(y_true, k, "y_true")?;
        class_counts(y_pred, k, "y_pred")?;
        let mut counts = vec![vec![0u64; k]; k];
        for (&t, &p) in y_true.iter().zip(y_pred) {
            counts[t][p] += 1;
        }
        Ok(Self {
            classes: classes.to_vec(),
            counts,
        })
    }

    /// Row-normalised matrix (each true class sums to 1; empty rows stay 0).
    pub fn row_normalised(&self) -> Vec<Vec<f64>> {
        self.counts
            .iter()
            .map(|row| {
                let total: u64 = row.iter().sum();
                row.iter()
                    .map(|&c| {
                        if total == 0 {
                            0.0
                        } else {
                            c as f64 / total as f64
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

impl fmt::Display for ConfusionMatrix {
    /// A terminal table: rows true, columns predicted, headed by class names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name_w = self
            .classes
            .iter()
            .map(|c| c.len())
            .max()
            .unwrap_or(0)
            .max("true \\ predicted".len());
        let max_count = self.counts.iter().flatten().copied().max().unwrap_or(0);
        let col_w = self
            .classes
            .iter()
            .map(|c| c.len())
            .max()
            .unwrap_or(0)
            .max(max_count.to_string().len());
        write!(f, "{:<name_w$}", "true \\ predicted")?;
        for c in &self.classes {
            write!(f, "  {c:>col_w$}")?;
        }
        writeln!(f)?;
        for (c, row) in self.classes.iter().zip(&self.counts) {
            write!(f, "{c:<name_w$}")?;
            for v in row {
                write!(f, "  {v:>col_w$}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Precision, recall, F1 and support of one class (or an average).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// tp / (tp + fp), 0 when nothing was predicted as the class.
    pub precision: f64,
    /// tp / (tp + fn), 0 when the class is absent.
    pub recall: f64,
    /// Harmonic mean of precision and recall, 0 when both are 0.
    pub f1: f64,
    /// Number of true samples.
    pub support: u64,
}

/// `sklearn.metrics.classification_report` with its confusion matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    /// Class names, in index order.
    pub classes: Vec<String>,
    /// One entry per class.
    pub per_class: Vec<ClassMetrics>,
    /// Fraction of correct predictions.
    pub accuracy: f64,
    /// Unweighted mean over classes.
    pub macro_avg: ClassMetrics,
    /// Mean over classes weighted by support.
    pub weighted_avg: ClassMetrics,
    /// The confusion matrix.
    pub confusion: ConfusionMatrix,
}

impl ClassificationReport {
    /// Scores predictions against the truth.
    pub fn new(y_true: &[usize], y_pred: &[usize], classes: &[String]) -> Result<Self> {
        Self::from_confusion(ConfusionMatrix::new(y_true, y_pred, classes)?)
    }

    /// The report a confusion matrix implies (e.g. to print a stored run again).
    pub fn from_confusion(confusion: ConfusionMatrix) -> Result<Self> {
        let k = confusion.classes.len();
        if confusion.counts.len() != k || confusion.counts.iter().any(|r| r.len() != k) {
            return Err(EvalError::LengthMismatch {
                what: "confusion matrix",
                expected: k,
                found: confusion.counts.len(),
            });
        }
        let mut per_class = Vec::with_capacity(k);
        for c in 0..k {
            let tp = confusion.counts[c][c];
            let support: u64 = confusion.counts[c].iter().sum();
            let predicted: u64 = confusion.counts.iter().map(|row| row[c]).sum();
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            // 2tp / (2tp + fp + fn), scikit-learn's formula since 1.3.
            let f1 = ratio(2 * tp, predicted + support);
            per_class.push(ClassMetrics {
                precision,
                recall,
                f1,
                support,
            });
        }
        let total: u64 = per_class.iter().map(|m| m.support).sum();
        let trace: u64 = (0..k).map(|c| confusion.counts[c][c]).sum();
        let avg = |weights: &dyn Fn(&ClassMetrics) -> f64| -> ClassMetrics {
            let wsum: f64 = per_class.iter().map(weights).sum();
            let w = |get: fn(&ClassMetrics) -> f64| {
                if wsum == 0.0 {
                    0.0
                } else {
                    per_class.iter().map(|m| weights(m) * get(m)).sum::<f64>() / wsum
                }
            };
            ClassMetrics {
                precision: w(|m| m.precision),
                recall: w(|m| m.recall),
                f1: w(|m| m.f1),
                support: total,
            }
        };
        let macro_avg = avg(&|_| 1.0);
        let weighted_avg = avg(&|m| m.support as f64);
        Ok(Self {
            classes: confusion.classes.clone(),
            per_class,
            accuracy: ratio(trace, total),
            macro_avg,
            weighted_avg,
            confusion,
        })
    }

    /// Macro-averaged F1.
    pub fn macro_f1(&self) -> f64 {
        self.macro_avg.f1
    }

    /// Support-weighted F1.
    pub fn weighted_f1(&self) -> f64 {
        self.weighted_avg.f1
    }

    /// The text of `classification_report(..., digits=digits)`.
    pub fn render(&self, digits: usize) -> String {
        let width = self
            .classes
            .iter()
            .map(|c| c.len())
            .max()
            .unwrap_or(0)
            .max("weighted avg".len())
            .max(digits);
        let mut s = format!(
            "{:>width$}  {:>9} {:>9} {:>9} {:>9}\n\n",
            "", "precision", "recall", "f1-score", "support"
        );
        let row = |s: &mut String, name: &str, m: &ClassMetrics| {
            s.push_str(&format!(
                "{name:>width$}  {:>9.digits$} {:>9.digits$} {:>9.digits$} {:>9}\n",
                m.precision, m.recall, m.f1, m.support
            ));
        };
        for (name, m) in self.classes.iter().zip(&self.per_class) {
            row(&mut s, name, m);
        }
        s.push('\n');
        s.push_str(&format!(
            "{:>width$}  {:>9} {:>9} {:>9.digits$} {:>9}\n",
            "accuracy", "", "", self.accuracy, self.macro_avg.support
        ));
        row(&mut s, "macro avg", &self.macro_avg);
        row(&mut s, "weighted avg", &self.weighted_avg);
        s
    }
}

impl fmt::Display for ClassificationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(2))
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn names(k: usize) -> Vec<String> {
        subgenre_core::classes::FIVE_CLASSES[..k]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn matches_sklearn() {
        // sklearn 1.9: classification_report(y_true, y_pred, labels=[0,1,2,3], zero_division=0,
        // output_dict=True) for these vectors (class 3 never occurs, class 2 never predicted).
        let y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2, 0];
        let y_pred = [0, 0, 1, 1, 1, 1, 0, 1, 1, 0];
        let r = ClassificationReport::new(&y_true, &y_pred, &names(4)).expect("report");
        assert_abs_diff_eq!(r.accuracy, 0.5, epsilon = 1e-12);
        assert_abs_diff_eq!(r.per_class[0].precision, 0.75, epsilon = 1e-12);
        assert_abs_diff_eq!(r.per_class[0].recall, 0.75, epsilon = 1e-12);
        assert_abs_diff_eq!(r.per_class[1].precision, 2.0 / 6.0, epsilon = 1e-12);
        assert_abs_diff_eq!(r.per_class[1].recall, 1.0, epsilon = 1e-12);
        assert_abs_diff_eq!(r.per_class[1].f1, 0.5, epsilon = 1e-12);
        assert_eq!(
            r.per_class[2],
            ClassMetrics {
                precision: 0.0,
                recall: 0.0,
                f1: 0.0,
                support: 4
            }
        );
        assert_eq!(r.per_class[3].support, 0);
        assert_abs_diff_eq!(r.macro_avg.f1, (0.75 + 0.5) / 4.0, epsilon = 1e-12);
        assert_abs_diff_eq!(
            r.weighted_avg.f1,
            (0.75 * 4.0 + 0.5 * 2.0) / 10.0,
            epsilon = 1e-12
        );
        assert_abs_diff_eq!(
            r.weighted_avg.precision,
            (0.75 * 4.0 + 2.0 / 6.0 * 2.0) / 10.0,
            epsilon = 1e-12
        );
        assert_eq!(r.confusion.counts[2], vec![1, 3, 0, 0]);
        assert_eq!(r.macro_avg.support, 10);
    }

    #[test]
    fn text_rendering_looks_like_sklearn() {
        let y_true = [0, 1, 2, 2, 1, 0];
        let y_pred = [0, 2, 2, 2, 1, 0];
        let r = ClassificationReport::new(&y_true, &y_pred, &names(3)).expect("report");
        let text = r.to_string();
        let expected = "              precision    recall  f1-score   support

      bouncy       1.00      1.00      1.00         2
       tekno       1.00      0.50      0.67         2
     warzone       0.67      1.00      0.80         2

    accuracy                           0.83         6
   macro avg       0.89      0.83      0.82         6
weighted avg       0.89      0.83      0.82         6
";
        assert_eq!(text, expected);
        let table = r.confusion.to_string();
        assert!(table.starts_with("true \\ predicted"));
        assert!(table.lines().nth(2).expect("row").starts_with("tekno"));
    }

    #[test]
    fn weights_means_and_errors() {
        let w = balanced_class_weights(&[0, 0, 0, 1, 2, 2], 3).expect("weights");
        assert_abs_diff_eq!(w[0], 6.0 / 9.0, epsilon = 1e-12);
        assert_abs_diff_eq!(w[1], 2.0, epsilon = 1e-12);
        assert_abs_diff_eq!(w[2], 1.0, epsilon = 1e-12);
        assert_eq!(
            balanced_class_weights(&[0, 0], 2).expect("weights"),
            vec![1.0, 0.0]
        );
        assert_abs_diff_eq!(mean(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        assert_abs_diff_eq!(
            std_population(&[1.0, 2.0, 3.0, 4.0]),
            1.25f64.sqrt(),
            epsilon = 1e-12
        );
        assert_eq!(std_population(&[]), 0.0);
        assert!(matches!(
            ClassificationReport::new(&[0, 1], &[0], &names(2)),
            Err(EvalError::LengthMismatch { .. })
        ));
        assert!(matches!(
            ClassificationReport::new(&[0, 5], &[0, 1], &names(2)),
            Err(EvalError::LabelOutOfRange {
                index: 1,
                label: 5,
                ..
            })
        ));
        let cm = ConfusionMatrix::new(&[0, 0, 1], &[0, 1, 1], &names(2)).expect("cm");
        assert_eq!(cm.row_normalised(), vec![vec![0.5, 0.5], vec![0.0, 1.0]]);
        let again = ClassificationReport::from_confusion(cm.clone()).expect("report");
        assert_eq!(
            again,
            ClassificationReport::new(&[0, 0, 1], &[0, 1, 1], &names(2)).expect("report")
        );
        let mut bad = cm;
        bad.counts.pop();
        assert!(ClassificationReport::from_confusion(bad).is_err());
    }
}
