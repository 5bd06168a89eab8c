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
