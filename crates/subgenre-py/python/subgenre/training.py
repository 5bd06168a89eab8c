"""``subgenre.train`` and ``subgenre.experiment``: one native grid, two sets of defaults."""

from __future__ import annotations

import os
from typing import Any, Callable, Optional, Sequence, Union

from . import _native

_Path = Union[str, "os.PathLike[str]"]
_List = Union[str, int, Sequence[Union[str, int]]]
_Progress = Optional[Callable[[dict], Any]]


def train(
    data: Optional[_Path] = None,
    *,
    out: _Path,
    arch: _List = "compact",
    variant: _List = "normal",
    size: _List = 128,
    seeds: Sequence[int] = (42,),
    route: str = "array",
    images: Optional[_Path] = None,
    split: Optional[_Path] = None,
    patience: int = 10,
    epochs: int = 50,
    lr: float = 1e-3,
    batch_size: int = 64,
    augment: str = "none",
    channels: int = 16,
    final_fit: bool = False,
    classes: str = "five",
    jobs: Optional[int] = None,
    cache: Optional[_Path] = None,
    progress: _Progress = None,
) -> dict:
    """Train one CNN (``subgenre train``) and return ``out/report.json`` as a dict.

    ``arch`` on the ``variant`` mel-spectrograms (``"normal"`` or ``"low"``) of the data set's
    clips (``data``: a data folder, or the bundled demo set when None) at ``size`` x ``size``,
    one run per seed on the study's grouped split, into
    ``out/runs/<arch>_<variant><size>_seed<S>/`` (model.sgcnn, result.json, curves.png,
    confusion.png). Rerunning on the same ``out`` reuses finished runs and resumes a killed one.

    ``route``: ``"array"`` or ``"study-png"``; ``images``: a folder of ``<sample_id>.png`` to
    train on instead; ``split``: a split file for every seed; ``augment``: ``"none"``,
    ``"spec"``, ``"mixup"`` or ``"spec+mixup"``; ``final_fit``: train on train + test and score
    on validation (one model to ship); ``channels``: compact's first-block channels; ``jobs``:
    threads (default: all cores); ``cache``: the cache folder. ``progress``, if given, is
    called with one dict per event (``{"event": "epoch", "epoch", "val_acc", ...}``,
    ``{"event": "run_finished", "weighted_f1", ...}``). A bad setting raises ValueError
    naming it; the saved model loads with ``subgenre.Predictor([path])``.
    """
    return _native.grid(
        "train", data, out=out, arch=arch, variant=variant, size=size, seeds=list(seeds),
        route=route, images=images, split=split, patience=patience, epochs=epochs, lr=lr,
        batch_size=batch_size, augment=augment, channels=channels, final_fit=final_fit,
        classes=classes, jobs=jobs, cache=cache, progress=progress,
    )


def experiment(
    data: Optional[_Path] = None,
    *,
    out: _Path,
    arch: _List = "cnn_drop_first",
    variant: _List = "normal",
    size: _List = 128,
    seeds: Sequence[int] = (42, 43, 44, 45, 46),
    route: str = "array",
    images: Optional[_Path] = None,
    split: Optional[_Path] = None,
    patience: int = 5,
    epochs: int = 50,
    lr: float = 1e-3,
    batch_size: int = 64,
    augment: str = "none",
    channels: int = 16,
    classes: str = "five",
    jobs: Optional[int] = None,
    cache: Optional[_Path] = None,
    progress: _Progress = None,
) -> dict:
    """Run a grid of CNNs (``subgenre experiment``) and return ``out/report.json`` as a dict.

    Every network of ``arch`` on every mel ``variant`` and ``size`` (lists: Python lists or
    comma-separated strings), one run per seed, with the study's grid settings (patience 5,
    50 epochs, batch 64, seeds 42-46, grouped splits). The report holds each run and, per
    (network, variant, size), the mean and standard deviation. See ``train`` for the others.
    """
    return _native.grid(
        "experiment", data, out=out, arch=arch, variant=variant, size=size, seeds=list(seeds),
        route=route, images=images, split=split, patience=patience, epochs=epochs, lr=lr,
        batch_size=batch_size, augment=augment, channels=channels, final_fit=False,
        classes=classes, jobs=jobs, cache=cache, progress=progress,
    )
