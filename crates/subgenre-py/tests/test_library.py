"""`subgenre library` read back by independent tools: its playlists by the m3u8 parser, the
tags it writes by mutagen. Skipped (saying so) where those packages are absent; tools/test-all
installs them."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import subgenre
from conftest import ROOT, demo_clips, run_cli

m3u8 = pytest.importorskip("m3u8", reason="the m3u8 parser is not installed (pip install m3u8)")
mutagen = pytest.importorskip("mutagen", reason="mutagen is not installed (pip install mutagen)")


@pytest.fixture(scope="module")
def library(tmp_path_factory, cli):
    """Four demo clips and the FLAC, Ogg and MP4 fixtures, scanned with the shipped models."""
    root = tmp_path_factory.mktemp("library")
    music = root / "music"
    music.mkdir()
    for clip in demo_clips()[:4]:
        shutil.copy(clip, music / clip.name)
    for name in ["clip.flac", "clip.ogg", "clip.m4a"]:
        shutil.copy(ROOT / "fixtures" / "tags" / name, music / name)
    db = root / "library.sqlite"
    run_cli(cli, "library", "scan", music, "--db", db)
    doc = json.loads(run_cli(cli, "library", "list", "--json", "--db", db))
    assert not doc["errors"], doc["errors"]
    tracks = {t["path"]: t for t in doc["tracks"]}
    assert len(tracks) == 7, sorted(tracks)
    return root, db, tracks


def test_playlists_read_back_by_an_independent_parser(library, cli):
    root, db, tracks = library
    out = root / "playlists"
    run_cli(cli, "library", "export", "--m3u", out, "--db", db)
    seen = []
    for playlist in sorted(out.glob("*.m3u")):
        text = playlist.read_text(encoding="utf-8")
        assert text.startswith("#EXTM3U"), playlist
        for entry in m3u8.loads(text).segments:
            path = str((out / entry.uri).resolve())
            assert tracks[path]["label"] == playlist.stem, (playlist.name, entry.uri)
            assert entry.duration == pytest.approx(tracks[path]["duration_s"], abs=1.0)
            seen.append(path)
    assert sorted(seen) == sorted(tracks), "every track exactly once"


_FIELDS = {
    # mutagen's easy keys for ID3, Vorbis comments and MP4 atoms.
    "genre": {"mp3": "TCON", "flac": "genre", "ogg": "genre", "m4a": "\xa9gen"},
    "grouping": {"mp3": "GRP1", "flac": "grouping", "ogg": "grouping", "m4a": "\xa9grp"},
}


def _tag_value(path: Path, field: str) -> str:
    f = mutagen.File(path)
    assert f is not None and f.tags is not None, f"mutagen finds no tags in {path}"
    ext = path.suffix[1:]
    key = _FIELDS[field][ext]
    if ext == "mp3":
        frames = f.tags.getall(key) or (f.tags.getall("TIT1") if field == "grouping" else [])
        assert frames, f"no {key} frame in {path}: {f.tags.keys()}"
        return str(frames[0].text[0])
    values = f.tags.get(key)
    assert values, f"no {key} in {path}: {list(f.tags.keys())}"
    return str(values[0])


def test_tags_read_back_by_mutagen_and_the_audio_unchanged(library, cli):
    root, db, tracks = library
    before = {p: subgenre.load(p, sr=None)[0] for p in tracks}
    dry = run_cli(cli, "library", "tag", "--dry-run", "--db", db)
    assert all(p in dry for p in tracks), dry
    for field in ["genre", "grouping"]:
        run_cli(cli, "library", "tag", "--field", field, "--db", db)
        for path, track in tracks.items():
            assert _tag_value(Path(path), field) == track["label"], (field, path)
    for path, samples in before.items():
        after = subgenre.load(path, sr=None)[0]
        assert np.array_equal(after, samples), f"the audio of {path} changed"
