//! `subgenre reproduce`: the whole study in one command, resumable, ending in one report.
//!
//! The steps are the other commands, run in-process with the study's settings, each writing
//! into its own folder under `--out`. A finished step is recorded in `OUT/steps.json` with a
//! key of its inputs (the data set's files, the options, the program version); a rerun with the
//! same key skips it. Training steps always run, and their run folders skip finished runs and
//! resume killed ones from their last epoch. The last step gathers every `report.json` into
//! `OUT/report.json` and renders `OUT/index.html`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use subgenre_dataset::{Cache, CacheKey};
use subgenre_eval::Report;
use subgenre_report::{Section, StepRecord, StudyReport};

use super::cnn::Mode;
use super::{baseline, cnn, data_source, features, mels, parse_classes, parse_seeds, transfer};
use crate::args::{
    BaselineArgs, DataArgs, FeaturesArgs, Grid, MelsArgs, ReproduceArgs, Resize, TrainArgs,
    TransferArgs,
};

/// What `OUT/steps.json` remembers of a finished step.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Finished {
    key: String,
    seconds: f64,
    detail: String,
}

/// The steps run so far and what the cache file says of earlier runs.
struct Pipeline {
    out: PathBuf,
    finished: BTreeMap<String, Finished>,
    records: Vec<StepRecord>,
    total_steps: usize,
}

impl Pipeline {
    fn state_path(out: &Path) -> PathBuf {
        out.join("steps.json")
    }

    fn open(out: &Path, total_steps: usize) -> Result<Self> {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let path = Self::state_path(out);
        // An unreadable state file only costs a rerun of the steps.
        let finished = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Ok(Self {
            out: out.to_path_buf(),
            finished,
            records: Vec::new(),
            total_steps,
        })
    }

    /// Runs `work` as step `name`, unless `key` (when given) matches a finished run whose
    /// `outputs` still exist. `work` returns a line on what it made. A failure is recorded and
    /// printed; the pipeline goes on with the steps that do not need this one.
    fn step(
        &mut self,
        name: &str,
        key: Option<&CacheKey>,
        outputs: &[PathBuf],
        work: impl FnOnce() -> Result<String>,
    ) {
        let n = self.records.len() + 1;
        println!("\n=== [{n}/{}] {name} ===", self.total_steps);
        if let (Some(key), Some(done)) = (key, self.finished.get(name)) {
            if done.key == key.hex() && outputs.iter().all(|p| p.exists()) {
                println!(
                    "{name}: finished earlier with the same inputs ({:.1} s then): {}",
                    done.seconds, done.detail
                );
                self.records.push(StepRecord {
                    name: name.to_string(),
                    status: "cached".into(),
                    seconds: done.seconds,
                    detail: done.detail.clone(),
                });
                return;
            }
        }
        let started = Instant::now();
        let result = work().and_then(|detail| match outputs.iter().find(|p| !p.exists()) {
            Some(missing) => anyhow::bail!("it made no {}", missing.display()),
            None => Ok(detail),
        });
        let seconds = started.elapsed().as_secs_f64();
        let (status, detail) = match result {
            Ok(detail) => {
                println!("{name}: done in {seconds:.1} s: {detail}");
                if let Some(key) = key {
                    self.finished.insert(
                        name.to_string(),
                        Finished {
                            key: key.hex(),
                            seconds,
                            detail: detail.clone(),
                        },
                    );
                    self.save_state();
                }
                ("done", detail)
            }
            Err(e) => {
                eprintln!("{name}: FAILED after {seconds:.1} s: {e:#}");
                self.finished.remove(name);
                self.save_state();
                ("failed", format!("{e:#}"))
            }
        };
        self.records.push(StepRecord {
            name: name.to_string(),
            status: status.into(),
            seconds,
            detail,
        });
    }

    fn save_state(&self) {
        let path = Self::state_path(&self.out);
        let written = serde_json::to_vec_pretty(&self.finished)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| Ok(subgenre_core::write_atomic(&path, &bytes)?));
        if let Err(e) = written {
            eprintln!(
                "warning: could not record the finished steps in {}: {e:#}",
                path.display()
            );
        }
    }
}

/// A command's own outcome as a step's: its error, or a failure exit code.
fn succeeded(result: Result<ExitCode>, what: &str) -> Result<()> {
    match result? {
        code if code == ExitCode::SUCCESS => Ok(()),
        _ => anyhow::bail!("{what} reported failure"),
    }
}

pub fn run(args: ReproduceArgs, cache: &Cache) -> Result<ExitCode> {
    let started = Instant::now();
    let seeds = parse_seeds(&args.seeds)?;
    anyhow::ensure!(args.epochs >= 1, "--epochs must be at least 1");
    if let Some(dir) = &args.gtzan {
        anyhow::ensure!(dir.is_dir(), "--gtzan {}: not a folder", dir.display());
    }
    let choice = data_source(&args.data, cache)?;
    // Later steps read the data folder again: name it, so the bundled demo is unpacked once.
    let data = DataArgs {
        data: Some(choice.root.clone()),
        classes: args.data.classes.clone(),
    };
    let classes = parse_classes(&args.data)?;
    let dataset = choice.open()?;
    let selection = dataset.select(&classes);
    anyhow::ensure!(
        !selection.items.is_empty(),
        "no clips of the classes {} in {}",
        classes.names().join(", "),
        choice.name()
    );
    // Every input of the data steps: the labels, each clip file, the classes, the program.
    let data_key = selection.items.iter().fold(
        CacheKey::new()
            .str(subgenre_core::VERSION)
            .file(&choice.root.join(subgenre_dataset::dataset::LABELS_FILE))
            .str(&classes.names().join(",")),
        |k, item| k.str(&item.sample_id).file(&item.path),
    );
    let seeds_key = data_key.clone().str(&args.seeds);

    let out = &args.out;
    let variants: &[&str] = match args.grid {
        Grid::Quick => &["normal"],
        Grid::Study => &["normal", "low"],
    };
    let cnn_steps = match args.grid {
        Grid::Quick => 2,
        Grid::Study => 3,
    };
    // dataset, two feature sets, three classic runs, the mel stores, CNNs, transfer, report.
    let total_steps = 6 + variants.len() + cnn_steps + usize::from(args.gtzan.is_some()) + 1;
    let mut pipeline = Pipeline::open(out, total_steps)?;
    println!(
        "reproducing the study on {} ({} clips, grid {}, seeds {}) into {}",
        choice.name(),
        selection.items.len(),
        args.grid.name(),
        args.seeds,
        out.display()
    );

    // 1. Data set statistics.
    let stats_path = out.join("dataset").join("stats.json");
    pipeline.step(
        "dataset",
        Some(&data_key),
        std::slice::from_ref(&stats_path),
        || {
            let stats = dataset.stats(&classes);
            std::fs::create_dir_all(out.join("dataset"))?;
            subgenre_core::write_atomic(&stats_path, &serde_json::to_vec_pretty(&stats)?)?;
            Ok(format!(
                "{} clips from {} tracks in {} classes",
                stats.selected_clips,
                stats.selected_tracks,
                stats.selected_classes.len()
            ))
        },
    );

    // 2. Features: the study's 13, and the richer set for the best honest classic model.
    let features_dir = out.join("features");
    let feature_sets = [
        ("features", "features.csv", false),
        ("features-rich", "features_rich.csv", true),
    ];
    for (name, file, rich) in feature_sets {
        let path = features_dir.join(file);
        let key = data_key.clone().str(name);
        pipeline.step(name, Some(&key), std::slice::from_ref(&path), || {
            std::fs::create_dir_all(&features_dir)?;
            let features_args = FeaturesArgs {
                paths: Vec::new(),
                data: data.clone(),
                out: path.clone(),
                rich,
                extractor: "librosa".into(),
                mapping: "study".into(),
                jobs: args.jobs,
            };
            succeeded(features::run(features_args, cache), "features")?;
            Ok(format!(
                "{}",
                path.strip_prefix(out).unwrap_or(&path).display()
            ))
        });
    }

    // 3. Classic models under both protocols (and the rich features under the honest one).
    let classic_runs = [
        ("classic-study", "features.csv", "study", "study"),
        ("classic-group", "features.csv", "group", "group"),
        (
            "classic-group-rich",
            "features_rich.csv",
            "group",
            "group-rich",
        ),
    ];
    for (name, file, protocol, folder) in classic_runs {
        let features_path = features_dir.join(file);
        let dir = out.join("classic").join(folder);
        let key = seeds_key.clone().str(name).file(&features_path);
        pipeline.step(name, Some(&key), &[dir.join("report.json")], || {
            let baseline_args = BaselineArgs {
                features: features_path.clone(),
                classes: args.data.classes.clone(),
                models: "all".into(),
                protocol: protocol.into(),
                seeds: args.seeds.clone(),
                tune: 0,
                split: None,
                vote: None,
                out: dir.clone(),
            };
            succeeded(baseline::run(baseline_args), "baseline")?;
            Ok(summary_line(&dir.join("report.json")))
        });
    }

    // 4. Mel stores (cached by their inputs in the cache folder, so a rerun is quick).
    for variant in variants {
        pipeline.step(&format!("mels-{variant}"), None, &[], || {
            let mels_args = MelsArgs {
                data: data.clone(),
                variant: (*variant).to_string(),
                jobs: args.jobs,
            };
            succeeded(mels::run_mels(mels_args, cache), "mels")?;
            Ok(format!("{variant} store ready"))
        });
    }

    // 5. CNNs: the shipped network and the study's (its best one, or its whole grid).
    let train_args = |arch: &str, variant: &str, size: &str, folder: &str| TrainArgs {
        data: data.clone(),
        arch: arch.into(),
        variant: variant.into(),
        size: size.into(),
        route: "array".into(),
        images: None,
        seeds: args.seeds.clone(),
        split: None,
        patience: None,
        epochs: args.epochs,
        lr: 1e-3,
        batch_size: 64,
        augment: "none".into(),
        channels: 16,
        final_fit: false,
        jobs: args.jobs,
        out: out.join("cnn").join(folder),
    };
    let mut cnn_runs: Vec<(&str, TrainArgs, Mode)> = vec![(
        "cnn-compact",
        train_args("compact", "normal", "128", "compact-normal128"),
        Mode::Train,
    )];
    match args.grid {
        Grid::Quick => cnn_runs.push((
            "cnn-study",
            train_args("cnn_drop_first", "normal", "128", "study-normal128"),
            Mode::Experiment,
        )),
        Grid::Study => {
            cnn_runs.push((
                "cnn-study",
                train_args(
                    "cnn_main,cnn_drop_first,cnn_1_2",
                    "normal,low",
                    "128,256",
                    "study-grid",
                ),
                Mode::Experiment,
            ));
            // The study ran cnn_2_1 (31.5 M parameters) on normal 128 only.
            cnn_runs.push((
                "cnn-2-1",
                train_args("cnn_2_1", "normal", "128", "cnn_2_1-normal128"),
                Mode::Experiment,
            ));
        }
    }
    let mut cnn_dirs = Vec::new();
    for (name, train, mode) in cnn_runs {
        let dir = train.out.clone();
        pipeline.step(name, None, &[dir.join("report.json")], || {
            succeeded(cnn::run_training(train, mode, cache), "training")?;
            Ok(summary_line(&dir.join("report.json")))
        });
        cnn_dirs.push((name, dir));
    }

    // 6. Transfer to GTZAN from the first seed's compact model, and from scratch.
    let transfer_dir = out.join("transfer").join("gtzan");
    if let Some(gtzan) = &args.gtzan {
        let base = out
            .join("cnn")
            .join("compact-normal128")
            .join("runs")
            .join(format!("compact_normal128_seed{}", seeds[0]))
            .join("model.sgcnn");
        pipeline.step(
            "transfer",
            None,
            &[transfer_dir.join("report.json")],
            || {
                anyhow::ensure!(
                    base.is_file(),
                    "no base model {} (the cnn-compact step failed)",
                    base.display()
                );
                for scratch in [false, true] {
                    let transfer_args = TransferArgs {
                        base: base.clone(),
                        images: Some(gtzan.clone()),
                        audio: None,
                        seeds: args.seeds.clone(),
                        freeze: 0,
                        scratch,
                        split_seed: 42,
                        vary_split: false,
                        resize: Resize::Linear,
                        batch_size: 32,
                        epochs: args.epochs,
                        patience: 10,
                        lr: 1e-3,
                        jobs: args.jobs,
                        out: transfer_dir.clone(),
                    };
                    succeeded(transfer::run(transfer_args), "transfer")?;
                }
                Ok(summary_line(&transfer_dir.join("report.json")))
            },
        );
    }

    // 7. The report.
    let mut report = StudyReport {
        version: subgenre_core::version_string(),
        data: choice.name(),
        grid: args.grid.name().into(),
        generated: subgenre_report::utc_now(),
        total_seconds: 0.0,
        steps: Vec::new(),
        dataset: None,
        classic: Vec::new(),
        cnn: Vec::new(),
        transfer: Vec::new(),
    };
    let report_started = Instant::now();
    report.dataset = std::fs::read(&stats_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let transfer = args.gtzan.is_some().then_some(transfer_dir.as_path());
    (report.classic, report.cnn, report.transfer) =
        gather_sections(out, args.grid, &cnn_dirs, transfer);
    report.steps = pipeline.records.clone();
    report.steps.push(StepRecord {
        name: "report".into(),
        status: "done".into(),
        seconds: report_started.elapsed().as_secs_f64(),
        detail: "report.json and index.html".into(),
    });
    report.total_seconds = report.steps.iter().map(|s| s.seconds).sum();
    println!("\n=== [{total_steps}/{total_steps}] report ===");
    report.write(out)?;
    let failed: Vec<&str> = report
        .steps
        .iter()
        .filter(|s| s.status == "failed")
        .map(|s| s.name.as_str())
        .collect();
    println!(
        "report -> {} and {} ({:.0} s this run)",
        out.join("index.html").display(),
        out.join("report.json").display(),
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} step(s) failed: {}", failed.len(), failed.join(", "));
        Ok(ExitCode::from(1))
    }
}

/// The report's sections from the steps' report.json files (a step that failed has none).
fn gather_sections(
    out: &Path,
    grid: Grid,
    cnn_dirs: &[(&str, PathBuf)],
    transfer: Option<&Path>,
) -> (Vec<Section>, Vec<Section>, Vec<Section>) {
    let (mut classic, mut cnn, mut transfer_sections) = (Vec::new(), Vec::new(), Vec::new());
    let classic_titles = [
        ("classic-study", "study", "The study's protocol (13 features)", "One random 80/20 clip split per seed; early stopping on the test part (leaky, to compare with the published table)."),
        ("classic-group", "group", "Honest protocol (13 features)", "Split grouped by track, 70/15/15 per seed; early stopping on the validation part."),
        ("classic-group-rich", "group-rich", "Honest protocol, rich features", "As above, on the rich feature set (standard deviations, 20 MFCCs, spectral contrast, onset strength, tempo)."),
    ];
    for (key, folder, title, note) in classic_titles {
        if let Some(section) = read_section(
            out,
            &out.join("classic").join(folder),
            key,
            title,
            note,
            false,
        ) {
            classic.push(section);
        }
    }
    for (name, dir) in cnn_dirs {
        let title = match *name {
            "cnn-compact" => "compact (this project's network, the shipped model's architecture)",
            "cnn-study" if grid == Grid::Quick => "The study's best network: cnn_drop_first",
            "cnn-study" => "The study's grid",
            _ => "cnn_2_1 (the study's stride-1 pool)",
        };
        let note = if *name == "cnn-compact" {
            "Patience 10, no augmentation; 229 957 parameters."
        } else {
            "Patience 5, no augmentation, as the study's grid."
        };
        if let Some(section) = read_section(out, dir, name, title, note, true) {
            cnn.push(section);
        }
    }
    if let Some(transfer_dir) = transfer {
        if let Some(section) = read_section(
            out,
            transfer_dir,
            "transfer-gtzan",
            "",
            "Split 70/15/15 stratified by class, seed 42 for every run; batch 32, patience 10.",
            true,
        ) {
            let mut section = section;
            // What the folder held (GTZAN: 10 genres), not assumed.
            section.title = format!(
                "The --gtzan set: {} classes ({})",
                section.report.classes.len(),
                section.report.classes.join(", ")
            );
            transfer_sections.push(section);
        }
    }
    (classic, cnn, transfer_sections)
}

/// "svm 0.677 ± 0.041, boost ..." from a step's report.json.
fn summary_line(path: &Path) -> String {
    match Report::load(path) {
        Ok(report) => report
            .summary
            .iter()
            .map(|row| {
                let input = match (&row.variant, row.size) {
                    (Some(variant), Some(size)) => format!(" ({variant} {size})"),
                    _ => String::new(),
                };
                format!(
                    "{}{input} {:.3} ± {:.3}",
                    row.model, row.weighted_f1_mean, row.weighted_f1_std
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        Err(e) => format!("(no summary: {e})"),
    }
}

/// A report section from `dir/report.json`, with the runs' learning curves when asked.
fn read_section(
    out: &Path,
    dir: &Path,
    key: &str,
    title: &str,
    note: &str,
    curves: bool,
) -> Option<Section> {
    let report = Report::load(&dir.join("report.json")).ok()?;
    let mut section = Section {
        key: key.into(),
        title: title.into(),
        protocol_note: note.into(),
        report,
        curves: Vec::new(),
    };
    if curves {
        let mut runs: Vec<PathBuf> = std::fs::read_dir(dir.join("runs"))
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        runs.sort();
        for run in runs {
            let png = run.join("curves.png");
            if png.is_file() {
                let label = run
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let rel = png.strip_prefix(out).map(Path::to_path_buf).unwrap_or(png);
                section.curves.push((label, rel));
            }
        }
    }
    Some(section)
}
