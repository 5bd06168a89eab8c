//! `run_baseline` without the CLI: trains and scores models on a features CSV.
//!
//! ```text
//! cargo run --release -p subgenre-classic --example baseline -- FEATURES.csv \
//!     [--models svm,boost,vote] [--protocol group|study] [--seeds 42,43] [--tune N] [--out DIR]
//! ```
//! Prints each run's classification report and the summary; with `--out`,
//! writes `report.json` and one confusion-matrix PNG per run there.

use std::path::PathBuf;
use std::process::ExitCode;

use subgenre_classic::{
    run_baseline, BaselineConfig, FeatureTable, ModelName, Progress, Protocol, FIVE_CLASSES,
};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let features = PathBuf::from(
        args.next()
            .ok_or("usage: baseline FEATURES.csv [options]")?,
    );
    let classes: Vec<String> = FIVE_CLASSES.iter().map(|s| s.to_string()).collect();
    let table = FeatureTable::read_csv(&features, &classes)?;
    for (label, n) in &table.dropped {
        eprintln!("dropped {n} rows labelled {label:?}");
    }
    let mut config = BaselineConfig::new(table);
    let mut out: Option<PathBuf> = None;
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--models" => config.models = ModelName::parse_list(&value)?,
            "--protocol" => config.protocol = Protocol::parse(&value)?,
            "--seeds" => {
                config.seeds = value
                    .split(',')
                    .map(|s| s.trim().parse::<u64>())
                    .collect::<Result<_, _>>()?
            }
            "--tune" => config.tune = value.parse()?,
            "--vote" => config.vote = subgenre_classic::parse_weights(&value)?,
            "--threads" => config.threads = value.parse()?,
            "--out" => out = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag}").into()),
        }
    }
    let mut pngs: Vec<(String, subgenre_eval::ConfusionMatrix)> = Vec::new();
    let report = run_baseline(&config, &mut |p| match p {
        Progress::Split { seed, sizes, .. } => {
            eprintln!(
                "seed {seed}: train {} / val {} / test {}",
                sizes[0], sizes[1], sizes[2]
            )
        }
        Progress::ModelDone { seed, run, report } => {
            println!(
                "== {} seed {seed} ({:.2} s)\n{report}\n{}",
                run.model, run.fit_seconds, report.confusion
            );
            pngs.push((format!("{}-{seed}", run.model), report.confusion.clone()));
        }
        _ => {}
    })?;
    println!("{}", report.summary_table());
    if let Some(dir) = out {
        std::fs::create_dir_all(&dir)?;
        report.write_json(&dir.join("report.json"))?;
        for (name, cm) in &pngs {
            subgenre_eval::confusion_png(&dir.join(format!("confusion-{name}.png")), cm, name)?;
        }
    }
    Ok(())
}
