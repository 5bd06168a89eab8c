//! `run_baseline`: split, standardise, train, tune, vote and score, over seeds.

use std::collections::BTreeMap;
use std::time::Instant;

use ndarray::Array2;
use subgenre_eval::{
    group_split, study_split, ClassificationReport, PartIndices, Report, Run, Split,
};

use crate::boost::{BoostModel, BoostParams};
use crate::data::{FeatureTable, Standardizer};
use crate::error::{ClassicError, Result};
use crate::model::{argmax_rows, Labelled, Model, ModelName};
use crate::svm::{SvmModel, SvmParams};
use crate::tune::{self, Point};
use crate::vote::{default_weights, SoftVote};

/// How clips are split and what may look at which part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// The study's CNN split grouped by track (train / validation / test);
    /// early stopping and tuning see only the validation part.
    #[default]
    Group,
    /// The study's classic protocol: one random 80/20 split of clips (its
    /// seed is the run's seed), early stopping and tuning on the test part.
    /// Leaky: labelled so in every report.
    Study,
}

impl Protocol {
    /// `group` or `study`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Group => "group",
            Self::Study => "study",
        }
    }

    /// The label written to reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Group => "group",
            Self::Study => "study (leaky: clip split, early stopping and tuning on the test part)",
        }
    }

    /// Parses `group` or `study`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "group" => Ok(Self::Group),
            "study" => Ok(Self::Study),
            _ => Err(ClassicError::InvalidParam {
                name: "protocol",
                reason: format!("{s:?} is neither \"group\" nor \"study\""),
            }),
        }
    }
}

impl std::str::FromStr for Protocol {
    type Err = ClassicError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What `run_baseline` does.
#[derive(Debug, Clone)]
pub struct BaselineConfig {
    /// The features (already restricted to the chosen classes).
    pub table: FeatureTable,
    /// Models to train (`vote` last; see [`ModelName::parse_list`]).
    pub models: Vec<ModelName>,
    /// Split protocol.
    pub protocol: Protocol,
    /// One run per seed; each seed makes its own split (unless `split` is given) and seeds the models.
    pub seeds: Vec<u64>,
    /// Random-search draws per tunable model (0: the study's defaults).
    pub tune: usize,
    /// A fixed split (from a split file) used for every seed instead of a fresh one.
    pub split: Option<Split>,
    /// Soft-vote members and weights (default: [`default_weights`]).
    pub vote: Vec<(ModelName, f64)>,
    /// Threads for XGBoost/LightGBM (0: the library's default, all cores).
    pub threads: usize,
    /// Description of the features for the report (e.g. the file and its columns).
    pub features: String,
    /// Version written to the report.
    pub version: String,
}

impl BaselineConfig {
    /// Defaults: every compiled model, group protocol, seeds 42–46, untuned, default vote.
    pub fn new(table: FeatureTable) -> Self {
        let features = format!(
            "{} ({} columns: {})",
            table.source.display(),
            table.feature_names.len(),
            table.feature_names.join(", ")
        );
        Self {
            table,
            models: ModelName::all_compiled(),
            protocol: Protocol::Group,
            seeds: (42..47).collect(),
            tune: 0,
            split: None,
            vote: default_weights(),
            threads: 0,
            features,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// Progress reports for a caller's progress bar and terminal output.
#[derive(Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// A seed's split is ready.
    Split {
        /// The seed.
        seed: u64,
        /// Part sizes: train, validation, test.
        sizes: [usize; 3],
        /// Rows the split file did not assign (left out).
        unassigned: usize,
    },
    /// A model starts training.
    ModelStart {
        /// The seed.
        seed: u64,
        /// The model.
        model: ModelName,
    },
    /// One random-search draw finished.
    TuneStep {
        /// The seed.
        seed: u64,
        /// The model.
        model: ModelName,
        /// Draws done.
        done: usize,
        /// Draws in all.
        total: usize,
        /// Its macro F1 on the validation (study: test) part.
        score: f64,
    },
    /// A model was scored on the test part.
    ModelDone {
        /// The seed.
        seed: u64,
        /// The run as written to the report.
        run: &'a Run,
        /// Its full classification report.
        report: &'a ClassificationReport,
    },
}

/// Number of `ModelDone` events `run_baseline` will send (for a progress bar's length).
pub fn total_runs(config: &BaselineConfig) -> usize {
    config.models.len() * config.seeds.len()
}

/// A model with the given parameters; `seed` seeds its randomness.
pub fn build_model(
    name: ModelName,
    n_classes: usize,
    seed: u64,
    threads: usize,
    point: Option<&Point>,
    final_fit: bool,
) -> Result<Box<dyn Model>> {
    name.check_compiled()?;
    let _ = threads;
    let boost_params = || {
        let mut p = BoostParams {
            seed,
            ..BoostParams::default()
        };
        if let Some(pt) = point {
            p.apply(pt);
            if final_fit {
                // The study refits its best draw with up to 600 rounds and patience 30.
                p.rounds = 600;
                p.early_stopping = Some(30);
            } else {
                p.early_stopping = Some(50);
            }
        }
        p
    };
    match name {
        ModelName::Svm => Ok(Box::new(SvmModel::new(
            n_classes,
            SvmParams {
                seed,
                ..SvmParams::default()
            },
        ))),
        ModelName::Boost => Ok(Box::new(BoostModel::new(n_classes, boost_params()))),
        #[cfg(feature = "xgboost")]
        ModelName::XgBoost => Ok(Box::new(crate::xgboost::XgBoostModel::new(
            n_classes,
            boost_params(),
            threads,
        ))),
        #[cfg(feature = "lightgbm")]
        ModelName::LightGbm => {
            let mut p = crate::lightgbm::LightGbmParams {
                seed,
                ..Default::default()
            };
            if let Some(pt) = point {
                p.apply(pt);
                if final_fit {
                    // The study refits its best draw with up to 1600 rounds and patience 100.
                    p.rounds = 1600;
                    p.early_stopping = Some(100);
                } else {
                    p.early_stopping = Some(50);
                }
            }
            Ok(Box::new(crate::lightgbm::LightGbmModel::new(
                n_classes, p, threads,
            )))
        }
        ModelName::Vote => Err(ClassicError::InvalidParam {
            name: "model",
            reason: "build a vote with SoftVote::new from fitted members".into(),
        }),
        #[allow(unreachable_patterns)]
        other => other.check_compiled().and(Err(ClassicError::UnknownModel {
            name: other.to_string(),
        })),
    }
}

/// The grid a model is tuned on, if any.
fn grid_of(name: ModelName) -> Option<tune::Grid> {
    match name {
        ModelName::Boost | ModelName::XgBoost => Some(tune::xgboost_grid()),
        ModelName::LightGbm => Some(tune::lightgbm_grid()),
        _ => None,
    }
}

struct Fitted {
    model: Box<dyn Model>,
    seconds: f64,
    params: Option<BTreeMap<String, serde_json::Value>>,
}

/// Fits one model, with a random search first when `tune > 0` and it has a grid.
#[allow(clippy::too_many_arguments)]
fn fit_model(
    name: ModelName,
    n_classes: usize,
    seed: u64,
    config: &BaselineConfig,
    train: Labelled<'_>,
    valid: Option<Labelled<'_>>,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Fitted> {
    let start = Instant::now();
    let mut best: Option<(f64, Point)> = None;
    if let (true, Some(grid)) = (config.tune > 0, grid_of(name)) {
        let v = valid.ok_or(ClassicError::InvalidParam {
            name: "tune",
            reason: "tuning needs a validation part (the split has none)".into(),
        })?;
        let points = grid.sample(config.tune, seed);
        let total = points.len();
        for (i, pt) in points.into_iter().enumerate() {
            let mut m = build_model(name, n_classes, seed, config.threads, Some(&pt), false)?;
            m.fit(train, Some(v))?;
            let pred = m.predict(v.x)?;
            let score = ClassificationReport::new(v.y, &pred, &config.table.classes)?.macro_f1();
            progress(&Progress::TuneStep {
                seed,
                model: name,
                done: i + 1,
                total,
                score,
            });
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, pt));
            }
        }
    }
    let point = best.as_ref().map(|(_, p)| p);
    let mut model = build_model(name, n_classes, seed, config.threads, point, true)?;
    model.fit(train, valid)?;
    let params = point.map(|_| {
        let mut m = model.params();
        if let Some((score, _)) = &best {
            m.insert("tune_draws".into(), serde_json::json!(config.tune));
            m.insert("tune_best_macro_f1".into(), serde_json::json!(score));
        }
        m
    });
    Ok(Fitted {
        model,
        seconds: start.elapsed().as_secs_f64(),
        params,
    })
}

fn split_for(config: &BaselineConfig, seed: u64) -> Result<(Split, PartIndices)> {
    let items = config.table.split_items();
    let split = match (&config.split, config.protocol) {
        (Some(s), _) => s.clone(),
        (None, Protocol::Group) => group_split(&items, seed)?,
        (None, Protocol::Study) => study_split(&items, seed)?,
    };
    let idx = match config.protocol {
        Protocol::Group => split.indices(&items)?,
        Protocol::Study => split.indices_ungrouped(&items)?,
    };
    if idx.train.is_empty() || idx.test.is_empty() {
        return Err(ClassicError::InvalidParam {
            name: "split",
            reason: format!(
                "seed {seed}: {} training and {} test rows; both parts need rows",
                idx.train.len(),
                idx.test.len()
            ),
        });
    }
    Ok((split, idx))
}

/// One seed's parts, standardised with statistics of the training part only.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The split used.
    pub split: Split,
    /// Its rows in the feature table.
    pub indices: PartIndices,
    /// The standardisation fitted on the training rows.
    pub scaler: Standardizer,
    /// Standardised training features and labels.
    pub x_train: Array2<f64>,
    /// Training labels.
    pub y_train: Vec<usize>,
    /// Standardised validation features (under [`Protocol::Study`], the test part's).
    pub x_val: Array2<f64>,
    /// Validation labels.
    pub y_val: Vec<usize>,
    /// Standardised test features.
    pub x_test: Array2<f64>,
    /// Test labels.
    pub y_test: Vec<usize>,
}

impl Prepared {
    /// The training part.
    pub fn train(&self) -> Labelled<'_> {
        Labelled {
            x: self.x_train.view(),
            y: &self.y_train,
        }
    }

    /// The validation part, if it has rows.
    pub fn valid(&self) -> Option<Labelled<'_>> {
        (!self.y_val.is_empty()).then(|| Labelled {
            x: self.x_val.view(),
            y: &self.y_val,
        })
    }
}

/// Splits and standardises for one seed.
pub fn prepare(config: &BaselineConfig, seed: u64) -> Result<Prepared> {
    let table = &config.table;
    let (split, indices) = split_for(config, seed)?;
    let (xtr, y_train) = table.take(&indices.train);
    let (xte, y_test) = table.take(&indices.test);
    let scaler = Standardizer::fit(xtr.view())?;
    let x_train = scaler.transform(xtr.view())?;
    let x_test = scaler.transform(xte.view())?;
    let (x_val, y_val) = match config.protocol {
        Protocol::Study => (x_test.clone(), y_test.clone()),
        Protocol::Group => {
            let (x, y) = table.take(&indices.val);
            (scaler.transform(x.view())?, y)
        }
    };
    Ok(Prepared {
        split,
        indices,
        scaler,
        x_train,
        y_train,
        x_val,
        y_val,
        x_test,
        y_test,
    })
}

/// Trains and scores `config.models` for every seed and returns the report.
///
/// Per seed: split (or the fixed split), standardise on the training part,
/// fit each model (tuned on the validation part when `tune > 0`), score it
/// on the test part; `vote` averages the members' probabilities (members not
/// in `models` are fitted for it, their time counted in the vote's
/// `fit_seconds`). Under [`Protocol::Study`] the test part doubles as the
/// validation part, as in the study.
pub fn run_baseline(
    config: &BaselineConfig,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Report> {
    if config.seeds.is_empty() {
        return Err(ClassicError::InvalidParam {
            name: "seeds",
            reason: "no seeds given".into(),
        });
    }
    for m in &config.models {
        m.check_compiled()?;
    }
    if config.models.contains(&ModelName::Vote) {
        for (m, _) in &config.vote {
            m.check_compiled()?;
        }
    }
    let table = &config.table;
    let k = table.classes.len();
    let mut report = Report::new(
        config.protocol.label(),
        &table.classes,
        &config.features,
        &config.version,
    );
    for &seed in &config.seeds {
        let prep = prepare(config, seed)?;
        let idx = &prep.indices;
        progress(&Progress::Split {
            seed,
            sizes: [idx.train.len(), idx.val.len(), idx.test.len()],
            unassigned: idx.unassigned.len(),
        });
        let train = prep.train();
        let valid = prep.valid();
        let (xte, yte) = (&prep.x_test, &prep.y_test);

        let mut fitted: BTreeMap<ModelName, Fitted> = BTreeMap::new();
        let score = |name: &str,
                     model: &dyn Model,
                     seconds: f64,
                     params: Option<BTreeMap<String, serde_json::Value>>,
                     report: &mut Report,
                     progress: &mut dyn FnMut(&Progress<'_>)|
         -> Result<Array2<f64>> {
            let proba = model.predict_proba(xte.view())?;
            let pred = if name == "svm" {
                model.predict(xte.view())?
            } else {
                argmax_rows(&proba)
            };
            let cr = ClassificationReport::new(yte, &pred, &table.classes)?;
            let mut run = Run::new(name, seed, &cr, seconds);
            run.params = params;
            progress(&Progress::ModelDone {
                seed,
                run: &run,
                report: &cr,
            });
            report.push_run(run);
            Ok(proba)
        };
        for &name in config.models.iter().filter(|&&m| m != ModelName::Vote) {
            progress(&Progress::ModelStart { seed, model: name });
            let f = fit_model(name, k, seed, config, train, valid, progress)?;
            score(
                name.as_str(),
                f.model.as_ref(),
                f.seconds,
                f.params.clone(),
                &mut report,
                progress,
            )?;
            fitted.insert(name, f);
        }
        if config.models.contains(&ModelName::Vote) {
            progress(&Progress::ModelStart {
                seed,
                model: ModelName::Vote,
            });
            let mut members: Vec<(Box<dyn Model>, f64)> = Vec::new();
            let mut seconds = 0.0;
            for &(name, w) in &config.vote {
                let f = match fitted.remove(&name) {
                    Some(f) => f,
                    None => fit_model(name, k, seed, config, train, valid, progress)?,
                };
                seconds += f.seconds;
                members.push((f.model, w));
            }
            let vote = SoftVote::new(members)?;
            let params = Some(vote.params());
            score("vote", &vote, seconds, params, &mut report, progress)?;
        }
    }
    Ok(report)
}
