//! `subgenre predict` (classify tracks) and `subgenre model info`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::json;
use subgenre_predict::catalogue::{keyed_audio_files, Journal};
use subgenre_predict::{PredictOptions, Predictor, TrackPrediction};

use super::{thread_pool, Failures};
use crate::args::{ModelCommand, PredictArgs};
use crate::progress::Progress;

fn load_predictor(models: &[PathBuf]) -> Result<Predictor> {
    if models.is_empty() {
        Predictor::embedded().context("loading the shipped models")
    } else {
        Predictor::from_files(models).context("loading the models")
    }
}

pub fn run(args: PredictArgs) -> Result<ExitCode> {
    if let Some(p) = args.min_confidence {
        anyhow::ensure!(
            (0.0..=1.0).contains(&p),
            "--min-confidence must be in 0..1, not {p}"
        );
    }
    let predictor = load_predictor(&args.model)?;
    let mut files: Vec<PathBuf> = keyed_audio_files(&args.paths)
        .into_iter()
        .filter(|(_, key)| args.shard.is_none_or(|s| s.holds(key)))
        .map(|(file, _)| file)
        .collect();
    anyhow::ensure!(
        !files.is_empty(),
        "no audio files under the given paths{}",
        args.shard
            .map_or(String::new(), |s| format!(" in shard {s}"))
    );
    let journal = match &args.jsonl {
        Some(path) => {
            let (journal, state) = Journal::open(path, args.resume)
                .with_context(|| format!("opening {}", path.display()))?;
            if args.resume {
                let before = files.len();
                files.retain(|f| {
                    let key = f.display().to_string();
                    !state.done.contains(&key) || (args.retry_errors && state.failed.contains(&key))
                });
                eprintln!(
                    "resuming {}: {} of {before} files already there{}",
                    path.display(),
                    before - files.len(),
                    if state.dropped_partial_line {
                        " (a half-written last line was dropped)"
                    } else {
                        ""
                    }
                );
            }
            Some(journal)
        }
        None => None,
    };
    let options = PredictOptions {
        hop_s: args.hop,
        min_confidence: args.min_confidence,
        tempo: !args.no_tempo,
        ..PredictOptions::default()
    };
    let progress = Progress::new("tracks", files.len() as u64);
    let journal = std::sync::Mutex::new(journal);
    let journal_error = std::sync::Mutex::new(None);
    let results = thread_pool(args.jobs)?.install(|| {
        predictor.predict_files(&files, &options, |path, result| {
            if let Some(journal) = journal.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                let line = match result {
                    Ok(t) => json!(t),
                    Err(e) => json!({"path": path.display().to_string(), "error": e.to_string()}),
                };
                if let Err(e) = journal.append(&line) {
                    let mut first = journal_error.lock().unwrap_or_else(|e| e.into_inner());
                    first.get_or_insert_with(|| {
                        anyhow::Error::new(e)
                            .context(format!("appending to {}", journal.path().display()))
                    });
                }
            }
            progress.inc();
        })
    });
    if let Some(e) = journal_error
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
    {
        return Err(e);
    }
    let mut tracks = Vec::new();
    let mut failures = Failures::default();
    for (path, result) in files.iter().zip(results) {
        match result {
            Ok(t) => tracks.push(t),
            Err(e) => failures.push(path.display().to_string(), e),
        }
    }
    progress.finish();

    let json_to_stdout = args.json.as_deref() == Some(Path::new("-"));
    if !json_to_stdout {
        print_table(&predictor, &tracks);
    }
    if let Some(path) = &args.json {
        let errors: Vec<_> = failures
            .entries()
            .iter()
            .map(|(p, reason)| json!({"path": p, "reason": reason}))
            .collect();
        let doc = json!({
            "model": model_summary(&predictor),
            "classes": predictor.spec().classes,
            "tracks": tracks,
            "errors": errors,
        });
        let text = serde_json::to_string_pretty(&doc)?;
        if json_to_stdout {
            println!("{text}");
        } else {
            subgenre_core::write_atomic(path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("JSON -> {}", path.display());
        }
    }
    if let Some(path) = &args.csv {
        write_windows_csv(path, &predictor.spec().classes, &tracks)?;
        eprintln!("windows CSV -> {}", path.display());
    }
    if let Some(target) = &args.timeline {
        write_timelines(target, &tracks)?;
    }
    failures.report("files");
    Ok(if tracks.is_empty() && !(files.is_empty() && args.resume) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn model_summary(predictor: &Predictor) -> serde_json::Value {
    let spec = predictor.spec();
    json!({
        "source": predictor.name(),
        "arch": spec.arch.name(),
        "input": {"variant": spec.input.variant, "size": spec.input.size},
        "software": spec.software,
        "members": predictor.models().names(),
    })
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

fn write_windows_csv(path: &Path, classes: &[String], tracks: &[TrackPrediction]) -> Result<()> {
    subgenre_core::write_atomic_with(path, |w| {
        let mut csv = csv::Writer::from_writer(w);
        let mut header = vec!["path".to_string(), "start_s".into(), "end_s".into()];
        header.extend(classes.iter().cloned());
        header.push("track_label".into());
        csv.write_record(&header)?;
        for t in tracks {
            for win in &t.windows {
                let mut row = vec![
                    t.path.display().to_string(),
                    format!("{:.3}", win.start_s),
                    format!("{:.3}", win.end_s),
                ];
                row.extend(win.probs.iter().map(|p| format!("{p:.5}")));
                row.push(t.label.clone());
                csv.write_record(&row)?;
            }
        }
        csv.flush()
    })
    .with_context(|| format!("writing {}", path.display()))
}

/// One track: `target` is the PNG (a folder target gets `<stem>.png` inside). Several: a
/// folder of `<stem>.png`, numbered where two tracks share a name.
fn write_timelines(target: &Path, tracks: &[TrackPrediction]) -> Result<()> {
    let single_file = tracks.len() == 1 && !target.is_dir();
    if single_file {
        subgenre_predict::timeline_png(target, &tracks[0])?;
        eprintln!("timeline -> {}", target.display());
        return Ok(());
    }
    std::fs::create_dir_all(target).with_context(|| format!("creating {}", target.display()))?;
    let mut used = HashSet::new();
    for t in tracks {
        let stem = t
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "track".into());
        let mut name = format!("{stem}.png");
        let mut n = 2;
        while !used.insert(name.clone()) {
            name = format!("{stem}-{n}.png");
            n += 1;
        }
        subgenre_predict::timeline_png(&target.join(PathBuf::from(name)), t)?;
    }
    eprintln!("{} timelines -> {}", tracks.len(), target.display());
    Ok(())
}

pub fn run_model(cmd: ModelCommand) -> Result<ExitCode> {
    match cmd {
        ModelCommand::Info { model, json } => {
            let predictor = load_predictor(&model)?;
            let ensemble = predictor.models();
            if json {
                let specs: Vec<_> = ensemble.members().iter().map(|m| &m.spec).collect();
                println!("{}", serde_json::to_string_pretty(&specs)?);
                return Ok(ExitCode::SUCCESS);
            }
            let bytes: Vec<u64> = if model.is_empty() {
                subgenre_predict::EMBEDDED_MODELS
                    .iter()
                    .map(|(_, b)| b.len() as u64)
                    .collect()
            } else {
                model
                    .iter()
                    .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
                    .collect()
            };
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
