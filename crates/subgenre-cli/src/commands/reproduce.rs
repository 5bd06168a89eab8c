//! `subgenre reproduce`: the arguments as the study library's [`ReproducePlan`], its events
//! printed (a line per step, bars for the long ones), and where the report went.

use std::process::ExitCode;

use anyhow::Result;
use subgenre_dataset::Cache;
use subgenre_study::ReproducePlan;

use super::{data_source, parse_classes, parse_seeds, study_error};
use crate::args::ReproduceArgs;
use crate::progress::study_events;

pub fn run(args: ReproduceArgs, cache: &Cache) -> Result<ExitCode> {
    let mut plan = ReproducePlan::new(data_source(&args.data, cache)?, args.out.clone());
    plan.classes = parse_classes(&args.data)?;
    plan.grid = args.grid;
    plan.seeds = parse_seeds(&args.seeds)?;
    plan.epochs = args.epochs;
    plan.gtzan.clone_from(&args.gtzan);
    plan.jobs = args.jobs;
    plan.check().map_err(study_error)?;
    let outcome = plan.run(cache, &study_events()).map_err(study_error)?;
    println!(
        "report -> {} and {} ({:.0} s this run)",
        args.out.join("index.html").display(),
        args.out.join("report.json").display(),
        outcome.seconds
    );
    if outcome.failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "{} step(s) failed: {}",
            outcome.failed.len(),
            outcome.failed.join(", ")
        );
        Ok(ExitCode::from(1))
    }
}
