//! Training, evaluation, transfer and the whole study from Python: each call builds one plan
//! of the study library, runs it with the GIL released, and returns the report it wrote (the
//! `report.json` the command line writes) as a dict.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyString;
use subgenre_cnn::Arch;
use subgenre_dataset::Cache;
use subgenre_extract::MelVariant;
use subgenre_study::{
    ClipSource, EvaluatePlan, GridKind, InputSize, ReproducePlan, ScoredPart, TrainPlan,
    TransferPlan, TransferSource,
};

use crate::data::{classes as class_set, json_value, source};
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

/// [`list_of`], or `default` when the argument was not given.
fn list_or(name: &str, value: Option<&Bound<'_, PyAny>>, default: &str) -> PyResult<Vec<String>> {
    match value {
        Some(v) => list_of(name, v),
        None => Ok(vec![default.to_string()]),
    }
}

fn parsed<T: std::str::FromStr>(name: &str, items: &[String]) -> Outcome<Vec<T>>
where
    T::Err: std::fmt::Display,
{
    items
        .iter()
        .map(|s| s.parse::<T>().map_err(|e| bad_argument(name, e)))
        .collect()
}

fn cache_of(cache: Option<PathBuf>) -> Outcome<Cache> {
    Cache::new(cache).map_err(|e| Failure::Other(e.to_string()))
}

fn report_text(value: &impl serde::Serialize) -> Outcome<String> {
    serde_json::to_string(value).map_err(|e| Failure::Other(format!("serialising: {e}")))
}

/// The settings a grid of CNN runs takes from Python.
struct GridArgs {
    arch: Vec<String>,
    variant: Vec<String>,
    size: Vec<String>,
    seeds: Vec<u64>,
    route: String,
    images: Option<PathBuf>,
    split: Option<PathBuf>,
    patience: Option<usize>,
    epochs: usize,
    lr: f64,
    batch_size: usize,
    augment: String,
    channels: usize,
    final_fit: bool,
    classes: String,
    jobs: Option<usize>,
}

fn run_grid(
    kind: GridKind,
    data: Option<PathBuf>,
    out: PathBuf,
    args: GridArgs,
    cache: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> Outcome<String> {
    let cache = cache_of(cache)?;
    let mut plan = TrainPlan::new(kind, source(data, Some(cache.root().to_path_buf()))?, out);
    plan.classes = class_set(&args.classes)?;
    plan.archs = parsed::<Arch>("arch", &args.arch)?;
    plan.variants = parsed::<MelVariant>("variant", &args.variant)?;
    plan.sizes = args
        .size
        .iter()
        .map(|s| s.parse::<InputSize>())
        .collect::<Result<_, _>>()?;
    plan.seeds = args.seeds;
    plan.source = match args.images {
        Some(dir) => ClipSource::Images(dir),
        None => ClipSource::Mel(args.route.parse().map_err(|e| bad_argument("route", e))?),
    };
    plan.split = args.split;
    if let Some(patience) = args.patience {
        plan.schedule.patience = patience;
    }
    plan.schedule.max_epochs = args.epochs;
    plan.schedule.learning_rate = args.lr;
    plan.schedule.batch_size = args.batch_size;
    plan.augment = args.augment.parse()?;
    plan.channels = args.channels;
    plan.final_fit = args.final_fit;
    plan.jobs = args.jobs;
    let outcome = plan.run(&cache, &python_progress(progress))?;
    if outcome.report.runs.is_empty() {
        let reasons: Vec<String> = outcome
            .failures
            .iter()
            .map(|(what, why)| format!("{what}: {why}"))
            .collect();
        return Err(Failure::Other(format!(
            "no run finished: {}",
            reasons.join("; ")
        )));
    }
    report_text(&outcome.report)
}

/// Train one CNN (`subgenre train`): `arch` on the `variant` mel-spectrograms of the data set's
/// clips (`data`: a data folder, or the bundled demo set when None) at `size` x `size`, one run
/// per seed on the study's grouped split, into `out/runs/<arch>_<variant><size>_seed<S>/`
/// (model.sgcnn, result.json, curves.png, confusion.png). Rerunning on the same `out` reuses
/// finished runs and resumes a killed one. Returns `out/report.json` as a dict.
///
/// `route`: `"array"` or `"study-png"`; `images`: a folder of `<sample_id>.png` to train on
/// instead; `split`: a split file for every seed; `augment`: `"none"`, `"spec"`, `"mixup"` or
/// `"spec+mixup"`; `final_fit`: train on train + test and score on validation (one model to
/// ship); `channels`: compact's first-block channels. `progress`, if given, is called with a
/// dict per event (`{"event": "epoch", "epoch", "val_acc", ...}`, `{"event": "run_finished",
/// ...}`).
#[pyfunction]
#[pyo3(signature = (data=None, *, out, arch=None, variant=None, size=None, seeds=vec![42], route="array", images=None, split=None,
    patience=10, epochs=50, lr=1e-3, batch_size=64, augment="none", channels=16,
    final_fit=false, classes="five", jobs=None, cache=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn train<'py>(
    py: Python<'py>,
    data: Option<PathBuf>,
    out: PathBuf,
    arch: Option<Bound<'py, PyAny>>,
    variant: Option<Bound<'py, PyAny>>,
    size: Option<Bound<'py, PyAny>>,
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
    let args = GridArgs {
        arch: list_or("arch", arch.as_ref(), "compact")?,
        variant: list_or("variant", variant.as_ref(), "normal")?,
        size: list_or("size", size.as_ref(), "128")?,
        seeds,
        route: route.to_string(),
        images,
        split,
        patience: Some(patience),
        epochs,
        lr,
        batch_size,
        augment: augment.to_string(),
        channels,
        final_fit,
        classes: classes.to_string(),
        jobs,
    };
    let callback = progress.map(Bound::unbind);
    let text = detached(py, || {
        run_grid(GridKind::Train, data, out, args, cache, callback)
    })?;
    json_value(py, &text)
}

/// Run a grid of CNNs (`subgenre experiment`): every network of `arch` on every mel `variant`
/// and `size`, one run per seed (the study's grid settings: patience 5, 50 epochs, batch 64,
/// seeds 42-46). Lists are Python lists or comma-separated strings. Returns `out/report.json`
/// as a dict (each run, and per (network, variant, size) the mean ± std); see `train` for the
/// other arguments.
#[pyfunction]
#[pyo3(signature = (data=None, *, out, arch=None, variant=None, size=None,
    seeds=vec![42, 43, 44, 45, 46], route="array", images=None, split=None, patience=5,
    epochs=50, lr=1e-3, batch_size=64, augment="none", channels=16, classes="five",
    jobs=None, cache=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn experiment<'py>(
    py: Python<'py>,
    data: Option<PathBuf>,
    out: PathBuf,
    arch: Option<Bound<'py, PyAny>>,
    variant: Option<Bound<'py, PyAny>>,
    size: Option<Bound<'py, PyAny>>,
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
    classes: &str,
    jobs: Option<usize>,
    cache: Option<PathBuf>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let args = GridArgs {
        arch: list_or("arch", arch.as_ref(), "cnn_drop_first")?,
        variant: list_or("variant", variant.as_ref(), "normal")?,
        size: list_or("size", size.as_ref(), "128")?,
        seeds,
        route: route.to_string(),
        images,
        split,
        patience: Some(patience),
        epochs,
        lr,
        batch_size,
        augment: augment.to_string(),
        channels,
        final_fit: false,
        classes: classes.to_string(),
        jobs,
    };
    let callback = progress.map(Bound::unbind);
    let text = detached(py, || {
        run_grid(GridKind::Experiment, data, out, args, cache, callback)
    })?;
    json_value(py, &text)
}

/// Score saved models (`subgenre evaluate`): one model, or several averaged as an ensemble
/// (they must share classes and input). By default the test part of the split the first
/// model's own training used; `seed` (that seed's grouped split), `split` (a split file) or
/// `all=True` (every clip) choose another; `images` scores class folders of images instead
/// of the data set. Returns the report (per-class precision/recall/F1, confusion matrix) as a
/// dict, also written to `out/report.json` with `confusion.png` when `out` is given.
#[pyfunction]
#[pyo3(signature = (models, data=None, *, seed=None, split=None, all=false, images=None,
    out=None, jobs=None, cache=None, progress=None))]
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
    let text = detached(py, || {
        let cache = cache_of(cache)?;
        let mut plan = EvaluatePlan::new(models, source(data, Some(cache.root().to_path_buf()))?);
        plan.images = images;
        plan.part = match (split, seed, all) {
            (_, _, true) => ScoredPart::All,
            (Some(path), None, false) => ScoredPart::SplitFile(path),
            (None, Some(seed), false) => ScoredPart::Seed(seed),
            (None, None, false) => ScoredPart::Trained,
            (Some(_), Some(_), false) => {
                return Err(bad_argument(
                    "split",
                    "and seed each choose the part: give one",
                ))
            }
        };
        plan.jobs = jobs;
        plan.out = out;
        let evaluation = plan.run(&cache, &python_progress(callback))?;
        report_text(&evaluation.report)
    })?;
    json_value(py, &text)
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
        let source = match (images, audio) {
            (Some(dir), None) => TransferSource::Images {
                dir,
                resize: resize.parse().map_err(|e| bad_argument("resize", e))?,
            },
            (None, Some(dir)) => TransferSource::Audio(dir),
            _ => return Err(bad_argument("images", "or audio: give exactly one")),
        };
        let mut plan = TransferPlan::new(base, source, out);
        plan.seeds = seeds;
        plan.freeze = freeze;
        plan.scratch = scratch;
        plan.split_seed = split_seed;
        plan.vary_split = vary_split;
        plan.schedule.batch_size = batch_size;
        plan.schedule.max_epochs = epochs;
        plan.schedule.patience = patience;
        plan.schedule.learning_rate = lr;
        plan.jobs = jobs;
        let outcome = plan.run(&python_progress(callback))?;
        if outcome.runs.is_empty() {
            let reasons: Vec<String> = outcome
                .run_failures
                .iter()
                .map(|(what, why)| format!("{what}: {why}"))
                .collect();
            return Err(Failure::Other(format!(
                "no run finished: {}",
                reasons.join("; ")
            )));
        }
        report_text(&outcome.report)
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
        report_text(&outcome.report)
    })?;
    json_value(py, &text)
}
