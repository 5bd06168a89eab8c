//! `subgenre features`: the study's per-clip features of a data set or of any audio files.

use std::process::ExitCode;

use anyhow::{Context, Result};
use subgenre_dataset::Cache;
use subgenre_extract::{Extractor, FeatureSet, PyaaMapping};
use subgenre_study::{write_features_table, FeatureInput, TableProgress};

use super::{data_source, parse_classes, thread_pool, Failures};
use crate::args::FeaturesArgs;
use crate::progress::Progress;

pub fn run(args: FeaturesArgs, cache: &Cache) -> Result<ExitCode> {
    let extractor: Extractor = args
        .extractor
        .parse()
        .map_err(|e| anyhow::anyhow!("--extractor: {e}"))?;
    let mapping: PyaaMapping = args
        .mapping
        .parse()
        .map_err(|e| anyhow::anyhow!("--mapping: {e}"))?;
    let set = FeatureSet::new(extractor, args.rich, mapping).context("--rich")?;
    let input = if args.paths.is_empty() {
        FeatureInput::Data {
            source: data_source(&args.data, cache)?,
            classes: parse_classes(&args.data)?,
        }
    } else {
        FeatureInput::Files(args.paths.clone())
    };
    let progress = Progress::new("features", 0);
    let done = thread_pool(args.jobs)?.install(|| {
        write_features_table(&input, set, &args.out, &|event| match event {
            TableProgress::Started { files } => progress.set_total(files as u64),
            TableProgress::FileDone => progress.inc(),
        })
    });
    progress.finish();
    let done = done?;
    if done.other_class > 0 {
        eprintln!(
            "{} clips left out: not in --classes {}",
            done.other_class, args.data.classes
        );
    }
    println!(
        "{} clips -> {} ({} columns of features)",
        done.rows,
        args.out.display(),
        done.columns
    );
    Failures::from(done.failures).report("files");
    Ok(if done.rows > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
