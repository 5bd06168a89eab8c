//! Training, evaluation, transfer and the whole study from Python: each call builds one plan
//! of the study library, runs it with the GIL released, and returns the report it wrote (the
//! `report.json` the command line writes) as a dict.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyString;
use subgenre_dataset::Cache;
use subgenre_study::{
    EvaluatePlan, GridKind, ReproducePlan, ScoredPart, TrainSettings, TransferSettings,
};

use crate::data::{classes as class_set, json_value, source, to_json};
use crate::errors::{bad_argument, detached, Failure, Outcome};
use crate::events::python_progress;

/// A list argument: a sequence of values, one value, or a comma-separated string.
fn list_of(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let one = |item: &Bound<'_, PyAny>| -> PyResult<String> {
        match item.cast::<PyString>() {
            Ok(text) => Ok(text.to_string()),
            Err(_) => Ok(item.str()?.to_string()),
        }
    };
    let items: Vec<String> = if value.is_instance_of::<PyString>() {
        one(value)?
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    } else if let Ok(iter) = value.try_iter() {
        iter.map(|item| one(&item?)).collect::<PyResult<_>>()?
    } else {
        vec![one(value)?]
    };
    if items.is_empty() {
        return Err(bad_argument(name, "is empty").into_pyerr(value.py()));
    }
    Ok(items)
}

fn cache_of(cache: Option<PathBuf>) -> Outcome<Cache> {
    Cache::new(cache).map_err(|e| Failure::Other(e.to_string()))
}

/// The grids of `train` and `experiment` (`kind`); `subgenre.train` and
/// `subgenre.experiment` (python/subgenre/training.py) give each its defaults and docs.
#[pyfunction]
#[pyo3(signature = (kind, data, *, out, arch, variant, size, seeds, route, images, split,
    patience, epochs, lr, batch_size, augment, channels, final_fit, classes, jobs, cache,
    progress))]
#[allow(clippy::too_many_arguments)]
pub fn grid<'py>(
    py: Python<'py>,
    kind: &str,
    data: Option<PathBuf>,
    out: PathBuf,
    arch: Bound<'py, PyAny>,
    variant: Bound<'py, PyAny>,
    size: Bound<'py, PyAny>,
    seeds: Vec<u64>,
    route: &str,
    images: Option<PathBuf>,
    split: Option<PathBuf>,
    patience: usize,
    epochs: usize,
    lr: f64,
    batch_size: usize,
    augment: &str,
    channels: usize,
    final_fit: bool,
    classes: &str,
    jobs: Option<usize>,
    cache: Option<PathBuf>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let kind = match kind {
        "train" => GridKind::Train,
        "experiment" => GridKind::Experiment,
        other => {
            return Err(
                bad_argument("kind", format!("`{other}` is not train or experiment"))
                    .into_pyerr(py),
            )
        }
    };
    let (archs, variants, sizes) = (
        list_of("arch", &arch)?,
        list_of("variant", &variant)?,
        list_of("size", &size)?,
    );
    let (route, augment, classes) = (route.to_string(), augment.to_string(), classes.to_string());
    let callback = progress.map(Bound::unbind);
    let text = detached(py, || {
        let cache = cache_of(cache)?;
        let settings = TrainSettings {
            kind,
            data: source(data, Some(cache.root().to_path_buf()))?,
            out,
            classes,
            archs,
            variants,
            sizes,
            seeds,
            route,
            images,
            split,
            patience: Some(patience),
            epochs,
            lr,
            batch_size,
            augment,
            channels,
            final_fit,
            jobs,
        };
        let outcome = settings
            .into_plan()?
            .run(&cache, &python_progress(callback))?;
        if outcome.report.runs.is_empty() {
            return Err(no_run_finished(&outcome.failures));
        }
        to_json(&outcome.report)
    })?;
    json_value(py, &text)
}

/// The error of a call whose runs all failed.
fn no_run_finished(failures: &[(String, String)]) -> Failure {
    let reasons: Vec<String> = failures
        .iter()
        .map(|(what, why)| format!("{what}: {why}"))
        .collect();
    Failure::Other(format!("no run finished: {}", reasons.join("; ")))
}

/// Score saved models (`subgenre evaluate`): one model, or several averaged as an ensemble
/// (they must share classes and input). By default the test part of the split the first
/// model's own training used; `seed` (that seed's grouped split), `split` (a split file) or
/// `all=True` (every clip) choose another; `images` scores class folders of images instead
/// of the data set. Returns the report (per-class precision/recall/F1, confusion matrix) as a
/// dict, also written to `out/report.json` with `confusion.png` when `out` is given.
/// `neighbours=K` also measures similarity search on the scored clips: the share of each
/// clip's K nearest clips of other tracks (cosine of the models' embeddings) with its label,
/// beside chance, under the dict's `"neighbours"` key (and in `out/neighbours.json`).
#[pyfunction]
#[pyo3(signature = (models, data=None, *, seed=None, split=None, all=false, images=None,
    out=None, neighbours=None, jobs=None, cache=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn evaluate<'py>(
    py: Python<'py>,
    models: Bound<'py, PyAny>,
    data: Option<PathBuf>,
    seed: Option<u64>,
    split: Option<PathBuf>,
    all: bool,
    images: Option<PathBuf>,
    out: Option<PathBuf>,
    neighbours: Option<usize>,
    jobs: Option<usize>,
    cache: Option<PathBuf>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    // One path (str or os.PathLike), or a sequence of them.
    let models: Vec<PathBuf> = match models.extract::<PathBuf>() {
        Ok(one) => vec![one],
        Err(_) => models.extract()?,
    };
    let callback = progress.map(Bound::unbind);
    let (text, agreement) = detached(py, || {
        let cache = cache_of(cache)?;
        let mut plan = EvaluatePlan::new(models, source(data, Some(cache.root().to_path_buf()))?);
        plan.images = images;
        plan.part = ScoredPart::choose(split, seed, all)?;
        plan.jobs = jobs;
        plan.out = out;
        plan.neighbours = neighbours;
        let evaluation = plan.run(&cache, &python_progress(callback))?;
        let agreement = evaluation.neighbours.as_ref().map(to_json).transpose()?;
        Ok((to_json(&evaluation.report)?, agreement))
    })?;
    let report = json_value(py, &text)?;
    if let Some(agreement) = agreement {
        report.set_item("neighbours", json_value(py, &agreement)?)?;
    }
    Ok(report)
}

/// Fine-tune a trained model on class folders (`subgenre transfer`), or train its network
/// from scratch (`scratch=True`) on the same split and budget: `images` (PNG/JPEG, read grey
/// and resized by `resize`: `"linear"` or `"area"`) or `audio` (files of any length, cut into
/// the 8 s windows `predict` classifies). One run per seed into `out/runs/`; the split is
/// `split_seed`'s (stratified 70/15/15 for images, grouped by file for audio) unless
/// `vary_split`. `freeze` keeps the first conv blocks fixed. Returns `out/report.json` as a
/// dict (the runs of both modes when both were run into the same `out`).
#[pyfunction]
#[pyo3(signature = (base, *, out, images=None, audio=None, seeds=vec![42, 43, 44, 45, 46],
    freeze=0, scratch=false, split_seed=42, vary_split=false, resize="linear", batch_size=32,
    epochs=50, patience=10, lr=1e-3, jobs=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn transfer<'py>(
    py: Python<'py>,
    base: PathBuf,
    out: PathBuf,
    images: Option<PathBuf>,
    audio: Option<PathBuf>,
    seeds: Vec<u64>,
    freeze: usize,
    scratch: bool,
    split_seed: u64,
    vary_split: bool,
    resize: &str,
    batch_size: usize,
    epochs: usize,
    patience: usize,
    lr: f64,
    jobs: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let callback = progress.map(Bound::unbind);
    let text = detached(py, || {
        let settings = TransferSettings {
            base,
            out,
            images,
            audio,
            resize: resize.parse().map_err(|e| bad_argument("resize", e))?,
            seeds,
            freeze,
            scratch,
            split_seed,
            vary_split,
            batch_size,
            epochs,
            patience,
            lr,
            jobs,
        };
        let plan = settings.into_plan()?;
        let outcome = plan.run(&python_progress(callback))?;
        if outcome.runs.is_empty() {
            return Err(no_run_finished(&outcome.run_failures));
        }
        to_json(&outcome.report)
    })?;
    json_value(py, &text)
}

/// The whole study in one call (`subgenre reproduce`): data set statistics, the features,
/// the classic models under both protocols, the mel stores, the CNNs (`grid`: `"quick"` or
/// `"study"`), transfer to `gtzan` class folders when given, and `out/index.html` with
/// `out/report.json`. Resumable: rerun on the same `out` to skip finished steps. Returns the
/// report as a dict (its `steps` say which step failed, if any).
#[pyfunction]
#[pyo3(signature = (data=None, *, out, grid="quick", seeds=vec![42, 43, 44, 45, 46], epochs=50,
    gtzan=None, classes="five", jobs=None, cache=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn reproduce<'py>(
    py: Python<'py>,
    data: Option<PathBuf>,
    out: PathBuf,
    grid: &str,
    seeds: Vec<u64>,
    epochs: usize,
    gtzan: Option<PathBuf>,
    classes: &str,
    jobs: Option<usize>,
    cache: Option<PathBuf>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let callback = progress.map(Bound::unbind);
    let text = detached(py, || {
        let cache = cache_of(cache)?;
        let mut plan = ReproducePlan::new(source(data, Some(cache.root().to_path_buf()))?, out);
        plan.classes = class_set(classes)?;
        plan.grid = grid.parse()?;
        plan.seeds = seeds;
        plan.epochs = epochs;
        plan.gtzan = gtzan;
        plan.jobs = jobs;
        let outcome = plan.run(&cache, &python_progress(callback))?;
        to_json(&outcome.report)
    })?;
    json_value(py, &text)
}
