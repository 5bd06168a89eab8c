//! The features CSV that `subgenre features` writes (its writer and its reader), and
//! standardisation.
//!
//! Layout: `sample_id, spot_id, <feature columns…>, label`. Any number of
//! numeric feature columns may stand between `spot_id` and `label` (the
//! study's 13, or a richer set). Rows whose label is not one of the chosen
//! classes are dropped and counted; every kept row must hold a finite number
//! in every feature column.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayView2, Axis};
use subgenre_eval::SplitItem;

use crate::error::{ClassicError, Result};

/// Writes the features CSV that [`FeatureTable::read_csv`] reads (what `subgenre features`
/// writes): `sample_id, spot_id, <features…>, label` for clips of a data set, or
/// `path, <features…>` for plain files (which the classic models cannot read: no label).
/// Values are written in their shortest round-trip form.
pub struct FeatureCsvWriter<W: std::io::Write> {
    csv: csv::Writer<W>,
    labelled: bool,
}

impl<W: std::io::Write> FeatureCsvWriter<W> {
    /// Writes the header.
    pub fn new(w: W, features: &[&str], labelled: bool) -> csv::Result<Self> {
        let mut csv = csv::WriterBuilder::new().from_writer(w);
        let mut header: Vec<&str> = if labelled {
            vec!["sample_id", "spot_id"]
        } else {
            vec!["path"]
        };
        header.extend(features);
        if labelled {
            header.push("label");
        }
        csv.write_record(&header)?;
        Ok(Self { csv, labelled })
    }

    /// One clip of a data set (a writer made with `labelled`).
    pub fn write_clip(
        &mut self,
        sample_id: &str,
        spot_id: &str,
        values: &[f32],
        label: &str,
    ) -> csv::Result<()> {
        debug_assert!(self.labelled);
        let mut record = vec![sample_id.to_string(), spot_id.to_string()];
        record.extend(values.iter().map(|v| v.to_string()));
        record.push(label.to_string());
        self.csv.write_record(&record)
    }

    /// One plain file (a writer made without `labelled`).
    pub fn write_file(&mut self, path: &str, values: &[f32]) -> csv::Result<()> {
        debug_assert!(!self.labelled);
        let mut record = vec![path.to_string()];
        record.extend(values.iter().map(|v| v.to_string()));
        self.csv.write_record(&record)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.csv.flush()
    }
}

/// A features table restricted to the chosen classes.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// Where it was read from (for messages).
    pub source: PathBuf,
    /// Clip ids, one per row.
    pub sample_ids: Vec<String>,
    /// Track ids (`spot_id`), one per row.
    pub groups: Vec<String>,
    /// Feature column names, in file order.
    pub feature_names: Vec<String>,
    /// Features, `[rows, features]`.
    pub x: Array2<f64>,
    /// Class index of each row (into `classes`).
    pub y: Vec<usize>,
    /// The chosen classes, in index order.
    pub classes: Vec<String>,
    /// Rows dropped because their label is not a chosen class: label → count.
    pub dropped: BTreeMap<String, usize>,
}

impl FeatureTable {
    /// Reads a features CSV keeping the rows of `classes`.
    pub fn read_csv(path: &Path, classes: &[String]) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| ClassicError::Csv {
            path: path.to_owned(),
            source: e.into(),
        })?;
        Self::from_reader(file, path, classes)
    }

    /// Reads CSV text from `reader`; `source` names it in messages.
    pub fn from_reader<R: Read>(reader: R, source: &Path, classes: &[String]) -> Result<Self> {
        let csv_err = |e: csv::Error| ClassicError::Csv {
            path: source.to_owned(),
            source: e,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(reader);
        let header = rdr.headers().map_err(csv_err)?.clone();
        let names: Vec<&str> = header.iter().collect();
        let find = |column: &'static str| {
            names
                .iter()
                .position(|&n| n == column)
                .ok_or(ClassicError::MissingColumn {
                    path: source.to_owned(),
                    column,
                })
        };
        let id_col = find("sample_id")?;
        let group_col = find("spot_id")?;
        let label_col = find("label")?;
        let feature_cols: Vec<usize> = (0..names.len())
            .filter(|&c| c != id_col && c != group_col && c != label_col)
            .collect();
        if feature_cols.is_empty() {
            return Err(ClassicError::NoFeatureColumns {
                path: source.to_owned(),
            });
        }
        let class_index: BTreeMap<&str, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();

        let mut sample_ids = Vec::new();
        let mut groups = Vec::new();
        let mut values: Vec<f64> = Vec::new();
        let mut y = Vec::new();
        let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
        let mut record = csv::StringRecord::new();
        while rdr.read_record(&mut record).map_err(csv_err)? {
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != names.len() {
                return Err(ClassicError::RaggedRow {
                    path: source.to_owned(),
                    line,
                    expected: names.len(),
                    found: record.len(),
                });
            }
            let field = |c: usize| record.get(c).unwrap_or("");
            let sample_id = field(id_col);
            let missing = |column: &str| ClassicError::MissingValue {
                path: source.to_owned(),
                line,
                sample_id: sample_id.to_owned(),
                column: column.to_owned(),
            };
            if sample_id.is_empty() {
                return Err(missing("sample_id"));
            }
            let label = field(label_col);
            let Some(&class) = class_index.get(label) else {
                *dropped.entry(label.to_owned()).or_default() += 1;
                continue;
            };
            let group = field(group_col);
            if group.is_empty() {
                return Err(missing("spot_id"));
            }
            for &c in &feature_cols {
                let text = field(c);
                if text.is_empty() {
                    return Err(missing(names[c]));
                }
                match text.parse::<f64>() {
                    Ok(v) if v.is_finite() => values.push(v),
                    _ => {
                        return Err(ClassicError::BadValue {
                            path: source.to_owned(),
                            line,
                            sample_id: sample_id.to_owned(),
                            column: names[c].to_owned(),
                            value: text.to_owned(),
                        })
                    }
                }
            }
            sample_ids.push(sample_id.to_owned());
            groups.push(group.to_owned());
            y.push(class);
        }
        if y.is_empty() {
            return Err(ClassicError::NoRows {
                path: source.to_owned(),
                classes: classes.to_vec(),
            });
        }
        let n = y.len();
        let x = Array2::from_shape_vec((n, feature_cols.len()), values).map_err(|e| {
            ClassicError::InvalidParam {
                name: "features",
                reason: e.to_string(),
            }
        })?;
        Ok(Self {
            source: source.to_owned(),
            sample_ids,
            groups,
            feature_names: feature_cols.iter().map(|&c| names[c].to_owned()).collect(),
            x,
            y,
            classes: classes.to_vec(),
            dropped,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The rows as split items (sample id, track, class).
    pub fn split_items(&self) -> Vec<SplitItem<'_>> {
        self.sample_ids
            .iter()
            .zip(&self.groups)
            .zip(&self.y)
            .map(|((s, g), &c)| SplitItem {
                sample_id: s,
                group: g,
                class: c,
            })
            .collect()
    }

    /// Rows `idx` of the features and their labels.
    pub fn take(&self, idx: &[usize]) -> (Array2<f64>, Vec<usize>) {
        (
            self.x.select(Axis(0), idx),
            idx.iter().map(|&i| self.y[i]).collect(),
        )
    }

    /// Per-class row counts.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.classes.len()];
        for &k in &self.y {
            c[k] += 1;
        }
        c
    }
}

/// Per-feature standardisation (`sklearn.preprocessing.StandardScaler`):
/// `(x - mean) / std` with the population std; a constant feature is only centred.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Per-feature means of the fitting data.
    pub mean: Array1<f64>,
    /// Per-feature scales (population std, 1 where it is 0).
    pub scale: Array1<f64>,
}

impl Standardizer {
    /// Learns means and scales from `x` (the training part only).
    pub fn fit(x: ArrayView2<'_, f64>) -> Result<Self> {
        if x.nrows() == 0 {
            return Err(ClassicError::InvalidParam {
                name: "x",
                reason: "cannot standardise an empty matrix".into(),
            });
        }
        let mean = x.mean_axis(Axis(0)).ok_or(ClassicError::InvalidParam {
            name: "x",
            reason: "empty".into(),
        })?;
        let scale = x
            .std_axis(Axis(0), 0.0)
            .mapv(|s| if s > 0.0 && s.is_finite() { s } else { 1.0 });
        Ok(Self { mean, scale })
    }

    /// Applies the learned transform.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.mean.len() {
            return Err(ClassicError::InvalidParam {
                name: "x",
                reason: format!(
                    "{} columns, the scaler was fitted on {}",
                    x.ncols(),
                    self.mean.len()
                ),
            });
        }
        Ok((&x - &self.mean) / &self.scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;
    use subgenre_core::classes::FIVE_CLASSES;

    fn classes() -> Vec<String> {
        FIVE_CLASSES.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_writer_writes_what_the_reader_reads() -> Result<()> {
        let mut buf = Vec::new();
        {
            let mut w = FeatureCsvWriter::new(&mut buf, &["a", "b"], true).expect("header");
            w.write_clip("s1", "t1", &[0.1, -2.5e-8], "tekno")
                .expect("row");
            w.write_clip("s2", "t2", &[3.0, 4.0], "psytech")
                .expect("row");
            w.flush().expect("flush");
        }
        let t = FeatureTable::from_reader(&buf[..], Path::new("mem.csv"), &classes())?;
        assert_eq!(t.feature_names, ["a", "b"]);
        assert_eq!(t.sample_ids, ["s1"]);
        assert_eq!(t.x[[0, 1]] as f32, -2.5e-8);
        assert_eq!(t.dropped.get("psytech"), Some(&1));
        Ok(())
    }

    fn read(text: &str) -> Result<FeatureTable> {
        FeatureTable::from_reader(text.as_bytes(), Path::new("f.csv"), &classes())
    }

    #[test]
    fn reads_and_drops_other_labels() {
        let t = read(
            "sample_id,spot_id,a,b,label\n\
             s1,t1,1.0,2,bouncy\n\
             s2,t1,3,4e0,psytech\n\
             s3,t2,-5,6,non-techno-drop\n\
             s4,t3,nan,x,oldschool-hardstyle\n",
        )
        .expect("table");
        assert_eq!(t.len(), 2);
        assert_eq!(t.feature_names, ["a", "b"]);
        assert_eq!(t.x, array![[1.0, 2.0], [-5.0, 6.0]]);
        assert_eq!(t.y, [0, 4]);
        assert_eq!(t.groups, ["t1", "t2"]);
        assert_eq!(t.dropped.get("psytech"), Some(&1));
        assert_eq!(t.dropped.get("oldschool-hardstyle"), Some(&1));
        assert_eq!(t.split_items()[1].sample_id, "s3");
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = read("sample_id,spot_id,a,b,label\ns1,t1,1,2,bouncy\ns2,t1,3,,tekno\n")
            .expect_err("empty");
        assert!(
            matches!(&e, ClassicError::MissingValue { line: 3, column, .. } if column == "b"),
            "{e}"
        );
        assert!(
            e.to_string().contains("line 3") && e.to_string().contains("\"b\""),
            "{e}"
        );
        let e = read("sample_id,spot_id,a,label\ns1,t1,NaN,bouncy\n").expect_err("nan");
        assert!(
            matches!(&e, ClassicError::BadValue { line: 2, column, .. } if column == "a"),
            "{e}"
        );
        let e = read("sample_id,spot_id,a,label\ns1,t1,abc,bouncy\n").expect_err("text");
        assert!(
            e.to_string().contains("abc") && e.to_string().contains("s1"),
            "{e}"
        );
        let e = read("sample_id,spot_id,a,label\ns1,t1,1\n").expect_err("ragged");
        assert!(matches!(
            e,
            ClassicError::RaggedRow {
                line: 2,
                expected: 4,
                found: 3,
                ..
            }
        ));
        let e = read("sample_id,a,label\ns1,1,bouncy\n").expect_err("no spot_id");
        assert!(matches!(
            e,
            ClassicError::MissingColumn {
                column: "spot_id",
                ..
            }
        ));
        let e = read("sample_id,spot_id,label\ns1,t,bouncy\n").expect_err("no features");
        assert!(matches!(e, ClassicError::NoFeatureColumns { .. }));
        let e = read("sample_id,spot_id,a,label\ns1,t,1,psytech\n").expect_err("no rows");
        assert!(matches!(e, ClassicError::NoRows { .. }));
        let e = FeatureTable::read_csv(Path::new("/no/such.csv"), &classes()).expect_err("io");
        assert!(e.to_string().contains("/no/such.csv"));
    }

    #[test]
    fn standardiser_uses_only_the_fitting_rows() {
        let train = array![[1.0, 10.0], [3.0, 10.0]];
        let s = Standardizer::fit(train.view()).expect("fit");
        assert_eq!(s.mean, array![2.0, 10.0]);
        assert_eq!(s.scale, array![1.0, 1.0]); // population std of [1, 3] is 1; constant → 1
        let test = array![[5.0, 12.0]];
        let z = s.transform(test.view()).expect("transform");
        assert_abs_diff_eq!(z[[0, 0]], 3.0);
        assert_abs_diff_eq!(z[[0, 1]], 2.0);
        assert!(s.transform(array![[1.0]].view()).is_err());
    }
}
