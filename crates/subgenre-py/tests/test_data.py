"""subgenre.dataset_stats and subgenre.split against `subgenre dataset ... --json`."""

import json

import pytest

import subgenre
from conftest import ROOT, run_cli


def test_stats_and_split_equal_the_cli(cli, tmp_path):
    cache = tmp_path / "cache"
    stats = subgenre.dataset_stats(cache=cache)
    assert stats == json.loads(run_cli(cli, "--cache", cache, "dataset", "stats", "--json"))
    assert stats["selected_clips"] == 30
    data = ROOT / "data" / "demo"
    assert subgenre.dataset_stats(data, classes="all")["rows"] == stats["rows"]
    for seed in (42, 43):
        ours = subgenre.split(data, seed)
        theirs = json.loads(run_cli(cli, "dataset", "split", "--data", data, "--seed", seed, "--json"))
        assert ours == theirs
    assert subgenre.split(data, 42) != subgenre.split(data, 43)


def test_bad_data_and_classes(tmp_path):
    with pytest.raises(subgenre.Error, match="no_such_folder"):
        subgenre.dataset_stats(tmp_path / "no_such_folder")
    with pytest.raises(ValueError, match="classes"):
        subgenre.dataset_stats(classes="jazz", cache=tmp_path)


def test_cut_clips_cuts_skips_and_names_failures(tmp_path):
    tracks = tmp_path / "tracks"
    tracks.mkdir()
    clip = sorted((ROOT / "data" / "demo" / "clips").glob("*.mp3"))[0]
    (tracks / "T1.mp3").write_bytes(clip.read_bytes())
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "sample_id,spot_id,clip_start,bouncy,tekno\n"
        "a,T1,0:01,1,0\nlate,T1,0:07,0,1\ngone,T2,0:00,1,0\n"
    )
    out = tmp_path / "clips"
    done = subgenre.cut_clips(tracks, out=out, labels=labels, duration=2.0, sr="16000")
    assert (done["written"], done["skipped"]) == (1, 0)
    reasons = dict(done["failures"])
    assert "ends at" in reasons["late"] and "no track file T2" in reasons["gone"]
    y, sr = subgenre.load(out / "a.wav", sr=None)
    assert sr == 16000 and len(y) == 32000
    again = subgenre.cut_clips(tracks, out=out, labels=labels, duration=2.0, sr="16000")
    assert (again["written"], again["skipped"]) == (0, 1)
    with pytest.raises(ValueError, match="sr"):
        subgenre.cut_clips(tracks, out=out, labels=labels, sr="fast")
    with pytest.raises(ValueError, match="duration"):
        subgenre.cut_clips(tracks, out=out, labels=labels, duration=0)
