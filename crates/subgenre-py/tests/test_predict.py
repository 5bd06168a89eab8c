"""subgenre.Predictor against `subgenre predict --json -` on the same files."""

import json
import pickle

import numpy as np
import pytest

import subgenre
from conftest import demo_clips, run_cli


@pytest.fixture(scope="module")
def predictor():
    return subgenre.Predictor(jobs=2)


def probs_close(ours, theirs, tol=1e-6):
    assert ours.keys() == theirs.keys()
    for k in ours:
        assert abs(ours[k] - theirs[k]) <= tol, k


def same_track(ours, theirs):
    assert ours.keys() == theirs.keys()
    assert ours["label"] == theirs["label"]
    assert ours["path"] == theirs["path"]
    assert ours["short"] == theirs["short"]
    assert abs(ours["confidence"] - theirs["confidence"]) <= 1e-6
    assert abs(ours["duration_s"] - theirs["duration_s"]) <= 1e-9
    assert ours["tempo_bpm"] == pytest.approx(theirs["tempo_bpm"], abs=1e-9)
    probs_close(ours["mean_probs"], theirs["mean_probs"])
    probs_close(ours["shares"], theirs["shares"])
    assert len(ours["windows"]) == len(theirs["windows"])
    for a, b in zip(ours["windows"], theirs["windows"]):
        assert (a["start_s"], a["end_s"]) == (b["start_s"], b["end_s"])
        probs_close(a["probs"], b["probs"])


def test_predict_file_equals_the_cli(cli, predictor):
    for clip in demo_clips()[:3]:
        doc = json.loads(run_cli(cli, "predict", "--json", "-", clip))
        theirs = doc["tracks"][0]
        ours = predictor.predict_file(clip)
        same_track(ours, theirs)
        assert predictor.classes == doc["classes"]


def test_bytes_and_array_equal_the_file(predictor):
    clip = demo_clips()[0]
    from_file = predictor.predict_file(clip)
    from_bytes = predictor.predict_bytes(clip.read_bytes(), str(clip))
    same_track(from_bytes, from_file)
    y, sr = subgenre.load(clip)
    from_array = predictor.predict(y, sr, name=str(clip))
    same_track(from_array, from_file)
    # Another rate is resampled to 22 050 Hz first.
    y44, sr44 = subgenre.load(clip, sr=44100)
    assert predictor.predict(y44, sr44)["label"] in predictor.classes


def test_window_inputs_are_the_windows_predicted(predictor, bad_files):
    clip = demo_clips()[0]
    track = predictor.predict_file(clip, hop=2.0)
    starts, mels = predictor.window_inputs(clip, hop=2.0)
    assert starts.dtype == np.float64 and mels.dtype == np.float32
    assert [w["start_s"] for w in track["windows"]] == pytest.approx(list(starts))
    assert mels.ndim == 3 and mels.shape[0] == len(starts) and mels.shape[1] == mels.shape[2]
    assert np.isfinite(mels).all() and mels.std() > 0
    from_bytes = predictor.window_inputs(clip.read_bytes(), hop=2.0, name=str(clip))
    assert np.array_equal(from_bytes[1], mels)
    with pytest.raises(subgenre.AudioError):
        predictor.window_inputs(bad_files["noise"])
    with pytest.raises(ValueError, match="source"):
        predictor.window_inputs(3.5)


def test_options_and_errors(predictor, bad_files):
    clip = demo_clips()[0]
    t = predictor.predict_file(clip, hop=2.0, tempo=False, min_confidence=0.99)
    assert t["tempo_bpm"] is None
    assert t["label"] in predictor.classes + ["uncertain"]
    with pytest.raises(ValueError, match="min_confidence"):
        predictor.predict_file(clip, min_confidence=2.0)
    with pytest.raises(ValueError, match="hop"):
        predictor.predict_file(clip, hop=0.0)
    for kind, path in bad_files.items():
        with pytest.raises(subgenre.AudioError) as info:
            predictor.predict_file(path)
        assert info.value.path == str(path), kind
    with pytest.raises(subgenre.AudioError):
        predictor.predict_bytes(b"not audio at all", "x.mp3")
    with pytest.raises(ValueError, match="empty"):
        predictor.predict(np.zeros(0, np.float32))
    with pytest.raises(subgenre.Error):
        subgenre.Predictor([clip])  # an MP3 is not a model
    with pytest.raises(ValueError, match="models"):
        subgenre.Predictor([])


def test_pickle_rebuilds_the_same_predictor(predictor):
    clone = pickle.loads(pickle.dumps(predictor))
    assert clone.classes == predictor.classes
    assert clone.members == predictor.members
    clip = demo_clips()[1]
    same_track(clone.predict_file(clip), predictor.predict_file(clip))
