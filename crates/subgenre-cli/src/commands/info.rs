//! `subgenre info`: what audio files are, as subgenre-audio's [`probe_paths`] finds them.

use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;
use subgenre_audio::probe_paths;

use super::thread_pool;
use crate::args::InfoArgs;

/// The `--json` line of a file that could not be read.
#[derive(Serialize)]
struct FileError {
    path: String,
    error: String,
}

pub fn run(args: InfoArgs) -> Result<ExitCode> {
    let probed = thread_pool(args.jobs)?.install(|| probe_paths(&args.paths));
    for skipped in &probed.skipped {
        eprintln!("{skipped}");
    }
    let results = &probed.results;
    anyhow::ensure!(
        !results.is_empty(),
        "no audio files found under the given paths"
    );
    let ok = results.iter().filter(|(_, r)| r.is_ok()).count();
    if args.json {
        for (path, r) in results {
            let line = match r {
                Ok(info) => serde_json::to_string(info)?,
                Err(e) => serde_json::to_string(&FileError {
                    path: path.display().to_string(),
                    error: e.to_string(),
                })?,
            };
            println!("{line}");
        }
    } else {
        println!(
            "{:<48} {:<14} {:>7} {:>3} {:>9} {:>10}",
            "path", "format/codec", "rate", "ch", "seconds", "@22050"
        );
        for (path, r) in results {
            match r {
                Ok(i) => println!(
                    "{:<48} {:<14} {:>7} {:>3} {:>9.3} {:>10}",
                    i.path.display().to_string(),
                    format!("{}/{}", i.container, i.codec),
                    i.sample_rate,
                    i.channels,
                    i.duration_s,
                    i.samples_22050
                ),
                Err(e) => println!(
                    "{:<48} error: {}",
                    path.display(),
                    subgenre_core::reason_about(path, e)
                ),
            }
        }
        if ok < results.len() {
            eprintln!(
                "{} of {} files could not be read",
                results.len() - ok,
                results.len()
            );
        }
    }
    Ok(if ok > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
