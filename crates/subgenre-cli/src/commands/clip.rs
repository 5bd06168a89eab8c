//! `subgenre clip`: cut labelled clips out of full tracks, one decode per track.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use rayon::prelude::*;
use subgenre_audio::ClipFormat;
use subgenre_dataset::{read_labels, Cache, LabelRow};

use super::{data_source, parse_classes, thread_pool, Failures};
use crate::args::{ClipArgs, ClipFormatArg};
use crate::progress::Progress;

/// What happened to one row.
enum Outcome {
    Written,
    Skipped,
    Failed(String),
}

pub fn run(args: ClipArgs, cache: &Cache) -> Result<ExitCode> {
    anyhow::ensure!(
        args.duration.is_finite() && args.duration > 0.0,
        "--duration must be a positive number of seconds"
    );
    let target_sr: Option<u32> = match args.sr.as_str() {
        "native" => None,
        hz => Some(
            hz.parse()
                .ok()
                .filter(|&v: &u32| v > 0)
                .with_context(|| format!("--sr must be `native` or a rate in Hz, not `{hz}`"))?,
        ),
    };
    let format = match args.format {
        ClipFormatArg::Wav => ClipFormat::Wav,
        ClipFormatArg::Flac => ClipFormat::Flac,
    };
    let labels = match &args.labels {
        Some(p) => p.clone(),
        None => data_source(&args.data, cache)?
            .root
            .join(subgenre_dataset::dataset::LABELS_FILE),
    };
    let classes = parse_classes(&args.data)?;
    let all_rows = read_labels(&labels).with_context(|| format!("reading {}", labels.display()))?;
    let total = all_rows.len();
    let rows: Vec<LabelRow> = all_rows
        .into_iter()
        .filter(|r| classes.index(&r.label).is_some())
        .collect();
    if rows.len() < total {
        eprintln!(
            "{} of {total} rows left out: their label is not in --classes {}",
            total - rows.len(),
            args.data.classes
        );
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;

    let mut by_track: BTreeMap<&str, Vec<&LabelRow>> = BTreeMap::new();
    for row in &rows {
        by_track.entry(row.spot_id.as_str()).or_default().push(row);
    }
    let progress = Progress::new("clips", rows.len() as u64);
    let job = ClipJob {
        tracks: &args.tracks,
        out: &args.out,
        duration: args.duration,
        target_sr,
        format,
        progress: &progress,
    };
    let outcomes: Vec<(String, Outcome)> = thread_pool(args.jobs)?.install(|| {
        by_track
            .par_iter()
            .flat_map_iter(|(spot_id, rows)| job.cut_track(spot_id, rows))
            .collect()
    });
    progress.finish();

    let mut failures = Failures::default();
    let (mut written, mut skipped) = (0, 0);
    for (id, outcome) in outcomes {
        match outcome {
            Outcome::Written => written += 1,
            Outcome::Skipped => skipped += 1,
            Outcome::Failed(reason) => failures.push(id, reason),
        }
    }
    println!(
        "{written} clips written, {skipped} already there, {} failed -> {}",
        failures.len(),
        args.out.display()
    );
    failures.report("clips");
    Ok(if failures.is_empty() || written + skipped > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

struct ClipJob<'a> {
    tracks: &'a Path,
    out: &'a Path,
    duration: f64,
    target_sr: Option<u32>,
    format: ClipFormat,
    progress: &'a Progress,
}

impl ClipJob<'_> {
    fn cut_track(&self, spot_id: &str, rows: &[&LabelRow]) -> Vec<(String, Outcome)> {
        let dest = |row: &LabelRow| {
            self.out
                .join(format!("{}.{}", row.sample_id, self.format.extension()))
        };
        let todo: Vec<&LabelRow> = rows.iter().copied().filter(|r| !dest(r).exists()).collect();
        let mut results: Vec<(String, Outcome)> = rows
            .iter()
            .filter(|r| dest(r).exists())
            .map(|r| (r.sample_id.clone(), Outcome::Skipped))
            .collect();
        if todo.is_empty() {
            results.iter().for_each(|_| self.progress.inc());
            return results;
        }
        let decoded = find_track(self.tracks, spot_id)
            .ok_or_else(|| format!("no track file {spot_id}.* in {}", self.tracks.display()))
            .and_then(|p| subgenre_audio::decode(&p).map_err(|e| e.to_string()));
        for row in todo {
            let outcome = match &decoded {
                Err(reason) => Outcome::Failed(reason.clone()),
                Ok(track) => match self.cut_one(track, row, &dest(row)) {
                    Ok(()) => Outcome::Written,
                    Err(reason) => Outcome::Failed(reason),
                },
            };
            results.push((row.sample_id.clone(), outcome));
        }
        results.iter().for_each(|_| self.progress.inc());
        results
    }

    fn cut_one(
        &self,
        track: &subgenre_audio::Decoded,
        row: &LabelRow,
        dest: &Path,
    ) -> Result<(), String> {
        let sr = track.info.sample_rate;
        let start = (row.clip_start_s * f64::from(sr)) as usize;
        let len = (self.duration * f64::from(sr)) as usize;
        let have = track.samples.len();
        let track_s = have as f64 / f64::from(sr);
        if start >= have {
            return Err(format!(
                "clip_start {:.1} s (line {}) is past the end of the track ({track_s:.1} s)",
                row.clip_start_s, row.line
            ));
        }
        if start + len > have {
            return Err(format!(
                "clip at {:.1} s needs {:.1} s but the track ends at {track_s:.1} s (line {})",
                row.clip_start_s, self.duration, row.line
            ));
        }
        let samples = &track.samples[start..start + len];
        let (samples, out_sr) = match self.target_sr {
            Some(to) if to != sr => (
                subgenre_audio::resample(samples, sr, to).map_err(|e| e.to_string())?,
                to,
            ),
            _ => (samples.to_vec(), sr),
        };
        subgenre_audio::write_clip(dest, &samples, out_sr, self.format).map_err(|e| e.to_string())
    }
}

/// `<dir>/<spot_id>.<ext>` for any supported audio extension.
fn find_track(dir: &Path, spot_id: &str) -> Option<PathBuf> {
    subgenre_audio::AUDIO_EXTENSIONS
        .iter()
        .map(|ext| dir.join(format!("{spot_id}.{ext}")))
        .find(|p| p.is_file())
}
