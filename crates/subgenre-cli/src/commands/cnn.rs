//! `subgenre train`, `subgenre experiment` and `subgenre evaluate`: the arguments as the study
//! library's plans ([`TrainPlan`], [`EvaluatePlan`]), its events printed, its outcome summed up.

use std::process::ExitCode;

use anyhow::{Context, Result};
use subgenre_dataset::Cache;
use subgenre_extract::MelVariant;
use subgenre_study::{
    Augmentation, ClipSource, EvaluatePlan, GridKind, InputSize, ScoredPart, TrainPlan,
};

use super::{data_source, parse_classes, parse_list, parse_seeds, study_error, Failures};
use crate::args::{EvaluateArgs, TrainArgs};
use crate::progress::study_events;

fn train_plan(args: &TrainArgs, kind: GridKind, cache: &Cache) -> Result<TrainPlan> {
    let mut plan = TrainPlan::new(kind, data_source(&args.data, cache)?, args.out.clone());
    plan.classes = parse_classes(&args.data)?;
    plan.archs = parse_list("arch", &args.arch, |s| Ok(s.parse::<subgenre_cnn::Arch>()?))?;
    plan.variants = parse_list("variant", &args.variant, |s| Ok(s.parse::<MelVariant>()?))?;
    plan.sizes = parse_list("size", &args.size, |s| {
        s.parse::<InputSize>().map_err(study_error)
    })?;
    plan.seeds = parse_seeds(&args.seeds)?;
    plan.source = match &args.images {
        Some(dir) => ClipSource::Images(dir.clone()),
        None => ClipSource::Mel(args.route.parse().context("--route")?),
    };
    plan.split.clone_from(&args.split);
    if let Some(patience) = args.patience {
        plan.schedule.patience = patience;
    }
    plan.schedule.max_epochs = args.epochs;
    plan.schedule.learning_rate = args.lr;
    plan.schedule.batch_size = args.batch_size;
    plan.augment = args.augment.parse::<Augmentation>().map_err(study_error)?;
    plan.channels = args.channels;
    plan.final_fit = args.final_fit;
    plan.jobs = args.jobs;
    plan.check().map_err(study_error)?;
    Ok(plan)
}

pub fn run_training(args: TrainArgs, kind: GridKind, cache: &Cache) -> Result<ExitCode> {
    let plan = train_plan(&args, kind, cache)?;
    println!(
        "{} run(s) of {} epochs at most, patience {}, on {} (jobs {})",
        plan.total_runs(),
        plan.schedule.max_epochs,
        plan.schedule.patience,
        subgenre_cnn::backend_name(),
        plan.jobs.map_or("all".to_string(), |n| n.to_string()),
    );
    let outcome = plan.run(cache, &study_events()).map_err(study_error)?;
    let variants: Vec<&str> = plan.variants.iter().map(|v| v.name()).collect();
    let sizes: Vec<u32> = plan.sizes.iter().map(|s| s.get() as u32).collect();
    // `=== SUMMARY [normal | 128x128] ===` blocks, as the study's full_test printed them.
    print!("{}", outcome.report.study_summary_blocks(&variants, &sizes));
    if let Some(path) = &outcome.report_path {
        println!("report -> {}", path.display());
    }
    Failures::from(outcome.failures).report("runs or inputs");
    Ok(if outcome.report.runs.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub fn run_evaluate(args: EvaluateArgs, cache: &Cache) -> Result<ExitCode> {
    let mut plan = EvaluatePlan::new(args.model.clone(), data_source(&args.data, cache)?);
    plan.images.clone_from(&args.images);
    plan.part = match (&args.split, args.seed, args.all) {
        (_, _, true) => ScoredPart::All,
        (Some(path), _, _) => ScoredPart::SplitFile(path.clone()),
        (None, Some(seed), _) => ScoredPart::Seed(seed),
        (None, None, false) => ScoredPart::Trained,
    };
    plan.jobs = args.jobs;
    plan.out.clone_from(&args.out);
    plan.neighbours = args.neighbours.map(|k| k as usize);
    let evaluation = plan.run(cache, &study_events()).map_err(study_error)?;
    let spec = &evaluation.spec;
    println!(
        "{} ({} {} {}) on {}:\n{}",
        evaluation.name,
        spec.arch,
        spec.input.variant,
        spec.input.size,
        evaluation.what,
        evaluation.scores.render(4)
    );
    if let Some(n) = &evaluation.neighbours {
        println!(
            "nearest {} clips of other tracks by embedding: {:.3} share the clip's label \
             (chance {:.3}; {} clips)",
            n.k, n.same_label, n.chance, n.queries
        );
    }
    if let Some(path) = &evaluation.report_path {
        println!("report -> {}", path.display());
    }
    Failures::from(evaluation.failures).report("inputs");
    Ok(ExitCode::SUCCESS)
}
