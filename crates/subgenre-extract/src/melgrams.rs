//! Mel-spectrograms as 8-bit grey PNGs for people (`subgenre melgrams`): the study's figure
//! or the canonical model input, one `<sample_id>.png` per clip of a mel store.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use rayon::prelude::*;

use crate::error::{ExtractError, Result};
use crate::mel::{model_input, study_png_pixels, InputRoute, MelVariant, STUDY_PNG_SIZE};
use crate::store::{write_gray_png, MelStore};

/// Which picture of each clip, how big, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct MelgramSettings {
    pub route: InputRoute,
    pub out: PathBuf,
    size: usize,
}

impl MelgramSettings {
    pub const MIN_SIZE: usize = 8;
    pub const MAX_SIZE: usize = 4096;

    /// `size` x `size` images (8 to 4096 pixels) into `out`.
    pub fn new(route: InputRoute, size: usize, out: PathBuf) -> Result<Self> {
        if !(Self::MIN_SIZE..=Self::MAX_SIZE).contains(&size) {
            return Err(ExtractError::InvalidOption {
                name: "size",
                value: size.to_string(),
                reason: "must be 8..4096 pixels",
            });
        }
        Ok(Self { route, out, size })
    }

    /// The side of each image in pixels.
    pub fn size(&self) -> usize {
        self.size
    }
}

/// The grey pixels (row major, `size` x `size`) of a clip's dB mel matrix by `route`: at the
/// study's own figure size, its figure's pixels exactly; otherwise the model input scaled to
/// 0..255.
pub fn melgram_pixels(
    s_db: &Array2<f32>,
    variant: MelVariant,
    route: InputRoute,
    size: usize,
) -> Vec<u8> {
    match route {
        InputRoute::StudyPng if size == STUDY_PNG_SIZE => {
            study_png_pixels(s_db, variant.fmax(), size)
        }
        route => model_input(s_db, variant, route, size)
            .iter()
            .map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
            .collect(),
    }
}

/// What [`write_melgrams`] wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MelgramsWritten {
    pub written: usize,
    /// (sample_id, reason) of the images that could not be written.
    pub failures: Vec<(String, String)>,
}

/// One PNG per clip of `store` into `settings.out` (created when missing), in parallel on
/// the current rayon pool; `on_image` is called as each is done.
pub fn write_melgrams(
    store: &MelStore,
    settings: &MelgramSettings,
    on_image: &(dyn Fn() + Sync),
) -> Result<MelgramsWritten> {
    std::fs::create_dir_all(&settings.out).map_err(|source| ExtractError::Io {
        path: settings.out.clone(),
        source,
    })?;
    let results: Vec<(String, Result<()>)> = (0..store.len())
        .into_par_iter()
        .map(|i| {
            let id = store.ids()[i].clone();
            let r = write_one(store, i, settings, &settings.out.join(format!("{id}.png")));
            on_image();
            (id, r)
        })
        .collect();
    let mut done = MelgramsWritten::default();
    for (id, r) in results {
        match r {
            Ok(()) => done.written += 1,
            Err(e) => done.failures.push((id, e.to_string())),
        }
    }
    Ok(done)
}

fn write_one(store: &MelStore, i: usize, settings: &MelgramSettings, path: &Path) -> Result<()> {
    let pixels = melgram_pixels(
        &store.get(i),
        store.header.variant,
        settings.route,
        settings.size,
    );
    write_gray_png(path, settings.size, settings.size, &pixels)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn every_clip_of_a_store_becomes_a_png_of_the_size_asked() {
        let mut store = MelStore::new(MelVariant::Normal, 4, 6);
        let s_db = Array2::from_shape_fn((4, 6), |(m, t)| -((m * 6 + t) as f32) * 3.0);
        assert!(!store.push("x".into(), &s_db));
        assert!(!store.push("y".into(), &s_db));
        let dir = tempfile::tempdir().expect("tmp");
        let out = dir.path().join("pngs");
        let settings = MelgramSettings::new(InputRoute::Array, 16, out.clone()).expect("ok");
        let calls = AtomicUsize::new(0);
        let done = write_melgrams(&store, &settings, &|| {
            calls.fetch_add(1, Ordering::Relaxed);
        })
        .expect("written");
        assert_eq!((done.written, done.failures.len()), (2, 0));
        assert_eq!(calls.load(Ordering::Relaxed), 2);
        let img = crate::image::imread_gray(&out.join("x.png")).expect("png");
        assert_eq!((img.width, img.height), (16, 16));
        // The array route is the model input on 8 bits: its extremes are black and white.
        let pixels = melgram_pixels(&s_db, MelVariant::Normal, InputRoute::Array, 16);
        assert_eq!(pixels.iter().min(), Some(&0));
        assert_eq!(pixels.iter().max(), Some(&255));
    }

    #[test]
    fn sizes_are_checked() {
        for bad in [0, 7, 4097] {
            assert!(MelgramSettings::new(InputRoute::Array, bad, "x".into()).is_err());
        }
        assert!(MelgramSettings::new(InputRoute::StudyPng, 300, "x".into()).is_ok());
    }
}
