//! Soft voting: the weighted mean of several models' class probabilities.

use std::collections::BTreeMap;

use ndarray::{Array2, ArrayView2};
use serde_json::json;

use crate::error::{ClassicError, Result};
use crate::model::{Labelled, Model, ModelName};

/// Parses vote weights such as `xgboost:0.5,lightgbm:0.5` (a bare name weighs 1).
pub fn parse_weights(spec: &str) -> Result<Vec<(ModelName, f64)>> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, w) = match part.split_once(':') {
            Some((n, w)) => {
                let w: f64 = w.trim().parse().map_err(|_| ClassicError::InvalidParam {
                    name: "vote",
                    reason: format!("weight {w:?} of {n:?} is not a number"),
                })?;
                (n, w)
            }
            None => (part, 1.0),
        };
        let m: ModelName = name.parse()?;
        if m == ModelName::Vote {
            return Err(ClassicError::InvalidParam {
                name: "vote",
                reason: "a vote cannot contain itself".into(),
            });
        }
        m.check_compiled()?;
        if !(w.is_finite() && w >= 0.0) {
            return Err(ClassicError::InvalidParam {
                name: "vote",
                reason: format!("weight {w} of {name:?} must be finite and non-negative"),
            });
        }
        out.push((m, w));
    }
    if out.is_empty() || out.iter().all(|(_, w)| *w == 0.0) {
        return Err(ClassicError::InvalidParam {
            name: "vote",
            reason: format!("{spec:?} gives no model a positive weight"),
        });
    }
    Ok(out)
}

/// The default vote: XGBoost and LightGBM at 0.5 each when both are built
/// (the study's), else the pure-Rust booster and the SVM at 0.5 each.
pub fn default_weights() -> Vec<(ModelName, f64)> {
    if ModelName::XgBoost.is_compiled() && ModelName::LightGbm.is_compiled() {
        vec![(ModelName::XgBoost, 0.5), (ModelName::LightGbm, 0.5)]
    } else {
        vec![(ModelName::Boost, 0.5), (ModelName::Svm, 0.5)]
    }
}

/// A soft vote over member models.
pub struct SoftVote {
    members: Vec<(Box<dyn Model>, f64)>,
}

impl SoftVote {
    /// A vote over (model, weight) pairs; weights are normalised to sum to 1.
    pub fn new(members: Vec<(Box<dyn Model>, f64)>) -> Result<Self> {
        let total: f64 = members.iter().map(|(_, w)| *w).sum();
        if members.is_empty() || !(total > 0.0 && total.is_finite()) {
            return Err(ClassicError::InvalidParam {
                name: "vote",
                reason: "needs at least one member with a positive weight".into(),
            });
        }
        Ok(Self {
            members: members.into_iter().map(|(m, w)| (m, w / total)).collect(),
        })
    }
}

impl Model for SoftVote {
    fn name(&self) -> &str {
        "vote"
    }

    /// Fits every member (members already fitted may be passed to [`SoftVote::new`] instead).
    fn fit(&mut self, train: Labelled<'_>, valid: Option<Labelled<'_>>) -> Result<()> {
        for (m, _) in &mut self.members {
            m.fit(train, valid)?;
        }
        Ok(())
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let mut acc: Option<Array2<f64>> = None;
        for (m, w) in &self.members {
            let p = m.predict_proba(x)? * *w;
            acc = Some(match acc {
                None => p,
                Some(a) if a.dim() == p.dim() => a + p,
                Some(a) => {
                    return Err(ClassicError::InvalidParam {
                        name: "vote",
                        reason: format!(
                            "member {} gives {:?} probabilities, others {:?}",
                            m.name(),
                            p.dim(),
                            a.dim()
                        ),
                    })
                }
            });
        }
        acc.ok_or(ClassicError::InvalidParam {
            name: "vote",
            reason: "no members".into(),
        })
    }

    fn params(&self) -> BTreeMap<String, serde_json::Value> {
        self.members
            .iter()
            .map(|(m, w)| (format!("weight.{}", m.name()), json!(w)))
            .collect()
    }
}
