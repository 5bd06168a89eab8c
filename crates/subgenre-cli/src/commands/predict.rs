//! `subgenre predict` (classify tracks: the arguments as subgenre-predict's
//! [`BatchSettings`], its documents written where asked, a table printed) and
//! `subgenre model info`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use subgenre_predict::batch::{predict_batch, BatchEvent, BatchSettings, JournalSettings};
use subgenre_predict::documents::{
    model_file_sizes, predictions_document, write_timelines, write_windows_csv, TimelinesWritten,
};
use subgenre_predict::{PredictOptions, Predictor, TrackPrediction};

use super::{thread_pool, write_or_print, Failures};
use crate::args::{ModelCommand, PredictArgs};
use crate::progress::Progress;

pub fn run(args: PredictArgs) -> Result<ExitCode> {
    let options = PredictOptions {
        hop_s: args.hop,
        tempo: !args.no_tempo,
        ..PredictOptions::default()
    }
    .with_min_confidence(args.min_confidence)?;
    let predictor = Predictor::load(&args.model).context("loading the models")?;
    let mut settings = BatchSettings::new(args.paths.clone(), options);
    settings.shard = args.shard;
    settings.journal = args.jsonl.clone().map(|path| JournalSettings {
        path,
        resume: args.resume,
        retry_errors: args.retry_errors,
    });
    let progress = Progress::new("tracks", 0);
    let outcome = thread_pool(args.jobs)?.install(|| {
        predict_batch(&predictor, &settings, |event| match event {
            BatchEvent::Planned { files, resumed } => {
                if let Some(r) = resumed {
                    progress.println(format!(
                        "resuming {}: {} of {} files already there{}",
                        r.journal.display(),
                        r.already,
                        r.of,
                        if r.dropped_partial_line {
                            " (a half-written last line was dropped)"
                        } else {
                            ""
                        }
                    ));
                }
                progress.set_total(files as u64);
            }
            BatchEvent::FileDone { .. } => progress.inc(),
            _ => {}
        })
    });
    progress.finish();
    let outcome = outcome?;
    let tracks = &outcome.tracks;

    let json_to_stdout = args.json.as_deref() == Some(Path::new("-"));
    if !json_to_stdout {
        print_table(&predictor, tracks);
    }
    if let Some(path) = &args.json {
        let doc = predictions_document(&predictor, &outcome);
        write_or_print(path, &serde_json::to_string_pretty(&doc)?, "JSON")?;
    }
    if let Some(path) = &args.csv {
        write_windows_csv(path, &predictor.spec().classes, tracks)?;
        eprintln!("windows CSV -> {}", path.display());
    }
    if let Some(target) = &args.timeline {
        match write_timelines(target, tracks)? {
            TimelinesWritten::One(png) => eprintln!("timeline -> {}", png.display()),
            TimelinesWritten::Folder { dir, count } => {
                eprintln!("{count} timelines -> {}", dir.display());
            }
        }
    }
    for skipped in &outcome.skipped {
        eprintln!("{skipped}");
    }
    Failures::from(outcome.failures).report("files");
    Ok(
        if tracks.is_empty() && !(outcome.files == 0 && args.resume) {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        },
    )
}

fn print_table(predictor: &Predictor, tracks: &[TrackPrediction]) {
    if tracks.is_empty() {
        return;
    }
    let classes = &predictor.spec().classes;
    let names: Vec<String> = tracks
        .iter()
        .map(|t| {
            t.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let w = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 48);
    let lw = classes.iter().map(String::len).max().unwrap_or(5).max(9);
    println!(
        "{:<w$}  {:<lw$}  {:>5}  {:>6}  {:>7}  time per class",
        "track", "label", "conf", "BPM", "length"
    );
    for (t, name) in tracks.iter().zip(&names) {
        let name: String = if name.chars().count() > w {
            let tail: String = name
                .chars()
                .rev()
                .take(w - 1)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("…{tail}")
        } else {
            name.clone()
        };
        let mut shares: Vec<(usize, f64)> = t.shares.iter().copied().enumerate().collect();
        shares.sort_by(|a, b| b.1.total_cmp(&a.1));
        let shares: Vec<String> = shares
            .iter()
            .filter(|(_, s)| *s > 0.0)
            .map(|(c, s)| format!("{} {:.0}%", classes[*c], 100.0 * s))
            .collect();
        let bpm = t.tempo_bpm.map_or("-".to_string(), |b| format!("{b:.1}"));
        let secs = t.duration_s.round() as u64;
        let length = format!("{}:{:02}", secs / 60, secs % 60);
        println!(
            "{name:<w$}  {:<lw$}  {:>4.0}%  {bpm:>6}  {length:>7}  {}{}",
            t.label,
            100.0 * t.confidence,
            shares.join(", "),
            if t.short {
                "  (short: padded to 8 s)"
            } else {
                ""
            }
        );
    }
}

pub fn run_model(cmd: ModelCommand) -> Result<ExitCode> {
    match cmd {
        ModelCommand::Info { model, json } => {
            let predictor = Predictor::load(&model).context("loading the models")?;
            let ensemble = predictor.models();
            if json {
                let specs: Vec<_> = ensemble.members().iter().map(|m| &m.spec).collect();
                println!("{}", serde_json::to_string_pretty(&specs)?);
                return Ok(ExitCode::SUCCESS);
            }
            let bytes = model_file_sizes(&model);
            if ensemble.len() > 1 {
                println!(
                    "{}: {} models, their class probabilities averaged ({:.2} MB in all)",
                    predictor.name(),
                    ensemble.len(),
                    bytes.iter().sum::<u64>() as f64 / 1e6
                );
            }
            for ((name, member), bytes) in
                ensemble.names().iter().zip(ensemble.members()).zip(bytes)
            {
                if ensemble.len() > 1 {
                    println!();
                }
                print_spec(name, &member.spec, bytes);
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelCommand::Edit(args) => super::model_edit::run(args),
    }
}

fn print_spec(name: &str, spec: &subgenre_cnn::ModelSpec, bytes: u64) {
    println!("model      {name}");
    println!(
        "network    {} ({} parameters, {:.2} MB file)",
        spec.arch,
        spec.network.param_count().unwrap_or(0),
        bytes as f64 / 1e6
    );
    println!("classes    {}", spec.classes.join(", "));
    println!(
        "input      {} mel-spectrogram, {}x{} ({})",
        spec.input.variant,
        spec.input.size,
        spec.input.size,
        spec.input
            .extra
            .get("route")
            .and_then(|v| v.as_str())
            .unwrap_or("array")
    );
    println!("software   {}", spec.software);
    if let Some(trained) = spec.trained.as_object() {
        println!("training:");
        for (k, v) in trained {
            println!("  {k:<18} {v}");
        }
    }
}
