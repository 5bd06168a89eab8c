//! Listings, find, M3U playlists and similar tracks.

mod common;

use std::path::{Path, PathBuf};

use common::{write_files, FakeAnalyser, TestResult};
use subgenre_library::{
    export_m3u, find, list, scan, similar, write_m3u, BpmRange, ExportOptions, Library,
    LibraryError, ListFilter, PlaylistOrder, ScanOptions,
};

/// A library of six fake tracks with known labels, confidences, tempi and embeddings, one
/// failed file, and one track outside `music/` (in `elsewhere/`).
fn library(dir: &Path) -> Result<(Library, PathBuf), Box<dyn std::error::Error>> {
    let music = dir.join("music");
    write_files(
        &music,
        &[
            ("a_hard.mp3", "label=hard conf=0.9 bpm=150 emb=1,0,0"),
            ("b_hard.mp3", "label=hard conf=0.6 bpm=140 emb=0.9,0.1,0"),
            ("c_peak.mp3", "label=peak conf=0.8 bpm=135 emb=0.95,0.05,0"),
            ("d_peak.mp3", "label=peak conf=0.3 bpm=none emb=0,1,0"),
            (
                "sub/e_industrial.flac",
                "label=industrial conf=0.7 bpm=145 emb=0,0,1",
            ),
            ("broken.mp3", "broken"),
        ],
    )?;
    write_files(
        &dir.join("elsewhere"),
        &[("f_hard.ogg", "label=hard conf=0.95 bpm=138 emb=0.5,0.5,0")],
    )?;
    let mut lib = Library::open(dir.join("lib.sqlite"))?;
    let roots = [music.clone(), dir.join("elsewhere")];
    scan(
        &mut lib,
        &roots,
        &FakeAnalyser::new(),
        &ScanOptions::default(),
        |_| {},
    )?;
    Ok((lib, std::fs::canonicalize(dir)?))
}

fn names(tracks: impl IntoIterator<Item = PathBuf>) -> Vec<String> {
    tracks
        .into_iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect()
}

#[test]
fn listings_filter_and_serialise() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (lib, _) = library(dir.path())?;
    let all = list(&lib, &ListFilter::default())?;
    assert_eq!(all.tracks.len(), 6);
    assert_eq!(all.errors.len(), 1);

    let only = |filter: ListFilter| -> Result<Vec<String>, LibraryError> {
        Ok(names(
            list(&lib, &filter)?
                .tracks
                .into_iter()
                .map(|t| t.analysis.path),
        ))
    };
    let hard = ListFilter {
        label: Some("hard".into()),
        ..ListFilter::default()
    };
    assert_eq!(only(hard)?, ["f_hard.ogg", "a_hard.mp3", "b_hard.mp3"]);
    let sure = ListFilter {
        min_confidence: Some(0.75),
        ..ListFilter::default()
    };
    assert_eq!(only(sure)?, ["f_hard.ogg", "a_hard.mp3", "c_peak.mp3"]);
    let fast = ListFilter {
        tempo: Some("140-150".parse()?),
        ..ListFilter::default()
    };
    assert_eq!(
        only(fast.clone())?,
        ["a_hard.mp3", "b_hard.mp3", "e_industrial.flac"]
    );
    let both = ListFilter {
        label: Some("hard".into()),
        ..fast
    };
    assert_eq!(only(both.clone())?, ["a_hard.mp3", "b_hard.mp3"]);
    assert!(
        list(&lib, &both)?.errors.is_empty(),
        "errors only in an unfiltered listing"
    );

    // Tempo ranges are checked.
    let range: BpmRange = " 128 - 135 ".parse()?;
    assert_eq!((range.lo(), range.hi()), (128.0, 135.0));
    for bad in ["150-140", "fast", "140", "-5-10", "a-b"] {
        let err = bad.parse::<BpmRange>().expect_err(bad);
        assert!(
            matches!(err, LibraryError::InvalidOption { .. }),
            "{bad}: {err}"
        );
    }
    assert!(BpmRange::new(150.0, 140.0).is_err());

    // JSON shape.
    let mut out = Vec::new();
    all.write_json(&mut out)?;
    let json: serde_json::Value = serde_json::from_slice(&out)?;
    let tracks = json["tracks"].as_array().ok_or("tracks array")?;
    let a = tracks
        .iter()
        .find(|t| {
            t["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("a_hard.mp3"))
        })
        .ok_or("a_hard in JSON")?;
    assert_eq!(a["label"], "hard");
    assert!((a["confidence"].as_f64().ok_or("confidence")? - 0.9).abs() < 1e-6);
    assert_eq!(a["tempo_bpm"], 150.0);
    assert!(a["duration_s"].is_number());
    let shares = a["shares"].as_object().ok_or("shares map")?;
    assert_eq!(
        shares.keys().collect::<Vec<_>>(),
        ["hard", "industrial", "peak"]
    );
    assert!(a.get("embedding").is_none() && a.get("windows").is_none());
    let d = tracks.iter().find(|t| {
        t["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("d_peak.mp3"))
    });
    assert!(d.ok_or("d_peak")?["tempo_bpm"].is_null());
    let errors = json["errors"].as_array().ok_or("errors array")?;
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("broken.mp3")));
    assert!(errors[0]["error"]
        .as_str()
        .is_some_and(|e| e.contains("refused")));

    // CSV header and rows.
    let mut out = Vec::new();
    all.write_csv(&mut out)?;
    let text = String::from_utf8(out)?;
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("path,label,confidence,tempo_bpm,duration_s,format,short,share:hard,share:industrial,share:peak,error")
    );
    assert_eq!(text.lines().count(), 1 + 6 + 1);
    let broken = text
        .lines()
        .find(|l| l.contains("broken.mp3"))
        .ok_or("error row")?;
    assert!(broken.ends_with("fake decoder refused it"), "{broken}");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for row in reader.records() {
        assert_eq!(row?.len(), 11);
    }
    Ok(())
}

#[test]
fn find_by_path_or_unique_part() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (lib, root) = library(dir.path())?;
    assert!(find(&lib, "e_industrial")?
        .path()
        .ends_with("sub/e_industrial.flac"));
    let full = root.join("music/c_peak.mp3");
    assert_eq!(find(&lib, &full.display().to_string())?.path(), full);
    match find(&lib, "_hard") {
        Err(LibraryError::Ambiguous { candidates, .. }) => {
            assert_eq!(
                names(candidates),
                ["f_hard.ogg", "a_hard.mp3", "b_hard.mp3"]
            )
        }
        other => return Err(format!("expected Ambiguous, got {other:?}").into()),
    }
    let msg = find(&lib, "_hard").expect_err("ambiguous").to_string();
    assert!(
        msg.contains("matches 3 tracks") && msg.contains("b_hard.mp3"),
        "{msg}"
    );
    assert!(matches!(
        find(&lib, "nothing like it"),
        Err(LibraryError::NotFound { .. })
    ));
    // A failed file is not a track.
    assert!(matches!(
        find(&lib, "broken"),
        Err(LibraryError::NotFound { .. })
    ));
    Ok(())
}

fn read(path: &Path) -> std::io::Result<Vec<String>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .map(str::to_owned)
        .collect())
}

#[test]
fn m3u_playlists_per_label() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (lib, _) = library(dir.path())?;
    let out = dir.path().join("music/playlists");
    let options = ExportOptions {
        min_confidence: Some(0.5),
        order: PlaylistOrder::Confidence,
    };
    let report = export_m3u(&lib, &out, &options)?;
    let labels: Vec<(&str, usize)> = report
        .playlists
        .iter()
        .map(|p| (p.label.as_str(), p.tracks))
        .collect();
    assert_eq!(
        labels,
        [
            ("hard", 3),
            ("industrial", 1),
            ("peak", 1),
            ("uncertain", 1)
        ]
    );

    let hard = read(&out.join("hard.m3u"))?;
    assert_eq!(
        hard,
        [
            "#EXTM3U",
            "#EXTINF:0,f_hard",
            "../../elsewhere/f_hard.ogg",
            "#EXTINF:0,a_hard",
            "../a_hard.mp3",
            "#EXTINF:0,b_hard",
            "../b_hard.mp3",
        ]
    );
    assert_eq!(
        read(&out.join("industrial.m3u"))?[2],
        "../sub/e_industrial.flac"
    );
    assert_eq!(
        read(&out.join("uncertain.m3u"))?[1..],
        ["#EXTINF:0,d_peak", "../d_peak.mp3"]
    );
    // Relative entries resolve to the real files.
    for p in &report.playlists {
        for line in read(&p.path)?.iter().filter(|l| !l.starts_with('#')) {
            assert!(out.join(line).is_file(), "{line} from {}", p.path.display());
        }
    }
    // No temporary files left beside them.
    assert_eq!(std::fs::read_dir(&out)?.count(), 4);

    // By tempo, slowest first; no threshold: d_peak joins peak, after c_peak (no tempo last).
    let by_tempo = ExportOptions {
        min_confidence: None,
        order: PlaylistOrder::Tempo,
    };
    let report = export_m3u(&lib, &out, &by_tempo)?;
    assert_eq!(report.playlists.len(), 3);
    let entries = |name: &str| -> std::io::Result<Vec<String>> {
        Ok(read(&out.join(name))?
            .into_iter()
            .filter(|l| !l.starts_with('#'))
            .collect())
    };
    assert_eq!(
        entries("hard.m3u")?,
        [
            "../../elsewhere/f_hard.ogg",
            "../b_hard.mp3",
            "../a_hard.mp3"
        ]
    );
    assert_eq!(entries("peak.m3u")?, ["../c_peak.mp3", "../d_peak.mp3"]);
    // EXTINF seconds are the duration, rounded.
    let long = lib
        .tracks()?
        .into_iter()
        .map(|t| t.analysis.duration_s)
        .fold(0.0, f64::max);
    assert!(long < 1.0, "fake durations are bytes / 100");
    Ok(())
}

#[test]
fn similar_tracks_by_cosine() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (lib, _) = library(dir.path())?;
    let a = find(&lib, "a_hard")?;
    let near = similar(&lib, &a, 3, false)?;
    let got: Vec<String> = names(near.iter().map(|(t, _)| t.path().to_path_buf()));
    assert_eq!(got, ["c_peak.mp3", "b_hard.mp3", "f_hard.ogg"]);
    assert!(near.windows(2).all(|w| w[0].1 >= w[1].1), "descending");
    assert!((near[0].1 - 0.95 / (0.95f32.powi(2) + 0.05f32.powi(2)).sqrt()).abs() < 1e-5);
    assert!(near.iter().all(|(t, _)| t.id != a.id), "itself excluded");
    let all = similar(&lib, &a, 100, false)?;
    assert_eq!(all.len(), 5);

    let same = similar(&lib, &a, 10, true)?;
    assert_eq!(
        names(same.iter().map(|(t, _)| t.path().to_path_buf())),
        ["b_hard.mp3", "f_hard.ogg"]
    );

    // As a playlist.
    let m3u = dir.path().join("similar.m3u");
    write_m3u(&m3u, same.iter().map(|(t, _)| t))?;
    assert_eq!(read(&m3u)?[2], "music/b_hard.mp3");
    Ok(())
}
