"""subgenre.ray on a real local Ray cluster: a head node and a second one-CPU node joined to it.

Skipped (saying so) when Ray Data is not installed; tools/test-all installs it.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import wave

import numpy as np
import pytest

from conftest import demo_clips

ray = pytest.importorskip("ray", reason="Ray Data is not installed (pip install 'ray[data]' pyarrow)")
pytest.importorskip("pyarrow")

import subgenre  # noqa: E402
import subgenre.ray as sray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402


def _write_wav(path, y, sr=22050):
    pcm = (np.clip(y, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """Demo clips, two longer tracks joined from them, and the bad files."""
    root = tmp_path_factory.mktemp("catalogue")
    (root / "clips").mkdir()
    clips = demo_clips()[:8]
    for c in clips:
        (root / "clips" / c.name).write_bytes(c.read_bytes())
    (root / "long").mkdir()
    for k in range(2):
        y = np.concatenate([subgenre.load(c)[0] for c in clips[k * 3:k * 3 + 3]])
        _write_wav(root / "long" / f"joined{k}.wav", y)
    bad = root / "bad"
    bad.mkdir()
    (bad / "empty.mp3").write_bytes(b"")
    (bad / "random.mp3").write_bytes(os.urandom(4096))
    (bad / "truncated.mp3").write_bytes(clips[0].read_bytes()[:300])
    (bad / "image.mp3").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)  # a PNG named .mp3
    return root


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    c.add_node(num_cpus=1)
    ray.init(address=c.address, log_to_driver=False)
    yield c
    ray.shutdown()
    c.shutdown()


def _cli_tracks(cli, root):
    out = subprocess.run([str(cli), "predict", str(root), "--json", "-"], capture_output=True,
                         text=True, check=False)
    doc = json.loads(out.stdout)
    return {t["path"]: t for t in doc["tracks"]}, {e["path"] for e in doc["errors"]}


def test_rows_agree_with_the_command_line(cluster, catalogue, cli):
    rows = sray.predict_dataset(str(catalogue), num_workers=2).take_all()
    by_path = {r["path"]: r for r in rows}
    assert len(rows) == len(by_path) == 14, sorted(by_path)
    tracks, errors = _cli_tracks(cli, catalogue)
    assert set(tracks) | errors == set(by_path)
    classes = subgenre.Predictor().classes
    for path, t in tracks.items():
        r = by_path[path]
        assert r["error"] is None
        assert r["label"] == t["label"]
        assert abs(r["confidence"] - t["confidence"]) < 1e-6
        for c in classes:
            col = c.replace("-", "_")
            assert abs(r[f"mean_prob_{col}"] - t["mean_probs"][c]) < 1e-6
            assert abs(r[f"share_{col}"] - t["shares"][c]) < 1e-6
        assert len(r["windows"]) == len(t["windows"])
        assert r["tempo_bpm"] == pytest.approx(t["tempo_bpm"], abs=1e-6)
    for path in errors:
        assert by_path[path]["error"], path
        assert by_path[path]["label"] is None


def test_mel_rows_are_the_windows_the_models_see(cluster, catalogue):
    rows = sray.mel_dataset(str(catalogue), num_workers=2).take_all()
    by_path = {}
    for r in rows:
        by_path.setdefault(r["path"], []).append(r)
    assert len(by_path) == 14, sorted(by_path)
    predictor = subgenre.Predictor()
    for path, windows in by_path.items():
        if "/bad/" in path:
            assert len(windows) == 1 and windows[0]["error"] and windows[0]["mel"] is None, path
            continue
        starts, mels = predictor.window_inputs(path)
        assert [w["window"] for w in windows] == list(range(len(starts))), path
        for w, start, mel in zip(windows, starts, mels):
            assert w["error"] is None
            assert w["start_s"] == pytest.approx(start) and w["end_s"] == pytest.approx(start + 8)
            assert np.array_equal(np.asarray(w["mel"]), mel), (path, w["window"])


def _worker_pids():
    """Pids of the Ray worker processes running a _PredictWorker actor (by process title)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if b"_PredictWorker" in cmdline:
            pids.append(int(entry))
    return pids


def test_a_killed_worker_loses_and_repeats_nothing(cluster, catalogue, tmp_path):
    # The catalogue and more copies of its longer tracks, so the job outlasts a worker's start.
    root = tmp_path / "more"
    shutil.copytree(catalogue, root / "catalogue")
    for k in range(8):
        for track in (catalogue / "long").iterdir():
            shutil.copy(track, root / f"copy{k}_{track.name}")
    expected = len([p for p in root.rglob("*") if p.is_file()])
    result = {}

    def run():
        result["rows"] = sray.predict_dataset(str(root), num_workers=2, batch_size=1).take_all()

    worker = threading.Thread(target=run)
    worker.start()
    killed = None
    deadline = time.time() + 120
    while killed is None and time.time() < deadline and worker.is_alive():
        for pid in _worker_pids():
            time.sleep(0.5)  # let it take a batch
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue  # it ended on its own meanwhile: try another
            killed = pid
            break
        time.sleep(0.05)
    worker.join(timeout=600)
    assert killed is not None, "no worker process to kill was seen"
    paths = [r["path"] for r in result["rows"]]
    assert len(paths) == len(set(paths)) == expected


def test_the_command_line_writes_a_parquet_folder(cluster, catalogue, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "predictions"
    for _ in range(2):  # a rerun replaces the folder, it does not append
        subprocess.run([sys.executable, "-m", "subgenre.ray", "predict", str(catalogue / "clips"),
                        "--out", str(out), "--address", cluster.address, "--no-tempo"],
                       check=True, capture_output=True)
    table = pq.read_table(out)
    assert table.num_rows == 8
    assert set(table.column("path").to_pylist()) == {str(catalogue / "clips" / c.name)
                                                     for c in demo_clips()[:8]}


def test_without_ray_the_import_error_says_how_to_install():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'ray' or name.startswith('ray.'):\n"
        "            raise ImportError('no ray here')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import subgenre\n"
        "subgenre.Predictor\n"
        "try:\n"
        "    import subgenre.ray\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install" in out.stdout and "ray" in out.stdout
