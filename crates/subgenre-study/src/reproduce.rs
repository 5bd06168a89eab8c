//! `reproduce`: the whole study in one call, resumable, ending in one report.
//!
//! The steps are the library's other operations with the study's settings, each writing into
//! its own folder under `out`. A finished step is recorded in `out/steps.json` with a key of
//! its inputs (the data set's files, the options, the program version); a rerun with the same
//! key skips it. Training steps always run, and their run folders skip finished runs and
//! resume killed ones from their last epoch. The last step gathers every `report.json` into
//! `out/report.json` and renders `out/index.html`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use subgenre_classic::{BaselineConfig, FeatureTable, ModelName, Protocol};
use subgenre_cnn::Arch;
use subgenre_dataset::{Cache, CacheKey, ClassSet};
use subgenre_eval::Report;
use subgenre_extract::image::Interpolation;
use subgenre_extract::{cached_store, Extractor, FeatureSet, MelVariant, PyaaMapping};
use subgenre_report::{Section, StepRecord, StudyReport};

use crate::baseline::baseline_into;
use crate::error::{Result, StudyError};
use crate::features::{write_features_table, FeatureInput, TableProgress};
use crate::options::{Grid, InputSize, Schedule};
use crate::pipeline::Pipeline;
use crate::progress::{Event, Progress};
use crate::train::{run_model_path, GridKind, TrainPlan};
use crate::transfer::{TransferPlan, TransferSource};
use crate::{thread_pool, DataSource};

/// The whole study, with its settings.
#[derive(Debug, Clone)]
pub struct ReproducePlan {
    pub data: DataSource,
    pub classes: ClassSet,
    pub grid: Grid,
    /// One split and one run per seed, for every model.
    pub seeds: Vec<u64>,
    /// The most epochs per CNN run (the study: 50).
    pub epochs: usize,
    /// Class folders of spectrogram images for the transfer step (left out without).
    pub gtzan: Option<PathBuf>,
    pub jobs: Option<usize>,
    pub out: PathBuf,
}

/// What the run made.
#[derive(Debug)]
pub struct ReproduceOutcome {
    pub report: StudyReport,
    /// The steps that failed.
    pub failed: Vec<String>,
    pub seconds: f64,
}

impl ReproducePlan {
    /// The study's settings: the five classes, seeds 42-46, 50 epochs, the quick grid.
    pub fn new(data: DataSource, out: PathBuf) -> Self {
        Self {
            data,
            classes: ClassSet::five(),
            grid: Grid::Quick,
            seeds: vec![42, 43, 44, 45, 46],
            epochs: 50,
            gtzan: None,
            jobs: None,
            out,
        }
    }

    pub fn check(&self) -> Result<()> {
        if self.seeds.is_empty() {
            return Err(StudyError::invalid("seeds", "is empty"));
        }
        if self.epochs < 1 {
            return Err(StudyError::invalid("epochs", "must be at least 1"));
        }
        if let Some(dir) = &self.gtzan {
            if !dir.is_dir() {
                return Err(StudyError::invalid(
                    "gtzan",
                    format!("{}: not a folder", dir.display()),
                ));
            }
        }
        Ok(())
    }

    fn variants(&self) -> &'static [MelVariant] {
        match self.grid {
            Grid::Quick => &[MelVariant::Normal],
            Grid::Study => &[MelVariant::Normal, MelVariant::Low],
        }
    }

    /// The CNN steps: (name, plan, report title, note).
    fn cnn_plans(&self) -> Vec<(&'static str, TrainPlan)> {
        let plan = |kind, archs: &[Arch], variants: &[MelVariant], sizes: &[usize], folder| {
            let mut plan =
                TrainPlan::new(kind, self.data.clone(), self.out.join("cnn").join(folder));
            plan.classes = self.classes.clone();
            plan.archs = archs.to_vec();
            plan.variants = variants.to_vec();
            plan.sizes = sizes
                .iter()
                .filter_map(|&s| InputSize::new(s).ok())
                .collect();
            plan.seeds = self.seeds.clone();
            plan.schedule.max_epochs = self.epochs;
            plan.jobs = self.jobs;
            plan
        };
        let normal = [MelVariant::Normal];
        let mut plans = vec![(
            "cnn-compact",
            plan(
                GridKind::Train,
                &[Arch::Compact],
                &normal,
                &[128],
                "compact-normal128",
            ),
        )];
        match self.grid {
            Grid::Quick => plans.push((
                "cnn-study",
                plan(
                    GridKind::Experiment,
                    &[Arch::CnnDropFirst],
                    &normal,
                    &[128],
                    "study-normal128",
                ),
            )),
            Grid::Study => {
                plans.push((
                    "cnn-study",
                    plan(
                        GridKind::Experiment,
                        &[Arch::CnnMain, Arch::CnnDropFirst, Arch::Cnn12],
                        &[MelVariant::Normal, MelVariant::Low],
                        &[128, 256],
                        "study-grid",
                    ),
                ));
                // The study ran cnn_2_1 (31.5 M parameters) on normal 128 only.
                plans.push((
                    "cnn-2-1",
                    plan(
                        GridKind::Experiment,
                        &[Arch::Cnn21],
                        &normal,
                        &[128],
                        "cnn_2_1-normal128",
                    ),
                ));
            }
        }
        plans
    }

    /// Run every step (skipping those finished earlier with the same inputs) and write the
    /// report. A failed step is recorded and the others go on.
    pub fn run(&self, cache: &Cache, progress: &Progress) -> Result<ReproduceOutcome> {
        let started = Instant::now();
        self.check()?;
        let dataset = self.data.open()?;
        let selection = dataset.select(&self.classes);
        if selection.items.is_empty() {
            return Err(StudyError::NothingToDo(format!(
                "no clips of the classes {} in {}",
                self.classes.names().join(", "),
                self.data.name()
            )));
        }
        let seeds_text = self
            .seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // Every input of the data steps: the labels, each clip file, the classes, the program.
        let data_key = selection.items.iter().fold(
            CacheKey::new()
                .str(subgenre_core::VERSION)
                .file(&self.data.root.join(subgenre_dataset::dataset::LABELS_FILE))
                .str(&self.classes.names().join(",")),
            |k, item| k.str(&item.sample_id).file(&item.path),
        );
        let seeds_key = data_key.clone().str(&seeds_text);
        let out = &self.out;
        let variants = self.variants();
        let cnn_plans = self.cnn_plans();
        // dataset, two feature sets, three classic runs, the mel stores, CNNs, transfer, report.
        let total_steps =
            6 + variants.len() + cnn_plans.len() + usize::from(self.gtzan.is_some()) + 1;
        let mut pipeline = Pipeline::open(out, total_steps, progress.clone())?;
        progress(&Event::Note(&format!(
            "reproducing the study on {} ({} clips, grid {}, seeds {seeds_text}) into {}",
            self.data.name(),
            selection.items.len(),
            self.grid,
            out.display()
        )));

        // 1. Data set statistics.
        let stats_path = out.join("dataset").join("stats.json");
        pipeline.step(
            "dataset",
            Some(&data_key),
            std::slice::from_ref(&stats_path),
            || {
                let stats = dataset.stats(&self.classes);
                let dir = out.join("dataset");
                std::fs::create_dir_all(&dir).map_err(|e| StudyError::io(&dir, e))?;
                let bytes = serde_json::to_vec_pretty(&stats)
                    .map_err(StudyError::json("the data set statistics"))?;
                subgenre_core::write_atomic(&stats_path, &bytes)
                    .map_err(|e| StudyError::io(&stats_path, e))?;
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
        for (name, file, rich) in [
            ("features", "features.csv", false),
            ("features-rich", "features_rich.csv", true),
        ] {
            let path = features_dir.join(file);
            let key = data_key.clone().str(name);
            pipeline.step(name, Some(&key), std::slice::from_ref(&path), || {
                self.features_step(rich, &path, progress)?;
                Ok(format!(
                    "{}",
                    path.strip_prefix(out).unwrap_or(&path).display()
                ))
            });
        }

        // 3. Classic models under both protocols (and the rich features under the honest one).
        for (name, file, protocol, folder) in [
            ("classic-study", "features.csv", Protocol::Study, "study"),
            ("classic-group", "features.csv", Protocol::Group, "group"),
            (
                "classic-group-rich",
                "features_rich.csv",
                Protocol::Group,
                "group-rich",
            ),
        ] {
            let features_path = features_dir.join(file);
            let dir = out.join("classic").join(folder);
            let key = seeds_key.clone().str(name).file(&features_path);
            pipeline.step(name, Some(&key), &[dir.join("report.json")], || {
                self.classic_step(&features_path, protocol, &dir, progress)?;
                Ok(summary_line(&dir.join("report.json")))
            });
        }

        // 4. Mel stores (cached by their inputs in the cache folder, so a rerun is quick).
        for &variant in variants {
            pipeline.step(&format!("mels-{variant}"), None, &[], || {
                progress(&Event::TaskStarted {
                    task: "mels",
                    total: selection.items.len(),
                });
                let advance = || progress(&Event::TaskAdvanced { task: "mels" });
                let made = thread_pool(self.jobs)?
                    .install(|| cached_store(&selection, variant, cache, &advance));
                progress(&Event::TaskFinished { task: "mels" });
                let made = made?;
                Ok(format!(
                    "{variant} store ready ({} clips, {} failed)",
                    made.store.len(),
                    made.failures.len()
                ))
            });
        }

        // 5. CNNs: the shipped network and the study's (its best one, or its whole grid).
        let mut cnn_dirs = Vec::new();
        for (name, plan) in &cnn_plans {
            let dir = plan.out.clone();
            pipeline.step(name, None, &[dir.join("report.json")], || {
                let outcome = plan.run(cache, progress)?;
                if outcome.report.runs.is_empty() {
                    return Err(StudyError::NothingToDo("no run finished".into()));
                }
                Ok(summary_line(&dir.join("report.json")))
            });
            cnn_dirs.push((*name, dir));
        }

        // 6. Transfer to GTZAN from the first seed's compact model, and from scratch.
        let transfer_dir = out.join("transfer").join("gtzan");
        if let Some(gtzan) = &self.gtzan {
            let base = run_model_path(
                &out.join("cnn").join("compact-normal128"),
                Arch::Compact,
                MelVariant::Normal,
                128,
                self.seeds[0],
            );
            pipeline.step(
                "transfer",
                None,
                &[transfer_dir.join("report.json")],
                || {
                    if !base.is_file() {
                        return Err(StudyError::NothingToDo(format!(
                            "no base model {} (the cnn-compact step failed)",
                            base.display()
                        )));
                    }
                    for scratch in [false, true] {
                        let mut plan = TransferPlan::new(
                            base.clone(),
                            TransferSource::Images {
                                dir: gtzan.clone(),
                                resize: Interpolation::Linear,
                            },
                            transfer_dir.clone(),
                        );
                        plan.seeds = self.seeds.clone();
                        plan.scratch = scratch;
                        plan.schedule = Schedule {
                            max_epochs: self.epochs,
                            ..plan.schedule
                        };
                        plan.jobs = self.jobs;
                        let outcome = plan.run(progress)?;
                        if outcome.runs.is_empty() {
                            return Err(StudyError::NothingToDo("no transfer run finished".into()));
                        }
                    }
                    Ok(summary_line(&transfer_dir.join("report.json")))
                },
            );
        }

        // 7. The report.
        let report_started = Instant::now();
        progress(&Event::StepStarted {
            index: total_steps,
            total: total_steps,
            name: "report",
        });
        let mut report = StudyReport {
            version: subgenre_core::version_string(),
            data: self.data.name(),
            grid: self.grid.name().into(),
            generated: subgenre_report::utc_now(),
            total_seconds: 0.0,
            steps: Vec::new(),
            dataset: std::fs::read(&stats_path)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok()),
            classic: Vec::new(),
            cnn: Vec::new(),
            transfer: Vec::new(),
        };
        let transfer = self.gtzan.is_some().then_some(transfer_dir.as_path());
        (report.classic, report.cnn, report.transfer) =
            gather_sections(out, self.grid, &cnn_dirs, transfer);
        report.steps = pipeline.records.clone();
        report.steps.push(StepRecord {
            name: "report".into(),
            status: "done".into(),
            seconds: report_started.elapsed().as_secs_f64(),
            detail: "report.json and index.html".into(),
        });
        report.total_seconds = report.steps.iter().map(|s| s.seconds).sum();
        report.write(out)?;
        let failed = report
            .steps
            .iter()
            .filter(|s| s.status == "failed")
            .map(|s| s.name.clone())
            .collect();
        Ok(ReproduceOutcome {
            report,
            failed,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    fn features_step(&self, rich: bool, path: &Path, progress: &Progress) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StudyError::io(dir, e))?;
        }
        let set = FeatureSet::new(Extractor::Librosa, rich, PyaaMapping::Study)?;
        let input = FeatureInput::Data {
            source: self.data.clone(),
            classes: self.classes.clone(),
        };
        let written = thread_pool(self.jobs)?.install(|| {
            write_features_table(&input, set, path, &|event| match event {
                TableProgress::Started { files } => progress(&Event::TaskStarted {
                    task: "features",
                    total: files,
                }),
                TableProgress::FileDone => progress(&Event::TaskAdvanced { task: "features" }),
            })
        });
        progress(&Event::TaskFinished { task: "features" });
        let written = written?;
        if written.rows == 0 {
            return Err(StudyError::NothingToDo("no clip could be analysed".into()));
        }
        Ok(())
    }

    fn classic_step(
        &self,
        features: &Path,
        protocol: Protocol,
        dir: &Path,
        progress: &Progress,
    ) -> Result<()> {
        let table = FeatureTable::read_csv(features, self.classes.names())
            .map_err(|e| StudyError::read(features, e))?;
        let mut config = BaselineConfig::new(table);
        config.models = ModelName::parse_list("all")?;
        config.protocol = protocol;
        config.seeds = self.seeds.clone();
        config.version = subgenre_core::version_string();
        baseline_into(&config, dir, &mut |event| {
            if let subgenre_classic::Progress::ModelDone { seed, run, .. } = event {
                progress(&Event::ModelDone {
                    seed: *seed,
                    model: &run.model,
                    weighted_f1: run.weighted_f1,
                });
            }
        })?;
        Ok(())
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
        let dir = out.join("classic").join(folder);
        if let Some(section) = read_section(out, &dir, key, title, note, false) {
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
        let note =
            "Split 70/15/15 stratified by class, seed 42 for every run; batch 32, patience 10.";
        if let Some(mut section) = read_section(out, transfer_dir, "transfer-gtzan", "", note, true)
        {
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
pub fn summary_line(path: &Path) -> String {
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
