//! `evaluate`: score saved models (one, or an ensemble averaging their probabilities) on a
//! data set's clips or on class folders of images, choosing the part to score: by default the
//! test part of the split the (first) model's own training used.

use std::path::PathBuf;

use subgenre_cnn::{Ensemble, ModelSpec};
use subgenre_dataset::{Cache, ClassSet};
use subgenre_eval::{
    group_split, neighbour_agreement, ClassificationReport, NeighbourAgreement, Report, Run, Split,
};
use subgenre_extract::image::Interpolation;
use subgenre_predict::ModelInput;

use crate::error::{Result, StudyError};
use crate::inputs::{ClipInput, LabelledInputs};
use crate::progress::{Event, Progress};
use crate::record::{SplitRecord, TrainingRecord};
use crate::DataSource;

/// Which clips of the data set to score.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ScoredPart {
    /// The test part of the split the first model's training used (its split file, or the
    /// grouped split of its seed); every clip when its record names neither.
    #[default]
    Trained,
    /// The test part of this seed's grouped split.
    Seed(u64),
    /// The test part of a split file.
    SplitFile(PathBuf),
    /// Every clip.
    All,
}

/// What to score, on what.
#[derive(Debug, Clone)]
pub struct EvaluatePlan {
    pub models: Vec<PathBuf>,
    pub data: DataSource,
    /// Class folders of images to score instead of the data set.
    pub images: Option<PathBuf>,
    pub part: ScoredPart,
    pub jobs: Option<usize>,
    /// Where to write `report.json` and `confusion.png` (and `neighbours.json`).
    pub out: Option<PathBuf>,
    /// Also measure similarity search on the scored clips: each clip's this many nearest
    /// clips of other tracks by the models' embeddings (see [`neighbour_agreement`]).
    pub neighbours: Option<usize>,
}

/// The scores and what they are of.
#[derive(Debug)]
pub struct Evaluation {
    pub scores: ClassificationReport,
    /// `models/a.sgcnn` or `an ensemble of 3 models (models/a.sgcnn ...)`.
    pub name: String,
    pub spec: ModelSpec,
    /// `the test part (266 clips) of DATA`, `all 1772 clips of DATA`, `images in DIR`.
    pub what: String,
    /// The scores as a report (what `out/report.json` holds).
    pub report: Report,
    /// `out/report.json`, when `out` was given.
    pub report_path: Option<PathBuf>,
    /// Inputs that could not be made: (what, reason).
    pub failures: Vec<(String, String)>,
    /// With [`EvaluatePlan::neighbours`]: how often the nearest clips share the label.
    pub neighbours: Option<NeighbourAgreement>,
}

impl EvaluatePlan {
    pub fn new(models: Vec<PathBuf>, data: DataSource) -> Self {
        Self {
            models,
            data,
            images: None,
            part: ScoredPart::Trained,
            jobs: None,
            out: None,
            neighbours: None,
        }
    }

    pub fn run(&self, cache: &Cache, progress: &Progress) -> Result<Evaluation> {
        let Some(first) = self.models.first() else {
            return Err(StudyError::invalid("model", "is missing"));
        };
        let ensemble = Ensemble::from_files(&self.models)?;
        let spec = ensemble.spec().clone();
        let records = ensemble
            .members()
            .iter()
            .zip(&self.models)
            .map(|(m, path)| {
                TrainingRecord::from_value(&m.spec.trained).map_err(|e| StudyError::read(path, e))
            })
            .collect::<Result<Vec<_>>>()?;
        let input = ModelInput::from_spec(&spec.input).map_err(|e| StudyError::read(first, e))?;
        if self.part == ScoredPart::Trained && self.images.is_none() {
            self.check_same_split(&records, progress)?;
        }
        let size = input.size();
        let (inputs, part, what) = if let Some(dir) = &self.images {
            // Resized as the model's training images were (bilinear unless it says area).
            let resize = match input {
                ModelInput::Images { resize, .. } => resize,
                _ => Interpolation::Linear,
            };
            let inputs = LabelledInputs::from_image_folders_of(
                dir,
                &spec.classes,
                size,
                resize,
                self.jobs,
                progress,
            )?;
            let all = (0..inputs.len()).collect();
            (inputs, all, format!("images in {}", dir.display()))
        } else {
            let clip_input = match &input {
                ModelInput::Mel { variant, route, .. } => ClipInput::Mel {
                    variant: *variant,
                    route: *route,
                },
                ModelInput::ClipImages { dir, .. } => ClipInput::Images(dir.clone()),
                ModelInput::Images { .. } => {
                    return Err(StudyError::invalid(
                        "images",
                        format!(
                            "is needed: {} was trained on image folders",
                            first.display()
                        ),
                    ))
                }
            };
            let classes = ClassSet::from_names(spec.classes.clone());
            let selection = self.data.open()?.select(&classes);
            let inputs = LabelledInputs::from_dataset(
                &selection,
                &spec.classes,
                &clip_input,
                size,
                cache,
                self.jobs,
                progress,
            )?;
            let part = self.scored_part(&inputs, &records[0])?;
            let what = if part.len() == inputs.len() {
                format!("all {} clips of {}", inputs.len(), self.data.name())
            } else {
                format!(
                    "the test part ({} clips) of {}",
                    part.len(),
                    self.data.name()
                )
            };
            (inputs, part, what)
        };
        if part.is_empty() {
            return Err(StudyError::NothingToDo("nothing to evaluate".into()));
        }
        let samples = inputs.samples(&part);
        let (pixels, labels): (Vec<Vec<f32>>, Vec<usize>) =
            samples.into_iter().map(|s| (s.pixels, s.label)).unzip();
        let (probs, embeddings) = subgenre_cnn::with_threads(self.jobs.unwrap_or(0), || {
            if self.neighbours.is_some() {
                ensemble.predict_proba_embedded(&pixels, 64)
            } else {
                Ok((ensemble.predict_proba(&pixels, 64)?, Vec::new()))
            }
        })?;
        let y_pred: Vec<usize> = probs.iter().map(|p| subgenre_cnn::argmax(p)).collect();
        let neighbours = match self.neighbours {
            Some(k) => {
                let groups: Vec<&str> = part.iter().map(|&i| inputs.groups[i].as_str()).collect();
                Some(neighbour_agreement(&embeddings, &labels, &groups, k)?)
            }
            None => None,
        };
        let scores = ClassificationReport::new(&labels, &y_pred, &spec.classes)?;
        let n = self.models.len();
        let name = match n {
            1 => first.display().to_string(),
            n => format!("an ensemble of {n} models ({} ...)", first.display()),
        };
        let mut report = Report::new(
            "evaluate",
            &spec.classes,
            &what,
            &subgenre_core::version_string(),
        );
        let model_name = match n {
            1 => spec.arch.name().to_string(),
            n => format!("{}-ensemble-{n}", spec.arch.name()),
        };
        let seed = match &self.part {
            ScoredPart::Seed(seed) => *seed,
            _ => 0,
        };
        let mut run = Run::new(&model_name, seed, &scores, 0.0);
        run.variant = Some(spec.input.variant.clone());
        run.size = Some(size as u32);
        report.push_run(run);
        let report_path = match &self.out {
            Some(out) => {
                std::fs::create_dir_all(out).map_err(|e| StudyError::io(out, e))?;
                let path = out.join("report.json");
                report.write_json(&path)?;
                subgenre_eval::confusion_png(
                    &out.join("confusion.png"),
                    &scores.confusion,
                    &spec.arch.to_string(),
                )?;
                if let Some(agreement) = &neighbours {
                    let path = out.join("neighbours.json");
                    let json = serde_json::to_vec_pretty(agreement)
                        .map_err(StudyError::json("the neighbours' agreement"))?;
                    subgenre_core::write_atomic(&path, &json)
                        .map_err(|e| StudyError::io(&path, e))?;
                }
                Some(path)
            }
            None => None,
        };
        Ok(Evaluation {
            scores,
            name,
            spec,
            what,
            report,
            report_path,
            failures: inputs.failures,
            neighbours,
        })
    }

    /// Scored on the first model's own test part, that part must be unseen by every model.
    fn check_same_split(&self, records: &[TrainingRecord], progress: &Progress) -> Result<()> {
        for (path, record) in self.models.iter().zip(records) {
            if record.saw_test_part() {
                progress(&Event::Note(&format!(
                    "warning: {} was trained on its split's test part too (`train --final`): \
                     the score below is not an estimate for unseen tracks",
                    path.display()
                )));
            }
        }
        let first = &records[0];
        for (path, other) in self.models.iter().zip(records).skip(1) {
            let (a, b) = (other.split_identity(), first.split_identity());
            if a != b {
                return Err(StudyError::invalid(
                    "model",
                    format!(
                        "{} and {} were trained on different splits ({a}; {b}): name the part \
                         to score (a seed, a split file, or all)",
                        path.display(),
                        self.models[0].display(),
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The indices of `inputs` to score.
    fn scored_part(&self, inputs: &LabelledInputs, record: &TrainingRecord) -> Result<Vec<usize>> {
        let items = inputs.items();
        let everything = || (0..items.len()).collect();
        let test_of_file = |path: &PathBuf| -> Result<Vec<usize>> {
            let split = Split::load(path).map_err(|e| StudyError::read(path, e))?;
            Ok(split.indices(&items)?.test)
        };
        let test_of_seed = |seed: u64| -> Result<Vec<usize>> {
            Ok(group_split(&items, seed)?.indices(&items)?.test)
        };
        match &self.part {
            ScoredPart::All => Ok(everything()),
            ScoredPart::SplitFile(path) => test_of_file(path),
            ScoredPart::Seed(seed) => test_of_seed(*seed),
            // A model trained on a split file names it: score on that file's test part.
            ScoredPart::Trained => match (&record.split, record.seed) {
                (Some(SplitRecord::File(path)), _) => test_of_file(path),
                (_, Some(seed)) => test_of_seed(seed),
                _ => Ok(everything()),
            },
        }
    }
}
