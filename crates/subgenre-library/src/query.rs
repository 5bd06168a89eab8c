//! Reading the library: filtered listings (JSON and CSV) and finding one track by path.

use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

use crate::db::Library;
use crate::error::{LibraryError, Result};
use crate::track::{FailedFile, Track};

/// A tempo range in BPM, both ends included; `lo <= hi` holds by construction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BpmRange {
    lo: f64,
    hi: f64,
}

impl BpmRange {
    pub fn new(lo: f64, hi: f64) -> Result<Self> {
        let invalid = |reason: String| LibraryError::InvalidOption {
            what: "tempo range",
            reason,
        };
        if !lo.is_finite() || !hi.is_finite() || lo < 0.0 {
            return Err(invalid(format!(
                "{lo}-{hi}: both ends must be non-negative numbers"
            )));
        }
        if lo > hi {
            return Err(invalid(format!("{lo}-{hi}: LO must not exceed HI")));
        }
        Ok(Self { lo, hi })
    }

    pub fn lo(&self) -> f64 {
        self.lo
    }

    pub fn hi(&self) -> f64 {
        self.hi
    }

    pub fn contains(&self, bpm: f64) -> bool {
        self.lo <= bpm && bpm <= self.hi
    }
}

/// `LO-HI`, e.g. `140-150`.
impl FromStr for BpmRange {
    type Err = LibraryError;

    fn from_str(s: &str) -> Result<Self> {
        let invalid = || LibraryError::InvalidOption {
            what: "tempo range",
            reason: format!("{s:?}: expected LO-HI in BPM, e.g. 140-150"),
        };
        let (lo, hi) = s.split_once('-').ok_or_else(invalid)?;
        let lo: f64 = lo.trim().parse().map_err(|_| invalid())?;
        let hi: f64 = hi.trim().parse().map_err(|_| invalid())?;
        Self::new(lo, hi)
    }
}

/// Which tracks a listing keeps; the default keeps all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub label: Option<String>,
    pub min_confidence: Option<f32>,
    /// Tracks without a tempo estimate are left out when this is set.
    pub tempo: Option<BpmRange>,
}

impl ListFilter {
    pub fn is_empty(&self) -> bool {
        self.label.is_none() && self.min_confidence.is_none() && self.tempo.is_none()
    }

    pub fn matches(&self, t: &Track) -> bool {
        let a = &t.analysis;
        self.label.as_ref().is_none_or(|l| *l == a.label)
            && self.min_confidence.is_none_or(|c| a.confidence >= c)
            && self
                .tempo
                .is_none_or(|r| a.tempo_bpm.is_some_and(|bpm| r.contains(bpm)))
    }
}

/// What `list` found: `{"tracks": [...], "errors": [{"path", "error"}]}` as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listing {
    pub tracks: Vec<Track>,
    pub errors: Vec<FailedFile>,
}

/// The tracks that pass `filter`, sorted by path, and the files that failed (only when the
/// filter is empty: a failed file has no label, confidence or tempo to filter on).
pub fn list(library: &Library, filter: &ListFilter) -> Result<Listing> {
    let tracks = library
        .tracks()?
        .into_iter()
        .filter(|t| filter.matches(t))
        .collect();
    let errors = if filter.is_empty() {
        library.failed_files()?
    } else {
        Vec::new()
    };
    Ok(Listing { tracks, errors })
}

impl Listing {
    /// Write the listing as pretty JSON.
    pub fn write_json(&self, out: impl Write) -> Result<()> {
        serde_json::to_writer_pretty(out, self)?;
        Ok(())
    }

    /// Write the listing as CSV: `path,label,confidence,tempo_bpm,duration_s,format,short`,
    /// one `share:<class>` column per class (in first-seen order), then `error`. Failed
    /// files have only `path` and `error`.
    pub fn write_csv(&self, out: impl Write) -> Result<()> {
        let mut classes: Vec<&str> = Vec::new();
        for t in &self.tracks {
            for c in &t.analysis.classes {
                if !classes.contains(&c.as_str()) {
                    classes.push(c);
                }
            }
        }
        let mut w = csv::Writer::from_writer(out);
        let mut header: Vec<String> = [
            "path",
            "label",
            "confidence",
            "tempo_bpm",
            "duration_s",
            "format",
            "short",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        header.extend(classes.iter().map(|c| format!("share:{c}")));
        header.push("error".into());
        w.write_record(&header)?;
        for t in &self.tracks {
            let a = &t.analysis;
            let mut row = vec![
                t.path().display().to_string(),
                a.label.clone(),
                a.confidence.to_string(),
                a.tempo_bpm.map(|b| format!("{b:.1}")).unwrap_or_default(),
                format!("{:.2}", a.duration_s),
                t.format.clone(),
                a.short.to_string(),
            ];
            for c in &classes {
                let share = t.shares().find(|(name, _)| name == c).map(|(_, s)| s);
                row.push(share.map(|s| s.to_string()).unwrap_or_default());
            }
            row.push(String::new());
            w.write_record(&row)?;
        }
        for e in &self.errors {
            let mut row = vec![String::new(); header.len()];
            row[0] = e.path.display().to_string();
            if let Some(last) = row.last_mut() {
                last.clone_from(&e.reason);
            }
            w.write_record(&row)?;
        }
        w.flush()
            .map_err(|e| LibraryError::Csv(csv::Error::from(e)))?;
        Ok(())
    }
}

/// The track at `query` (a path, made absolute when it names an existing file), or else the
/// one track whose path contains `query`. Several matches are [`LibraryError::Ambiguous`]
/// (listing them), none [`LibraryError::NotFound`].
pub fn find(library: &Library, query: &str) -> Result<Track> {
    let exact = std::fs::canonicalize(query).unwrap_or_else(|_| PathBuf::from(query));
    if let Some(text) = exact.to_str() {
        if let Some(t) = library.select_tracks("path = ?1", [text])?.pop() {
            return Ok(t);
        }
    }
    let mut found = library.select_tracks("instr(path, ?1) > 0", [query])?;
    match found.len() {
        0 => Err(LibraryError::NotFound {
            query: query.to_owned(),
        }),
        1 => Ok(found.remove(0)),
        _ => Err(LibraryError::Ambiguous {
            query: query.to_owned(),
            candidates: found.into_iter().map(|t| t.analysis.path).collect(),
        }),
    }
}
