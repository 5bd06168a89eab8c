//! Writing labels into tags of real MP3s: only the chosen field changes, never the audio,
//! and a rescan does not take a tagged file for a changed one.

mod common;

use std::path::{Path, PathBuf};

use common::{bump_mtime, demo_clips, FakeAnalyser, TestResult};
use lofty::file::TaggedFileExt;
use lofty::prelude::{Accessor, ItemKey};
use subgenre_audio::LoadOptions;
use subgenre_library::{scan, tag, Library, ScanOptions, TagField, TagOptions};

fn copies(dir: &Path, n: usize) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let music = dir.join("music");
    std::fs::create_dir_all(&music)?;
    let clips = demo_clips();
    assert!(clips.len() >= n, "demo clips in data/demo/clips");
    clips
        .iter()
        .take(n)
        .map(|c| {
            let to = music.join(c.file_name().ok_or("clip name")?);
            std::fs::copy(c, &to)?;
            Ok(std::fs::canonicalize(to)?)
        })
        .collect()
}

fn samples(path: &Path) -> Result<Vec<f32>, subgenre_audio::AudioError> {
    Ok(subgenre_audio::load(path, &LoadOptions::default().sr(None))?.samples)
}

fn field(path: &Path, key: ItemKey) -> Result<Option<String>, lofty::error::FileParseError> {
    let file = lofty::read_from_path(path)?;
    Ok(file
        .primary_tag()
        .and_then(|t| t.get_string(key))
        .map(str::to_owned))
}

#[test]
fn tags_change_one_field_and_never_the_audio() -> TestResult {
    let dir = tempfile::tempdir()?;
    let files = copies(dir.path(), 3)?;
    let mut lib = Library::open(dir.path().join("lib.sqlite"))?;
    let a = FakeAnalyser::new();
    let roots = [dir.path().join("music")];
    let options = ScanOptions::default();
    scan(&mut lib, &roots, &a, &options, |_| {})?;
    let labels: Vec<String> = files
        .iter()
        .map(|f| subgenre_library::find(&lib, &f.display().to_string()).map(|t| t.analysis.label))
        .collect::<Result<_, _>>()?;
    let bytes: Vec<Vec<u8>> = files.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    let audio: Vec<Vec<f32>> = files.iter().map(|f| samples(f)).collect::<Result<_, _>>()?;
    assert!(audio.iter().all(|s| s.len() > 1000));

    // Dry run: the report, and not a byte written.
    let dry = tag(
        &mut lib,
        &TagOptions {
            dry_run: true,
            ..TagOptions::default()
        },
    )?;
    assert_eq!(dry.changes.len(), 3);
    assert!(dry.changes.iter().all(|c| c.old.is_none()));
    for (f, b) in files.iter().zip(&bytes) {
        assert_eq!(&std::fs::read(f)?, b, "dry run left {} alone", f.display());
    }

    // Real run: the genre holds the label, the samples are the same.
    let report = tag(&mut lib, &TagOptions::default())?;
    assert_eq!(report.changes, dry.changes);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    for (((f, label), before), old_bytes) in files.iter().zip(&labels).zip(&audio).zip(&bytes) {
        assert_ne!(&std::fs::read(f)?, old_bytes, "{} was tagged", f.display());
        assert_eq!(field(f, ItemKey::Genre)?.as_deref(), Some(label.as_str()));
        let file = lofty::read_from_path(f)?;
        let genre = file
            .primary_tag()
            .and_then(|t| t.genre())
            .map(|g| g.into_owned());
        assert_eq!(genre.as_deref(), Some(label.as_str()));
        assert_eq!(&samples(f)?, before, "audio of {} untouched", f.display());
    }
    // Again: nothing to change.
    let again = tag(&mut lib, &TagOptions::default())?;
    assert_eq!((again.changes.len(), again.unchanged), (0, 3));

    // A rescan does not re-analyse tagged files.
    a.reset();
    let r = scan(&mut lib, &roots, &a, &options, |_| {})?;
    assert_eq!((r.analysed, r.unchanged, a.calls()), (0, 3, 0));

    // Another field, for one label only: other files keep every byte, and the genre stays.
    let only = labels[0].clone();
    let before: Vec<Vec<u8>> = files.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    let grouping = TagOptions {
        field: TagField::Grouping,
        label: Some(only.clone()),
        ..TagOptions::default()
    };
    let report = tag(&mut lib, &grouping)?;
    let expected = labels.iter().filter(|l| **l == only).count();
    assert_eq!(report.changes.len(), expected);
    for ((f, label), b) in files.iter().zip(&labels).zip(&before) {
        if *label == only {
            assert_eq!(
                field(f, ItemKey::ContentGroup)?.as_deref(),
                Some(label.as_str())
            );
            assert_eq!(field(f, ItemKey::Genre)?.as_deref(), Some(label.as_str()));
        } else {
            assert_eq!(&std::fs::read(f)?, b);
        }
    }
    let comment = TagOptions {
        field: TagField::Comment,
        min_confidence: Some(2.0),
        ..TagOptions::default()
    };
    assert!(
        tag(&mut lib, &comment)?.changes.is_empty(),
        "no track is that confident"
    );
    let comment = TagOptions {
        field: TagField::Comment,
        ..TagOptions::default()
    };
    assert_eq!(tag(&mut lib, &comment)?.changes.len(), 3);
    assert_eq!(
        field(&files[1], ItemKey::Comment)?.as_deref(),
        Some(labels[1].as_str())
    );
    a.reset();
    let r = scan(&mut lib, &roots, &a, &options, |_| {})?;
    assert_eq!((r.analysed, a.calls()), (0, 0));
    for (f, before) in files.iter().zip(&audio) {
        assert_eq!(&samples(f)?, before);
    }
    Ok(())
}

/// FLAC (Vorbis comments), Ogg Vorbis, MP4 (AAC) and MP3 (ID3v2): each takes the label in every
/// field and keeps its decoded samples.
#[test]
fn every_format_takes_the_label_and_keeps_its_audio() -> TestResult {
    let dir = tempfile::tempdir()?;
    let music = dir.path().join("music");
    copies(dir.path(), 1)?;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tags");
    for name in ["clip.flac", "clip.ogg", "clip.m4a"] {
        std::fs::copy(fixtures.join(name), music.join(name))?;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&music)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    let mut extensions: Vec<String> = files
        .iter()
        .filter_map(|f| f.extension().map(|e| e.to_string_lossy().into_owned()))
        .collect();
    extensions.sort();
    assert_eq!(extensions, ["flac", "m4a", "mp3", "ogg"]);
    let audio: Vec<Vec<f32>> = files.iter().map(|f| samples(f)).collect::<Result<_, _>>()?;
    let mut lib = Library::open(dir.path().join("lib.sqlite"))?;
    let a = FakeAnalyser::new();
    let roots = [music.clone()];
    let r = scan(&mut lib, &roots, &a, &ScanOptions::default(), |_| {})?;
    assert_eq!(r.analysed, 4);
    for (field_choice, key) in [
        (TagField::Genre, ItemKey::Genre),
        (TagField::Grouping, ItemKey::ContentGroup),
        (TagField::Comment, ItemKey::Comment),
    ] {
        let options = TagOptions {
            field: field_choice,
            ..TagOptions::default()
        };
        let report = tag(&mut lib, &options)?;
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        assert_eq!(report.changes.len(), 4, "{field_choice:?}");
        for (f, before) in files.iter().zip(&audio) {
            let label = subgenre_library::find(&lib, &f.display().to_string())?
                .analysis
                .label;
            assert_eq!(
                field(f, key)?.as_deref(),
                Some(label.as_str()),
                "{field_choice:?} of {}",
                f.display()
            );
            assert_eq!(&samples(f)?, before, "audio of {} untouched", f.display());
        }
    }
    a.reset();
    let r = scan(&mut lib, &roots, &a, &ScanOptions::default(), |_| {})?;
    assert_eq!((r.analysed, r.unchanged, a.calls()), (0, 4, 0));
    Ok(())
}

#[test]
fn a_file_changed_since_its_scan_is_still_reanalysed_after_tagging() -> TestResult {
    let dir = tempfile::tempdir()?;
    let files = copies(dir.path(), 2)?;
    let mut lib = Library::open(dir.path().join("lib.sqlite"))?;
    let a = FakeAnalyser::new();
    let roots = [dir.path().join("music")];
    scan(&mut lib, &roots, &a, &ScanOptions::default(), |_| {})?;
    // Changed behind the library's back (here only its mtime, as an editor saving would).
    bump_mtime(&files[0], 30)?;
    let report = tag(&mut lib, &TagOptions::default())?;
    assert_eq!(report.changes.len(), 2);
    a.reset();
    let r = scan(&mut lib, &roots, &a, &ScanOptions::default(), |_| {})?;
    assert_eq!((r.analysed, a.calls()), (1, 1));
    Ok(())
}

#[test]
fn unsupported_files_are_reported_not_fatal() -> TestResult {
    let dir = tempfile::tempdir()?;
    let music = dir.path().join("music");
    common::write_files(
        &music,
        &[("fake.mp3", "label=hard conf=0.9 bpm=140 not an mp3")],
    )?;
    copies(dir.path(), 1)?;
    let mut lib = Library::open(dir.path().join("lib.sqlite"))?;
    scan(
        &mut lib,
        std::slice::from_ref(&music),
        &FakeAnalyser::new(),
        &ScanOptions::default(),
        |_| {},
    )?;
    let report = tag(&mut lib, &TagOptions::default())?;
    assert_eq!((report.changes.len(), report.failed.len()), (1, 1));
    assert!(report.failed[0].path.ends_with("fake.mp3"));
    assert_eq!(
        std::fs::read_to_string(music.join("fake.mp3"))?,
        "label=hard conf=0.9 bpm=140 not an mp3"
    );
    Ok(())
}
