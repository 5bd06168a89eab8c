//! `subgenre library`: the DJ's library database of `subgenre-library`, analysed by the study
//! library's [`LibraryAnalyser`]; this module parses, calls and prints.

use std::process::ExitCode;

use anyhow::{Context, Result};
use subgenre_library::{
    export_m3u, find, list, scan, similar, tag, write_m3u, ExportOptions, Library, ListFilter,
    ScanEvent, ScanOptions, TagOptions,
};
use subgenre_study::LibraryAnalyser;

use super::study_error;
use crate::args::{FilterArgs, LibraryArgs, LibraryCommand};
use crate::progress::Progress;

pub fn run(args: LibraryArgs) -> Result<ExitCode> {
    let path = match &args.db {
        Some(path) => path.clone(),
        None => subgenre_library::default_library_path().context("choosing the library file")?,
    };
    let mut library = Library::open(&path)?;
    match args.command {
        LibraryCommand::Scan {
            paths,
            prune,
            model,
            jobs,
        } => run_scan(&mut library, &paths, prune, &model, jobs),
        LibraryCommand::List { filter, json, csv } => {
            let listing = list(&library, &filter_of(filter))?;
            let stdout = std::io::stdout().lock();
            if json {
                listing.write_json(stdout)?;
            } else if csv {
                listing.write_csv(stdout)?;
            } else {
                for t in &listing.tracks {
                    let a = &t.analysis;
                    println!(
                        "{:<16} {:>5.1} %  {:>6}  {:>6.0} s  {}",
                        a.label,
                        100.0 * a.confidence,
                        a.tempo_bpm.map_or("-".into(), |b| format!("{b:.1}")),
                        a.duration_s,
                        t.path().display()
                    );
                }
                for e in &listing.errors {
                    eprintln!("not analysed: {}: {}", e.path.display(), e.reason);
                }
                println!(
                    "{} tracks, {} files not analysed ({})",
                    listing.tracks.len(),
                    listing.errors.len(),
                    library.path().display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        LibraryCommand::Show { track, timeline } => {
            let t = find(&library, &track)?;
            println!("{}", serde_json::to_string_pretty(&t)?);
            if let Some(png) = timeline {
                subgenre_predict::timeline_png(&png, &t.analysis)?;
                eprintln!("timeline -> {}", png.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        LibraryCommand::Export {
            m3u,
            min_confidence,
            order,
        } => {
            let options = ExportOptions {
                min_confidence,
                order,
            };
            let report = export_m3u(&library, &m3u, &options)?;
            for p in &report.playlists {
                println!(
                    "{:<16} {:>5} tracks -> {}",
                    p.label,
                    p.tracks,
                    p.path.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        LibraryCommand::Similar {
            track,
            n,
            same_label,
            m3u,
        } => {
            let t = find(&library, &track)?;
            let found = similar(&library, &t, n, same_label)?;
            println!("like {} ({}):", t.path().display(), t.analysis.label);
            for (other, cosine) in &found {
                println!(
                    "  {cosine:.3}  {:<16} {}",
                    other.analysis.label,
                    other.path().display()
                );
            }
            if let Some(path) = m3u {
                write_m3u(&path, found.iter().map(|(t, _)| t))?;
                println!("playlist -> {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        LibraryCommand::Tag {
            field,
            min_confidence,
            label,
            dry_run,
        } => {
            let options = TagOptions {
                field,
                min_confidence,
                label,
                dry_run,
            };
            let report = tag(&mut library, &options)?;
            let verb = if dry_run { "would set" } else { "set" };
            for c in &report.changes {
                println!(
                    "{verb} {:?} -> {:?}: {}",
                    c.old.as_deref().unwrap_or(""),
                    c.new,
                    c.path.display()
                );
            }
            for f in &report.failed {
                eprintln!("not tagged: {}: {}", f.path.display(), f.reason);
            }
            println!(
                "{} {verb}, {} already right, {} failed",
                report.changes.len(),
                report.unchanged,
                report.failed.len()
            );
            Ok(if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn filter_of(args: FilterArgs) -> ListFilter {
    ListFilter {
        label: args.label,
        min_confidence: args.min_confidence,
        tempo: args.bpm,
    }
}

fn run_scan(
    library: &mut Library,
    paths: &[std::path::PathBuf],
    prune: bool,
    models: &[std::path::PathBuf],
    jobs: Option<usize>,
) -> Result<ExitCode> {
    let analyser = LibraryAnalyser::load(models).map_err(study_error)?;
    let mut options = ScanOptions::default().with_prune(prune);
    if let Some(n) = jobs {
        options = options.with_jobs(n).context("--jobs")?;
    }
    let progress = Progress::new("tracks", 0);
    let report = scan(library, paths, &analyser, &options, |event| match event {
        ScanEvent::Planned { to_check, .. } => progress.set_total(*to_check as u64),
        ScanEvent::Analysed { .. } | ScanEvent::Unchanged { .. } => progress.inc(),
        ScanEvent::Moved { from, to } => {
            progress.println(format!("moved: {} -> {}", from.display(), to.display()));
            progress.inc();
        }
        ScanEvent::Failed { path, reason } => {
            progress.println(format!("failed: {}: {reason}", path.display()));
            progress.inc();
        }
        _ => {}
    });
    progress.finish();
    let report = report?;
    for skipped in &report.skipped {
        eprintln!("{skipped}");
    }
    println!(
        "{} files: {} analysed, {} unchanged, {} moved, {} failed ({} failed earlier, not retried), {} pruned, {} skipped -> {}",
        report.seen,
        report.analysed,
        report.unchanged,
        report.moved,
        report.failed.len(),
        report.known_failures,
        report.pruned,
        report.skipped.len(),
        library.path().display()
    );
    Ok(if report.failed.is_empty() || report.analysed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
