//! `subgenre baseline`: the classic models on a features CSV, under either protocol.

use std::process::ExitCode;

use anyhow::{Context, Result};
use subgenre_classic::{
    parse_weights, BaselineConfig, FeatureTable, ModelName, Progress as Event, Protocol,
};
use subgenre_dataset::ClassSet;
use subgenre_eval::Split;
use subgenre_study::baseline_into;

use super::{parse_seeds, study_error};
use crate::args::BaselineArgs;
use crate::progress::Progress;

pub fn run(args: BaselineArgs) -> Result<ExitCode> {
    let classes = ClassSet::parse(&args.classes).context("--classes")?;
    let table = FeatureTable::read_csv(&args.features, classes.names())
        .with_context(|| format!("reading {}", args.features.display()))?;
    let mut config = BaselineConfig::new(table);
    config.models = ModelName::parse_list(&args.models).context("--models")?;
    config.protocol = Protocol::parse(&args.protocol).context("--protocol")?;
    config.seeds = parse_seeds(&args.seeds)?;
    config.tune = args.tune;
    config.version = subgenre_core::version_string();
    if let Some(path) = &args.split {
        config.split =
            Some(Split::load(path).with_context(|| format!("reading {}", path.display()))?);
    }
    if let Some(vote) = &args.vote {
        config.vote = parse_weights(vote).context("--vote")?;
    }
    if config.protocol == Protocol::Study {
        eprintln!("protocol study: clip split with early stopping and tuning on the test part (leaky, as the study did)");
    }
    let progress = Progress::new("runs", subgenre_classic::total_runs(&config) as u64);
    let outcome = baseline_into(&config, &args.out, &mut |event| match event {
        Event::Split { seed, sizes, .. } => progress.println(format!(
            "seed {seed}: train {} / validation {} / test {} clips",
            sizes[0], sizes[1], sizes[2]
        )),
        Event::ModelDone { seed, run, .. } => {
            progress.println(format!(
                "seed {seed} {:<10} weighted F1 {:.3}  macro F1 {:.3}  accuracy {:.3}  fit {:.2} s",
                run.model, run.weighted_f1, run.macro_f1, run.accuracy, run.fit_seconds
            ));
            progress.inc();
        }
        _ => {}
    });
    progress.finish();
    let outcome = outcome.map_err(study_error)?;
    let last_seed = config.seeds.last().copied().unwrap_or_default();
    for (model, scores) in &outcome.last_seed {
        println!("\n{model} (seed {last_seed}):\n{}", scores.render(3));
    }
    println!("\n{}", outcome.report.summary_table());
    println!("report -> {}", args.out.join("report.json").display());
    Ok(ExitCode::SUCCESS)
}
