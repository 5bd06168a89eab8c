//! Labelled model inputs: the pixels a CNN trains on or is scored on, with each input's id,
//! group (its track or file: splits keep a group in one part) and class. One type, built
//! from a data set (mel-spectrograms from the cached store, or the clips' images), from class
//! folders of images, or from class folders of audio files of any length.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use subgenre_cnn::Sample;
use subgenre_dataset::{Cache, Selection};
use subgenre_eval::SplitItem;
use subgenre_extract::image::{model_image, Interpolation};
use subgenre_extract::{cached_store, model_input, InputRoute, MelVariant};

use crate::error::{Result, StudyError};
use crate::progress::{Event, Progress};
use crate::thread_pool;

/// Seconds between the starts of the 8 s windows cut from audio files (as `subgenre predict`).
pub const AUDIO_HOP_S: f64 = 4.0;

/// What a data set's clips become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClipInput {
    /// The clip's mel-spectrogram of `variant`, made into a picture by `route`.
    Mel {
        variant: MelVariant,
        route: InputRoute,
    },
    /// `DIR/<sample_id>.png`, read grey and resized bilinearly (as the study's cv2 code).
    Images(PathBuf),
}

/// Model inputs with their labels, in a fixed order.
#[derive(Debug, Clone, Default)]
pub struct LabelledInputs {
    /// Class names; `labels` index them.
    pub classes: Vec<String>,
    /// Per input: a unique id, its group, its class and its pixels.
    pub ids: Vec<String>,
    pub groups: Vec<String>,
    pub labels: Vec<usize>,
    pub pixels: Vec<Vec<f32>>,
    /// Files (or clips) that gave inputs.
    pub files: usize,
    /// (file or clip, reason) of those left out.
    pub failures: Vec<(String, String)>,
}

impl LabelledInputs {
    /// The inputs of a data set's selected clips at `size` x `size`; `classes` are the
    /// selection's class names. Mel-spectrograms come from the cache (built on first use).
    pub fn from_dataset(
        selection: &Selection,
        classes: &[String],
        input: &ClipInput,
        size: usize,
        cache: &Cache,
        jobs: Option<usize>,
        progress: &Progress,
    ) -> Result<Self> {
        let pool = thread_pool(jobs)?;
        let n = selection.items.len();
        let made: Vec<std::result::Result<Vec<f32>, String>> = match input {
            ClipInput::Images(dir) => pool.install(|| {
                selection
                    .items
                    .par_iter()
                    .map(|item| {
                        let path = dir.join(format!("{}.png", item.sample_id));
                        // The study: cv2.imread grey, cv2.resize (bilinear), / 255.
                        model_image(&path, size, Interpolation::Linear).map_err(|e| e.to_string())
                    })
                    .collect()
            }),
            ClipInput::Mel { variant, route } => {
                progress(&Event::TaskStarted {
                    task: "mels",
                    total: n,
                });
                let advance = || progress(&Event::TaskAdvanced { task: "mels" });
                let made = pool.install(|| cached_store(selection, *variant, cache, &advance));
                progress(&Event::TaskFinished { task: "mels" });
                let made = made?;
                for (id, reason) in &made.failures {
                    progress(&Event::Skipped { what: id, reason });
                }
                let store = made.store;
                pool.install(|| {
                    selection
                        .items
                        .par_iter()
                        .map(|item| match store.index_of(&item.sample_id) {
                            Some(i) => Ok(model_input(&store.get(i), *variant, *route, size)),
                            None => {
                                Err("no mel-spectrogram (the clip could not be analysed)".into())
                            }
                        })
                        .collect()
                })
            }
        };
        let mut inputs = LabelledInputs {
            classes: classes.to_vec(),
            ..Default::default()
        };
        for (item, result) in selection.items.iter().zip(made) {
            match result {
                Ok(pixels) => {
                    inputs.ids.push(item.sample_id.clone());
                    inputs.groups.push(item.spot_id.clone());
                    inputs.labels.push(item.label);
                    inputs.pixels.push(pixels);
                }
                Err(reason) => inputs.failures.push((item.sample_id.clone(), reason)),
            }
        }
        inputs.files = inputs.pixels.len();
        Ok(inputs)
    }

    /// `DIR/<class>/**/*.png|jpg`: each image read grey (as OpenCV's `imread`) and resized
    /// to `size` by `resize`; one input per image, grouped by itself.
    pub fn from_image_folders(
        dir: &Path,
        size: usize,
        resize: Interpolation,
        jobs: Option<usize>,
        progress: &Progress,
    ) -> Result<Self> {
        image_inputs(dir, None, size, resize, jobs, progress)
    }

    /// As [`Self::from_image_folders`], for a model that knows `classes`: labels index them,
    /// and folders of other names are skipped (reported).
    pub fn from_image_folders_of(
        dir: &Path,
        classes: &[String],
        size: usize,
        resize: Interpolation,
        jobs: Option<usize>,
        progress: &Progress,
    ) -> Result<Self> {
        image_inputs(dir, Some(classes), size, resize, jobs, progress)
    }

    /// `DIR/<class>/**/<audio files>` of any length: each cut into the 8 s windows
    /// `subgenre predict` classifies (every [`AUDIO_HOP_S`]), made into `variant` inputs by
    /// `route`; a file's windows form one group.
    pub fn from_audio_folders(
        dir: &Path,
        variant: MelVariant,
        route: InputRoute,
        size: usize,
        jobs: Option<usize>,
        progress: &Progress,
    ) -> Result<Self> {
        let folders = class_folders(
            dir,
            |folder| subgenre_audio::walk::audio_files(&[folder.to_path_buf()]),
            progress,
        )?;
        gather(dir, folders, None, jobs, |path| {
            let audio = subgenre_audio::load(path, &subgenre_audio::LoadOptions::default())
                .map_err(|e| e.to_string())?;
            subgenre_predict::window_inputs(&audio.samples, variant, route, size, AUDIO_HOP_S)
                .map_err(|e| e.to_string())
        })
    }

    pub fn len(&self) -> usize {
        self.pixels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pixels.is_empty()
    }

    /// The inputs as split items (id, group, class).
    pub fn items(&self) -> Vec<SplitItem<'_>> {
        self.ids
            .iter()
            .zip(&self.groups)
            .zip(&self.labels)
            .map(|((id, group), &class)| SplitItem {
                sample_id: id,
                group,
                class,
            })
            .collect()
    }

    /// The inputs at `part`'s indices as training samples.
    pub fn samples(&self, part: &[usize]) -> Vec<Sample> {
        part.iter()
            .map(|&i| Sample {
                pixels: self.pixels[i].clone(),
                label: self.labels[i],
            })
            .collect()
    }

    /// `bouncy 12, tekno 9, ...`: inputs per class.
    pub fn per_class(&self) -> String {
        self.classes
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let n = self.labels.iter().filter(|&&l| l == c).count();
                format!("{name} {n}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn image_inputs(
    dir: &Path,
    known: Option<&[String]>,
    size: usize,
    resize: Interpolation,
    jobs: Option<usize>,
    progress: &Progress,
) -> Result<LabelledInputs> {
    let mut folders = class_folders(dir, subgenre_dataset::walk::image_files, progress)?;
    if let Some(classes) = known {
        folders.retain(|(name, _)| {
            let kept = classes.contains(name);
            if !kept {
                let what = dir.join(name).display().to_string();
                let reason = format!("the model has no class `{name}`");
                progress(&Event::Skipped {
                    what: &what,
                    reason: &reason,
                });
            }
            kept
        });
    }
    gather(dir, folders, known, jobs, |path| {
        Ok(vec![
            model_image(path, size, resize).map_err(|e| e.to_string())?
        ])
    })
}

/// The class folders of `dir` with their files; the empty ones are reported as skipped.
pub fn class_folders(
    dir: &Path,
    files_of: impl Fn(&Path) -> Vec<PathBuf>,
    progress: &Progress,
) -> Result<Vec<(String, Vec<PathBuf>)>> {
    let found = subgenre_dataset::walk::class_folders(dir, files_of).map_err(|source| {
        StudyError::Dataset {
            what: "reading class folders".into(),
            source,
        }
    })?;
    for folder in &found.empty {
        let what = folder.display().to_string();
        progress(&Event::Skipped {
            what: &what,
            reason: "no usable files",
        });
    }
    Ok(found.classes)
}

/// `<class>/<path inside the class folder>`, with `/` separators.
fn file_id(class: &str, folder: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(folder).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    format!("{class}/{}", parts.join("/"))
}

/// Per file, its inputs (or why it has none), in parallel; then the inputs of the files that
/// gave some, labelled by `known` classes when given (every folder must be one of them), else
/// with the folders' classes renumbered over those that kept inputs.
fn gather(
    dir: &Path,
    folders: Vec<(String, Vec<PathBuf>)>,
    known: Option<&[String]>,
    jobs: Option<usize>,
    load: impl Fn(&Path) -> std::result::Result<Vec<Vec<f32>>, String> + Sync,
) -> Result<LabelledInputs> {
    let files: Vec<(String, usize, PathBuf)> = folders
        .iter()
        .enumerate()
        .flat_map(|(c, (class, paths))| {
            let folder = dir.join(class);
            paths
                .iter()
                .map(move |p| (file_id(class, &folder, p), c, p.clone()))
        })
        .collect();
    let loaded: Vec<std::result::Result<Vec<Vec<f32>>, String>> =
        thread_pool(jobs)?.install(|| files.par_iter().map(|(_, _, path)| load(path)).collect());
    let mut kept_classes: Vec<usize> = Vec::new();
    let mut raw: Vec<(String, usize, Vec<Vec<f32>>)> = Vec::new();
    let mut failures = Vec::new();
    for ((id, class, path), result) in files.into_iter().zip(loaded) {
        match result {
            Ok(windows) if !windows.is_empty() => {
                if !kept_classes.contains(&class) {
                    kept_classes.push(class);
                }
                raw.push((id, class, windows));
            }
            Ok(_) => failures.push((path.display().to_string(), "no inputs".to_string())),
            Err(reason) => failures.push((path.display().to_string(), reason)),
        }
    }
    kept_classes.sort_unstable();
    let (classes, labels): (Vec<String>, Vec<usize>) = match known {
        Some(known) => (
            known.to_vec(),
            folders
                .iter()
                .map(|(name, _)| known.iter().position(|c| c == name).unwrap_or(0))
                .collect(),
        ),
        None => {
            if kept_classes.len() < 2 {
                return Err(StudyError::NothingToDo(format!(
                    "fewer than two classes of {} could be read",
                    dir.display()
                )));
            }
            // A folder's label: its rank among the kept ones.
            let labels = (0..folders.len())
                .map(|c| kept_classes.iter().position(|&k| k == c).unwrap_or(0))
                .collect();
            let names = kept_classes.iter().map(|&c| folders[c].0.clone()).collect();
            (names, labels)
        }
    };
    let mut inputs = LabelledInputs {
        classes,
        files: raw.len(),
        failures,
        ..Default::default()
    };
    for (id, class, windows) in raw {
        let label = labels[class];
        let several = windows.len() > 1;
        for (k, pixels) in windows.into_iter().enumerate() {
            inputs.ids.push(if several {
                format!("{id}#{k}")
            } else {
                id.clone()
            });
            inputs.groups.push(id.clone());
            inputs.labels.push(label);
            inputs.pixels.push(pixels);
        }
    }
    Ok(inputs)
}
