//! The pure-Rust gradient booster of the default build (`boost`): forust-ml
//! (XGBoost's algorithm: second-order histogram trees, depth-wise growth).
//!
//! forust has binary log-loss but no softmax objective, so multi-class is
//! one-vs-rest: one booster per class (fitted in parallel), each with early
//! stopping on its own validation log-loss, and the per-class sigmoid
//! outputs normalised to sum to 1. Defaults are the study's XGBoost
//! settings: max_depth 6, learning rate 0.1, subsample 0.9, colsample_bytree
//! 0.9, up to 600 rounds, early stopping after 30 rounds without improvement
//! on the validation part; plus XGBoost's lambda 1, min_child_weight 1,
//! gamma 0, 256 histogram bins. `balanced` adds balanced sample weights
//! (not in the study).

use std::collections::BTreeMap;

use forust_ml::gradientbooster::GradientBooster;
use forust_ml::metric::Metric;
use forust_ml::objective::ObjectiveType;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde_json::json;

use crate::error::{ClassicError, Result};
use crate::model::{normalise_rows, Labelled, Model};
use crate::tune::Point;

/// XGBoost-style booster settings (shared by `boost` and `xgboost`).
#[derive(Debug, Clone, PartialEq)]
pub struct BoostParams {
    /// Most boosting rounds.
    pub rounds: usize,
    /// Learning rate (`eta`).
    pub eta: f64,
    /// Tree depth limit.
    pub max_depth: usize,
    /// Row subsampling per tree.
    pub subsample: f64,
    /// Column subsampling per tree.
    pub colsample_bytree: f64,
    /// Minimum hessian sum in a leaf.
    pub min_child_weight: f64,
    /// Minimum loss reduction to split.
    pub gamma: f64,
    /// L1 regularisation.
    pub alpha: f64,
    /// L2 regularisation.
    pub lambda: f64,
    /// Stop after this many rounds without validation improvement (needs a validation part).
    pub early_stopping: Option<usize>,
    /// Balanced sample weights.
    pub balanced: bool,
    /// Seed of the subsampling.
    pub seed: u64,
}

impl Default for BoostParams {
    fn default() -> Self {
        Self {
            rounds: 600,
            eta: 0.1,
            max_depth: 6,
            subsample: 0.9,
            colsample_bytree: 0.9,
            min_child_weight: 1.0,
            gamma: 0.0,
            alpha: 0.0,
            lambda: 1.0,
            early_stopping: Some(30),
            balanced: false,
            seed: 42,
        }
    }
}

impl BoostParams {
    /// Overrides the fields named in a grid point (see [`crate::tune::xgboost_grid`]).
    pub fn apply(&mut self, p: &Point) {
        for (&k, &v) in p {
            match k {
                "rounds" => self.rounds = v.max(1.0) as usize,
                "eta" => self.eta = v,
                "max_depth" => self.max_depth = v.max(1.0) as usize,
                "subsample" => self.subsample = v,
                "colsample_bytree" => self.colsample_bytree = v,
                "min_child_weight" => self.min_child_weight = v,
                "gamma" => self.gamma = v,
                "alpha" => self.alpha = v,
                "lambda" => self.lambda = v,
                _ => {}
            }
        }
    }

    /// The settings as a JSON map, for reports.
    pub fn to_map(&self) -> BTreeMap<String, serde_json::Value> {
        BTreeMap::from([
            ("rounds".into(), json!(self.rounds)),
            ("eta".into(), json!(self.eta)),
            ("max_depth".into(), json!(self.max_depth)),
            ("subsample".into(), json!(self.subsample)),
            ("colsample_bytree".into(), json!(self.colsample_bytree)),
            ("min_child_weight".into(), json!(self.min_child_weight)),
            ("gamma".into(), json!(self.gamma)),
            ("alpha".into(), json!(self.alpha)),
            ("lambda".into(), json!(self.lambda)),
            ("early_stopping".into(), json!(self.early_stopping)),
            ("balanced".into(), json!(self.balanced)),
        ])
    }
}

/// Column-major copy of a matrix (forust's `Matrix` layout).
fn column_major(x: ArrayView2<'_, f64>) -> Vec<f64> {
    x.t().iter().copied().collect()
}

/// One-vs-rest forust boosters.
pub struct BoostModel {
    params: BoostParams,
    n_classes: usize,
    boosters: Vec<GradientBooster>,
    best_rounds: Vec<usize>,
}

impl BoostModel {
    /// An untrained booster for `n_classes` classes.
    pub fn new(n_classes: usize, params: BoostParams) -> Self {
        Self {
            params,
            n_classes,
            boosters: Vec::new(),
            best_rounds: Vec::new(),
        }
    }

    /// Rounds kept per class after early stopping.
    pub fn best_rounds(&self) -> &[usize] {
        &self.best_rounds
    }
}

impl Model for BoostModel {
    fn name(&self) -> &str {
        "boost"
    }

    fn fit(&mut self, train: Labelled<'_>, valid: Option<Labelled<'_>>) -> Result<()> {
        if train.y.is_empty() {
            return Err(ClassicError::InvalidParam {
                name: "train",
                reason: "the training part holds no rows".into(),
            });
        }
        let p = &self.params;
        let xtr = column_major(train.x);
        let weights = if p.balanced {
            let w = subgenre_eval::balanced_class_weights(train.y, self.n_classes)?;
            train.y.iter().map(|&c| w[c]).collect()
        } else {
            vec![1.0; train.y.len()]
        };
        let xva = valid.map(|v| column_major(v.x));
        let early = p.early_stopping.filter(|_| valid.is_some());
        let fitted: Vec<GradientBooster> = (0..self.n_classes)
            .into_par_iter()
            .map(|c| -> Result<GradientBooster> {
                let m = forust_ml::Matrix::new(&xtr, train.x.nrows(), train.x.ncols());
                let y: Vec<f64> = train
                    .y
                    .iter()
                    .map(|&k| f64::from(u8::from(k == c)))
                    .collect();
                let mut b = GradientBooster::default()
                    .set_objective_type(ObjectiveType::LogLoss)
                    .set_iterations(p.rounds)
                    .set_learning_rate(p.eta as f32)
                    .set_max_depth(p.max_depth)
                    .set_subsample(p.subsample as f32)
                    .set_colsample_bytree(p.colsample_bytree)
                    .set_min_leaf_weight(p.min_child_weight as f32)
                    .set_gamma(p.gamma as f32)
                    .set_l1(p.alpha as f32)
                    .set_l2(p.lambda as f32)
                    .set_seed(p.seed.wrapping_add(c as u64))
                    .set_parallel(false);
                let yv: Vec<f64>;
                let wv: Vec<f64>;
                let eval = match (early, valid, xva.as_ref()) {
                    (Some(rounds), Some(v), Some(xv)) => {
                        b = b
                            .set_evaluation_metric(Some(Metric::LogLoss))
                            .set_early_stopping_rounds(Some(rounds));
                        yv = v.y.iter().map(|&k| f64::from(u8::from(k == c))).collect();
                        wv = vec![1.0; v.y.len()];
                        let mv = forust_ml::Matrix::new(xv, v.x.nrows(), v.x.ncols());
                        Some(vec![(mv, yv.as_slice(), wv.as_slice())])
                    }
                    _ => None,
                };
                b.fit(&m, &y, &weights, eval)
                    .map_err(|source| ClassicError::Boost { source })?;
                Ok(b)
            })
            .collect::<Result<_>>()?;
        self.best_rounds = fitted
            .iter()
            .map(|b| b.prediction_iteration.unwrap_or(b.trees.len()))
            .collect();
        self.boosters = fitted;
        Ok(())
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if self.boosters.len() != self.n_classes {
            return Err(ClassicError::InvalidParam {
                name: "boost",
                reason: "predict before fit".into(),
            });
        }
        let data = column_major(x);
        let m = forust_ml::Matrix::new(&data, x.nrows(), x.ncols());
        let mut p = Array2::zeros((x.nrows(), self.n_classes));
        for (c, b) in self.boosters.iter().enumerate() {
            for (r, v) in b.predict(&m, false).into_iter().enumerate() {
                p[[r, c]] = 1.0 / (1.0 + (-v).exp());
            }
        }
        normalise_rows(&mut p);
        Ok(p)
    }

    fn params(&self) -> BTreeMap<String, serde_json::Value> {
        let mut m = self.params.to_map();
        m.insert("best_rounds".into(), json!(self.best_rounds));
        m
    }
}
