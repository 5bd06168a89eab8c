//! The `Model` trait, model names and their construction.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use ndarray::{Array2, ArrayView2};

use crate::error::{ClassicError, Result};

/// Features and labels of one part (standardised features, class indices).
#[derive(Debug, Clone, Copy)]
pub struct Labelled<'a> {
    /// `[rows, features]`.
    pub x: ArrayView2<'a, f64>,
    /// Class index per row.
    pub y: &'a [usize],
}

impl<'a> Labelled<'a> {
    /// Pairs features with labels, checking the lengths agree.
    pub fn new(x: ArrayView2<'a, f64>, y: &'a [usize]) -> Result<Self> {
        if x.nrows() != y.len() {
            return Err(ClassicError::InvalidParam {
                name: "y",
                reason: format!("{} labels for {} rows", y.len(), x.nrows()),
            });
        }
        Ok(Self { x, y })
    }
}

/// A classifier on standardised per-clip features.
pub trait Model: Send + Sync {
    /// The model's name in reports (`svm`, `boost`, `xgboost`, `lightgbm`, `vote`).
    fn name(&self) -> &str;

    /// Trains on `train`; `valid` (when given) serves early stopping only.
    fn fit(&mut self, train: Labelled<'_>, valid: Option<Labelled<'_>>) -> Result<()>;

    /// Class probabilities, `[rows, classes]`, each row summing to 1.
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>>;

    /// Predicted class per row (by default the most probable one).
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.predict_proba(x)?))
    }

    /// The hyper-parameters in use, for reports.
    fn params(&self) -> BTreeMap<String, serde_json::Value>;
}

/// Index of the largest value of each row (the first on ties).
pub fn argmax_rows(p: &Array2<f64>) -> Vec<usize> {
    p.rows()
        .into_iter()
        .map(|row| {
            let mut best = 0;
            for (i, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = i;
                }
            }
            best
        })
        .collect()
}

/// The models `run_baseline` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelName {
    /// RBF SVM, one-vs-one, balanced class weights ([`crate::svm`]).
    Svm,
    /// The pure-Rust gradient booster ([`crate::boost`]).
    Boost,
    /// Real XGBoost (cargo feature `xgboost`).
    XgBoost,
    /// Real LightGBM (cargo feature `lightgbm`).
    LightGbm,
    /// Soft vote of other models' probabilities ([`crate::vote`]).
    Vote,
}

impl ModelName {
    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Svm => "svm",
            Self::Boost => "boost",
            Self::XgBoost => "xgboost",
            Self::LightGbm => "lightgbm",
            Self::Vote => "vote",
        }
    }

    /// Whether this build can train the model.
    pub fn is_compiled(self) -> bool {
        let (xgboost, lightgbm) = (cfg!(feature = "xgboost"), cfg!(feature = "lightgbm"));
        match self {
            Self::XgBoost => xgboost,
            Self::LightGbm => lightgbm,
            _ => true,
        }
    }

    /// An error unless this build can train the model.
    pub fn check_compiled(self) -> Result<()> {
        match self {
            Self::XgBoost if !self.is_compiled() => Err(ClassicError::FeatureNotCompiled {
                model: "xgboost",
                feature: "xgboost",
            }),
            Self::LightGbm if !self.is_compiled() => Err(ClassicError::FeatureNotCompiled {
                model: "lightgbm",
                feature: "lightgbm",
            }),
            _ => Ok(()),
        }
    }

    /// Every model this build can train, the vote last.
    pub fn all_compiled() -> Vec<ModelName> {
        [
            Self::Svm,
            Self::Boost,
            Self::XgBoost,
            Self::LightGbm,
            Self::Vote,
        ]
        .into_iter()
        .filter(|m| m.is_compiled())
        .collect()
    }

    /// Parses a comma-separated list (`svm,boost`, `all`); duplicates are
    /// removed, the order is kept (`vote` moved last), and a model whose
    /// feature is missing is an error.
    pub fn parse_list(list: &str) -> Result<Vec<ModelName>> {
        let mut out: Vec<ModelName> = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let names = if part.eq_ignore_ascii_case("all") {
                Self::all_compiled()
            } else {
                let m: ModelName = part.parse()?;
                m.check_compiled()?;
                vec![m]
            };
            for m in names {
                if !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        if out.is_empty() {
            return Err(ClassicError::UnknownModel {
                name: list.to_owned(),
            });
        }
        out.sort_by_key(|&m| m == Self::Vote);
        Ok(out)
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ModelName {
    type Err = ClassicError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "svm" => Ok(Self::Svm),
            "boost" => Ok(Self::Boost),
            "xgboost" | "xgb" => Ok(Self::XgBoost),
            "lightgbm" | "lgbm" => Ok(Self::LightGbm),
            "vote" => Ok(Self::Vote),
            _ => Err(ClassicError::UnknownModel { name: s.to_owned() }),
        }
    }
}

/// Normalises each row of non-negative scores to sum to 1 (uniform where a row sums to 0).
pub(crate) fn normalise_rows(p: &mut Array2<f64>) {
    let k = p.ncols().max(1) as f64;
    for mut row in p.rows_mut() {
        let s: f64 = row.iter().sum();
        if s > 0.0 && s.is_finite() {
            row.mapv_inplace(|v| v / s);
        } else {
            row.fill(1.0 / k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn names_parse_and_report_missing_features() {
        assert_eq!(
            ModelName::parse_list("vote, svm,boost,svm").expect("list"),
            [ModelName::Svm, ModelName::Boost, ModelName::Vote]
        );
        let all = ModelName::parse_list("all").expect("all");
        assert_eq!(all.first(), Some(&ModelName::Svm));
        assert_eq!(all.last(), Some(&ModelName::Vote));
        assert!(matches!(
            ModelName::parse_list("svm,forest"),
            Err(ClassicError::UnknownModel { .. })
        ));
        if !cfg!(feature = "xgboost") {
            let e = ModelName::parse_list("xgboost").expect_err("not compiled");
            assert!(matches!(
                e,
                ClassicError::FeatureNotCompiled {
                    feature: "xgboost",
                    ..
                }
            ));
            assert!(e.to_string().contains("cargo feature"));
        }
        if !cfg!(feature = "lightgbm") {
            assert!(ModelName::parse_list("lightgbm").is_err());
        }
    }

    #[test]
    fn argmax_and_normalise() {
        let mut p = array![[0.2, 0.6, 0.2], [0.0, 0.0, 0.0], [3.0, 1.0, 0.0]];
        assert_eq!(argmax_rows(&p), [1, 0, 0]);
        normalise_rows(&mut p);
        assert!((p[[1, 2]] - 1.0 / 3.0).abs() < 1e-12);
        assert!((p[[2, 0]] - 0.75).abs() < 1e-12);
    }
}
