//! The report of a whole study run (`subgenre reproduce`).
//!
//! [`StudyReport`] gathers what each step of the pipeline measured (data set counts, the
//! classic models' and the CNNs' `report.json`s, transfer runs) with the step timings; it is
//! written as `report.json` and rendered by [`render_html`] into one self-contained
//! `index.html` (figures embedded as data URIs) with the published study's figures beside
//! each of ours ([`reference`]).

mod html;
pub mod reference;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use subgenre_eval::Report;

pub use html::render_html;

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file or folder could not be written (`action` is `creating` or `writing`).
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A figure could not be drawn.
    #[error(transparent)]
    Figure(#[from] subgenre_eval::EvalError),
    /// The report could not be turned into JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl ReportError {
    fn writing(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            action: "writing",
            path: path.to_path_buf(),
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, ReportError>;

/// Everything one `reproduce` run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StudyReport {
    /// Version of the program that wrote it.
    pub version: String,
    /// The data set: its folder, or the bundled demo's name.
    pub data: String,
    /// `quick` or `study`.
    pub grid: String,
    /// When the report was written (UTC, ISO 8601).
    pub generated: String,
    /// Seconds the steps took, this run and the cached ones' original runs together.
    pub total_seconds: f64,
    pub steps: Vec<StepRecord>,
    /// `subgenre dataset stats --json` of the data set.
    pub dataset: Option<serde_json::Value>,
    /// The classic models, one section per protocol and feature set.
    pub classic: Vec<Section>,
    /// The CNN runs, one section per training command.
    pub cnn: Vec<Section>,
    /// Transfer-learning runs (transfer and scratch share a report), when a transfer set was given.
    pub transfer: Vec<Section>,
}

/// One step of the pipeline and how it went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    /// Short name, e.g. `features`.
    pub name: String,
    /// `done`, `cached` (an earlier run's result with the same inputs), or `failed`.
    pub status: String,
    /// Seconds this step took when it last ran.
    pub seconds: f64,
    /// What it made, or why it failed.
    pub detail: String,
}

/// One evaluation (a `report.json`) and where its figures are.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Section {
    /// Stable key, e.g. `classic-group`.
    pub key: String,
    /// Heading for people.
    pub title: String,
    /// One line on how it was evaluated.
    pub protocol_note: String,
    pub report: Report,
    /// Learning-curve PNGs of the runs, (label, path relative to the report folder).
    #[serde(default)]
    pub curves: Vec<(String, PathBuf)>,
}

impl StudyReport {
    /// Writes `report.json` and `index.html` into `dir` (atomically), with the summed
    /// confusion matrices drawn under `dir/figures/`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self)?;
        let json_path = dir.join("report.json");
        subgenre_core::write_atomic(&json_path, &json)
            .map_err(|e| ReportError::writing(&json_path, e))?;
        let page = render_html(self, dir)?;
        let html_path = dir.join("index.html");
        subgenre_core::write_atomic(&html_path, page.as_bytes())
            .map_err(|e| ReportError::writing(&html_path, e))?;
        Ok(())
    }
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ` (UTC), without a date library.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_iso(secs)
}

fn utc_iso(secs: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(utc_iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_iso(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_iso(1_795_647_599), "2026-11-25T22:59:59Z");
    }
}
