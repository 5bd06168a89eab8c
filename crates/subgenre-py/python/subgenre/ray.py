"""subgenre on a Ray cluster: whole catalogues classified by Ray Data.

Needs the optional ``ray`` extra (``pip install "./crates/subgenre-py[ray]"``: Ray Data and
pyarrow). Each Ray worker builds one ``subgenre.Predictor`` (the shipped models unless told
otherwise) and classifies the files of each batch it is given; every file becomes one row,
a file that cannot be read a row with its ``error`` (never a failed job). A worker process that
dies is restarted by Ray and its batch retried, so every file still appears exactly once.

    import subgenre.ray
    ds = subgenre.ray.predict_dataset("music/", num_workers=4)
    ds.write_parquet("predictions/")

``features_dataset`` gives the study's per-clip features of every file and ``mel_dataset`` the
model-input mel-spectrograms of every window, to train on a catalogue.

or from the command line: ``python -m subgenre.ray predict DIR --out OUT [--address ADDR]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from typing import Any, Optional, Sequence, Union

try:
    import ray
    import ray.data
    from ray.data import ActorPoolStrategy
except ImportError as e:  # pragma: no cover - exercised without ray installed
    raise ImportError(
        "subgenre.ray needs Ray Data and pyarrow: pip install 'ray[data]' pyarrow "
        "(or install the package with its extra: pip install './crates/subgenre-py[ray]')"
    ) from e

from . import Predictor, audio_files, load, study_features
from . import Error as _Error

_Paths = Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]], "ray.data.Dataset"]


def _column(name: str) -> str:
    """A class name as part of a column name (``non-techno-drop`` -> ``non_techno_drop``)."""
    return name.replace("-", "_")


def _paths_dataset(paths: _Paths) -> "ray.data.Dataset":
    """A dataset with a ``path`` column (and ``bytes`` when it came from read_binary_files)."""
    if isinstance(paths, ray.data.Dataset):
        return paths
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = audio_files([os.fspath(p) for p in paths])
    if not files:
        raise ValueError(f"paths: no audio files under {list(map(os.fspath, paths))}")
    # One block per file keeps batches small and spreads them over the workers.
    return ray.data.from_items([{"path": f} for f in files], override_num_blocks=len(files))


def _ray_version() -> tuple:
    parts = []
    for piece in ray.__version__.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


# A worker process that dies is restarted and its batch retried, without end. Ray Data does
# so by default in the versions this was tested with (2.60) and stops taking these as keyword
# arguments in 2.64, so they are only given to older versions.
_FAULT_TOLERANCE = {} if _ray_version() >= (2, 60) else {"max_restarts": -1, "max_task_retries": -1}


def _map(ds: "ray.data.Dataset", worker: type, args: tuple, batch_size: int, num_workers: int,
         cpus_per_worker: int) -> "ray.data.Dataset":
    """``ds`` through a pool of ``num_workers`` actors of class ``worker`` (built with ``args``)."""
    if num_workers < 1 or cpus_per_worker < 1 or batch_size < 1:
        raise ValueError("num_workers, threads_per_worker and batch_size must be at least 1")
    return ds.map_batches(
        worker,
        fn_constructor_args=args,
        batch_size=batch_size,
        batch_format="numpy",
        compute=ActorPoolStrategy(size=num_workers),
        num_cpus=cpus_per_worker,
        **_FAULT_TOLERANCE,
    )


class _PredictWorker:
    """One per Ray worker: the predictor is built once and reused for every batch."""

    def __init__(self, models, hop, tempo, threads):
        self.predictor = Predictor(models, jobs=threads)
        self.classes = self.predictor.classes
        self.hop = hop
        self.tempo = tempo

    def _row(self, path: str, data: Optional[bytes]) -> dict:
        row: dict[str, Any] = {"path": path}
        try:
            if data is None:
                t = self.predictor.predict_file(path, hop=self.hop, tempo=self.tempo)
            else:
                t = self.predictor.predict_bytes(data, path, hop=self.hop, tempo=self.tempo)
        except _Error as e:
            row.update(label=None, confidence=None, tempo_bpm=None, duration_s=None,
                       short=None, windows=None, error=str(e))
            for c in self.classes:
                row[f"mean_prob_{_column(c)}"] = None
                row[f"share_{_column(c)}"] = None
            return row
        row.update(label=t["label"], confidence=t["confidence"], tempo_bpm=t["tempo_bpm"],
                   duration_s=t["duration_s"], short=t["short"])
        for c in self.classes:
            row[f"mean_prob_{_column(c)}"] = t["mean_probs"][c]
            row[f"share_{_column(c)}"] = t["shares"][c]
        row["windows"] = [
            {"start_s": w["start_s"], "end_s": w["end_s"],
             "probs": [w["probs"][c] for c in self.classes]}
            for w in t["windows"]
        ]
        row["error"] = None
        return row

    def __call__(self, batch: dict) -> dict:
        paths = [str(p) for p in batch["path"]]
        blobs = batch.get("bytes")
        rows = [self._row(p, None if blobs is None else bytes(blobs[i]))
                for i, p in enumerate(paths)]
        return {key: [r[key] for r in rows] for key in rows[0]} if rows else {}


class _FeaturesWorker:
    def __init__(self, rich):
        self.rich = rich

    def __call__(self, batch: dict) -> dict:
        rows = []
        for p in batch["path"]:
            try:
                y, sr = load(str(p))
                feats = study_features(y, sr, rich=self.rich)
                rows.append({"path": str(p), **{k: float(v) for k, v in feats.items()},
                             "error": None})
            except _Error as e:
                rows.append({"path": str(p), "error": str(e)})
        keys = sorted({k for r in rows for k in r}, key=lambda k: (k != "path", k == "error", k))
        return {k: [r.get(k) for r in rows] for k in keys}


class _MelWorker:
    """One per Ray worker: the windows' model inputs of each file, one row per window."""

    def __init__(self, models, hop, threads):
        self.predictor = Predictor(models, jobs=threads)
        self.hop = hop

    def __call__(self, batch: dict) -> dict:
        out: dict[str, list] = {"path": [], "window": [], "start_s": [], "end_s": [],
                                "mel": [], "error": []}
        blobs = batch.get("bytes")
        for i, p in enumerate(batch["path"]):
            path = str(p)
            source = path if blobs is None else bytes(blobs[i])
            try:
                starts, mels = self.predictor.window_inputs(source, hop=self.hop, name=path)
            except _Error as e:
                # A file that cannot be read is one row with its reason and no mel.
                starts, mels, error = [None], [None], str(e)
            else:
                error = None
            for k, (start, mel) in enumerate(zip(starts, mels)):
                out["path"].append(path)
                out["window"].append(None if error else k)
                out["start_s"].append(None if error else float(start))
                out["end_s"].append(None if error else float(start) + 8.0)
                out["mel"].append(mel)
                out["error"].append(error)
        return out


def predict_dataset(
    paths_or_dataset: _Paths,
    models: Optional[Sequence[Union[str, "os.PathLike[str]"]]] = None,
    hop: float = 4.0,
    tempo: bool = True,
    batch_size: int = 4,
    num_workers: int = 1,
    threads_per_worker: int = 1,
) -> "ray.data.Dataset":
    """Classify every file: a lazy ``ray.data.Dataset`` of one row per file.

    ``paths_or_dataset``: a path, a list of paths (folders walked recursively), or a
    ``ray.data.Dataset`` with a ``path`` column (and ``bytes``, as
    ``ray.data.read_binary_files(..., include_paths=True)`` gives). ``models``: saved models
    (default: the shipped ones). Runs on ``num_workers`` actors of ``threads_per_worker``
    CPUs each (``compute=ActorPoolStrategy(size=num_workers)``); a dead worker is restarted
    and its batch retried.

    Columns: ``path``, ``label``, ``confidence``, ``tempo_bpm``, ``duration_s``, ``short``,
    ``mean_prob_<class>`` and ``share_<class>`` (``-`` in class names as ``_``), ``windows``
    (a list of ``{start_s, end_s, probs}``, probs in class order) and ``error`` (None, or why
    the file could not be read).
    """
    ds = _paths_dataset(paths_or_dataset)
    model_list = None if models is None else [os.fspath(m) for m in models]
    return _map(ds, _PredictWorker, (model_list, hop, tempo, threads_per_worker), batch_size,
                num_workers, threads_per_worker)


def features_dataset(
    paths_or_dataset: _Paths, rich: bool = False, batch_size: int = 8, num_workers: int = 1
) -> "ray.data.Dataset":
    """The study's per-clip features (``subgenre.study_features``) of every file, one row per
    file (``path``, the feature columns, ``error``)."""
    ds = _paths_dataset(paths_or_dataset)
    return _map(ds, _FeaturesWorker, (rich,), batch_size, num_workers, 1)


def mel_dataset(
    paths_or_dataset: _Paths,
    models: Optional[Sequence[Union[str, "os.PathLike[str]"]]] = None,
    hop: float = 4.0,
    batch_size: int = 4,
    num_workers: int = 1,
    threads_per_worker: int = 1,
) -> "ray.data.Dataset":
    """The model-input mel-spectrograms of every file's 8 s windows, for training on a
    catalogue: one row per window (``path``, ``window`` (its index in the track),
    ``start_s``, ``end_s``, ``mel`` (float32, ``size`` x ``size``, the dB mel-spectrogram as
    the ``models``, by default the shipped ones, take it) and ``error`` (None)); a file that
    cannot be read is one row with its ``error`` and no ``mel``. The windows are those
    ``predict_dataset`` classifies (one every ``hop`` seconds). Workers as in
    ``predict_dataset``."""
    ds = _paths_dataset(paths_or_dataset)
    model_list = None if models is None else [os.fspath(m) for m in models]
    return _map(ds, _MelWorker, (model_list, hop, threads_per_worker), batch_size, num_workers,
                threads_per_worker)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m subgenre.ray",
        description="Classify a catalogue on a Ray cluster into a Parquet folder.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="one row per file: label, probabilities, tempo, windows")
    p.add_argument("paths", nargs="+", help="audio files or folders (walked recursively)")
    p.add_argument("--out", required=True, help="Parquet folder (replaced on a rerun)")
    p.add_argument("--address", default=None, help="Ray cluster address (default: start one)")
    p.add_argument("--workers", type=int, default=None, help="actors (default: the cluster's CPUs)")
    p.add_argument("--model", action="append", default=None, help="saved model (repeatable)")
    p.add_argument("--hop", type=float, default=4.0)
    p.add_argument("--no-tempo", action="store_true")
    args = parser.parse_args(argv)

    ray.init(address=args.address, ignore_reinit_error=True, log_to_driver=False)
    workers = args.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    started = time.perf_counter()
    ds = predict_dataset(args.paths, models=args.model, hop=args.hop, tempo=not args.no_tempo,
                         num_workers=workers)
    ds = ds.materialize()
    tmp = f"{args.out.rstrip('/')}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    ds.write_parquet(tmp)
    shutil.rmtree(args.out, ignore_errors=True)
    os.replace(tmp, args.out)
    seconds = time.perf_counter() - started
    tracks = ds.count()
    errors = ds.filter(lambda r: r["error"] is not None).count()
    print(f"{tracks} files ({errors} errors) in {seconds:.1f} s: {tracks / seconds:.2f} tracks/s "
          f"on {workers} worker(s) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
