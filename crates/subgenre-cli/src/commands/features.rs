//! `subgenre features`: the study's per-clip features of a data set or of any audio files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use subgenre_dataset::Cache;
use subgenre_extract::{extract_features, Extractor, FeatureSet, PyaaMapping};

use super::{parse_classes, thread_pool, walk_audio, DataChoice, Failures};
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
    // Each output row: its key columns and the file to analyse.
    let (key_header, rows): (Vec<&str>, Vec<(Vec<String>, PathBuf)>) = if args.paths.is_empty() {
        let choice = DataChoice::resolve(&args.data, cache)?;
        let classes = parse_classes(&args.data)?;
        let selection = choice.open()?.select(&classes);
        if selection.other_class > 0 {
            eprintln!(
                "{} clips left out: not in --classes {}",
                selection.other_class, args.data.classes
            );
        }
        let rows = selection
            .items
            .iter()
            .map(|item| {
                let label = classes.names()[item.label].clone();
                (
                    vec![item.sample_id.clone(), item.spot_id.clone(), label],
                    item.path.clone(),
                )
            })
            .collect();
        (vec!["sample_id", "spot_id", "label"], rows)
    } else {
        let files = walk_audio(&args.paths);
        let rows = files
            .into_iter()
            .map(|p| (vec![p.display().to_string()], p))
            .collect();
        (vec!["path"], rows)
    };
    anyhow::ensure!(!rows.is_empty(), "nothing to analyse");

    let progress = Progress::new("features", rows.len() as u64);
    let paths: Vec<PathBuf> = rows.iter().map(|(_, p)| p.clone()).collect();
    let results =
        thread_pool(args.jobs)?.install(|| extract_features(&paths, set, &|| progress.inc()));
    progress.finish();

    let labelled = key_header.len() == 3;
    let mut header: Vec<&str> = key_header[..if labelled { 2 } else { 1 }].to_vec();
    header.extend(set.columns());
    if labelled {
        header.push("label");
    }
    let mut failures = Failures::default();
    let mut written = 0usize;
    subgenre_core::write_atomic_with(&args.out, |w| -> Result<()> {
        let mut csv = csv_writer(w);
        csv.write_record(&header)?;
        for ((keys, path), result) in rows.iter().zip(&results) {
            match result {
                Ok(values) => {
                    let mut record: Vec<String> = keys[..if labelled { 2 } else { 1 }].to_vec();
                    record.extend(values.iter().map(|v| v.to_string()));
                    if labelled {
                        record.push(keys[2].clone());
                    }
                    csv.write_record(&record)?;
                    written += 1;
                }
                Err(reason) => failures.push(path.display().to_string(), reason),
            }
        }
        csv.flush()?;
        Ok(())
    })
    .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{written} clips -> {} ({} columns of features)",
        args.out.display(),
        set.columns().len()
    );
    failures.report("files");
    Ok(if written > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn csv_writer<W: std::io::Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().from_writer(w)
}
