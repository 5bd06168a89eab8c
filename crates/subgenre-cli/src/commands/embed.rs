//! `subgenre embed`: musicnn's layers over audio files, as subgenre-predict's
//! [`embed_paths`] computes them, written where asked and summarised.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use subgenre_predict::embed::{embed_paths, embeddings_document, write_npy_files, EmbedEvent};

use super::{thread_pool, write_or_print, Failures};
use crate::args::EmbedArgs;
use crate::progress::Progress;

pub fn run(args: EmbedArgs) -> Result<ExitCode> {
    let progress = Progress::new("files", 0);
    let outcome = thread_pool(args.jobs)?.install(|| {
        embed_paths(args.model, args.layer, &args.paths, |event| match event {
            EmbedEvent::Planned { files } => progress.set_total(files as u64),
            EmbedEvent::FileDone { .. } => progress.inc(),
            _ => {}
        })
    });
    progress.finish();
    let outcome = outcome?;
    if let Some(dir) = &args.npy {
        write_npy_files(dir, &outcome)?;
        eprintln!("{} files -> {}", outcome.embeddings.len(), dir.display());
    }
    let json_to_stdout = args.json.as_deref() == Some(Path::new("-"));
    if let Some(path) = &args.json {
        let text = serde_json::to_string(&embeddings_document(&outcome)?)?;
        write_or_print(path, &text, "JSON")?;
    }
    if !json_to_stdout {
        let (model, layer) = (outcome.model, outcome.layer);
        println!("{model} {layer} ({} values a row):", layer.width());
        for e in &outcome.embeddings {
            println!("  {}: {} rows", e.path.display(), e.rows);
        }
    }
    for skipped in &outcome.skipped {
        eprintln!("{skipped}");
    }
    let done = outcome.embeddings.len();
    Failures::from(outcome.failures).report("files");
    Ok(if done == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
