//! RBF support vector machine, as scikit-learn's `SVC(kernel="rbf",
//! class_weight="balanced")`, built from binary linfa-svm models.
//!
//! * **Multi-class**: one-vs-one, like libsvm/`SVC`: one binary SVM per class
//!   pair, the label is the class with the most pairwise votes (ties to the
//!   lower index). A single label per clip, not the study's multi-label
//!   one-vs-rest wrapper.
//! * **Class weights**: linfa-svm has no per-sample weights but takes separate
//!   C for the positive and negative side (`pos_neg_weights`), which is
//!   exactly how libsvm applies `class_weight`: the pair (i, j) is fitted with
//!   `C_i = C * w_i` and `C_j = C * w_j`, `w = n / (k * count)` over the
//!   whole training part.
//! * **Kernel**: `gamma = "scale"` = `1 / (n_features * X.var())` over the
//!   standardised training matrix; linfa's Gaussian kernel is
//!   `exp(-|x - x'|² / eps)`, so `eps = 1 / gamma`. C = 1, tolerance 1e-3.
//! * **Probabilities** (for soft voting): as libsvm's `probability=True`.
//!   Each pair's decision values get a Platt sigmoid (libsvm's
//!   `sigmoid_train`), fitted on out-of-fold decision values from an internal
//!   `platt_folds`-fold cross-validation of that pair (5, as libsvm; 0 fits
//!   on the training decision values, faster but over-confident); the
//!   pairwise probabilities are coupled into class probabilities with Wu, Lin
//!   & Weng's (2004) method 2 (libsvm's `multiclass_probability`). As with
//!   scikit-learn, `predict` (votes) and the arg-max of `predict_proba` can
//!   disagree on a few borderline clips.

use std::collections::BTreeMap;

use linfa::dataset::DatasetBase;
use linfa::traits::Fit;
use linfa_svm::Svm as LinfaSvm;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;
use serde_json::json;
use subgenre_eval::SplitMix64;

use crate::error::{ClassicError, Result};
use crate::model::{Labelled, Model};

/// The SVM's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SvmParams {
    /// Penalty C (scikit-learn default 1).
    pub c: f64,
    /// RBF gamma; `None` = scikit-learn's `"scale"`.
    pub gamma: Option<f64>,
    /// Balanced class weights (the study's `class_weight="balanced"`).
    pub balanced: bool,
    /// Solver tolerance (scikit-learn's `tol`, 1e-3).
    pub tol: f64,
    /// Folds of the internal cross-validation that feeds Platt scaling (0: none).
    pub platt_folds: usize,
    /// Seed of those folds.
    pub seed: u64,
}

impl Default for SvmParams {
    fn default() -> Self {
        Self {
            c: 1.0,
            gamma: None,
            balanced: true,
            tol: 1e-3,
            platt_folds: 5,
            seed: 42,
        }
    }
}

/// One fitted class pair: class `i` is the positive side.
#[derive(Debug, Clone)]
struct Pair {
    i: usize,
    j: usize,
    /// `None` when one class of the pair is absent from training: the
    /// decision is then a constant favouring the present class.
    svm: Option<LinfaSvm<f64, bool>>,
    constant: f64,
    /// Platt sigmoid: P(i | i or j, f) = 1 / (1 + exp(a f + b)).
    a: f64,
    b: f64,
}

impl Pair {
    fn decision(&self, x: ArrayView1<'_, f64>) -> f64 {
        match &self.svm {
            Some(svm) => decision_of(svm, x),
            None => self.constant,
        }
    }
}

/// The one-vs-one RBF SVM.
#[derive(Debug, Clone)]
pub struct SvmModel {
    params: SvmParams,
    n_classes: usize,
    gamma: f64,
    pairs: Vec<Pair>,
}

impl SvmModel {
    /// An untrained SVM for `n_classes` classes.
    pub fn new(n_classes: usize, params: SvmParams) -> Self {
        Self {
            params,
            n_classes,
            gamma: 0.0,
            pairs: Vec::new(),
        }
    }

    /// Pairwise decision values `[rows, pairs]` (pairs in (0,1), (0,2)… order).
    fn decisions(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let values: Vec<f64> = (0..x.nrows())
            .into_par_iter()
            .flat_map_iter(|r| self.pairs.iter().map(move |p| p.decision(x.row(r))))
            .collect();
        Array2::from_shape_vec((x.nrows(), self.pairs.len()), values)
            .unwrap_or_else(|_| Array2::zeros((x.nrows(), self.pairs.len())))
    }

    fn check_fitted(&self) -> Result<()> {
        if self.pairs.is_empty() && self.n_classes > 1 {
            return Err(ClassicError::InvalidParam {
                name: "svm",
                reason: "predict before fit".into(),
            });
        }
        Ok(())
    }
}

/// `1 / (n_features * var(X))` over all entries, scikit-learn's `gamma="scale"`.
pub fn gamma_scale(x: ArrayView2<'_, f64>) -> f64 {
    let n = x.len() as f64;
    if n == 0.0 {
        return 1.0;
    }
    let mean = x.sum() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    if var > 0.0 {
        1.0 / (x.ncols() as f64 * var)
    } else {
        1.0
    }
}

fn fit_binary(
    x: Array2<f64>,
    t: Array1<bool>,
    c_pos: f64,
    c_neg: f64,
    gamma: f64,
    tol: f64,
    pair: &str,
) -> Result<LinfaSvm<f64, bool>> {
    let data = DatasetBase::new(x, t);
    linfa_svm::Svm::<f64, bool>::params()
        .pos_neg_weights(c_pos, c_neg)
        .gaussian_kernel(1.0 / gamma)
        .eps(tol)
        .fit(&data)
        .map_err(|source| ClassicError::Svm {
            pair: pair.to_owned(),
            source,
        })
}

fn decision_of(svm: &LinfaSvm<f64, bool>, x: ArrayView1<'_, f64>) -> f64 {
    svm.weighted_sum(&x) - svm.rho
}

impl Model for SvmModel {
    fn name(&self) -> &str {
        "svm"
    }

    fn fit(&mut self, train: Labelled<'_>, _valid: Option<Labelled<'_>>) -> Result<()> {
        let k = self.n_classes;
        if train.y.is_empty() {
            return Err(ClassicError::InvalidParam {
                name: "train",
                reason: "the training part holds no rows".into(),
            });
        }
        let weights = if self.params.balanced {
            subgenre_eval::balanced_class_weights(train.y, k)?
        } else {
            vec![1.0; k]
        };
        self.gamma = self.params.gamma.unwrap_or_else(|| gamma_scale(train.x));
        let c = self.params.c;
        let (gamma, tol, folds) = (self.gamma, self.params.tol, self.params.platt_folds);
        let mut jobs = Vec::new();
        for i in 0..k {
            for j in i + 1..k {
                jobs.push((i, j));
            }
        }
        let classes_present: Vec<bool> = (0..k).map(|c| train.y.contains(&c)).collect();
        let seed = self.params.seed;
        self.pairs = jobs
            .into_par_iter()
            .map(|(i, j)| -> Result<Pair> {
                let name = format!("classes {i} vs {j}");
                let rows: Vec<usize> = (0..train.y.len())
                    .filter(|&r| train.y[r] == i || train.y[r] == j)
                    .collect();
                let (c_pos, c_neg) = (c * weights[i], c * weights[j]);
                if !(classes_present[i] && classes_present[j]) {
                    let constant = if classes_present[i] { 1.0 } else { -1.0 };
                    // P(i | i or j) = 1 / (1 + exp(b)): near 1 when only i was seen.
                    return Ok(Pair {
                        i,
                        j,
                        svm: None,
                        constant,
                        a: 0.0,
                        b: -20.0 * constant,
                    });
                }
                let x = train.x.select(Axis(0), &rows);
                let t: Array1<bool> = rows.iter().map(|&r| train.y[r] == i).collect();
                let svm = fit_binary(x.clone(), t.clone(), c_pos, c_neg, gamma, tol, &name)?;
                // Decision values for Platt: out-of-fold when folds > 1.
                let mut dec = vec![0.0; rows.len()];
                if folds > 1 && rows.len() >= 2 * folds {
                    let mut order: Vec<usize> = (0..rows.len()).collect();
                    SplitMix64::new(seed ^ ((i as u64) << 32 | j as u64)).shuffle(&mut order);
                    for f in 0..folds {
                        let test: Vec<usize> =
                            order.iter().copied().skip(f).step_by(folds).collect();
                        let mut is_test = vec![false; rows.len()];
                        for &r in &test {
                            is_test[r] = true;
                        }
                        let fit_rows: Vec<usize> =
                            (0..rows.len()).filter(|&r| !is_test[r]).collect();
                        let ft = t.select(Axis(0), &fit_rows);
                        let both = ft.iter().any(|&v| v) && ft.iter().any(|&v| !v);
                        if !both {
                            // libsvm: a one-sided fold predicts that side.
                            let v = if ft.iter().any(|&v| v) { 1.0 } else { -1.0 };
                            for &r in &test {
                                dec[r] = v;
                            }
                            continue;
                        }
                        let fsvm = fit_binary(
                            x.select(Axis(0), &fit_rows),
                            ft,
                            c_pos,
                            c_neg,
                            gamma,
                            tol,
                            &name,
                        )?;
                        for &r in &test {
                            dec[r] = decision_of(&fsvm, x.row(r));
                        }
                    }
                } else {
                    for (d, row) in dec.iter_mut().zip(x.rows()) {
                        *d = decision_of(&svm, row);
                    }
                }
                let labels: Vec<bool> = t.to_vec();
                let (a, b) = sigmoid_train(&dec, &labels);
                Ok(Pair {
                    i,
                    j,
                    svm: Some(svm),
                    constant: 0.0,
                    a,
                    b,
                })
            })
            .collect::<Result<Vec<Pair>>>()?;
        Ok(())
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.check_fitted()?;
        let k = self.n_classes;
        let d = self.decisions(x);
        let mut out = Array2::zeros((x.nrows(), k));
        let mut r = vec![vec![0.0; k]; k];
        for (row, mut o) in d.rows().into_iter().zip(out.rows_mut()) {
            for (p, &f) in self.pairs.iter().zip(row.iter()) {
                let pij = sigmoid_predict(f, p.a, p.b).clamp(1e-7, 1.0 - 1e-7);
                r[p.i][p.j] = pij;
                r[p.j][p.i] = 1.0 - pij;
            }
            let probs = multiclass_probability(&r);
            for (o, v) in o.iter_mut().zip(probs) {
                *o = v;
            }
        }
        Ok(out)
    }

    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Vec<usize>> {
        self.check_fitted()?;
        let d = self.decisions(x);
        Ok(d.rows()
            .into_iter()
            .map(|row| {
                let mut votes = vec![0usize; self.n_classes];
                for (p, &f) in self.pairs.iter().zip(row.iter()) {
                    votes[if f > 0.0 { p.i } else { p.j }] += 1;
                }
                let mut best = 0;
                for (c, &v) in votes.iter().enumerate() {
                    if v > votes[best] {
                        best = c;
                    }
                }
                best
            })
            .collect())
    }

    fn params(&self) -> BTreeMap<String, serde_json::Value> {
        BTreeMap::from([
            ("C".into(), json!(self.params.c)),
            ("gamma".into(), json!(self.gamma)),
            (
                "class_weight".into(),
                json!(if self.params.balanced {
                    "balanced"
                } else {
                    "none"
                }),
            ),
            ("platt_folds".into(), json!(self.params.platt_folds)),
        ])
    }
}

/// libsvm's `sigmoid_train` (Platt 2000 with Lin, Lin & Weng's 2007 fixes):
/// returns (A, B) with P(positive | f) = 1 / (1 + exp(A f + B)).
pub fn sigmoid_train(dec: &[f64], labels: &[bool]) -> (f64, f64) {
    let prior1 = labels.iter().filter(|&&l| l).count() as f64;
    let prior0 = labels.len() as f64 - prior1;
    let hi = (prior1 + 1.0) / (prior1 + 2.0);
    let lo = 1.0 / (prior0 + 2.0);
    let t: Vec<f64> = labels.iter().map(|&l| if l { hi } else { lo }).collect();
    let (max_iter, min_step, sigma, eps) = (100, 1e-10, 1e-12, 1e-5);
    let mut a = 0.0;
    let mut b = ((prior0 + 1.0) / (prior1 + 1.0)).ln();
    let objective = |a: f64, b: f64| -> f64 {
        dec.iter()
            .zip(&t)
            .map(|(&f, &ti)| {
                let z = f * a + b;
                if z >= 0.0 {
                    ti * z + (-z).exp().ln_1p()
                } else {
                    (ti - 1.0) * z + z.exp().ln_1p()
                }
            })
            .sum()
    };
    let mut fval = objective(a, b);
    for _ in 0..max_iter {
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (sigma, sigma, 0.0, 0.0, 0.0);
        for (&f, &ti) in dec.iter().zip(&t) {
            let z = f * a + b;
            let (p, q) = if z >= 0.0 {
                let e = (-z).exp();
                (e / (1.0 + e), 1.0 / (1.0 + e))
            } else {
                let e = z.exp();
                (1.0 / (1.0 + e), e / (1.0 + e))
            };
            let d2 = p * q;
            h11 += f * f * d2;
            h22 += d2;
            h21 += f * d2;
            let d1 = ti - p;
            g1 += f * d1;
            g2 += d1;
        }
        if g1.abs() < eps && g2.abs() < eps {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let da = -(h22 * g1 - h21 * g2) / det;
        let db = -(-h21 * g1 + h11 * g2) / det;
        let gd = g1 * da + g2 * db;
        let mut step = 1.0;
        while step >= min_step {
            let (na, nb) = (a + step * da, b + step * db);
            let nf = objective(na, nb);
            if nf < fval + 1e-4 * step * gd {
                a = na;
                b = nb;
                fval = nf;
                break;
            }
            step /= 2.0;
        }
        if step < min_step {
            break;
        }
    }
    (a, b)
}

/// libsvm's `sigmoid_predict`: P(positive | f).
pub fn sigmoid_predict(f: f64, a: f64, b: f64) -> f64 {
    let z = f * a + b;
    if z >= 0.0 {
        let e = (-z).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + z.exp())
    }
}

/// Pairwise coupling, Wu, Lin & Weng (2004) method 2 (libsvm's
/// `multiclass_probability`): `r[i][j]` = P(i | i or j).
pub fn multiclass_probability(r: &[Vec<f64>]) -> Vec<f64> {
    let k = r.len();
    if k == 1 {
        return vec![1.0];
    }
    let mut q = vec![vec![0.0; k]; k];
    for t in 0..k {
        for j in 0..k {
            if j != t {
                q[t][t] += r[j][t] * r[j][t];
                q[t][j] = -r[j][t] * r[t][j];
            }
        }
    }
    let mut p = vec![1.0 / k as f64; k];
    let mut qp = vec![0.0; k];
    let max_iter = 100.max(k);
    let eps = 0.005 / k as f64;
    for _ in 0..max_iter {
        let mut pqp = 0.0;
        for t in 0..k {
            qp[t] = (0..k).map(|j| q[t][j] * p[j]).sum();
            pqp += p[t] * qp[t];
        }
        let max_error = qp.iter().map(|v| (v - pqp).abs()).fold(0.0, f64::max);
        if max_error < eps {
            break;
        }
        for t in 0..k {
            let diff = (-qp[t] + pqp) / q[t][t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t][t] + 2.0 * qp[t])) / (1.0 + diff) / (1.0 + diff);
            for j in 0..k {
                qp[j] = (qp[j] + diff * q[t][j]) / (1.0 + diff);
                p[j] /= 1.0 + diff;
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn gamma_scale_matches_sklearn_formula() {
        let x = array![[1.0, 2.0], [3.0, 6.0]];
        // entries 1,2,3,6: mean 3, var (4+1+0+9)/4 = 3.5
        assert_abs_diff_eq!(gamma_scale(x.view()), 1.0 / (2.0 * 3.5), epsilon = 1e-12);
    }

    #[test]
    fn platt_is_monotone_and_calibrated_on_separable_values() {
        let dec = [-2.0, -1.5, -1.0, -0.2, 0.3, 1.0, 1.4, 2.2];
        let lab = [false, false, false, true, false, true, true, true];
        let (a, b) = sigmoid_train(&dec, &lab);
        assert!(a < 0.0, "larger decision, larger P(positive): a = {a}");
        assert!(sigmoid_predict(2.0, a, b) > 0.8);
        assert!(sigmoid_predict(-2.0, a, b) < 0.2);
    }

    #[test]
    fn coupling_recovers_consistent_probabilities() {
        let truth = [0.5, 0.3, 0.2];
        let r: Vec<Vec<f64>> = (0..3)
            .map(|i| {
                (0..3)
                    .map(|j| {
                        if i == j {
                            0.0
                        } else {
                            truth[i] / (truth[i] + truth[j])
                        }
                    })
                    .collect()
            })
            .collect();
        let p = multiclass_probability(&r);
        for (a, b) in p.iter().zip(truth) {
            assert_abs_diff_eq!(*a, b, epsilon = 1e-3);
        }
        assert_abs_diff_eq!(p.iter().sum::<f64>(), 1.0, epsilon = 1e-9);
    }
}
