"""subgenre.musicnn and Predictor.embed against the TensorFlow fixtures (fixtures/musicnn)."""
import json
import struct

import numpy as np
import pytest

import subgenre
from conftest import ROOT, demo_clips

MUSICNN = ROOT / "fixtures" / "musicnn"
DTYPES = {"F32": np.float32, "I64": np.int64}


def read_safetensors(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    body = raw[8 + n :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        start, end = t["data_offsets"]
        out[name] = np.frombuffer(body[start:end], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
    return out


@pytest.mark.parametrize("model", ["MSD_musicnn", "MTT_musicnn"])
def test_musicnn_of_the_fixture_signal_matches_tensorflow(model):
    fx = read_safetensors(MUSICNN / "synthetic_2500ms.safetensors")
    taggram, tags, features = subgenre.musicnn(fx["signal"], 16000, model=model)
    assert len(tags) == 50 and all(isinstance(t, str) for t in tags)
    assert taggram.shape == (1, 50) and taggram.dtype == np.float32
    # The log-mel may differ by one float16 step from TensorFlow's input: a looser bound than
    # the Rust tests' (which feed the fixture's own patches).
    np.testing.assert_allclose(taggram, fx[f"{model}.taggram"], atol=2e-3)
    assert features["max_pool"].shape == (1, 753)
    assert features["timbral"].shape == (187, 408)
    frames = fx["layer_frames"]
    np.testing.assert_allclose(features["timbral"][frames], fx[f"{model}.timbral"][0], rtol=1e-2, atol=1e-2)
    np.testing.assert_allclose(features["penultimate"], fx[f"{model}.penultimate"], rtol=1e-2, atol=1e-2)


def test_musicnn_refuses_bad_signals():
    with pytest.raises(ValueError, match="minimum"):
        subgenre.musicnn(np.zeros(4000, np.float32), 16000)
    with pytest.raises(ValueError, match="finite"):
        subgenre.musicnn(np.full(32000, np.nan, np.float32), 16000)
    with pytest.raises(ValueError, match="model"):
        subgenre.musicnn(np.zeros(32000, np.float32), 16000, model="vgg")


def test_predictor_embed_gives_a_file_s_patches_and_mean():
    clip = demo_clips()[0]
    out = subgenre.Predictor().embed(clip)
    assert (out["model"], out["layer"]) == ("MSD_musicnn", "max_pool")
    rows = out["rows"]
    assert rows.shape == (2, 753)
    np.testing.assert_allclose(out["mean"], rows.mean(axis=0), rtol=1e-5, atol=1e-6)
    y, sr = subgenre.load(clip, sr=16000)
    _, _, features = subgenre.musicnn(y, sr)
    np.testing.assert_array_equal(features["max_pool"], rows)
    with pytest.raises(ValueError, match="layer"):
        subgenre.Predictor().embed(clip, layer="nope")
