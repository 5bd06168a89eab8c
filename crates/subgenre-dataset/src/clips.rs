//! Cutting the study's clips out of full tracks (`subgenre clip`): each labels row's clip,
//! `duration` seconds from its `clip_start`, written as `<sample_id>.<format>`; one decode per
//! track, tracks in parallel, clips already there kept.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rayon::prelude::*;
use subgenre_audio::{ClipFormat, Decoded};

use crate::{read_labels, ClassSet, DatasetError, LabelRow, Result};

/// The sample rate clips are written at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClipRate {
    /// The track's own.
    #[default]
    Native,
    /// Resampled to this many Hz.
    Hz(u32),
}

impl FromStr for ClipRate {
    type Err = DatasetError;
    /// `native` or a positive number of Hz.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "native" => Ok(Self::Native),
            hz => hz
                .parse()
                .ok()
                .filter(|&v: &u32| v > 0)
                .map(Self::Hz)
                .ok_or_else(|| DatasetError::InvalidOption {
                    name: "sr",
                    value: hz.to_string(),
                    reason: "must be `native` or a rate in Hz",
                }),
        }
    }
}

impl fmt::Display for ClipRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Native => f.write_str("native"),
            Self::Hz(hz) => hz.fmt(f),
        }
    }
}

/// What [`cut_clips`] cuts, from where, into where.
#[derive(Debug, Clone)]
pub struct ClipSettings {
    /// The labels CSV (sample_id, spot_id, clip_start and the labels).
    pub labels: PathBuf,
    /// Rows of other classes are left out.
    pub classes: ClassSet,
    /// Folder of full tracks named `<spot_id>.<ext>`.
    pub tracks: PathBuf,
    /// Output folder (created when missing).
    pub out: PathBuf,
    pub rate: ClipRate,
    pub format: ClipFormat,
    duration_s: f64,
}

impl ClipSettings {
    /// The study's clips: 8 s of the five classes at the track's own rate, as WAV.
    pub fn new(labels: PathBuf, tracks: PathBuf, out: PathBuf) -> Self {
        Self {
            labels,
            classes: ClassSet::five(),
            tracks,
            out,
            rate: ClipRate::Native,
            format: ClipFormat::Wav,
            duration_s: 8.0,
        }
    }

    /// Clips of `seconds` (a positive, finite number).
    pub fn with_duration(mut self, seconds: f64) -> Result<Self> {
        if !(seconds.is_finite() && seconds > 0.0) {
            return Err(DatasetError::InvalidOption {
                name: "duration",
                value: seconds.to_string(),
                reason: "must be a positive number of seconds",
            });
        }
        self.duration_s = seconds;
        Ok(self)
    }

    pub fn duration_s(&self) -> f64 {
        self.duration_s
    }

    fn dest(&self, row: &LabelRow) -> PathBuf {
        self.out
            .join(format!("{}.{}", row.sample_id, self.format.extension()))
    }
}

/// What [`cut_clips`] reports as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClipProgress {
    /// The labels were read: `clips` rows to cut, `left_out` of `rows` of other classes.
    Planned {
        rows: usize,
        left_out: usize,
        clips: usize,
    },
    /// One clip was written, found already there, or failed.
    ClipDone,
}

/// What [`cut_clips`] did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ClipsCut {
    pub written: usize,
    /// Clips already in the output folder.
    pub skipped: usize,
    /// (sample_id, reason) of the clips that could not be cut, in label order by track.
    pub failures: Vec<(String, String)>,
}

enum Outcome {
    Written,
    Skipped,
    Failed(String),
}

/// Cut every row of `settings.labels` of `settings.classes` out of its track, on the current
/// rayon pool. A missing or unreadable track, or a clip past its end, fails that clip only.
pub fn cut_clips(
    settings: &ClipSettings,
    progress: &(dyn Fn(ClipProgress) + Sync),
) -> Result<ClipsCut> {
    let all_rows = read_labels(&settings.labels)?;
    let total = all_rows.len();
    let rows: Vec<LabelRow> = all_rows
        .into_iter()
        .filter(|r| settings.classes.index(&r.label).is_some())
        .collect();
    progress(ClipProgress::Planned {
        rows: total,
        left_out: total - rows.len(),
        clips: rows.len(),
    });
    std::fs::create_dir_all(&settings.out).map_err(|source| DatasetError::Io {
        path: settings.out.clone(),
        source,
    })?;
    let mut by_track: BTreeMap<&str, Vec<&LabelRow>> = BTreeMap::new();
    for row in &rows {
        by_track.entry(row.spot_id.as_str()).or_default().push(row);
    }
    let outcomes: Vec<(String, Outcome)> = by_track
        .par_iter()
        .flat_map_iter(|(spot_id, rows)| {
            let results = cut_track(settings, spot_id, rows);
            results
                .iter()
                .for_each(|_| progress(ClipProgress::ClipDone));
            results
        })
        .collect();
    let mut cut = ClipsCut::default();
    for (id, outcome) in outcomes {
        match outcome {
            Outcome::Written => cut.written += 1,
            Outcome::Skipped => cut.skipped += 1,
            Outcome::Failed(reason) => cut.failures.push((id, reason)),
        }
    }
    Ok(cut)
}

/// One track's clips: those already there skipped, the others cut from one decode.
fn cut_track(settings: &ClipSettings, spot_id: &str, rows: &[&LabelRow]) -> Vec<(String, Outcome)> {
    let (done, todo): (Vec<&LabelRow>, Vec<&LabelRow>) =
        rows.iter().partition(|r| settings.dest(r).exists());
    let mut results: Vec<(String, Outcome)> = done
        .iter()
        .map(|r| (r.sample_id.clone(), Outcome::Skipped))
        .collect();
    if todo.is_empty() {
        return results;
    }
    let decoded = find_track(&settings.tracks, spot_id)
        .ok_or_else(|| format!("no track file {spot_id}.* in {}", settings.tracks.display()))
        .and_then(|p| subgenre_audio::decode(&p).map_err(|e| e.to_string()));
    for row in todo {
        let outcome = match &decoded {
            Err(reason) => Outcome::Failed(reason.clone()),
            Ok(track) => match cut_one(settings, track, row) {
                Ok(()) => Outcome::Written,
                Err(reason) => Outcome::Failed(reason),
            },
        };
        results.push((row.sample_id.clone(), outcome));
    }
    results
}

fn cut_one(
    settings: &ClipSettings,
    track: &Decoded,
    row: &LabelRow,
) -> std::result::Result<(), String> {
    let sr = track.info.sample_rate;
    let start = (row.clip_start_s * f64::from(sr)) as usize;
    let len = (settings.duration_s * f64::from(sr)) as usize;
    let have = track.samples.len();
    let track_s = have as f64 / f64::from(sr);
    if start >= have {
        return Err(format!(
            "clip_start {:.1} s (line {}) is past the end of the track ({track_s:.1} s)",
            row.clip_start_s, row.line
        ));
    }
    if start + len > have {
        return Err(format!(
            "clip at {:.1} s needs {:.1} s but the track ends at {track_s:.1} s (line {})",
            row.clip_start_s, settings.duration_s, row.line
        ));
    }
    let samples = &track.samples[start..start + len];
    let (samples, out_sr) = match settings.rate {
        ClipRate::Hz(to) if to != sr => (
            subgenre_audio::resample(samples, sr, to).map_err(|e| e.to_string())?,
            to,
        ),
        _ => (samples.to_vec(), sr),
    };
    subgenre_audio::write_clip(&settings.dest(row), &samples, out_sr, settings.format)
        .map_err(|e| e.to_string())
}

/// `<dir>/<spot_id>.<ext>` for any supported audio extension.
fn find_track(dir: &Path, spot_id: &str) -> Option<PathBuf> {
    subgenre_audio::AUDIO_EXTENSIONS
        .iter()
        .map(|ext| dir.join(format!("{spot_id}.{ext}")))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const HEADER: &str = "sample_id,spot_id,clip_start,bouncy,tekno,psytech\n";

    /// A 10 s track `T1`, rows for it (one past its end, one psytech row left out) and for
    /// a track that is not there.
    fn setup(dir: &Path) -> ClipSettings {
        let tracks = dir.join("tracks");
        std::fs::create_dir_all(&tracks).expect("mkdir");
        let sr = 8000;
        let samples: Vec<f32> = (0..10 * sr)
            .map(|i| (i as f32 * 0.01).sin() * 0.3)
            .collect();
        subgenre_audio::write_clip(&tracks.join("T1.wav"), &samples, sr as u32, ClipFormat::Wav)
            .expect("track");
        let labels = dir.join("labels.csv");
        std::fs::write(
            &labels,
            format!(
                "{HEADER}a,T1,0:01,1,0,0\nb,T1,0:03,0,1,0\nlate,T1,0:05,1,0,0\n\
                 psy,T1,0:00,0,0,1\ngone,T2,0:00,0,1,0\n"
            ),
        )
        .expect("labels");
        ClipSettings::new(labels, tracks, dir.join("clips"))
            .with_duration(6.0)
            .expect("duration")
    }

    #[test]
    fn clips_are_cut_skipped_and_failed_per_row() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut settings = setup(dir.path());
        settings.rate = ClipRate::Hz(4000);
        let done = AtomicUsize::new(0);
        let planned = std::sync::Mutex::new(None);
        let cut = cut_clips(&settings, &|event| match event {
            ClipProgress::Planned { .. } => {
                *planned.lock().expect("lock") = Some(event);
            }
            ClipProgress::ClipDone => {
                done.fetch_add(1, Ordering::Relaxed);
            }
        })
        .expect("cut");
        assert_eq!(
            *planned.lock().expect("lock"),
            Some(ClipProgress::Planned {
                rows: 5,
                left_out: 1,
                clips: 4
            })
        );
        assert_eq!(done.load(Ordering::Relaxed), 4);
        assert_eq!((cut.written, cut.skipped), (2, 0));
        let reasons: BTreeMap<_, _> = cut.failures.iter().cloned().collect();
        assert!(reasons["late"].contains("ends at 10.0 s"), "{reasons:?}");
        assert!(reasons["gone"].contains("no track file T2"), "{reasons:?}");
        let clip = subgenre_audio::decode(settings.out.join("a.wav")).expect("clip");
        assert_eq!(clip.info.sample_rate, 4000);
        assert_eq!(clip.samples.len(), 6 * 4000);

        let again = cut_clips(&settings, &|_| {}).expect("again");
        assert_eq!(
            (again.written, again.skipped, again.failures.len()),
            (0, 2, 2)
        );
    }

    #[test]
    fn settings_are_checked() {
        let dir = tempfile::tempdir().expect("tmp");
        let s = ClipSettings::new(dir.path().into(), dir.path().into(), dir.path().into());
        assert!(s.clone().with_duration(0.0).is_err());
        assert!(s.with_duration(f64::NAN).is_err());
        assert_eq!("native".parse::<ClipRate>().expect("ok"), ClipRate::Native);
        assert_eq!(
            "16000".parse::<ClipRate>().expect("ok"),
            ClipRate::Hz(16000)
        );
        for bad in ["0", "fast", "-1"] {
            let e = bad.parse::<ClipRate>().expect_err(bad).to_string();
            assert!(e.contains("native"), "{e}");
        }
    }
}
