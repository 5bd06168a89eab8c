//! `subgenre mels` (the cached mel store) and `subgenre melgrams` (PNG images for people).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use rayon::prelude::*;
use subgenre_dataset::{Cache, Selection};
use subgenre_extract::{cached_store, model_input, InputRoute, MelStore, MelVariant};

use super::{data_source, parse_classes, thread_pool, Failures};
use crate::args::{MelgramsArgs, MelsArgs};
use crate::progress::Progress;

/// The store of `selection`'s clips for `variant` (from the cache when its inputs match),
/// with a progress bar and the clips that failed listed. Returns it with its path.
fn ensure_store(
    selection: &Selection,
    variant: MelVariant,
    cache: &Cache,
    jobs: Option<usize>,
) -> Result<(MelStore, PathBuf)> {
    let progress = Progress::new("mels", selection.items.len() as u64);
    let made =
        thread_pool(jobs)?.install(|| cached_store(selection, variant, cache, &|| progress.inc()));
    progress.finish();
    let made = made?;
    let mut report = Failures::default();
    for (id, reason) in made.failures {
        report.push(id, reason);
    }
    report.report("clips");
    Ok((made.store, made.path))
}

pub fn run_mels(args: MelsArgs, cache: &Cache) -> Result<ExitCode> {
    let variant: MelVariant = args.variant.parse()?;
    let choice = data_source(&args.data, cache)?;
    let selection = choice.open()?.select(&parse_classes(&args.data)?);
    let (store, path) = ensure_store(&selection, variant, cache, args.jobs)?;
    println!(
        "{} clips, {} mels x {} frames ({}) -> {}",
        store.len(),
        store.header.n_mels,
        store.header.n_frames,
        variant.name(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run_melgrams(args: MelgramsArgs, cache: &Cache) -> Result<ExitCode> {
    let variant: MelVariant = args.variant.parse()?;
    let route = match args.route.as_str() {
        "study-png" => InputRoute::StudyPng,
        "array" => InputRoute::Array,
        other => anyhow::bail!("--route must be study-png or array, not `{other}`"),
    };
    anyhow::ensure!(
        (8..=4096).contains(&args.size),
        "--size must be 8..4096 pixels"
    );
    let choice = data_source(&args.data, cache)?;
    let selection = choice.open()?.select(&parse_classes(&args.data)?);
    let (store, _) = ensure_store(&selection, variant, cache, args.jobs)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let progress = Progress::new("melgrams", store.len() as u64);
    let results: Vec<(String, Result<(), String>)> = thread_pool(args.jobs)?.install(|| {
        (0..store.len())
            .into_par_iter()
            .map(|i| {
                let id = store.ids()[i].clone();
                let s_db = store.get(i);
                let pixels: Vec<u8> = match (route, args.size) {
                    // The study's own figure size: its pixels exactly.
                    (InputRoute::StudyPng, size)
                        if size == subgenre_extract::mel::STUDY_PNG_SIZE =>
                    {
                        subgenre_extract::study_png_pixels(&s_db, variant.fmax(), size)
                    }
                    (route, size) => model_input(&s_db, variant, route, size)
                        .iter()
                        .map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
                        .collect(),
                };
                let path = args.out.join(format!("{id}.png"));
                let r = subgenre_extract::write_gray_png(&path, args.size, args.size, &pixels)
                    .map_err(|e| e.to_string());
                progress.inc();
                (id, r)
            })
            .collect()
    });
    progress.finish();
    let mut failures = Failures::default();
    for (id, r) in &results {
        if let Err(reason) = r {
            failures.push(id.clone(), reason);
        }
    }
    println!(
        "{} images ({}x{}, {}) -> {}",
        results.len() - failures.len(),
        args.size,
        args.size,
        args.route,
        args.out.display()
    );
    failures.report("images");
    Ok(ExitCode::SUCCESS)
}
