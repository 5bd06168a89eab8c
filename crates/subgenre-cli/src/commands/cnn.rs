//! `subgenre train`, `subgenre experiment` and `subgenre evaluate`: the arguments as the study
//! library's settings and plans ([`TrainSettings`], [`EvaluatePlan`]), its events printed, its
//! outcome summed up.

use std::process::ExitCode;

use anyhow::Result;
use subgenre_dataset::Cache;
use subgenre_study::{EvaluatePlan, GridKind, ScoredPart, TrainPlan, TrainSettings};

use super::{data_source, parse_seeds, split_list, study_error, Failures};
use crate::args::{EvaluateArgs, TrainArgs};
use crate::progress::study_events;

fn train_plan(args: &TrainArgs, kind: GridKind, cache: &Cache) -> Result<TrainPlan> {
    let settings = TrainSettings {
        kind,
        data: data_source(&args.data, cache)?,
        out: args.out.clone(),
        classes: args.data.classes.clone(),
        archs: split_list(&args.arch),
        variants: split_list(&args.variant),
        sizes: split_list(&args.size),
        seeds: parse_seeds(&args.seeds)?,
        route: args.route.clone(),
        images: args.images.clone(),
        split: args.split.clone(),
        patience: args.patience,
        epochs: args.epochs,
        lr: args.lr,
        batch_size: args.batch_size,
        augment: args.augment.clone(),
        channels: args.channels,
        final_fit: args.final_fit,
        jobs: args.jobs,
    };
    settings.into_plan().map_err(study_error)
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
    plan.part = ScoredPart::choose(args.split.clone(), args.seed, args.all).map_err(study_error)?;
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
