"""Shared paths and helpers for the subgenre package's tests.

The tests read the repository's committed fixtures (fixtures/librosa) and demo clips
(data/demo/clips), and compare with the `subgenre` command line built by `cargo test`
(target/debug/subgenre; set SUBGENRE_BIN to use another build).
"""

import os
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures" / "librosa"
DEMO_CLIPS = ROOT / "data" / "demo" / "clips"


def input_clips():
    """The 5 clips (one per class) that have librosa-default references."""
    ids = (FIXTURES / "input" / "clips.txt").read_text().split()
    return ids


def read_wav(path):
    """A PCM-16 mono WAV as float32 `i16 / 32768` (what soundfile.read(dtype='float32') gives)."""
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        sr = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.astype(np.float32) / np.float32(32768), sr


def demo_clips():
    return sorted(DEMO_CLIPS.glob("*.mp3"))


@pytest.fixture(scope="session")
def cli():
    """Path of the `subgenre` binary."""
    path = Path(os.environ.get("SUBGENRE_BIN", ROOT / "target" / "debug" / "subgenre"))
    if not path.exists():
        pytest.fail(
            f"{path} not found: build the command line first (`cargo build -p subgenre-cli`, "
            "or `cargo test --workspace`), or set SUBGENRE_BIN"
        )
    return path


def run_cli(cli, *args):
    done = subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"subgenre {' '.join(map(str, args))} failed:\n{done.stderr}")
    return done.stdout


@pytest.fixture
def bad_files(tmp_path):
    """A corpus of files that are not readable audio, each with a short name for its kind."""
    clip = demo_clips()[0].read_bytes()
    rng = np.random.default_rng(7)
    files = {
        "empty": b"",
        "noise": rng.integers(0, 256, 50_000, dtype=np.uint8).tobytes(),
        "truncated": clip[:64],
        "png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(500),
    }
    paths = {}
    for kind, data in files.items():
        p = tmp_path / f"{kind}.mp3"
        p.write_bytes(data)
        paths[kind] = p
    folder = tmp_path / "a_folder.mp3"
    folder.mkdir()
    paths["directory"] = folder
    paths["missing"] = tmp_path / "no_such_file.mp3"
    return paths


def np_stft(y, n_fft=2048, hop_length=512):
    """`librosa.stft(y)` at its defaults in numpy: centred with zeros, periodic Hann window,
    float64 FFT stored as complex64."""
    pad = n_fft // 2
    yp = np.pad(y, pad)
    n_frames = 1 + (len(yp) - n_fft) // hop_length
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    idx = np.arange(n_fft)[None, :] + hop_length * np.arange(n_frames)[:, None]
    frames = yp[idx].astype(np.float64) * window
    return np.fft.rfft(frames, axis=1).T.astype(np.complex64)


def max_rel(ours, theirs):
    """Largest |ours - theirs| relative to |theirs|, floored at 1e-6 of theirs' scale (the Rust
    parity tests' measure)."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    floor = max(np.abs(theirs).max() * 1e-6, 1e-30)
    return float((np.abs(ours - theirs) / np.maximum(np.abs(theirs), floor)).max())
