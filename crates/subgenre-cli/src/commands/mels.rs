//! `subgenre mels` (the cached mel store) and `subgenre melgrams` (PNG images for people).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use subgenre_dataset::{Cache, Selection};
use subgenre_extract::{cached_store, write_melgrams, MelStore, MelVariant, MelgramSettings};

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
    Failures::from(made.failures).report("clips");
    Ok((made.store, made.path))
}

pub fn run_mels(args: MelsArgs, cache: &Cache) -> Result<ExitCode> {
    let choice = data_source(&args.data, cache)?;
    let selection = choice.open()?.select(&parse_classes(&args.data)?);
    let (store, path) = ensure_store(&selection, args.variant, cache, args.jobs)?;
    println!(
        "{} clips, {} mels x {} frames ({}) -> {}",
        store.len(),
        store.header.n_mels,
        store.header.n_frames,
        args.variant.name(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run_melgrams(args: MelgramsArgs, cache: &Cache) -> Result<ExitCode> {
    let settings = MelgramSettings::new(args.route, args.size, args.out.clone())?;
    let choice = data_source(&args.data, cache)?;
    let selection = choice.open()?.select(&parse_classes(&args.data)?);
    let (store, _) = ensure_store(&selection, args.variant, cache, args.jobs)?;
    let progress = Progress::new("melgrams", store.len() as u64);
    let written =
        thread_pool(args.jobs)?.install(|| write_melgrams(&store, &settings, &|| progress.inc()));
    progress.finish();
    let written = written?;
    println!(
        "{} images ({}x{}, {}) -> {}",
        written.written,
        args.size,
        args.size,
        args.route,
        args.out.display()
    );
    Failures::from(written.failures).report("images");
    Ok(ExitCode::SUCCESS)
}
