//! One module per command; shared plumbing (data folder, cache, threads, failures) here.

mod baseline;
mod cache;
mod clip;
mod cnn;
mod dataset;
mod embed;
mod features;
mod info;
mod library;
mod mels;
mod model_edit;
mod predict;
mod reproduce;
mod transfer;

use std::process::ExitCode;

use anyhow::{Context, Result};
use subgenre_dataset::{Cache, ClassSet};
use subgenre_study::{DataSource, GridKind, StudyError};

use crate::args::{Cli, Command, DataArgs};

pub fn run(cli: Cli) -> Result<ExitCode> {
    let cache = Cache::new(cli.cache.clone()).context("choosing the cache folder")?;
    match cli.command {
        Command::Dataset(cmd) => dataset::run(cmd, &cache),
        Command::Clip(args) => clip::run(args, &cache),
        Command::Info(args) => info::run(args),
        Command::Features(args) => features::run(args, &cache),
        Command::Baseline(args) => baseline::run(args),
        Command::Mels(args) => mels::run_mels(args, &cache),
        Command::Melgrams(args) => mels::run_melgrams(args, &cache),
        Command::Train(args) => cnn::run_training(args, GridKind::Train, &cache),
        Command::Experiment(args) => cnn::run_training(args, GridKind::Experiment, &cache),
        Command::Evaluate(args) => cnn::run_evaluate(args, &cache),
        Command::Transfer(args) => transfer::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Embed(args) => embed::run(args),
        Command::Model(cmd) => predict::run_model(cmd),
        Command::Reproduce(args) => reproduce::run(args, &cache),
        Command::Cache(cmd) => cache::run(cmd, &cache),
        Command::Library(args) => library::run(args),
    }
}

/// The data set chosen on the command line (`--data DIR`, or the bundled demo set).
pub fn data_source(args: &DataArgs, cache: &Cache) -> Result<DataSource> {
    Ok(DataSource::new(args.data.as_deref(), cache)?)
}

pub fn parse_classes(args: &DataArgs) -> Result<ClassSet> {
    ClassSet::parse(&args.classes).context("--classes")
}

/// A rayon pool of `jobs` threads (default: all cores).
pub fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool> {
    subgenre_study::thread_pool(jobs).map_err(study_error)
}

/// `text` to stdout when `path` is `-`, else written atomically to `path` (and said so).
pub fn write_or_print(path: &std::path::Path, text: &str, what: &str) -> Result<()> {
    if path == std::path::Path::new("-") {
        println!("{text}");
    } else {
        subgenre_core::write_atomic(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("{what} -> {}", path.display());
    }
    Ok(())
}

/// A library error as this program says it: a bad setting is named by its flag.
pub fn study_error(e: StudyError) -> anyhow::Error {
    match e {
        StudyError::Invalid { name, reason } => {
            anyhow::anyhow!("--{} {reason}", name.replace('_', "-"))
        }
        other => other.into(),
    }
}

/// A comma-separated list given for `--what`, each item parsed; empty items are skipped and
/// an empty list is an error.
pub fn parse_list<T>(what: &str, list: &str, parse: impl Fn(&str) -> Result<T>) -> Result<Vec<T>> {
    let items: Vec<T> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).with_context(|| format!("--{what}: `{s}`")))
        .collect::<Result<_>>()?;
    anyhow::ensure!(!items.is_empty(), "--{what} is empty");
    Ok(items)
}

/// The items of a comma-separated list, trimmed, empty ones skipped.
pub fn split_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

pub fn parse_seeds(list: &str) -> Result<Vec<u64>> {
    parse_list("seeds", list, |s| s.parse::<u64>().context("not a number"))
}

/// Items a batch command could not process, reported together at the end.
pub struct Failures(Vec<(String, String)>);

impl From<Vec<(String, String)>> for Failures {
    fn from(entries: Vec<(String, String)>) -> Self {
        Self(entries)
    }
}

impl Failures {
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Print "N failed:" and one line each to stderr.
    pub fn report(&self, noun: &str) {
        if self.0.is_empty() {
            return;
        }
        eprintln!("{} {noun} failed:", self.0.len());
        for (what, reason) in &self.0 {
            if reason.contains(what.as_str()) {
                eprintln!("  {reason}");
            } else {
                eprintln!("  {what}: {reason}");
            }
        }
    }
}
