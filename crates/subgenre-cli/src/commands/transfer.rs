//! `subgenre transfer`: the arguments as the study library's [`TransferSettings`], its events
//! printed, and a summary of the runs (transfer against scratch when the report has both).

use std::process::ExitCode;

use anyhow::Result;
use subgenre_eval::{mean, std_population, Report, Run};
use subgenre_study::{TransferPlan, TransferSettings, TransferSource};

use super::{parse_seeds, study_error, Failures};
use crate::args::TransferArgs;
use crate::progress::study_events;

pub fn run(args: TransferArgs) -> Result<ExitCode> {
    let settings = TransferSettings {
        base: args.base.clone(),
        out: args.out.clone(),
        images: args.images.clone(),
        audio: args.audio.clone(),
        resize: args.resize,
        seeds: parse_seeds(&args.seeds)?,
        freeze: args.freeze,
        scratch: args.scratch,
        split_seed: args.split_seed,
        vary_split: args.vary_split,
        batch_size: args.batch_size,
        epochs: args.epochs,
        patience: args.patience,
        lr: args.lr,
        jobs: args.jobs,
    };
    let plan = settings.into_plan().map_err(study_error)?;
    let outcome = plan.run(&study_events()).map_err(study_error)?;
    if !outcome.runs.is_empty() {
        let size = outcome.runs[0].size.unwrap_or(0);
        summarise(
            &outcome.report,
            &outcome.runs,
            &outcome.model_name,
            &plan,
            size,
        );
        if let Some(path) = &outcome.report_path {
            println!("report -> {}", path.display());
        }
    }
    Failures::from(outcome.run_failures).report("runs");
    Ok(if outcome.runs.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The F1s of this call's runs, the report's table, and transfer against scratch when the
/// report has both.
fn summarise(report: &Report, done: &[Run], model_name: &str, plan: &TransferPlan, size: u32) {
    let what = match plan.source {
        TransferSource::Images { .. } => "images",
        TransferSource::Audio(_) => "audio",
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
