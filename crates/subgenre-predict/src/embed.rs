//! musicnn's layers over audio files and signals: what `subgenre embed` and the Python
//! package's `subgenre.musicnn` and `Predictor.embed` compute, over subgenre-cnn's musicnn
//! (converted weights, parity with TensorFlow tested there).
//!
//! A file is loaded at musicnn's 16 kHz (subgenre-audio's decoder and resampler), cut into
//! non-overlapping 3 s patches (a file under 3 s is repeat-padded, one under 1 s refused) and
//! run through the network; each layer comes per row (a patch, or a frame for the per-frame
//! layers) and as the mean over rows, the file's embedding.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;
use subgenre_audio::walk::Skipped;
use subgenre_cnn::pretrained::musicnn::{logmel_patches_at, SAMPLE_RATE};
pub use subgenre_cnn::pretrained::musicnn::{
    Musicnn, MusicnnError, MusicnnFeatures, MusicnnLayer, MusicnnModel,
};
use subgenre_core::reason_about;

use crate::{PredictError, Result};

/// The shipped weights of `model`, parsed once per process.
pub fn shipped_network(model: MusicnnModel) -> Result<&'static Musicnn> {
    static NETWORKS: [OnceLock<Musicnn>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = &NETWORKS[MusicnnModel::ALL
        .iter()
        .position(|m| *m == model)
        .unwrap_or(0)];
    if let Some(network) = slot.get() {
        return Ok(network);
    }
    let network = Musicnn::embedded(model)?;
    Ok(slot.get_or_init(|| network))
}

/// Every layer of `network` over mono `samples` at `sample_rate` Hz (resampled to 16 kHz when
/// needed); the patches run on the current rayon pool.
pub fn musicnn_of_samples(
    network: &Musicnn,
    samples: &[f32],
    sample_rate: u32,
) -> Result<MusicnnFeatures> {
    let (patches, _) = logmel_patches_at(samples, sample_rate)?;
    Ok(network.forward_parallel(&patches)?)
}

/// One layer of musicnn over one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileEmbedding {
    #[serde(serialize_with = "display_path")]
    pub path: PathBuf,
    /// Rows: patches, or frames (187 a patch) for the per-frame layers.
    pub rows: usize,
    /// `[rows, width]`, row-major.
    #[serde(skip)]
    pub values: Vec<f32>,
    /// The mean over the rows: the file's embedding.
    pub mean: Vec<f32>,
}

fn display_path<S: serde::Serializer>(path: &Path, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&path.display())
}

impl FileEmbedding {
    fn new(path: &Path, features: &MusicnnFeatures, layer: MusicnnLayer) -> Self {
        let [rows, width] = features.shape(layer);
        let values = features.layer(layer).to_vec();
        let mut mean = vec![0f64; width];
        for row in values.chunks_exact(width) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += f64::from(v);
            }
        }
        Self {
            path: path.to_path_buf(),
            rows,
            mean: mean
                .into_iter()
                .map(|m| (m / rows.max(1) as f64) as f32)
                .collect(),
            values,
        }
    }

    /// Values per row.
    pub fn width(&self) -> usize {
        self.mean.len()
    }
}

/// `layer` of `network` over the file at `path`.
pub fn embed_file(network: &Musicnn, layer: MusicnnLayer, path: &Path) -> Result<FileEmbedding> {
    embed_one(network, layer, path, false)
}

/// [`embed_file`] of each file, several at once on the current rayon pool (a single file's
/// patches spread over it instead), in the order given; `on_done` is called as each finishes.
pub fn embed_files(
    network: &Musicnn,
    layer: MusicnnLayer,
    paths: &[PathBuf],
    on_done: impl Fn(&Path, &Result<FileEmbedding>) + Sync,
) -> Vec<Result<FileEmbedding>> {
    let one_file = paths.len() == 1;
    paths
        .par_iter()
        .map(|path| {
            let result = embed_one(network, layer, path, one_file);
            on_done(path, &result);
            result
        })
        .collect()
}

/// What [`embed_paths`] reports as it goes.
#[derive(Debug)]
#[non_exhaustive]
pub enum EmbedEvent<'a> {
    /// `files` files will be embedded.
    Planned { files: usize },
    /// One file finished (in finishing order).
    FileDone {
        path: &'a Path,
        result: &'a Result<FileEmbedding>,
    },
}

/// What [`embed_paths`] did.
#[derive(Debug)]
pub struct EmbedOutcome {
    pub model: MusicnnModel,
    pub layer: MusicnnLayer,
    /// The files embedded, in walk order.
    pub embeddings: Vec<FileEmbedding>,
    /// (path, reason) of the files that failed, in walk order.
    pub failures: Vec<(String, String)>,
    /// Paths the folder walk left out.
    pub skipped: Vec<Skipped>,
}

/// `layer` of the shipped `model` over the audio files under `paths` (walked as
/// [`subgenre_audio::walk`] walks), on the current rayon pool.
pub fn embed_paths(
    model: MusicnnModel,
    layer: MusicnnLayer,
    paths: &[PathBuf],
    on_event: impl Fn(EmbedEvent<'_>) + Sync,
) -> Result<EmbedOutcome> {
    let network = shipped_network(model)?;
    let walked = subgenre_audio::walk::walk_audio(paths);
    if walked.files.is_empty() && walked.skipped.is_empty() {
        return Err(PredictError::NoAudioFiles { shard: None });
    }
    on_event(EmbedEvent::Planned {
        files: walked.files.len(),
    });
    let results = embed_files(network, layer, &walked.files, |path, result| {
        on_event(EmbedEvent::FileDone { path, result });
    });
    let mut embeddings = Vec::new();
    let mut failures = Vec::new();
    for (path, result) in walked.files.iter().zip(results) {
        match result {
            Ok(e) => embeddings.push(e),
            Err(e) => failures.push((path.display().to_string(), reason_about(path, &e))),
        }
    }
    Ok(EmbedOutcome {
        model,
        layer,
        embeddings,
        failures,
        skipped: walked.skipped,
    })
}

/// `subgenre embed --json`'s document: `model`, `layer`, `width`, `tags` (the taggram's
/// names), `files` (`{path, rows, mean, values}`, values row by row), `errors` and `skipped`
/// (`{path, reason}`).
pub fn embeddings_document(outcome: &EmbedOutcome) -> Result<serde_json::Value> {
    let network = shipped_network(outcome.model)?;
    let files: Vec<_> = outcome
        .embeddings
        .iter()
        .map(|e| {
            let rows: Vec<&[f32]> = e.values.chunks(e.width().max(1)).collect();
            json!({"path": e.path.display().to_string(), "rows": e.rows, "mean": e.mean, "values": rows})
        })
        .collect();
    let errors: Vec<_> = outcome
        .failures
        .iter()
        .map(|(path, reason)| json!({"path": path, "reason": reason}))
        .collect();
    Ok(json!({
        "model": outcome.model.name(),
        "layer": outcome.layer.name(),
        "width": outcome.layer.width(),
        "tags": network.tags(),
        "files": files,
        "errors": errors,
        "skipped": outcome.skipped,
    }))
}

/// Each file's rows as `dir/<name>.npy` (`[rows, width]` float32) and its mean as
/// `dir/<name>.mean.npy`; the folder is made if needed.
pub fn write_npy_files(dir: &Path, outcome: &EmbedOutcome) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| PredictError::Io {
        action: "creating",
        path: dir.to_path_buf(),
        source,
    })?;
    for e in &outcome.embeddings {
        let stem = e.path.file_stem().unwrap_or_default().to_string_lossy();
        write_npy(
            &dir.join(format!("{stem}.npy")),
            &e.values,
            [e.rows, e.width()],
        )?;
        write_npy(
            &dir.join(format!("{stem}.mean.npy")),
            &e.mean,
            [1, e.width()],
        )?;
    }
    Ok(())
}

fn embed_one(
    network: &Musicnn,
    layer: MusicnnLayer,
    path: &Path,
    parallel: bool,
) -> Result<FileEmbedding> {
    let options = subgenre_audio::LoadOptions::default().sr(Some(SAMPLE_RATE));
    let audio = subgenre_audio::load(path, &options)?;
    let (patches, _) =
        logmel_patches_at(&audio.samples, SAMPLE_RATE).map_err(|source| PredictError::Embed {
            path: path.to_path_buf(),
            source,
        })?;
    let features = if parallel {
        network.forward_parallel(&patches)?
    } else {
        network.forward(&patches)?
    };
    Ok(FileEmbedding::new(path, &features, layer))
}

/// `values` (`[rows, width]`, f32) as a NumPy `.npy` file (format 1.0, little-endian), written
/// atomically.
pub fn write_npy(path: &Path, values: &[f32], [rows, width]: [usize; 2]) -> Result<()> {
    let mut header =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {width}), }}");
    // Magic (6) + version (2) + header length (2) + header + '\n', padded to 64 bytes.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + values.len() * 4);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    subgenre_core::write_atomic(path, &bytes).map_err(|source| PredictError::Io {
        action: "writing",
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_files_have_numpy_s_header() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("x.npy");
        write_npy(&path, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
        let (shape, values) = subgenre_fixtures::read_npy(&path)?;
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(values, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let bytes = std::fs::read(&path)?;
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        Ok(())
    }

    #[test]
    fn a_signal_gives_every_layer_and_a_short_one_an_error() -> Result<()> {
        let network = shipped_network(MusicnnModel::MSD_musicnn)?;
        let y: Vec<f32> = (0..16_000 * 4)
            .map(|i| (i as f32 * 0.07).sin() * 0.3)
            .collect();
        let features = musicnn_of_samples(network, &y, 16_000)?;
        assert_eq!(features.n_patches, 1);
        assert_eq!(features.shape(MusicnnLayer::Timbral), [187, 408]);
        assert!(features.taggram.iter().all(|p| (0.0..=1.0).contains(p)));
        let err = musicnn_of_samples(network, &y[..8000], 16_000).expect_err("half a second");
        assert!(err.to_string().contains("minimum"), "{err}");
        Ok(())
    }
}
