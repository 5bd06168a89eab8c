"""subgenre.study_features against the rows `subgenre features` writes (bit for bit)."""

import csv
import json
import io

import numpy as np
import pytest

import subgenre
from conftest import demo_clips, run_cli


@pytest.mark.parametrize("rich", [False, True])
def test_study_features_equal_the_cli_table(cli, tmp_path, rich):
    clips = demo_clips()[:3]
    out = tmp_path / "features.csv"
    run_cli(cli, "features", "--out", out, *(["--rich"] if rich else []), *clips)
    rows = {r["path"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    for clip in clips:
        y, sr = subgenre.load(clip)
        ours = subgenre.study_features(y, sr, rich=rich)
        theirs = rows[str(clip)]
        assert list(ours) == [k for k in theirs if k != "path"]
        for k, v in ours.items():
            # The CSV holds the float32 value in its shortest round-trip form.
            assert np.float32(v) == np.float32(theirs[k]), (clip.name, k)


def test_pyaudioanalysis_and_bad_arguments(cli, tmp_path):
    clip = demo_clips()[0]
    out = tmp_path / "pyaa.csv"
    run_cli(cli, "features", "--out", out, "--extractor", "pyaudioanalysis", clip)
    theirs = next(csv.DictReader(io.StringIO(out.read_text())))
    y, sr = subgenre.load(clip, sr=None)
    ours = subgenre.study_features(y, sr, extractor="pyaudioanalysis")
    for k, v in ours.items():
        assert np.float32(v) == np.float32(theirs[k]), k
    with pytest.raises(ValueError, match="extractor"):
        subgenre.study_features(y, sr, extractor="essentia")
    with pytest.raises(ValueError, match="rich"):
        subgenre.study_features(y, sr, rich=True, extractor="pyaudioanalysis")


def test_features_table_writes_the_cli_table(cli, tmp_path, bad_files):
    cache = tmp_path / "cache"
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    seen = []
    done = subgenre.features_table(None, ours, cache=cache, jobs=2,
                                   progress=lambda n, total: seen.append((n, total)))
    run_cli(cli, "--cache", cache, "features", "--out", theirs)
    assert ours.read_bytes() == theirs.read_bytes()
    assert done["rows"] == 30 and done["columns"] == 13 and done["failures"] == {}
    assert sorted(seen)[-1] == (30, 30) and len(seen) == 30
    # Files and folders: bad files are listed, the good ones written.
    clips = demo_clips()[:2]
    files_out = tmp_path / "files.csv"
    done = subgenre.features_table([*clips, bad_files["noise"]], files_out, rich=True)
    assert done["rows"] == 2 and done["columns"] > 13
    assert list(done["failures"]) == [str(bad_files["noise"])]
    header = files_out.read_text().splitlines()[0].split(",")
    assert header[0] == "path" and len(header) == 1 + done["columns"]


def test_baseline_returns_the_cli_report(cli, tmp_path):
    table = tmp_path / "features.csv"
    subgenre.features_table(None, table, cache=tmp_path / "cache")
    events = []
    ours = subgenre.baseline(table, models="svm,boost", seeds=[42, 43], progress=events.append)
    run_cli(cli, "baseline", "--features", table, "--models", "svm,boost", "--seeds", "42,43",
            "--out", tmp_path / "out")
    theirs = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [r["model"] for r in ours["runs"]] == [r["model"] for r in theirs["runs"]]
    for a, b in zip(ours["runs"], theirs["runs"]):
        assert (a["seed"], a["confusion"], a["weighted_f1"]) == (b["seed"], b["confusion"], b["weighted_f1"])
    assert ours["summary"] == theirs["summary"]
    done = [e for e in events if e["event"] == "model_done"]
    assert len(done) == 4 and {e["model"] for e in done} == {"svm", "boost"}
    with pytest.raises(ValueError, match="protocol"):
        subgenre.baseline(table, protocol="leaky")
