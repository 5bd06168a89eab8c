use std::process::ExitCode;

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;
use subgenre_audio::{AudioError, DEFAULT_SAMPLE_RATE};

use super::{thread_pool, walk_audio};
use crate::args::InfoArgs;

#[derive(Serialize)]
struct FileInfo {
    path: String,
    container: &'static str,
    codec: &'static str,
    sample_rate: u32,
    channels: usize,
    duration_s: f64,
    samples_22050: u64,
}

#[derive(Serialize)]
struct FileError {
    path: String,
    error: String,
}

fn inspect(path: &std::path::Path) -> Result<FileInfo, AudioError> {
    let decoded = subgenre_audio::decode(path)?;
    let frames = decoded.total_frames.unwrap_or(decoded.samples.len() as u64);
    let sr = u64::from(decoded.info.sample_rate);
    Ok(FileInfo {
        path: path.display().to_string(),
        container: decoded.info.container,
        codec: decoded.info.codec,
        sample_rate: decoded.info.sample_rate,
        channels: decoded.info.channels,
        duration_s: frames as f64 / sr as f64,
        // What `load` gives at 22 050 Hz: the resampler's length is ceil(n * 22050 / sr).
        samples_22050: (frames * u64::from(DEFAULT_SAMPLE_RATE)).div_ceil(sr),
    })
}

pub fn run(args: InfoArgs) -> Result<ExitCode> {
    let files = walk_audio(&args.paths);
    anyhow::ensure!(
        !files.is_empty(),
        "no audio files found under the given paths"
    );
    let results: Vec<_> =
        thread_pool(args.jobs)?.install(|| files.par_iter().map(|p| inspect(p)).collect());
    let ok = results.iter().filter(|r| r.is_ok()).count();
    if args.json {
        for (path, r) in files.iter().zip(&results) {
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
        for (path, r) in files.iter().zip(&results) {
            match r {
                Ok(i) => println!(
                    "{:<48} {:<14} {:>7} {:>3} {:>9.3} {:>10}",
                    i.path,
                    format!("{}/{}", i.container, i.codec),
                    i.sample_rate,
                    i.channels,
                    i.duration_s,
                    i.samples_22050
                ),
                Err(e) => println!("{:<48} error: {e}", path.display()),
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
