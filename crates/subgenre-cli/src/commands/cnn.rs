//! `subgenre train`, `subgenre experiment` and `subgenre evaluate`: CNNs on mel-spectrograms.
//!
//! Both training commands run a grid of (network, variant, size, seed); `train` is the grid of
//! one network and input with patience 10, `experiment` the study's grid with patience 5. Every
//! run lives in its own folder under `--out`: burn-train's checkpoints while it trains (a killed
//! run resumes after its last epoch), then the model, `result.json`, learning curves and the
//! confusion matrix once it is done (a rerun skips it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde_json::json;
use subgenre_cnn::{AugmentConfig, InputSpec, Sample, TrainConfig};
use subgenre_dataset::{Cache, Selection};
use subgenre_eval::{group_split, ClassificationReport, Report, Run, Split, SplitItem};
use subgenre_extract::image::{model_image, Interpolation};
use subgenre_extract::{model_input, InputRoute, MelVariant};

use super::mels::ensure_store;
use super::run_folder::{check_parts, print_epoch, report_resume, RunFolder, RunIdentity};
use super::{
    class_folders, data_source, parse_classes, parse_list, parse_seeds, thread_pool, Failures,
};
use crate::args::{EvaluateArgs, TrainArgs};

/// Which command is running: they differ only in defaults and in what they print.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Train,
    Experiment,
}

/// One cell of the grid.
#[derive(Clone, Debug)]
struct RunKey {
    arch: subgenre_cnn::Arch,
    variant: MelVariant,
    size: usize,
    seed: u64,
}

impl RunKey {
    fn folder(&self) -> String {
        format!(
            "{}_{}{}_seed{}",
            self.arch,
            self.variant.name(),
            self.size,
            self.seed
        )
    }
}

/// The settings that decide a run's result besides its key: a finished run is reused only
/// when they match.
fn run_params(
    args: &TrainArgs,
    patience: usize,
    augment: &str,
    split: &str,
) -> BTreeMap<String, serde_json::Value> {
    BTreeMap::from([
        ("lr".to_string(), json!(args.lr)),
        ("batch_size".to_string(), json!(args.batch_size)),
        ("max_epochs".to_string(), json!(args.epochs)),
        ("patience".to_string(), json!(patience)),
        ("augment".to_string(), json!(augment)),
        ("route".to_string(), json!(input_source(args))),
        ("channels".to_string(), json!(args.channels)),
        ("split".to_string(), json!(split)),
    ])
}

fn input_source(args: &TrainArgs) -> String {
    match &args.images {
        Some(dir) => format!("images:{}", dir.display()),
        None => args.route.clone(),
    }
}

fn parse_route(route: &str) -> Result<InputRoute> {
    match route {
        "array" => Ok(InputRoute::Array),
        "study-png" => Ok(InputRoute::StudyPng),
        other => bail!("--route must be array or study-png, not `{other}`"),
    }
}

/// `none`, `spec`, `mixup` or `spec+mixup` as burn-side augmentation settings.
fn parse_augment(which: &str) -> Result<AugmentConfig> {
    let mut config = AugmentConfig::new();
    for part in which.split('+').map(str::trim) {
        match part {
            "none" => {}
            "spec" => config.spec_augment = true,
            "mixup" => config.mixup_alpha = 0.2,
            other => bail!("--augment: `{other}` is not none, spec, mixup or spec+mixup"),
        }
    }
    Ok(config)
}

/// Which model input to make of each clip: a mel variant at `size` x `size` by `route`, or
/// the clip's image from a folder.
struct InputKind<'a> {
    variant: MelVariant,
    size: usize,
    route: InputRoute,
    images: Option<&'a Path>,
}

/// Model inputs of a data set's clips; the clips whose audio or image could not be read are
/// left out and reported in `failures`.
fn load_inputs(
    selection: &Selection,
    kind: &InputKind<'_>,
    cache: &Cache,
    jobs: Option<usize>,
    failures: &mut Failures,
) -> Result<InputSet> {
    let InputKind {
        variant,
        size,
        route,
        images,
    } = *kind;
    let pool = thread_pool(jobs)?;
    let inputs: Vec<Result<Vec<f32>, String>> = match images {
        Some(dir) => pool.install(|| {
            selection
                .items
                .par_iter()
                .map(|item| {
                    let path = dir.join(format!("{}.png", item.sample_id));
                    // The study: cv2.imread grey, cv2.resize (bilinear), / 255.
                    model_image(&path, size, Interpolation::Linear).map_err(|e| e.to_string())
                })
                .collect()
        }),
        None => {
            let (store, _) = ensure_store(selection, variant, cache, jobs)?;
            pool.install(|| {
                selection
                    .items
                    .par_iter()
                    .map(|item| match store.index_of(&item.sample_id) {
                        Some(i) => Ok(model_input(&store.get(i), variant, route, size)),
                        None => Err("no mel-spectrogram (the clip could not be analysed)".into()),
                    })
                    .collect()
            })
        }
    };
    let mut set = InputSet {
        rows: Vec::new(),
        pixels: Vec::new(),
    };
    for (row, (item, r)) in selection.items.iter().zip(inputs).enumerate() {
        match r {
            Ok(pixels) => {
                set.rows.push(row);
                set.pixels.push(pixels);
            }
            Err(reason) => failures.push(item.sample_id.clone(), reason),
        }
    }
    Ok(set)
}

/// What one (variant, size) input set gives the runs: samples per clip and the split items.
struct InputSet {
    /// Indices into the selection of the clips that have inputs.
    rows: Vec<usize>,
    pixels: Vec<Vec<f32>>,
}

impl InputSet {
    fn items<'a>(&self, selection: &'a Selection) -> Vec<SplitItem<'a>> {
        self.rows
            .iter()
            .map(|&r| {
                let i = &selection.items[r];
                SplitItem {
                    sample_id: &i.sample_id,
                    group: &i.spot_id,
                    class: i.label,
                }
            })
            .collect()
    }

    fn samples(&self, selection: &Selection, part: &[usize]) -> Vec<Sample> {
        part.iter()
            .map(|&k| Sample {
                pixels: self.pixels[k].clone(),
                label: selection.items[self.rows[k]].label,
            })
            .collect()
    }
}

pub fn run_training(args: TrainArgs, mode: Mode, cache: &Cache) -> Result<ExitCode> {
    let archs = parse_list("arch", &args.arch, |s| {
        s.parse::<subgenre_cnn::Arch>().map_err(anyhow::Error::from)
    })?;
    let variants = parse_list("variant", &args.variant, |s| {
        s.parse::<MelVariant>().map_err(anyhow::Error::from)
    })?;
    let sizes = parse_list("size", &args.size, |s| {
        let n: usize = s.parse().context("not a number")?;
        anyhow::ensure!((16..=1024).contains(&n), "sizes run from 16 to 1024 pixels");
        Ok(n)
    })?;
    let seeds = parse_seeds(&args.seeds)?;
    let route = parse_route(&args.route)?;
    let patience = args.patience.unwrap_or(match mode {
        Mode::Train => 10,
        Mode::Experiment => 5,
    });
    anyhow::ensure!(args.epochs >= 1, "--epochs must be at least 1");
    anyhow::ensure!(args.batch_size >= 1, "--batch-size must be at least 1");
    anyhow::ensure!(
        args.lr.is_finite() && args.lr > 0.0,
        "--lr must be positive"
    );
    anyhow::ensure!(args.channels >= 1, "--channels must be at least 1");
    parse_augment(&args.augment)?;
    anyhow::ensure!(
        !(args.final_fit && mode == Mode::Experiment),
        "--final is for `train` (one model to ship), not `experiment`"
    );
    if mode == Mode::Train && (archs.len() > 1 || variants.len() > 1 || sizes.len() > 1) {
        bail!("`train` takes one --arch, --variant and --size; `experiment` runs grids");
    }
    let fixed_split = match &args.split {
        Some(p) => Some(Split::load(p).with_context(|| format!("reading {}", p.display()))?),
        None => None,
    };
    let split_name = match &args.split {
        Some(p) => format!("file:{}", p.display()),
        None => "group".to_string(),
    };

    let choice = data_source(&args.data, cache)?;
    let classes = parse_classes(&args.data)?;
    let selection = choice.open()?.select(&classes);
    let class_names: Vec<String> = classes.names().to_vec();
    anyhow::ensure!(
        !selection.items.is_empty(),
        "no clips of the classes {} in {}",
        class_names.join(", "),
        choice.name()
    );
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let report_path = args.out.join("report.json");
    let mut report = Report::new(
        "group",
        &class_names,
        "mel-spectrogram",
        &subgenre_core::version_string(),
    );
    let total = archs.len() * variants.len() * sizes.len() * seeds.len();
    println!(
        "data set {}: {} clips, {} classes; {} run(s) of {} epochs at most, patience {}, on {} (jobs {})",
        choice.name(),
        selection.items.len(),
        class_names.len(),
        total,
        args.epochs,
        patience,
        subgenre_cnn::backend_name(),
        args.jobs.map_or("all".to_string(), |n| n.to_string()),
    );
    let mut failures = Failures::default();
    let mut done = 0;
    for &variant in &variants {
        for &size in &sizes {
            let mut input_failures = Failures::default();
            let kind = InputKind {
                variant,
                size,
                route,
                images: args.images.as_deref(),
            };
            let inputs = load_inputs(&selection, &kind, cache, args.jobs, &mut input_failures)?;
            input_failures.report("inputs");
            if !input_failures.is_empty() {
                failures.push(
                    format!("{} {size}", variant.name()),
                    format!("{} clips without input, left out", input_failures.len()),
                );
            }
            for &seed in &seeds {
                let items = inputs.items(&selection);
                let split = match &fixed_split {
                    Some(s) => s.clone(),
                    None => group_split(&items, seed)?,
                };
                let mut parts = split.indices(&items)?;
                if args.final_fit {
                    // The test part joins training; the validation part, kept for early
                    // stopping, is the only one left to score.
                    let test = std::mem::take(&mut parts.test);
                    parts.train.extend(test);
                    parts.test = parts.val.clone();
                }
                for &arch in &archs {
                    done += 1;
                    let key = RunKey {
                        arch,
                        variant,
                        size,
                        seed,
                    };
                    let augment = args.augment.clone();
                    let mut params = run_params(&args, patience, &augment, &split_name);
                    if args.final_fit {
                        params.insert("fit".into(), json!("train+test"));
                    }
                    println!(
                        "\n[{done}/{total}] {} {} {size}x{size} seed {seed}: train {} / validation {} / {} {} clips",
                        arch,
                        variant.name(),
                        parts.train.len(),
                        parts.val.len(),
                        if args.final_fit { "scored on validation (--final: train = train+test)" } else { "test" },
                        parts.test.len()
                    );
                    let job = RunJob {
                        args: &args,
                        key: &key,
                        params,
                        augment: &augment,
                        patience,
                        classes: &class_names,
                        selection: &selection,
                        inputs: &inputs,
                        parts: &parts,
                        data_name: choice.name(),
                    };
                    match job.run() {
                        Ok(run) => {
                            println!(
                                "  weighted F1 {:.4}  macro F1 {:.4}  accuracy {:.4}  (best epoch {} of {}, {:.0} s)",
                                run.weighted_f1,
                                run.macro_f1,
                                run.accuracy,
                                run.best_epoch.unwrap_or(0),
                                run.epochs_run.unwrap_or(0),
                                run.train_seconds.unwrap_or(0.0)
                            );
                            report.push_run(run);
                            report.write_json(&report_path)?;
                        }
                        Err(e) => {
                            eprintln!("  run failed: {e:#}");
                            failures.push(key.folder(), format!("{e:#}"));
                        }
                    }
                }
            }
        }
    }
    print_summaries(&report, &variants, &sizes);
    if !report.runs.is_empty() {
        println!("report -> {}", report_path.display());
    }
    failures.report("runs or inputs");
    Ok(if report.runs.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `=== SUMMARY [normal | 128x128] ===` blocks, as the study's full_test printed them.
fn print_summaries(report: &Report, variants: &[MelVariant], sizes: &[usize]) {
    let variants: Vec<&str> = variants.iter().map(|v| v.name()).collect();
    let sizes: Vec<u32> = sizes.iter().map(|&s| s as u32).collect();
    print!("{}", report.study_summary_blocks(&variants, &sizes));
}

/// One training run and everything it needs.
struct RunJob<'a> {
    args: &'a TrainArgs,
    key: &'a RunKey,
    params: BTreeMap<String, serde_json::Value>,
    augment: &'a str,
    patience: usize,
    classes: &'a [String],
    selection: &'a Selection,
    inputs: &'a InputSet,
    parts: &'a subgenre_eval::PartIndices,
    data_name: String,
}

impl RunJob<'_> {
    fn run(&self) -> Result<Run> {
        let folder = RunFolder::new(
            self.args.out.join("runs").join(self.key.folder()),
            self.params.clone(),
        );
        if let Some(run) = folder.finished()? {
            return Ok(run);
        }
        check_parts(self.parts)?;
        let key = self.key;
        let args = self.args;
        let jobs = args.jobs.unwrap_or(0);
        let config = TrainConfig::new(key.arch, key.size, key.size, self.classes.to_vec())
            .with_learning_rate(args.lr)
            .with_batch_size(args.batch_size)
            .with_max_epochs(args.epochs)
            .with_patience(self.patience)
            .with_seed(key.seed)
            .with_threads(jobs)
            .with_augment(parse_augment(self.augment)?)
            .with_compact_channels(args.channels);
        let train = self.inputs.samples(self.selection, &self.parts.train);
        let val = self.inputs.samples(self.selection, &self.parts.val);
        let test = self.inputs.samples(self.selection, &self.parts.test);
        let started = Instant::now();
        let outcome = subgenre_cnn::with_threads(jobs, || {
            subgenre_cnn::train(
                &config,
                train,
                val,
                &folder.training_dir(),
                print_epoch(args.epochs),
            )
        })
        .with_context(|| format!("training {}", folder.dir.display()))?;
        report_resume(&outcome);
        let mut input = InputSpec::new(key.variant.name(), key.size);
        input
            .extra
            .insert("route".into(), json!(input_source(args)));
        // A --final fit trained on the test part: no clip is left unseen.
        let test_clips = if args.final_fit {
            0
        } else {
            self.parts.test.len()
        };
        let mut trained = json!({
            "data": self.data_name,
            "split": self.params.get("split"),
            "train_clips": self.parts.train.len(),
            "val_clips": self.parts.val.len(),
            "test_clips": test_clips,
        });
        if args.final_fit {
            trained["fit"] = json!(
                "train+test parts; early stopping and the scores on the validation part (optimistic)"
            );
        }
        let id = RunIdentity {
            model: key.arch.name(),
            seed: key.seed,
            classes: self.classes,
            input,
            title: format!(
                "{} {} {} seed {}",
                key.arch,
                key.variant.name(),
                key.size,
                key.seed
            ),
            scored_on_validation: args.final_fit,
        };
        let trained = trained.as_object().cloned().unwrap_or_default();
        folder.finish(
            &outcome,
            &test,
            jobs,
            id,
            trained,
            started.elapsed().as_secs_f64(),
        )
    }
}

pub fn run_evaluate(args: EvaluateArgs, cache: &Cache) -> Result<ExitCode> {
    let ensemble = subgenre_cnn::Ensemble::from_files(&args.model)?;
    let models = ensemble.members();
    let first = &args.model[0];
    let spec = ensemble.spec();
    // Scored on the first model's own test part, that part must be unseen by every model.
    if args.seed.is_none() && args.split.is_none() && !args.all && args.images.is_none() {
        for (path, member) in args.model.iter().zip(models) {
            let fit = member.spec.trained.get("fit").and_then(|v| v.as_str());
            if fit.is_some_and(|f| f.starts_with("train+test")) {
                eprintln!(
                    "warning: {} was trained on its split's test part too (`train --final`): \
                     the score below is not an estimate for unseen tracks",
                    path.display()
                );
            }
        }
        for (path, other) in args.model.iter().zip(models).skip(1) {
            let (a, b) = (
                training_split(&other.spec.trained),
                training_split(&spec.trained),
            );
            anyhow::ensure!(
                a == b,
                "{} and {} were trained on different splits ({a}; {b}): name the part to score \
                 with --seed, --split or --all",
                path.display(),
                first.display(),
            );
        }
    }
    let size = spec.input.size;
    let mut failures = Failures::default();
    let (pixels, labels, what): (Vec<Vec<f32>>, Vec<usize>, String) =
        if let Some(dir) = &args.images {
            // Resized as the model's training images were (bilinear unless it says area).
            let interpolation = match spec.input.extra.get("resize").and_then(|v| v.as_str()) {
                Some("area") => Interpolation::Area,
                _ => Interpolation::Linear,
            };
            let (pixels, labels) =
                images_by_class(dir, &spec.classes, size, interpolation, &mut failures)?;
            (pixels, labels, format!("images in {}", dir.display()))
        } else {
            let variant: MelVariant = spec.input.variant.parse()?;
            let route = match spec.input.extra.get("route").and_then(|v| v.as_str()) {
                Some("study-png") => InputRoute::StudyPng,
                _ => InputRoute::Array,
            };
            let choice = data_source(&args.data, cache)?;
            let classes = subgenre_dataset::ClassSet::from_names(spec.classes.clone());
            let selection = choice.open()?.select(&classes);
            let kind = InputKind {
                variant,
                size,
                route,
                images: None,
            };
            let inputs = load_inputs(&selection, &kind, cache, args.jobs, &mut failures)?;
            let items = inputs.items(&selection);
            let trained_seed = spec.trained.get("seed").and_then(|v| v.as_u64());
            // A model trained on a split file names it: score on that file's test part.
            let trained_split_file = spec
                .trained
                .get("split")
                .and_then(|v| v.as_str())
                .and_then(|s| s.strip_prefix("file:"))
                .map(PathBuf::from);
            let split_file = args.split.clone().or(if args.seed.is_none() {
                trained_split_file
            } else {
                None
            });
            let part: Vec<usize> = if args.all {
                (0..items.len()).collect()
            } else if let Some(path) = &split_file {
                Split::load(path)
                    .with_context(|| format!("reading {}", path.display()))?
                    .indices(&items)?
                    .test
            } else if let Some(seed) = args.seed.or(trained_seed) {
                group_split(&items, seed)?.indices(&items)?.test
            } else {
                (0..items.len()).collect()
            };
            let what = if part.len() == items.len() {
                format!("all {} clips of {}", items.len(), choice.name())
            } else {
                format!("the test part ({} clips) of {}", part.len(), choice.name())
            };
            let samples = inputs.samples(&selection, &part);
            let (pixels, labels) = samples.into_iter().map(|s| (s.pixels, s.label)).unzip();
            (pixels, labels, what)
        };
    anyhow::ensure!(!pixels.is_empty(), "nothing to evaluate");
    let y_pred =
        subgenre_cnn::with_threads(args.jobs.unwrap_or(0), || ensemble.predict(&pixels, 64))?;
    let scores = ClassificationReport::new(&labels, &y_pred, &spec.classes)?;
    let name = match models.len() {
        1 => first.display().to_string(),
        n => format!("an ensemble of {n} models ({} ...)", first.display()),
    };
    println!(
        "{name} ({} {} {}) on {what}:\n{}",
        spec.arch,
        spec.input.variant,
        size,
        scores.render(4)
    );
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let mut report = Report::new(
            "evaluate",
            &spec.classes,
            &what,
            &subgenre_core::version_string(),
        );
        let model_name = match models.len() {
            1 => spec.arch.name().to_string(),
            n => format!("{}-ensemble-{n}", spec.arch.name()),
        };
        let mut run = Run::new(&model_name, args.seed.unwrap_or(0), &scores, 0.0);
        run.variant = Some(spec.input.variant.clone());
        run.size = Some(size as u32);
        report.push_run(run);
        report.write_json(&out.join("report.json"))?;
        subgenre_eval::confusion_png(
            &out.join("confusion.png"),
            &scores.confusion,
            &format!("{}", spec.arch),
        )?;
        println!("report -> {}", out.join("report.json").display());
    }
    failures.report("inputs");
    Ok(ExitCode::SUCCESS)
}

/// Which split a model's training record says it was trained on, as text to compare: a split
/// file fixes the parts whatever the seed; otherwise the seed makes them.
fn training_split(trained: &serde_json::Value) -> String {
    let null = serde_json::Value::Null;
    let split = trained.get("split").unwrap_or(&null);
    if split.as_str().is_some_and(|s| s.starts_with("file:")) {
        format!("split {split}")
    } else {
        format!(
            "split {split}, seed {}",
            trained.get("seed").unwrap_or(&null)
        )
    }
}

/// Images in class folders (`DIR/<class>/**/*.png|jpg`), for classes the model knows, read
/// and resized as the study's Python did.
fn images_by_class(
    dir: &Path,
    classes: &[String],
    size: usize,
    interpolation: Interpolation,
    failures: &mut Failures,
) -> Result<(Vec<Vec<f32>>, Vec<usize>)> {
    let mut files: Vec<(PathBuf, usize)> = Vec::new();
    for (name, images) in class_folders(dir, subgenre_dataset::walk::image_files)? {
        let Some(label) = classes.iter().position(|c| *c == name) else {
            eprintln!(
                "skipping {}: the model has no class `{name}`",
                dir.join(&name).display()
            );
            continue;
        };
        files.extend(images.into_iter().map(|p| (p, label)));
    }
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (path, label) in files {
        match model_image(&path, size, interpolation) {
            Ok(image) => {
                pixels.push(image);
                labels.push(label);
            }
            Err(e) => failures.push(path.display().to_string(), e),
        }
    }
    Ok((pixels, labels))
}

#[cfg(test)]
mod tests {
    use super::training_split;
    use serde_json::json;

    #[test]
    fn a_split_file_is_the_same_split_whatever_the_seed() {
        let file = |seed| json!({"split": "file:runs/split42.json", "seed": seed});
        let group = |seed| json!({"split": "group", "seed": seed});
        assert_eq!(training_split(&file(42)), training_split(&file(1042)));
        assert_ne!(training_split(&group(42)), training_split(&group(43)));
        assert_eq!(training_split(&group(42)), training_split(&group(42)));
        assert_ne!(training_split(&file(42)), training_split(&group(42)));
    }
}
