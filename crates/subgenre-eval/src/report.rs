//! `report.json`: the runs of an evaluation and their summary.
//!
//! Shape (shared by the classic models and the CNNs):
//!
//! ```json
//! {"protocol", "classes", "features", "version",
//!  "runs": [{"model", "seed", "accuracy", "macro_f1", "weighted_f1",
//!            "per_class": {class: {"precision", "recall", "f1", "support"}},
//!            "confusion": [[...]], "fit_seconds"}],
//!  "summary": [{"model", "weighted_f1_mean", "weighted_f1_std", "macro_f1_mean", "accuracy_mean"}]}
//! ```
//!
//! Runs may also carry `variant`, `size`, `best_epoch`, `epochs_run`,
//! `train_seconds`, `history` (CNNs) and `params` (tuned hyper-parameters);
//! summary rows `variant` and `size`. Absent optional fields are left out of
//! the JSON. Standard deviations are population ones (`np.std`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{EvalError, Result};
use crate::metrics::{mean, std_population, ClassMetrics, ClassificationReport};

/// A whole report file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The evaluation protocol, e.g. `group` or `study (leaky)`.
    pub protocol: String,
    /// Class names, in index order (the confusion matrices' order).
    pub classes: Vec<String>,
    /// What the models saw: the feature set or input description.
    pub features: String,
    /// Version of the program that wrote the report.
    pub version: String,
    /// One entry per trained and scored model.
    pub runs: Vec<Run>,
    /// One row per model (and variant/size), over its runs.
    pub summary: Vec<SummaryRow>,
}

/// One model trained with one seed and scored on the test part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Model (or architecture) name.
    pub model: String,
    /// Seed of the run (and of its split).
    pub seed: u64,
    /// Test accuracy.
    pub accuracy: f64,
    /// Test macro F1.
    pub macro_f1: f64,
    /// Test weighted F1.
    pub weighted_f1: f64,
    /// Per-class precision, recall, F1 and support, in class order.
    pub per_class: PerClass,
    /// Test confusion matrix, `[true][predicted]`.
    pub confusion: Vec<Vec<u64>>,
    /// Seconds spent fitting the model (tuning included).
    pub fit_seconds: f64,
    /// Input variant (CNN), e.g. `normal` or `low`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Input size (CNN), 128 or 256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// Epoch whose weights were kept (CNN, 1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_epoch: Option<u32>,
    /// Epochs trained (CNN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs_run: Option<u32>,
    /// Seconds of training (CNN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_seconds: Option<f64>,
    /// Per-epoch losses and accuracies (CNN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<EpochStats>>,
    /// Hyper-parameters the run used, when they differ from the defaults (tuning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<BTreeMap<String, serde_json::Value>>,
}

/// One epoch of a training history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: u32,
    /// Mean training loss.
    pub train_loss: f64,
    /// Training accuracy.
    pub train_accuracy: f64,
    /// Validation loss.
    pub val_loss: f64,
    /// Validation accuracy.
    pub val_accuracy: f64,
}

/// Per-class metrics serialised as a JSON object in class order:
/// `{class: {"precision", "recall", "f1", "support"}}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PerClass(pub Vec<(String, ClassMetrics)>);

impl Serialize for PerClass {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for PerClass {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PerClass;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from class name to metrics")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<PerClass, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, ClassMetrics>()? {
                    out.push((k, v));
                }
                Ok(PerClass(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// Mean (± population std) of a model's runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Model name.
    pub model: String,
    /// Input variant (CNN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Input size (CNN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// Mean weighted F1.
    pub weighted_f1_mean: f64,
    /// Population std of weighted F1.
    pub weighted_f1_std: f64,
    /// Mean macro F1.
    pub macro_f1_mean: f64,
    /// Mean accuracy.
    pub accuracy_mean: f64,
}

impl Run {
    /// A run from a scored classification; optional fields start empty.
    pub fn new(model: &str, seed: u64, report: &ClassificationReport, fit_seconds: f64) -> Self {
        Self {
            model: model.to_owned(),
            seed,
            accuracy: report.accuracy,
            macro_f1: report.macro_avg.f1,
            weighted_f1: report.weighted_avg.f1,
            per_class: PerClass(
                report
                    .classes
                    .iter()
                    .cloned()
                    .zip(report.per_class.iter().copied())
                    .collect(),
            ),
            confusion: report.confusion.counts.clone(),
            fit_seconds,
            variant: None,
            size: None,
            best_epoch: None,
            epochs_run: None,
            train_seconds: None,
            history: None,
            params: None,
        }
    }
}

impl Run {
    /// The classification report this run's confusion matrix implies
    /// (to print a stored run like a fresh one).
    pub fn classification_report(&self, classes: &[String]) -> Result<ClassificationReport> {
        ClassificationReport::from_confusion(crate::metrics::ConfusionMatrix {
            classes: classes.to_vec(),
            counts: self.confusion.clone(),
        })
    }
}

impl Report {
    /// An empty report.
    pub fn new(protocol: &str, classes: &[String], features: &str, version: &str) -> Self {
        Self {
            protocol: protocol.to_owned(),
            classes: classes.to_vec(),
            features: features.to_owned(),
            version: version.to_owned(),
            runs: Vec::new(),
            summary: Vec::new(),
        }
    }

    /// Adds a run and refreshes the summary.
    pub fn push_run(&mut self, run: Run) {
        self.runs.push(run);
        self.summary = summarise(&self.runs);
    }

    /// Recomputes the summary from the runs.
    pub fn summarise(&mut self) {
        self.summary = summarise(&self.runs);
    }

    /// Writes the report as pretty JSON, atomically.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        crate::io::write_json_atomic(path, self)
    }

    /// Reads a report file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| EvalError::Json {
            path: path.to_owned(),
            source,
        })
    }

    /// The summary as a terminal table: model, weighted F1 mean ± std, macro F1, accuracy, runs.
    pub fn summary_table(&self) -> String {
        let label = |r: &SummaryRow| {
            let mut s = r.model.clone();
            if let Some(v) = &r.variant {
                s.push_str(&format!(" {v}"));
            }
            if let Some(z) = r.size {
                s.push_str(&format!(" {z}"));
            }
            s
        };
        let labels: Vec<String> = self.summary.iter().map(label).collect();
        let w = labels.iter().map(|l| l.len()).max().unwrap_or(5).max(5);
        let mut out = format!(
            "{:<w$}  {:>17}  {:>8}  {:>8}  {:>4}\n",
            "model", "weighted F1", "macro F1", "accuracy", "runs"
        );
        for (row, l) in self.summary.iter().zip(&labels) {
            let n = self
                .runs
                .iter()
                .filter(|r| r.model == row.model && r.variant == row.variant && r.size == row.size)
                .count();
            out.push_str(&format!(
                "{l:<w$}  {:>8.4} ± {:<6.4}  {:>8.4}  {:>8.4}  {n:>4}\n",
                row.weighted_f1_mean, row.weighted_f1_std, row.macro_f1_mean, row.accuracy_mean
            ));
        }
        out
    }

    /// `=== SUMMARY [variant | SxS] ===` blocks, as the study's `full_test` printed them: for
    /// each variant and size (in the order given) with runs, one line per model (in order of
    /// first appearance) listing its weighted F1s with their mean and population std.
    pub fn study_summary_blocks(&self, variants: &[&str], sizes: &[u32]) -> String {
        let mut out = String::new();
        for &variant in variants {
            for &size in sizes {
                let runs: Vec<&Run> = self
                    .runs
                    .iter()
                    .filter(|r| r.variant.as_deref() == Some(variant) && r.size == Some(size))
                    .collect();
                if runs.is_empty() {
                    continue;
                }
                out.push_str(&format!("\n=== SUMMARY [{variant} | {size}x{size}] ===\n"));
                // Runs are stored seed by seed (a, b, a, b): keep each model once.
                let mut models: Vec<&str> = Vec::new();
                for r in &runs {
                    if !models.contains(&r.model.as_str()) {
                        models.push(&r.model);
                    }
                }
                for model in models {
                    let f1s: Vec<f64> = runs
                        .iter()
                        .filter(|r| r.model == model)
                        .map(|r| r.weighted_f1)
                        .collect();
                    let list: Vec<String> = f1s.iter().map(|f| format!("{f:.4}")).collect();
                    out.push_str(&format!(
                        "{model:<16} F1s: [{}]  mean {:.4} ± {:.4}\n",
                        list.join(", "),
                        mean(&f1s),
                        std_population(&f1s)
                    ));
                }
            }
        }
        out
    }
}

/// Summary rows grouped by (model, variant, size), in order of first appearance.
pub fn summarise(runs: &[Run]) -> Vec<SummaryRow> {
    let mut keys: Vec<(&str, Option<&str>, Option<u32>)> = Vec::new();
    for r in runs {
        let k = (r.model.as_str(), r.variant.as_deref(), r.size);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(model, variant, size)| {
            let group: Vec<&Run> = runs
                .iter()
                .filter(|r| r.model == model && r.variant.as_deref() == variant && r.size == size)
                .collect();
            let col = |f: fn(&Run) -> f64| group.iter().map(|r| f(r)).collect::<Vec<f64>>();
            let wf1 = col(|r| r.weighted_f1);
            SummaryRow {
                model: model.to_owned(),
                variant: variant.map(str::to_owned),
                size,
                weighted_f1_mean: mean(&wf1),
                weighted_f1_std: std_population(&wf1),
                macro_f1_mean: mean(&col(|r| r.macro_f1)),
                accuracy_mean: mean(&col(|r| r.accuracy)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn classes() -> Vec<String> {
        vec!["bouncy".into(), "tekno".into()]
    }

    fn run(model: &str, seed: u64, y_pred: &[usize]) -> Run {
        let r = ClassificationReport::new(&[0, 0, 1, 1], y_pred, &classes()).expect("report");
        Run::new(model, seed, &r, 0.5)
    }

    #[test]
    fn study_summary_lists_each_model_once_whatever_the_run_order() {
        let mut rep = Report::new("group", &classes(), "mel", "0.1.0");
        // As `experiment --arch a,b --seeds 42,43` stores them: seed by seed.
        for (model, seed, pred) in [
            ("cnn_main", 42, [0, 0, 1, 1]),
            ("compact", 42, [0, 1, 1, 1]),
            ("cnn_main", 43, [1, 1, 1, 1]),
            ("compact", 43, [0, 0, 1, 1]),
        ] {
            let mut r = run(model, seed, &pred);
            r.variant = Some("normal".into());
            r.size = Some(128);
            rep.push_run(r);
        }
        let text = rep.study_summary_blocks(&["normal", "low"], &[128, 256]);
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0], "=== SUMMARY [normal | 128x128] ===");
        assert!(lines[1].starts_with("cnn_main ") && lines[1].contains("F1s: [1.0000, 0.3333]"));
        assert!(lines[2].starts_with("compact ") && lines[2].contains("[0.7333, 1.0000]"));
    }

    #[test]
    fn json_has_exactly_the_documented_shape() {
        let mut rep = Report::new("group", &classes(), "study13", "0.1.0");
        rep.push_run(run("svm", 42, &[0, 0, 1, 1]));
        rep.push_run(run("svm", 43, &[0, 1, 1, 1]));
        rep.push_run(run("boost", 42, &[1, 1, 1, 1]));
        let v = serde_json::to_value(&rep).expect("json");
        let keys = |v: &serde_json::Value| {
            let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(
            keys(&v),
            ["classes", "features", "protocol", "runs", "summary", "version"]
        );
        assert_eq!(
            keys(&v["runs"][0]),
            [
                "accuracy",
                "confusion",
                "fit_seconds",
                "macro_f1",
                "model",
                "per_class",
                "seed",
                "weighted_f1"
            ]
        );
        assert_eq!(
            keys(&v["runs"][0]["per_class"]["tekno"]),
            ["f1", "precision", "recall", "support"]
        );
        let order: Vec<&String> = v["runs"][0]["per_class"]
            .as_object()
            .expect("map")
            .keys()
            .collect();
        assert_eq!(order, ["bouncy", "tekno"]);
        assert_eq!(
            keys(&v["summary"][0]),
            [
                "accuracy_mean",
                "macro_f1_mean",
                "model",
                "weighted_f1_mean",
                "weighted_f1_std"
            ]
        );
        assert_eq!(
            v["runs"][1]["confusion"],
            serde_json::json!([[1, 1], [0, 2]])
        );
        assert_eq!(rep.summary.len(), 2);
        let svm = &rep.summary[0];
        assert_eq!(svm.model, "svm");
        let f1s = [1.0, rep.runs[1].weighted_f1];
        assert_abs_diff_eq!(svm.weighted_f1_mean, mean(&f1s), epsilon = 1e-12);
        assert_abs_diff_eq!(
            svm.weighted_f1_std,
            (f1s[0] - f1s[1]).abs() / 2.0,
            epsilon = 1e-12
        );
        assert!(rep.summary_table().contains("svm"));
        let again = rep.runs[1]
            .classification_report(&rep.classes)
            .expect("report");
        assert_eq!(again.weighted_f1(), rep.runs[1].weighted_f1);
    }

    #[test]
    fn cnn_fields_round_trip_and_group_the_summary() {
        let mut rep = Report::new("group", &classes(), "mel normal 128", "0.1.0");
        for (seed, size) in [(42, 128), (43, 128), (42, 256)] {
            let mut r = run("cnn_main", seed, &[0, 0, 1, 0]);
            r.variant = Some("normal".into());
            r.size = Some(size);
            r.best_epoch = Some(7);
            r.epochs_run = Some(12);
            r.train_seconds = Some(100.0);
            r.history = Some(vec![EpochStats {
                epoch: 1,
                train_loss: 1.0,
                train_accuracy: 0.5,
                val_loss: 1.1,
                val_accuracy: 0.4,
            }]);
            rep.push_run(r);
        }
        assert_eq!(rep.summary.len(), 2);
        assert_eq!(rep.summary[1].size, Some(256));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.json");
        rep.write_json(&path).expect("write");
        let back = Report::load(&path).expect("load");
        assert_eq!(back, rep);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        assert_eq!(v["summary"][0]["variant"], "normal");
        assert_eq!(v["runs"][0]["history"][0]["val_loss"], 1.1);
    }
}
