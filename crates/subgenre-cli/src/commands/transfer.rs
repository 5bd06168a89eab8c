//! `subgenre transfer`: fine-tune a trained CNN on another labelled set (the study's GTZAN step,
//! or anyone's own music), or train its network from scratch on the same split and budget.
//!
//! The data are class folders: images (`--images`, read as grey as OpenCV's `imread` does and
//! resized to the base model's input) or audio files of any length (`--audio`, cut into the
//! 8 s windows `subgenre predict` classifies, made into the base model's inputs). Every run
//! lives in `OUT/runs/<mode>_<arch>_seed<S>/` as in `subgenre train`: checkpoints while it
//! trains (a killed run resumes), then `model.sgcnn`, `result.json`, `split.json`, learning
//! curves and the confusion matrix (a rerun skips it). `OUT/report.json` holds the runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde_json::json;
use subgenre_cnn::{InputSpec, ModelConfig, Sample, SavedModel, TrainConfig};
use subgenre_eval::{
    group_split, mean, random_split, std_population, ConfusionMatrix, PartIndices, Report, Run,
    Split, SplitItem,
};
use subgenre_extract::image::{model_image, Interpolation};
use subgenre_extract::{InputRoute, MelVariant};

use super::run_folder::{check_parts, print_epoch, report_resume, RunFolder, RunIdentity};
use super::{class_folders, parse_seeds, thread_pool, walk_audio, Failures};
use crate::args::{Resize, TransferArgs};

/// Seconds between the starts of the 8 s windows of `--audio` files (as `subgenre predict`).
const AUDIO_HOP_S: f64 = 4.0;

impl Resize {
    pub(super) fn name(self) -> &'static str {
        match self {
            Resize::Linear => "linear",
            Resize::Area => "area",
        }
    }

    fn interpolation(self) -> Interpolation {
        match self {
            Resize::Linear => Interpolation::Linear,
            Resize::Area => Interpolation::Area,
        }
    }
}

/// What the input folder holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Images,
    Audio,
}

/// The model inputs of a class-folder set.
struct Inputs {
    classes: Vec<String>,
    /// Per input: a unique id (`<class>/<file>` or `<class>/<file>#<window>`), its group (the
    /// file), its class and its pixels.
    ids: Vec<String>,
    groups: Vec<String>,
    labels: Vec<usize>,
    pixels: Vec<Vec<f32>>,
    /// Files that gave inputs.
    files: usize,
}

impl Inputs {
    fn items(&self) -> Vec<SplitItem<'_>> {
        self.ids
            .iter()
            .zip(&self.groups)
            .zip(&self.labels)
            .map(|((id, group), &class)| SplitItem {
                sample_id: id,
                group,
                class,
            })
            .collect()
    }

    fn samples(&self, part: &[usize]) -> Vec<Sample> {
        part.iter()
            .map(|&i| Sample {
                pixels: self.pixels[i].clone(),
                label: self.labels[i],
            })
            .collect()
    }

    fn per_class(&self) -> String {
        self.classes
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let n = self.labels.iter().filter(|&&l| l == c).count();
                format!("{name} {n}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `<class>/<path inside the class folder>`, with `/` separators.
fn file_id(class: &str, folder: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(folder).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    format!("{class}/{}", parts.join("/"))
}

/// Per file, its inputs (or why it has none), in parallel; then the inputs of the files that
/// gave some, with their classes renumbered over the classes that kept inputs.
fn gather(
    dir: &Path,
    folders: Vec<(String, Vec<PathBuf>)>,
    jobs: Option<usize>,
    failures: &mut Failures,
    load: impl Fn(&Path) -> Result<Vec<Vec<f32>>, String> + Sync,
) -> Result<Inputs> {
    let files: Vec<(String, usize, PathBuf)> = folders
        .iter()
        .enumerate()
        .flat_map(|(c, (class, paths))| {
            let folder = dir.join(class);
            paths
                .iter()
                .map(move |p| (file_id(class, &folder, p), c, p.clone()))
        })
        .collect();
    let loaded: Vec<Result<Vec<Vec<f32>>, String>> =
        thread_pool(jobs)?.install(|| files.par_iter().map(|(_, _, path)| load(path)).collect());
    let mut kept_classes: Vec<usize> = Vec::new();
    let mut raw: Vec<(String, usize, Vec<Vec<f32>>)> = Vec::new();
    for ((id, class, path), result) in files.into_iter().zip(loaded) {
        match result {
            Ok(windows) if !windows.is_empty() => {
                if !kept_classes.contains(&class) {
                    kept_classes.push(class);
                }
                raw.push((id, class, windows));
            }
            Ok(_) => failures.push(path.display().to_string(), "no inputs"),
            Err(reason) => failures.push(path.display().to_string(), reason),
        }
    }
    kept_classes.sort_unstable();
    anyhow::ensure!(
        kept_classes.len() >= 2,
        "fewer than two classes of {} could be read",
        dir.display()
    );
    let mut inputs = Inputs {
        classes: kept_classes.iter().map(|&c| folders[c].0.clone()).collect(),
        ids: Vec::new(),
        groups: Vec::new(),
        labels: Vec::new(),
        pixels: Vec::new(),
        files: raw.len(),
    };
    for (id, class, windows) in raw {
        let label = kept_classes.iter().position(|&c| c == class).unwrap_or(0);
        let several = windows.len() > 1;
        for (k, pixels) in windows.into_iter().enumerate() {
            inputs.ids.push(if several {
                format!("{id}#{k}")
            } else {
                id.clone()
            });
            inputs.groups.push(id.clone());
            inputs.labels.push(label);
            inputs.pixels.push(pixels);
        }
    }
    Ok(inputs)
}

fn load_images(
    dir: &Path,
    size: usize,
    resize: Resize,
    jobs: Option<usize>,
    failures: &mut Failures,
) -> Result<Inputs> {
    let folders = class_folders(dir, subgenre_dataset::walk::image_files)?;
    gather(dir, folders, jobs, failures, |path| {
        // As the study: cv2.imread grey (uint8), cv2.resize (uint8 out), / 255.
        let pixels = model_image(path, size, resize.interpolation()).map_err(|e| e.to_string())?;
        Ok(vec![pixels])
    })
}

fn load_audio(
    dir: &Path,
    variant: MelVariant,
    route: InputRoute,
    size: usize,
    jobs: Option<usize>,
    failures: &mut Failures,
) -> Result<Inputs> {
    let folders = class_folders(dir, |folder| walk_audio(&[folder.to_path_buf()]))?;
    gather(dir, folders, jobs, failures, |path| {
        let audio = subgenre_audio::load(path, &subgenre_audio::LoadOptions::default())
            .map_err(|e| e.to_string())?;
        subgenre_predict::window_inputs(&audio.samples, variant, route, size, AUDIO_HOP_S)
            .map_err(|e| e.to_string())
    })
}

/// The mel variant and route of a model trained on audio, as `subgenre predict` reads them.
fn audio_input(base: &SavedModel, path: &Path) -> Result<(MelVariant, InputRoute)> {
    let input = &base.spec.input;
    let variant: MelVariant = input.variant.parse().map_err(|_| {
        anyhow::anyhow!(
            "{}: its input `{}` is not a mel variant (normal or low), so it cannot take --audio",
            path.display(),
            input.variant
        )
    })?;
    let route = match input.extra.get("route").and_then(|v| v.as_str()) {
        None | Some("array") => InputRoute::Array,
        Some("study-png") => InputRoute::StudyPng,
        Some(other) => bail!(
            "{}: it was trained on `{other}`, not on audio, so it cannot take --audio",
            path.display()
        ),
    };
    Ok((variant, route))
}

/// FNV-1a of a file's bytes, as hex: names the base weights in a run's settings.
fn file_hash(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(subgenre_core::Fnv1a::of(&bytes).hex())
}

/// The split of `inputs` for `seed`: stratified 70/15/15 (as scikit-learn's
/// `train_test_split(test_size=0.3, stratify=y)`, then half of that for test) for images;
/// the CNN split grouped by file for audio windows.
fn make_split(inputs: &Inputs, source: Source, seed: u64) -> Result<Split> {
    let items = inputs.items();
    let split = match source {
        Source::Images => {
            let first = random_split(&items, 0.3, seed, true)?;
            let temp: Vec<SplitItem<'_>> = {
                let ids: std::collections::HashSet<&str> =
                    first.test.iter().map(String::as_str).collect();
                items
                    .iter()
                    .filter(|i| ids.contains(i.sample_id))
                    .copied()
                    .collect()
            };
            let second = random_split(&temp, 0.5, seed, true)?;
            Split {
                seed,
                train: first.train,
                val: second.train,
                test: second.test,
            }
        }
        Source::Audio => group_split(&items, seed)?,
    };
    Ok(split)
}

fn split_name(source: Source, seed: u64) -> String {
    match source {
        Source::Images => format!("stratified-70/15/15:seed{seed}"),
        Source::Audio => format!("group-by-file:seed{seed}"),
    }
}

pub fn run(args: TransferArgs) -> Result<ExitCode> {
    let seeds = parse_seeds(&args.seeds)?;
    anyhow::ensure!(args.epochs >= 1, "--epochs must be at least 1");
    anyhow::ensure!(args.batch_size >= 1, "--batch-size must be at least 1");
    anyhow::ensure!(
        args.lr.is_finite() && args.lr > 0.0,
        "--lr must be positive"
    );
    anyhow::ensure!(
        !(args.scratch && args.freeze > 0),
        "--freeze keeps pretrained blocks fixed; with --scratch there are none"
    );
    let base = subgenre_cnn::load_model(&args.base)
        .with_context(|| format!("loading {}", args.base.display()))?;
    let network = base.spec.network.clone();
    let size = base.spec.input.size;
    anyhow::ensure!(
        network.height == size && network.width == size,
        "{}: the network takes {}x{} inputs but the model's input is {size}x{size}",
        args.base.display(),
        network.height,
        network.width
    );
    let arch = network.arch;
    anyhow::ensure!(
        args.freeze <= arch.conv_blocks(),
        "--freeze {}: {arch} has {} conv blocks",
        args.freeze,
        arch.conv_blocks()
    );

    let (source, dir) = match (&args.images, &args.audio) {
        (Some(dir), None) => (Source::Images, dir.clone()),
        (None, Some(dir)) => (Source::Audio, dir.clone()),
        _ => bail!("give one of --images and --audio"),
    };
    let mut failures = Failures::default();
    let (inputs, input_spec, features) = match source {
        Source::Images => {
            let inputs = load_images(&dir, size, args.resize, args.jobs, &mut failures)?;
            let mut spec = InputSpec::new("image", size);
            spec.extra
                .insert("route".into(), json!(format!("images:{}", dir.display())));
            spec.extra.insert("gray".into(), json!("opencv-imread"));
            spec.extra
                .insert("resize".into(), json!(args.resize.name()));
            let features = format!(
                "images {}: grey as cv2.imread, {} resize to {size}x{size}",
                dir.display(),
                args.resize.name()
            );
            (inputs, spec, features)
        }
        Source::Audio => {
            let (variant, route) = audio_input(&base, &args.base)?;
            let inputs = load_audio(&dir, variant, route, size, args.jobs, &mut failures)?;
            // The base model's input, unchanged: `subgenre predict` makes the same windows.
            let features = format!(
                "audio {}: {} mel-spectrograms ({}), 8 s windows every {AUDIO_HOP_S} s, {size}x{size}",
                dir.display(),
                variant.name(),
                match route {
                    InputRoute::StudyPng => "study-png",
                    _ => "array",
                }
            );
            (inputs, base.spec.input.clone(), features)
        }
    };
    failures.report(match source {
        Source::Images => "images",
        Source::Audio => "audio files",
    });
    let k = inputs.classes.len();
    let what = match source {
        Source::Images => "images",
        Source::Audio => "windows",
    };
    let mode = if args.scratch { "scratch" } else { "transfer" };
    let model_name = format!("{mode}:{arch}");
    let mut new_network: ModelConfig = network.clone();
    new_network.num_classes = k;
    let mut params = BTreeMap::from([
        ("mode".to_string(), json!(mode)),
        ("network".to_string(), serde_json::to_value(&new_network)?),
        (
            "source".to_string(),
            json!(format!(
                "{}:{}",
                if source == Source::Images {
                    "images"
                } else {
                    "audio"
                },
                dir.display()
            )),
        ),
        ("input".to_string(), serde_json::to_value(&input_spec)?),
        ("freeze".to_string(), json!(args.freeze)),
        ("lr".to_string(), json!(args.lr)),
        ("batch_size".to_string(), json!(args.batch_size)),
        ("max_epochs".to_string(), json!(args.epochs)),
        ("patience".to_string(), json!(args.patience)),
    ]);
    if source == Source::Audio {
        params.insert("hop_s".into(), json!(AUDIO_HOP_S));
    }
    if !args.scratch {
        params.insert(
            "base".into(),
            json!(format!("fnv64:{}", file_hash(&args.base)?)),
        );
    }

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let report_path = args.out.join("report.json");
    let protocol = match (source, args.vary_split) {
        (Source::Images, false) => format!("stratified 70/15/15, split seed {}", args.split_seed),
        (Source::Images, true) => "stratified 70/15/15, split seed = run seed".to_string(),
        (Source::Audio, false) => format!("group by file, split seed {}", args.split_seed),
        (Source::Audio, true) => "group by file, split seed = run seed".to_string(),
    };
    let mut report = Report::new(
        &protocol,
        &inputs.classes,
        &features,
        &subgenre_core::version_string(),
    );
    if report_path.is_file() {
        match Report::load(&report_path) {
            Ok(old)
                if old.classes == report.classes
                    && old.protocol == report.protocol
                    && old.features == report.features =>
            {
                for r in old.runs.into_iter().filter(|r| r.model != model_name) {
                    report.push_run(r);
                }
            }
            _ => eprintln!(
                "note: {} is from other data or another split; it is replaced",
                report_path.display()
            ),
        }
    }

    println!(
        "{} {}: {} {what} from {} files, {k} classes ({}); base {} ({arch}, {size}x{size}, {} classes)",
        if source == Source::Images { "images" } else { "audio" },
        dir.display(),
        inputs.pixels.len(),
        inputs.files,
        inputs.per_class(),
        args.base.display(),
        base.spec.classes.len(),
    );
    println!(
        "{} {} run(s) of {} epochs at most, patience {}, batch {}, lr {}{} on {} (jobs {})",
        if args.scratch {
            "from scratch:"
        } else {
            "transfer:"
        },
        seeds.len(),
        args.epochs,
        args.patience,
        args.batch_size,
        args.lr,
        if args.freeze > 0 {
            format!(", first {} blocks frozen", args.freeze)
        } else {
            String::new()
        },
        subgenre_cnn::backend_name(),
        args.jobs.map_or("all".to_string(), |n| n.to_string()),
    );

    let fixed_split = if args.vary_split {
        None
    } else {
        Some(make_split(&inputs, source, args.split_seed).context("making the split")?)
    };
    let mut run_failures = Failures::default();
    let mut done: Vec<Run> = Vec::new();
    for (i, &seed) in seeds.iter().enumerate() {
        let split_seed = if args.vary_split {
            seed
        } else {
            args.split_seed
        };
        let split = match &fixed_split {
            Some(s) => s.clone(),
            None => make_split(&inputs, source, seed).context("making the split")?,
        };
        let items = inputs.items();
        let parts = split.indices(&items)?;
        let folder = format!(
            "{mode}_{arch}{}_seed{seed}",
            if args.freeze > 0 {
                format!("_freeze{}", args.freeze)
            } else {
                String::new()
            }
        );
        println!(
            "\n[{}/{}] {mode} {arch} {size}x{size} seed {seed}: train {} / validation {} / test {} {what}",
            i + 1,
            seeds.len(),
            parts.train.len(),
            parts.val.len(),
            parts.test.len()
        );
        let mut run_params = params.clone();
        run_params.insert("split".into(), json!(split_name(source, split_seed)));
        let job = Job {
            args: &args,
            base: &base,
            seed,
            inputs: &inputs,
            parts: &parts,
            split: &split,
            params: run_params,
            input_spec: &input_spec,
            model_name: &model_name,
            dir: args.out.join("runs").join(&folder),
            source_name: format!("{}", dir.display()),
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
                report.push_run(run.clone());
                report.write_json(&report_path)?;
                done.push(run);
            }
            Err(e) => {
                eprintln!("  run failed: {e:#}");
                run_failures.push(folder, format!("{e:#}"));
            }
        }
    }

    if !done.is_empty() {
        summarise(&report, &done, &model_name, source, size);
        let mut counts = vec![vec![0u64; k]; k];
        for run in &done {
            for (row, r) in counts.iter_mut().zip(&run.confusion) {
                for (c, v) in row.iter_mut().zip(r) {
                    *c += v;
                }
            }
        }
        let cm = ConfusionMatrix {
            classes: inputs.classes.clone(),
            counts,
        };
        let png = args.out.join(format!("confusion_{mode}.png"));
        subgenre_eval::confusion_png(
            &png,
            &cm,
            &format!("{model_name}, {} run(s) summed", done.len()),
        )?;
        println!("report -> {}", report_path.display());
    }
    run_failures.report("runs");
    Ok(if done.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The F1s of this call's runs, the report's table, and transfer against scratch when the
/// report has both.
fn summarise(report: &Report, done: &[Run], model_name: &str, source: Source, size: usize) {
    let what = if source == Source::Images {
        "images"
    } else {
        "audio"
    };
    println!("\n=== SUMMARY [{model_name} | {what} {size}x{size}] ===");
    let f1s: Vec<f64> = done.iter().map(|r| r.weighted_f1).collect();
    let list: Vec<String> = f1s.iter().map(|f| format!("{f:.4}")).collect();
    println!(
        "{model_name:<24} F1s: [{}]  weighted F1 mean {:.4} ± {:.4}",
        list.join(", "),
        mean(&f1s),
        std_population(&f1s)
    );
    if report.summary.len() > 1 {
        println!("\n{}", report.summary_table().trim_end());
    }
    let row = |prefix: &str| report.summary.iter().find(|r| r.model.starts_with(prefix));
    if let (Some(t), Some(s)) = (row("transfer:"), row("scratch:")) {
        println!(
            "transfer - scratch: weighted F1 {:+.4} ({:.4} vs {:.4})",
            t.weighted_f1_mean - s.weighted_f1_mean,
            t.weighted_f1_mean,
            s.weighted_f1_mean
        );
    }
}

/// One run: fine-tune (or train from scratch) with one seed, score the test part, write the
/// run folder.
struct Job<'a> {
    args: &'a TransferArgs,
    base: &'a SavedModel,
    seed: u64,
    inputs: &'a Inputs,
    parts: &'a PartIndices,
    split: &'a Split,
    params: BTreeMap<String, serde_json::Value>,
    input_spec: &'a InputSpec,
    model_name: &'a str,
    dir: PathBuf,
    source_name: String,
}

impl Job<'_> {
    fn run(&self) -> Result<Run> {
        let folder = RunFolder::new(self.dir.clone(), self.params.clone());
        if let Some(run) = folder.finished()? {
            return Ok(run);
        }
        check_parts(self.parts)?;
        let args = self.args;
        let net = &self.base.spec.network;
        let classes = self.inputs.classes.clone();
        let jobs = args.jobs.unwrap_or(0);
        let config = TrainConfig::new(net.arch, net.height, net.width, classes.clone())
            .with_learning_rate(args.lr)
            .with_batch_size(args.batch_size)
            .with_max_epochs(args.epochs)
            .with_patience(args.patience)
            .with_seed(self.seed)
            .with_threads(jobs)
            .with_dropout(net.dropout)
            .with_compact_channels(net.compact_channels)
            .with_compact_pool(net.compact_pool)
            .with_freeze_blocks(args.freeze);
        let init = if args.scratch {
            None
        } else {
            // The new layer's weights come from the device's generator: seed it first.
            subgenre_cnn::default_device().seed(self.seed);
            Some(subgenre_cnn::replace_head(
                self.base.model.clone(),
                classes.len(),
            )?)
        };
        let train = self.inputs.samples(&self.parts.train);
        let val = self.inputs.samples(&self.parts.val);
        let test = self.inputs.samples(&self.parts.test);
        let started = Instant::now();
        let outcome = subgenre_cnn::with_threads(jobs, || {
            subgenre_cnn::train_from(
                &config,
                init,
                train,
                val,
                &folder.training_dir(),
                print_epoch(args.epochs),
            )
        })
        .with_context(|| format!("training {}", folder.dir.display()))?;
        report_resume(&outcome);
        let base = &self.base.spec;
        let trained = json!({
            "data": self.source_name,
            "mode": self.params.get("mode"),
            "base": if args.scratch { serde_json::Value::Null } else { json!({
                "path": args.base.display().to_string(),
                "arch": base.arch.name(),
                "classes": base.classes,
                "data": base.trained.get("data"),
                "weights": self.params.get("base"),
            }) },
            "split": self.params.get("split"),
            "train_inputs": self.parts.train.len(),
            "val_inputs": self.parts.val.len(),
            "test_inputs": self.parts.test.len(),
        });
        self.split
            .save(&folder.dir.join("split.json"))
            .with_context(|| format!("writing {}", folder.dir.join("split.json").display()))?;
        let id = RunIdentity {
            model: self.model_name,
            seed: self.seed,
            classes: &classes,
            input: self.input_spec.clone(),
            title: format!("{} seed {}", self.model_name, self.seed),
            scored_on_validation: false,
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
