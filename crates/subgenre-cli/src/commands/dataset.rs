use std::process::ExitCode;

use anyhow::Result;
use subgenre_dataset::{Cache, DatasetStats};
use subgenre_study::split_items;

use super::{data_source, parse_classes};
use crate::args::DatasetCommand;

pub fn run(cmd: DatasetCommand, cache: &Cache) -> Result<ExitCode> {
    match cmd {
        DatasetCommand::Stats { data, json } => {
            let choice = data_source(&data, cache)?;
            let classes = parse_classes(&data)?;
            let stats = choice.stats(&classes)?;
            if json {
                println!("{}", serde_json::to_string(&stats)?);
            } else {
                print_stats(&choice.name(), &stats);
            }
            Ok(ExitCode::SUCCESS)
        }
        DatasetCommand::Split { data, seed, json } => {
            let choice = data_source(&data, cache)?;
            let classes = parse_classes(&data)?;
            let (selection, split) = choice.split(&classes, seed)?;
            if json {
                println!("{}", serde_json::to_string(&split)?);
            } else {
                println!("data set: {}", choice.name());
                print!(
                    "{}",
                    split.summary(&split_items(&selection), classes.names())?
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_stats(name: &str, s: &DatasetStats) {
    println!("data set: {name}");
    println!(
        "  CSV rows            {:>6}   tracks {:>4}",
        s.rows, s.tracks_in_csv
    );
    println!(
        "  clips               {:>6}   tracks {:>4}",
        s.clips, s.tracks_with_clips
    );
    println!("  rows without clip   {:>6}", s.rows_without_clip);
    println!("  clips without row   {:>6}", s.clips_without_row);
    println!();
    println!("  {:<22} {:>6}", "class", "clips");
    for (class, n) in &s.per_class {
        let mark = if s.selected_classes.contains(class) {
            "*"
        } else {
            " "
        };
        println!("{mark} {class:<22} {n:>6}");
    }
    println!();
    println!(
        "  selected (*): {} classes, {} clips from {} tracks",
        s.selected_classes.len(),
        s.selected_clips,
        s.selected_tracks
    );
    if s.duplicates.is_empty() {
        println!("  no duplicate clips");
    } else {
        println!("  the same clip twice (same track and start):");
        for [a, b] in &s.duplicates {
            println!("    {a} = {b}");
        }
    }
}
