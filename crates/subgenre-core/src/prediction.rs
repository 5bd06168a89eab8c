//! What a classifier says about one whole track. `subgenre-predict` makes it and
//! `subgenre-library` stores it, so it lives here, below both.

use std::path::PathBuf;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// The label of a track whose confidence is below the caller's minimum.
pub const UNCERTAIN: &str = "uncertain";

/// Class probabilities of one window. Serialises as `{start_s, end_s, probs: [..]}` (the
/// library's stored form; `predict --json` names the classes instead, see
/// [`TrackPrediction`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub start_s: f64,
    pub end_s: f64,
    /// One per class, in the model's class order.
    pub probs: Vec<f32>,
}

/// What a track was classified as.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackPrediction {
    pub path: PathBuf,
    /// The model's class names (shared by `mean_probs`, `shares` and each window's `probs`).
    pub classes: Vec<String>,
    /// The class of highest mean probability, or [`UNCERTAIN`].
    pub label: String,
    /// That class's mean probability over the windows.
    pub confidence: f32,
    /// Mean probability per class over the windows.
    pub mean_probs: Vec<f32>,
    /// Share of windows whose most probable class is each class.
    pub shares: Vec<f64>,
    /// Global tempo estimate (librosa's `feature.tempo` over the whole track).
    pub tempo_bpm: Option<f64>,
    /// The track is shorter than one window and was zero-padded.
    pub short: bool,
    /// Track length in seconds.
    pub duration_s: f64,
    pub windows: Vec<Window>,
    /// When asked for: the mean over the windows of the models' embeddings, concatenated; its
    /// cosine similarity says how alike two tracks sound. Not in the JSON.
    pub embedding: Option<Vec<f32>>,
}

/// A map `{class: value}` in class order, for JSON.
pub struct ClassMap<'a, T>(pub &'a [String], pub &'a [T]);

impl<T: Serialize> Serialize for ClassMap<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (class, v) in self.0.iter().zip(self.1) {
            map.serialize_entry(class, v)?;
        }
        map.end()
    }
}

/// The document of `predict --json`: every per-class vector as a `{class: value}` map.
impl Serialize for TrackPrediction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct WindowJson<'a> {
            start_s: f64,
            end_s: f64,
            probs: ClassMap<'a, f32>,
        }
        #[derive(Serialize)]
        struct TrackJson<'a> {
            path: String,
            label: &'a str,
            confidence: f32,
            tempo_bpm: Option<f64>,
            short: bool,
            duration_s: f64,
            shares: ClassMap<'a, f64>,
            mean_probs: ClassMap<'a, f32>,
            windows: Vec<WindowJson<'a>>,
        }
        TrackJson {
            path: self.path.display().to_string(),
            label: &self.label,
            confidence: self.confidence,
            tempo_bpm: self.tempo_bpm,
            short: self.short,
            duration_s: self.duration_s,
            shares: ClassMap(&self.classes, &self.shares),
            mean_probs: ClassMap(&self.classes, &self.mean_probs),
            windows: self
                .windows
                .iter()
                .map(|w| WindowJson {
                    start_s: w.start_s,
                    end_s: w.end_s,
                    probs: ClassMap(&self.classes, &w.probs),
                })
                .collect(),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_windows() -> TrackPrediction {
        let classes = vec!["tekno".to_string(), "bouncy".to_string()];
        TrackPrediction {
            path: PathBuf::from("set.mp3"),
            classes,
            label: "bouncy".into(),
            confidence: 0.75,
            mean_probs: vec![0.25, 0.75],
            shares: vec![0.5, 0.5],
            tempo_bpm: None,
            short: false,
            duration_s: 12.0,
            windows: vec![
                Window {
                    start_s: 0.0,
                    end_s: 8.0,
                    probs: vec![0.5, 0.5],
                },
                Window {
                    start_s: 4.0,
                    end_s: 12.0,
                    probs: vec![0.0, 1.0],
                },
            ],
            embedding: Some(vec![1.0, 2.0]),
        }
    }

    #[test]
    fn json_names_the_classes_in_order_and_leaves_the_embedding_out() {
        let text = serde_json::to_string(&two_windows()).expect("serialises");
        assert_eq!(
            text,
            "{\"path\":\"set.mp3\",\"label\":\"bouncy\",\"confidence\":0.75,\"tempo_bpm\":null,\
             \"short\":false,\"duration_s\":12.0,\"shares\":{\"tekno\":0.5,\"bouncy\":0.5},\
             \"mean_probs\":{\"tekno\":0.25,\"bouncy\":0.75},\"windows\":[\
             {\"start_s\":0.0,\"end_s\":8.0,\"probs\":{\"tekno\":0.5,\"bouncy\":0.5}},\
             {\"start_s\":4.0,\"end_s\":12.0,\"probs\":{\"tekno\":0.0,\"bouncy\":1.0}}]}"
        );
    }

    #[test]
    fn a_window_round_trips_as_a_plain_record() {
        let w = &two_windows().windows[1];
        let text = serde_json::to_string(w).expect("serialises");
        assert_eq!(text, "{\"start_s\":4.0,\"end_s\":12.0,\"probs\":[0.0,1.0]}");
        let back: Window = serde_json::from_str(&text).expect("parses");
        assert_eq!(&back, w);
    }
}
