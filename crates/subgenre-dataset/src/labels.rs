//! The study's labels CSV: `sample_id, spot_id, spotify_link, clip_start, <one-hot labels>`.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{DatasetError, Result};

pub use subgenre_core::classes::{ALL_CLASSES, FIVE_CLASSES};

/// The classes a command works on, in a fixed order: a model's output index is a position here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ClassSet(Vec<String>);

impl ClassSet {
    pub fn five() -> Self {
        Self(FIVE_CLASSES.iter().map(|s| s.to_string()).collect())
    }
    pub fn all() -> Self {
        Self(ALL_CLASSES.iter().map(|s| s.to_string()).collect())
    }
    /// Any list of names (used for other data sets, e.g. GTZAN genres or a DJ's own folders).
    pub fn from_names(names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self(names.into_iter().map(Into::into).collect())
    }
    /// `five`, `all`, or a comma-separated list of the study's labels (kept in the given order).
    pub fn parse(spec: &str) -> Result<Self> {
        match spec.trim() {
            "five" | "5" => return Ok(Self::five()),
            "all" | "seven" | "7" => return Ok(Self::all()),
            _ => {}
        }
        let mut names: Vec<String> = Vec::new();
        for name in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if !ALL_CLASSES.contains(&name) {
                return Err(DatasetError::UnknownClass {
                    name: name.to_string(),
                    known: format!("five, all, or a list of {}", ALL_CLASSES.join(", ")),
                });
            }
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        if names.len() < 2 {
            return Err(DatasetError::TooFewClasses {
                spec: spec.to_string(),
            });
        }
        Ok(Self(names))
    }
    pub fn names(&self) -> &[String] {
        &self.0
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn index(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|n| n == name)
    }
}

/// One row of the labels CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRow {
    pub sample_id: String,
    /// The source track (Spotify id): clips of one track must stay in one split part.
    pub spot_id: String,
    /// Where the clip starts in its track, in seconds.
    pub clip_start_s: f64,
    pub label: String,
    /// Line in the CSV (header = 1), for messages.
    pub line: u64,
}

/// Parse `m:ss` (also `h:mm:ss`, with optional decimals) or plain seconds.
pub fn parse_clip_start(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = 0.0f64;
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() > 3 {
        return None;
    }
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let v: f64 = if last {
            part.parse().ok()?
        } else {
            part.parse::<u32>().ok()?.into()
        };
        if !v.is_finite() || v < 0.0 || (i > 0 && v >= 60.0) {
            return None;
        }
        total = total * 60.0 + v;
    }
    Some(total)
}

/// Read and validate a labels CSV. Every row must have exactly one label column set to 1;
/// `spotify_link` is not validated (it is mostly empty).
pub fn read_labels(path: &Path) -> Result<Vec<LabelRow>> {
    let csv_err = |source| DatasetError::Csv {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(|source| DatasetError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(std::io::BufReader::new(file));
    let header = reader.headers().map_err(csv_err)?.clone();
    let col = |name: &'static str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or(DatasetError::MissingColumn {
                path: path.to_owned(),
                column: name,
            })
    };
    let (id_col, spot_col, start_col) = (col("sample_id")?, col("spot_id")?, col("clip_start")?);
    let fixed = [
        id_col,
        spot_col,
        start_col,
        col("spotify_link").unwrap_or(usize::MAX),
    ];
    let label_cols: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter(|(i, _)| !fixed.contains(i))
        .map(|(i, h)| (i, h.to_string()))
        .collect();
    if label_cols.is_empty() {
        return Err(DatasetError::NoLabelColumns {
            path: path.to_owned(),
        });
    }

    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(csv_err)?;
        let line = record.position().map_or(0, |p| p.line());
        let sample_id = record.get(id_col).unwrap_or("").to_string();
        let bad = |reason: String| DatasetError::BadRow {
            path: path.to_owned(),
            line,
            sample_id: sample_id.clone(),
            reason,
        };
        if sample_id.is_empty() {
            return Err(bad("empty sample_id".into()));
        }
        let spot_id = record.get(spot_col).unwrap_or("").to_string();
        if spot_id.is_empty() {
            return Err(bad("empty spot_id".into()));
        }
        let start_text = record.get(start_col).unwrap_or("");
        let clip_start_s = parse_clip_start(start_text).ok_or_else(|| {
            bad(format!(
                "clip_start `{start_text}` is not a time (m:ss or seconds)"
            ))
        })?;
        let mut labels = Vec::new();
        for (i, name) in &label_cols {
            match record.get(*i).unwrap_or("") {
                "1" | "1.0" => labels.push(name.as_str()),
                "0" | "0.0" | "" => {}
                other => {
                    return Err(bad(format!(
                        "label column `{name}` holds `{other}`, not 0 or 1"
                    )))
                }
            }
        }
        let label = match labels.as_slice() {
            [one] => one.to_string(),
            [] => return Err(bad("no label column is 1".into())),
            many => return Err(bad(format!("several labels set: {}", many.join(", ")))),
        };
        if let Some(&first_line) = seen.get(&sample_id) {
            return Err(DatasetError::DuplicateSampleId {
                path: path.to_owned(),
                line,
                first_line,
                sample_id,
            });
        }
        seen.insert(sample_id.clone(), line);
        rows.push(LabelRow {
            sample_id,
            spot_id,
            clip_start_s,
            label,
            line,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const HEADER: &str = "sample_id,spot_id,spotify_link,clip_start,psytech,oldschool-hardstyle,bouncy,tekno,warzone,industrial,non-techno-drop\n";

    fn csv_file(body: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("tmp");
        f.write_all(body.as_bytes()).expect("write");
        f
    }

    #[test]
    fn clip_start_formats() {
        assert_eq!(parse_clip_start("1:01"), Some(61.0));
        assert_eq!(parse_clip_start("0:05"), Some(5.0));
        assert_eq!(parse_clip_start("12:30.5"), Some(750.5));
        assert_eq!(parse_clip_start("1:00:00"), Some(3600.0));
        assert_eq!(parse_clip_start("75"), Some(75.0));
        assert_eq!(parse_clip_start("1:75"), None);
        assert_eq!(parse_clip_start("a:10"), None);
        assert_eq!(parse_clip_start(""), None);
        assert_eq!(parse_clip_start("-3"), None);
    }

    #[test]
    fn reads_rows() {
        let f = csv_file(&format!(
            "{HEADER}a_1,a,https://x,1:01,0,0,1,0,0,0,0\na_2,a,,2:23,0,0,0,0,0,0,1\n"
        ));
        let rows = read_labels(f.path()).expect("read");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].label, "bouncy");
        assert_eq!(rows[1].label, "non-techno-drop");
        assert_eq!(rows[1].clip_start_s, 143.0);
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn errors_name_the_row() {
        let cases = [
            ("a_1,a,,1:01,0,0,0,0,0,0,0\n", "no label"),
            ("a_1,a,,1:01,0,0,1,1,0,0,0\n", "several labels"),
            ("a_1,a,,soon,0,0,1,0,0,0,0\n", "not a time"),
            ("a_1,a,,1:01,0,0,2,0,0,0,0\n", "not 0 or 1"),
            (
                "a_1,a,,1:01,0,0,1,0,0,0,0\na_1,a,,1:11,0,0,1,0,0,0,0\n",
                "already used on line 2",
            ),
        ];
        for (body, want) in cases {
            let f = csv_file(&format!("{HEADER}{body}"));
            let msg = read_labels(f.path()).expect_err(want).to_string();
            assert!(msg.contains(want), "{msg}");
            assert!(msg.contains("line"), "{msg}");
            assert!(msg.contains("a_1"), "{msg}");
        }
    }

    #[test]
    fn missing_column_is_named() {
        let f = csv_file("sample_id,clip_start,bouncy\na,1:00,1\n");
        let msg = read_labels(f.path()).expect_err("missing").to_string();
        assert!(msg.contains("spot_id"), "{msg}");
    }

    #[test]
    fn class_sets() {
        assert_eq!(ClassSet::parse("five").expect("five").len(), 5);
        assert_eq!(ClassSet::parse("all").expect("all").len(), 7);
        let c = ClassSet::parse("tekno, bouncy").expect("list");
        assert_eq!(c.names(), ["tekno", "bouncy"]);
        assert_eq!(c.index("bouncy"), Some(1));
        assert!(ClassSet::parse("tekno,dubstep").is_err());
        assert!(ClassSet::parse("tekno").is_err());
    }
}
