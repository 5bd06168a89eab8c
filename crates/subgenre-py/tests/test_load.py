import json

import numpy as np
import pytest

import subgenre
from conftest import FIXTURES, ROOT, bad_files, demo_clips  # noqa: F401


def test_load_matches_librosa_on_demo_clips():
    lengths = json.loads((FIXTURES / "load" / "lengths.json").read_text())
    for clip in demo_clips():
        y, sr = subgenre.load(clip)
        assert sr == 22050
        assert y.dtype == np.float32 and y.ndim == 1
        assert len(y) == lengths[clip.stem], clip.name
        theirs = np.load(FIXTURES / "load" / f"{clip.stem}.npy").astype(np.float64)
        ours = y[44100:88200].astype(np.float64)
        r = np.corrcoef(ours, theirs)[0, 1]
        assert r >= 0.99, f"{clip.name}: correlation {r:.4f} with librosa.load"


def test_offset_duration_and_native_rate():
    clip = demo_clips()[0]
    full, _ = subgenre.load(clip, sr=None)
    part, sr = subgenre.load(clip, sr=None, offset=1.0, duration=2.0)
    assert len(part) == 2 * sr
    np.testing.assert_array_equal(part, full[sr : 3 * sr])
    with pytest.raises(ValueError, match="offset"):
        subgenre.load(clip, offset=-1.0)


def test_mono_false_keeps_the_channels():
    stereo = ROOT / "fixtures" / "audio" / "tone_stereo_44100.flac"
    y, sr = subgenre.load(stereo, mono=False, duration=1.0)
    mono, _ = subgenre.load(stereo, duration=1.0)
    assert y.shape == (2, len(mono)) and y.dtype == np.float32 and sr == 22050
    assert np.abs(y.mean(axis=0) - mono).max() < 1e-4
    # A mono file stays 1-D, as in librosa.
    clip = demo_clips()[0]
    one, _ = subgenre.load(clip, mono=False)
    np.testing.assert_array_equal(one, subgenre.load(clip)[0])


def test_every_bad_file_raises_audio_error_naming_it(bad_files):
    for kind, path in bad_files.items():
        with pytest.raises(subgenre.AudioError) as info:
            subgenre.load(path)
        err = info.value
        assert isinstance(err, subgenre.Error)
        assert err.path == str(path), kind
        assert path.name in str(err), kind
        assert err.reason, kind


def test_load_many_returns_good_arrays_and_lists_bad(tmp_path, bad_files):
    good = demo_clips()[:3]
    for clip in good:
        (tmp_path / clip.name).write_bytes(clip.read_bytes())
    named = [bad_files["missing"]]
    arrays, errors = subgenre.load_many([tmp_path, *named], jobs=2)
    assert sorted(arrays) == sorted(str(tmp_path / c.name) for c in good)
    for clip in good:
        single, _ = subgenre.load(clip)
        np.testing.assert_array_equal(arrays[str(tmp_path / clip.name)], single)
    # Every bad file the walk finds (by its .mp3 name) or that was named is listed once.
    expected_bad = {str(p) for k, p in bad_files.items() if k != "directory"}
    assert set(errors) == expected_bad
    assert all(isinstance(r, str) and r for r in errors.values())
    with pytest.raises(ValueError, match="jobs"):
        subgenre.load_many(tmp_path, jobs=0)


def _load_many_in_a_child(folder, seconds):
    """load_many(folder) in a child process, killed after `seconds` (a hang fails the test
    instead of stalling the run)."""
    import subprocess
    import sys

    code = (
        "import json, sys, subgenre\n"
        "arrays, errors = subgenre.load_many(sys.argv[1], jobs=2)\n"
        "print(json.dumps({'arrays': sorted(arrays), 'errors': errors}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True,
                          text=True, timeout=seconds)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs named pipes")
def test_load_many_on_loops_links_and_pipes(tmp_path):
    import os

    clip = demo_clips()[0]
    (tmp_path / "sub" / "album.mp3").mkdir(parents=True)
    (tmp_path / "a.mp3").write_bytes(clip.read_bytes())
    (tmp_path / "sub" / "album.mp3" / "b.mp3").write_bytes(clip.read_bytes())  # a copy
    os.symlink("..", tmp_path / "sub" / "loop")
    os.symlink(tmp_path / "a.mp3", tmp_path / "sub" / "same.mp3")
    os.mkfifo(tmp_path / "x.mp3")
    found = _load_many_in_a_child(tmp_path, 120)
    # Each real file once (the copy is a file of its own), under its first path.
    assert found["arrays"] == [str(tmp_path / "a.mp3"), str(tmp_path / "sub/album.mp3/b.mp3")]
    errors = found["errors"]
    assert errors[str(tmp_path / "x.mp3")].startswith("skipped: a named pipe"), errors
    assert "walked once" in errors[str(tmp_path / "sub" / "loop")], errors
    assert "same file" in errors[str(tmp_path / "sub" / "same.mp3")], errors
