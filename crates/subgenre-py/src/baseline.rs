//! `subgenre.baseline`: the classic models (SVM, boosters, soft vote) on a features CSV.

use std::path::PathBuf;

use pyo3::prelude::*;
use subgenre_classic::{
    parse_weights, run_baseline, BaselineConfig, FeatureTable, ModelName, Progress, Protocol,
};
use subgenre_eval::Split;

use crate::data::{classes, json_value};
use crate::errors::{bad_argument, detached, Failure};

/// Train and score the classic models on a features CSV (what `subgenre features` or
/// `subgenre.features_table` writes for a data set), one run per seed, as `subgenre baseline`
/// does, and return its `report.json` as a dict (`runs`, per-run metrics and confusion
/// matrices, and `summary`: mean ± std per model).
///
/// `models`: a comma-separated list or `"all"`; `protocol`: `"group"` (splits grouped by
/// track, the honest default) or `"study"` (the study's leaky clip split); `seeds`: one run
/// each; `tune`: random-search draws per tunable model (0: the study's settings); `split`: a
/// split file (`subgenre dataset split --json`) used for every seed; `vote`: soft-vote members
/// and weights such as `"svm:1,boost:2"`. `progress`, if given, is called with a dict per event
/// (`{"event": "split", "seed", "sizes"}`, `{"event": "model_done", "seed", "model",
/// "weighted_f1", "macro_f1", "accuracy"}`).
#[pyfunction]
#[pyo3(signature = (features, *, classes="five", models="all", protocol="group",
    seeds=vec![42, 43, 44, 45, 46], tune=0, split=None, vote=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn baseline<'py>(
    py: Python<'py>,
    features: PathBuf,
    classes: &str,
    models: &str,
    protocol: &str,
    seeds: Vec<u64>,
    tune: usize,
    split: Option<PathBuf>,
    vote: Option<String>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let callback = progress.map(|p| p.unbind());
    let text = detached(py, || {
        let classes = self::classes(classes)?;
        let table = FeatureTable::read_csv(&features, classes.names())
            .map_err(|e| Failure::Other(format!("{}: {e}", features.display())))?;
        let mut config = BaselineConfig::new(table);
        config.models = ModelName::parse_list(models).map_err(|e| bad_argument("models", e))?;
        config.protocol = Protocol::parse(protocol).map_err(|e| bad_argument("protocol", e))?;
        config.seeds = seeds;
        config.tune = tune;
        config.version = subgenre_core::version_string();
        if let Some(path) = &split {
            config.split = Some(
                Split::load(path)
                    .map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?,
            );
        }
        if let Some(v) = &vote {
            config.vote = parse_weights(v).map_err(|e| bad_argument("vote", e))?;
        }
        let report = run_baseline(&config, &mut |event| {
            let Some(cb) = &callback else { return };
            let fields: Vec<(&str, serde_json::Value)> = match event {
                Progress::Split { seed, sizes, .. } => vec![
                    ("event", "split".into()),
                    ("seed", (*seed).into()),
                    ("sizes", sizes.to_vec().into()),
                ],
                Progress::ModelDone { seed, run, .. } => vec![
                    ("event", "model_done".into()),
                    ("seed", (*seed).into()),
                    ("model", run.model.clone().into()),
                    ("weighted_f1", run.weighted_f1.into()),
                    ("macro_f1", run.macro_f1.into()),
                    ("accuracy", run.accuracy.into()),
                ],
                _ => return,
            };
            let text = serde_json::Value::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            )
            .to_string();
            // The callback's own errors are not the run's: they are ignored.
            Python::attach(|py| {
                if let Ok(event) = json_value(py, &text) {
                    let _ = cb.call1(py, (event,));
                }
            });
        })
        .map_err(|e| match e {
            subgenre_classic::ClassicError::InvalidParam { .. } => Failure::Argument(e.to_string()),
            other => Failure::Other(other.to_string()),
        })?;
        serde_json::to_string(&report).map_err(|e| Failure::Other(e.to_string()))
    })?;
    json_value(py, &text)
}
