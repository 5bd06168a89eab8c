//! A saved model's training record (the spec's `trained` object), typed: what `train`,
//! `experiment` and `transfer` write, read back from every model saved so far (the three
//! shipped ones included; fields they lack are `None`, fields this build does not know are
//! kept in `other`).

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Map, Value};

/// The split a model was trained on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitRecord {
    /// The grouped split of the record's seed.
    Group,
    /// A split file: the same parts whatever the seed.
    File(PathBuf),
    /// Another named split (`stratified-70/15/15:seed42`, `group-by-file:seed42`).
    Named(String),
}

impl SplitRecord {
    fn parse(text: &str) -> Self {
        match text.strip_prefix("file:") {
            Some(path) => SplitRecord::File(PathBuf::from(path)),
            None if text == "group" => SplitRecord::Group,
            None => SplitRecord::Named(text.to_string()),
        }
    }

    /// As written in a record.
    pub fn name(&self) -> String {
        match self {
            SplitRecord::Group => "group".into(),
            SplitRecord::File(path) => format!("file:{}", path.display()),
            SplitRecord::Named(name) => name.clone(),
        }
    }
}

/// What a model was fitted on, besides its split's train part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// `train --final`: the test part too; scored on the validation part.
    TrainAndTest,
    Other(String),
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
struct Raw {
    data: Option<String>,
    seed: Option<u64>,
    split: Option<String>,
    fit: Option<String>,
    mode: Option<String>,
    best_epoch: Option<usize>,
    epochs_run: Option<usize>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// A model's training record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainingRecord {
    /// The data set or folder it was trained on.
    pub data: Option<String>,
    pub seed: Option<u64>,
    pub split: Option<SplitRecord>,
    pub fit: Option<Fit>,
    /// `transfer` or `scratch`, for transfer runs.
    pub mode: Option<String>,
    pub best_epoch: Option<usize>,
    pub epochs_run: Option<usize>,
    /// Everything else (part sizes, scores, settings, the base model).
    pub other: Map<String, Value>,
}

impl TrainingRecord {
    /// Read a spec's `trained` value (`null` or an object).
    pub fn from_value(value: &Value) -> Result<Self, String> {
        if value.is_null() {
            return Ok(Self::default());
        }
        let raw: Raw = serde_json::from_value(value.clone())
            .map_err(|e| format!("its training record is not understood: {e}"))?;
        Ok(Self {
            data: raw.data,
            seed: raw.seed,
            split: raw.split.as_deref().map(SplitRecord::parse),
            fit: raw.fit.map(|f| {
                if f.starts_with("train+test") {
                    Fit::TrainAndTest
                } else {
                    Fit::Other(f)
                }
            }),
            mode: raw.mode,
            best_epoch: raw.best_epoch,
            epochs_run: raw.epochs_run,
            other: raw.other,
        })
    }

    /// Whether the model has seen its split's test part (`train --final`).
    pub fn saw_test_part(&self) -> bool {
        self.fit == Some(Fit::TrainAndTest)
    }

    /// The split as text to compare two models by: a split file fixes the parts whatever the
    /// seed; otherwise the seed makes them.
    pub fn split_identity(&self) -> String {
        let split = self.split.as_ref().map_or("null".into(), SplitRecord::name);
        match (&self.split, self.seed) {
            (Some(SplitRecord::File(_)), _) => format!("split {split}"),
            (_, Some(seed)) => format!("split {split}, seed {seed}"),
            (_, None) => format!("split {split}, seed null"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(value: Value) -> TrainingRecord {
        TrainingRecord::from_value(&value).expect("ok")
    }

    #[test]
    fn a_split_file_is_the_same_split_whatever_the_seed() {
        let file = |seed| record(json!({"split": "file:runs/split42.json", "seed": seed}));
        let group = |seed| record(json!({"split": "group", "seed": seed}));
        assert_eq!(file(42).split_identity(), file(1042).split_identity());
        assert_ne!(group(42).split_identity(), group(43).split_identity());
        assert_eq!(group(42).split_identity(), group(42).split_identity());
        assert_ne!(file(42).split_identity(), group(42).split_identity());
        assert_eq!(
            file(42).split,
            Some(SplitRecord::File("runs/split42.json".into()))
        );
    }

    #[test]
    fn a_final_fit_says_so() {
        let r = record(json!({"fit": "train+test parts; early stopping ...", "seed": 42}));
        assert!(r.saw_test_part());
        assert!(!record(json!({"seed": 42})).saw_test_part());
        assert_eq!(record(Value::Null), TrainingRecord::default());
        assert!(TrainingRecord::from_value(&json!({"seed": "x"})).is_err());
    }

    #[test]
    fn the_shipped_models_records_read() {
        for (name, bytes) in subgenre_predict::EMBEDDED_MODELS {
            let model = subgenre_cnn::load_model_bytes(
                bytes,
                name.as_ref(),
                &subgenre_cnn::default_device(),
            )
            .expect("ok");
            let r = TrainingRecord::from_value(&model.spec.trained).expect("ok");
            assert!(r.seed.is_some(), "{name}: {r:?}");
            assert!(r.split.is_some(), "{name}: {r:?}");
            assert!(r.best_epoch.is_some(), "{name}: {r:?}");
        }
    }
}
