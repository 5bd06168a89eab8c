//! Real LightGBM (cargo feature `lightgbm`, crate `lightgbm3`).
//!
//! Study defaults (its untuned cell): objective `multiclass`, metric
//! `multi_logloss`, learning_rate 0.05, num_leaves 31, feature_fraction 0.9,
//! bagging_fraction 0.9, bagging_freq 5, up to 2000 rounds, early stopping
//! after 100 rounds without improvement on the validation part (lightgbm3
//! rolls the model back to the best round).

use std::collections::BTreeMap;
use std::sync::Mutex;

use lightgbm3::{Booster, Dataset};
use ndarray::{Array2, ArrayView2};
use serde_json::{json, Value};

use crate::error::{ClassicError, Result};
use crate::model::{normalise_rows, Labelled, Model};
use crate::tune::Point;

/// LightGBM settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LightGbmParams {
    /// Most boosting rounds.
    pub rounds: usize,
    /// Learning rate.
    pub learning_rate: f64,
    /// Leaves per tree.
    pub num_leaves: usize,
    /// Depth limit (-1: none).
    pub max_depth: i64,
    /// Column subsampling per tree.
    pub feature_fraction: f64,
    /// Row subsampling.
    pub bagging_fraction: f64,
    /// Re-bag every this many rounds (0: no bagging).
    pub bagging_freq: usize,
    /// Minimum rows in a leaf.
    pub min_child_samples: usize,
    /// Minimum gain to split.
    pub min_split_gain: f64,
    /// L1 regularisation.
    pub reg_alpha: f64,
    /// L2 regularisation.
    pub reg_lambda: f64,
    /// Stop after this many rounds without validation improvement.
    pub early_stopping: Option<usize>,
    /// Balanced sample weights (not in the study).
    pub balanced: bool,
    /// Seed.
    pub seed: u64,
}

impl Default for LightGbmParams {
    fn default() -> Self {
        Self {
            rounds: 2000,
            learning_rate: 0.05,
            num_leaves: 31,
            max_depth: -1,
            feature_fraction: 0.9,
            bagging_fraction: 0.9,
            bagging_freq: 5,
            min_child_samples: 20,
            min_split_gain: 0.0,
            reg_alpha: 0.0,
            reg_lambda: 0.0,
            early_stopping: Some(100),
            balanced: false,
            seed: 42,
        }
    }
}

impl LightGbmParams {
    /// Overrides the fields named in a grid point (see [`crate::tune::lightgbm_grid`]).
    pub fn apply(&mut self, p: &Point) {
        for (&k, &v) in p {
            match k {
                "rounds" => self.rounds = v.max(1.0) as usize,
                "learning_rate" => self.learning_rate = v,
                "max_depth" => self.max_depth = v as i64,
                "feature_fraction" => self.feature_fraction = v,
                "bagging_fraction" => self.bagging_fraction = v,
                "bagging_freq" => self.bagging_freq = v.max(0.0) as usize,
                "min_child_samples" => self.min_child_samples = v.max(1.0) as usize,
                "min_split_gain" => self.min_split_gain = v,
                "reg_alpha" => self.reg_alpha = v,
                "reg_lambda" => self.reg_lambda = v,
                _ => {}
            }
        }
    }

    fn to_json(&self, n_classes: usize, threads: usize) -> Value {
        let mut v = json!({
            "objective": "multiclass",
            "num_class": n_classes,
            "metric": "multi_logloss",
            "num_iterations": self.rounds,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": self.bagging_freq,
            "min_data_in_leaf": self.min_child_samples,
            "min_gain_to_split": self.min_split_gain,
            "lambda_l1": self.reg_alpha,
            "lambda_l2": self.reg_lambda,
            "seed": self.seed % (1 << 31),
            "num_threads": threads,
            "verbosity": -1,
        });
        if let (Some(r), Some(m)) = (self.early_stopping, v.as_object_mut()) {
            m.insert("early_stopping_rounds".into(), json!(r));
        }
        v
    }

    /// The settings as a JSON map, for reports.
    pub fn to_map(&self) -> BTreeMap<String, Value> {
        let mut m: BTreeMap<String, Value> = self
            .to_json(0, 0)
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        for k in [
            "objective",
            "num_class",
            "metric",
            "num_threads",
            "verbosity",
            "seed",
        ] {
            m.remove(k);
        }
        m.insert("balanced".into(), json!(self.balanced));
        m
    }
}

struct SendBooster(Booster);

// SAFETY: a LightGBM booster is a heap object with no thread affinity; all
// access goes through `&mut` or the Mutex in `LightGbmModel`.
unsafe impl Send for SendBooster {}

/// LightGBM `multiclass`.
pub struct LightGbmModel {
    params: LightGbmParams,
    n_classes: usize,
    threads: usize,
    booster: Option<Mutex<SendBooster>>,
    rounds_kept: i32,
}

impl LightGbmModel {
    /// An untrained model; `threads` 0 lets LightGBM choose.
    pub fn new(n_classes: usize, params: LightGbmParams, threads: usize) -> Self {
        Self {
            params,
            n_classes,
            threads,
            booster: None,
            rounds_kept: 0,
        }
    }
}

fn lgb_err(source: lightgbm3::Error) -> ClassicError {
    ClassicError::LightGbm { source }
}

fn flat(x: ArrayView2<'_, f64>) -> Vec<f64> {
    x.iter().copied().collect()
}

impl Model for LightGbmModel {
    fn name(&self) -> &str {
        "lightgbm"
    }

    fn fit(&mut self, train: Labelled<'_>, valid: Option<Labelled<'_>>) -> Result<()> {
        let nf = train.x.ncols() as i32;
        let labels: Vec<f32> = train.y.iter().map(|&c| c as f32).collect();
        let xtr = flat(train.x);
        let mut dtrain = Dataset::from_slice(&xtr, &labels, nf, true).map_err(lgb_err)?;
        if self.params.balanced {
            let w = subgenre_eval::balanced_class_weights(train.y, self.n_classes)?;
            let sw: Vec<f32> = train.y.iter().map(|&c| w[c] as f32).collect();
            dtrain.set_weights(&sw).map_err(lgb_err)?;
        }
        let mut params = self.params.clone();
        let dvalid = match valid {
            Some(v) if params.early_stopping.is_some() => {
                let vl: Vec<f32> = v.y.iter().map(|&c| c as f32).collect();
                let xv = flat(v.x);
                Some(
                    Dataset::from_slice_with_reference(&xv, &vl, nf, true, Some(&dtrain))
                        .map_err(lgb_err)?,
                )
            }
            _ => {
                params.early_stopping = None;
                None
            }
        };
        let booster = Booster::train_with_valid(
            dtrain,
            dvalid,
            &params.to_json(self.n_classes, self.threads),
        )
        .map_err(lgb_err)?;
        self.rounds_kept = booster.num_iterations();
        self.booster = Some(Mutex::new(SendBooster(booster)));
        Ok(())
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let lock = self.booster.as_ref().ok_or(ClassicError::InvalidParam {
            name: "lightgbm",
            reason: "predict before fit".into(),
        })?;
        let b = lock.lock().map_err(|_| ClassicError::InvalidParam {
            name: "lightgbm",
            reason: "a previous call panicked".into(),
        })?;
        let values =
            b.0.predict(&flat(x), x.ncols() as i32, true)
                .map_err(lgb_err)?;
        let mut p = Array2::from_shape_vec((x.nrows(), self.n_classes), values).map_err(|e| {
            ClassicError::InvalidParam {
                name: "lightgbm",
                reason: e.to_string(),
            }
        })?;
        normalise_rows(&mut p);
        Ok(p)
    }

    fn params(&self) -> BTreeMap<String, Value> {
        let mut m = self.params.to_map();
        m.insert("rounds_kept".into(), json!(self.rounds_kept));
        m
    }
}
