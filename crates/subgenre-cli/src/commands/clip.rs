//! `subgenre clip`: the arguments as the dataset library's [`ClipSettings`], its progress
//! drawn, and what it cut summed up.

use std::process::ExitCode;

use anyhow::Result;
use subgenre_audio::ClipFormat;
use subgenre_dataset::{cut_clips, Cache, ClipProgress, ClipSettings};

use super::{data_source, parse_classes, thread_pool, Failures};
use crate::args::{ClipArgs, ClipFormatArg};
use crate::progress::Progress;

pub fn run(args: ClipArgs, cache: &Cache) -> Result<ExitCode> {
    let labels = match &args.labels {
        Some(p) => p.clone(),
        None => data_source(&args.data, cache)?
            .root
            .join(subgenre_dataset::dataset::LABELS_FILE),
    };
    let mut settings = ClipSettings::new(labels, args.tracks.clone(), args.out.clone())
        .with_duration(args.duration)?;
    settings.classes = parse_classes(&args.data)?;
    settings.rate = args.sr;
    settings.format = match args.format {
        ClipFormatArg::Wav => ClipFormat::Wav,
        ClipFormatArg::Flac => ClipFormat::Flac,
    };
    let progress = Progress::new("clips", 0);
    let cut = thread_pool(args.jobs)?.install(|| {
        cut_clips(&settings, &|event| match event {
            ClipProgress::Planned {
                rows,
                left_out,
                clips,
            } => {
                if left_out > 0 {
                    progress.println(format!(
                        "{left_out} of {rows} rows left out: their label is not in --classes {}",
                        args.data.classes
                    ));
                }
                progress.set_total(clips as u64);
            }
            ClipProgress::ClipDone => progress.inc(),
            _ => {}
        })
    });
    progress.finish();
    let cut = cut?;
    let failures = Failures::from(cut.failures);
    println!(
        "{} clips written, {} already there, {} failed -> {}",
        cut.written,
        cut.skipped,
        failures.len(),
        args.out.display()
    );
    failures.report("clips");
    Ok(if failures.is_empty() || cut.written + cut.skipped > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
