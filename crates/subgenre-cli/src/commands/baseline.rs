//! `subgenre baseline`: the classic models on a features CSV, under either protocol.

use std::process::ExitCode;

use anyhow::{Context, Result};
use subgenre_classic::{
    parse_weights, run_baseline, BaselineConfig, FeatureTable, ModelName, Progress as Event,
    Protocol,
};
use subgenre_dataset::ClassSet;
use subgenre_eval::Split;

use crate::args::BaselineArgs;
use crate::progress::Progress;

pub fn run(args: BaselineArgs) -> Result<ExitCode> {
    let classes = ClassSet::parse(&args.classes).context("--classes")?;
    let table = FeatureTable::read_csv(&args.features, classes.names())
        .with_context(|| format!("reading {}", args.features.display()))?;
    let mut config = BaselineConfig::new(table);
    config.models = ModelName::parse_list(&args.models).context("--models")?;
    config.protocol = Protocol::parse(&args.protocol).context("--protocol")?;
    config.seeds = args
        .seeds
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<u64>()
                .with_context(|| format!("--seeds: `{s}` is not a number"))
        })
        .collect::<Result<_>>()?;
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
    let mut last_reports = Vec::new();
    let report = run_baseline(&config, &mut |event| match event {
        Event::Split { seed, sizes, .. } => progress.println(format!(
            "seed {seed}: train {} / validation {} / test {} clips",
            sizes[0], sizes[1], sizes[2]
        )),
        Event::ModelDone { seed, run, report } => {
            progress.println(format!(
                "seed {seed} {:<10} weighted F1 {:.3}  macro F1 {:.3}  accuracy {:.3}  fit {:.2} s",
                run.model, run.weighted_f1, run.macro_f1, run.accuracy, run.fit_seconds
            ));
            if config.seeds.last() == Some(seed) {
                last_reports.push((run.model.clone(), (*report).clone()));
            }
            progress.inc();
        }
        _ => {}
    })?;
    progress.finish();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    for (model, r) in &last_reports {
        println!(
            "\n{model} (seed {}):\n{}",
            config.seeds.last().copied().unwrap_or_default(),
            r.render(3)
        );
        let png = args.out.join(format!("confusion_{model}.png"));
        subgenre_eval::confusion_png(
            &png,
            &r.confusion,
            &format!("{model}, {} protocol", args.protocol),
        )?;
    }
    println!("\n{}", report.summary_table());
    let path = args.out.join("report.json");
    report.write_json(&path)?;
    println!("report -> {}", path.display());
    Ok(ExitCode::SUCCESS)
}
