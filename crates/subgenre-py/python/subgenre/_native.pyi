"""Type stubs of subgenre's native module (see the package docstring)."""

import os
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

_Path = Union[str, os.PathLike[str]]
_Signal = npt.ArrayLike
_F32 = npt.NDArray[np.float32]
_F64 = npt.NDArray[np.float64]

__version__: str
version_string: str

class Error(Exception): ...

class AudioError(Error):
    path: str
    reason: str

class ModelError(Error): ...

def load(
    path: _Path,
    *,
    sr: Optional[int] = 22050,
    mono: bool = True,
    offset: float = 0.0,
    duration: Optional[float] = None,
) -> tuple[_F32, int]:
    """`y` is 1-D, or `[channels, n]` with `mono=False` for a multi-channel file."""
def load_many(
    paths: Union[_Path, Sequence[_Path]],
    *,
    sr: Optional[int] = 22050,
    jobs: Optional[int] = None,
) -> tuple[dict[str, _F32], dict[str, str]]: ...
def power_to_db(
    S: npt.ArrayLike,
    *,
    ref: Union[float, Callable[..., Any], None] = None,
    amin: float = 1e-10,
    top_db: Optional[float] = 80.0,
) -> _F32: ...
def melspectrogram(
    *,
    y: Optional[_Signal] = None,
    sr: float = 22050,
    S: Optional[npt.ArrayLike] = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: Optional[int] = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
    htk: bool = False,
    norm: Optional[str] = "slaney",
) -> _F32: ...
def mfcc(
    *,
    y: Optional[_Signal] = None,
    sr: float = 22050,
    S: Optional[npt.ArrayLike] = None,
    n_mfcc: int = 20,
    dct_type: int = 2,
    norm: Optional[str] = "ortho",
    lifter: float = 0.0,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
) -> _F32: ...
def chroma_stft(
    *,
    y: Optional[_Signal] = None,
    sr: float = 22050,
    S: Optional[npt.ArrayLike] = None,
    norm: Optional[float] = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: Optional[int] = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    tuning: Optional[float] = None,
    n_chroma: int = 12,
) -> _F32: ...
def rms(
    *,
    y: Optional[_Signal] = None,
    S: Optional[npt.ArrayLike] = None,
    frame_length: int = 2048,
    hop_length: int = 512,
    center: bool = True,
    pad_mode: str = "constant",
) -> _F32: ...
def spectral_centroid(
    *,
    y: Optional[_Signal] = None,
    sr: float = 22050,
    S: Optional[npt.ArrayLike] = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: Optional[int] = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
) -> _F64: ...
def spectral_bandwidth(
    *,
    y: Optional[_Signal] = None,
    sr: float = 22050,
    S: Optional[npt.ArrayLike] = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: Optional[int] = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
) -> _F64: ...
def spectral_rolloff(
    *,
    y: Optional[_Signal] = None,
    sr: float = 22050,
    S: Optional[npt.ArrayLike] = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: Optional[int] = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    roll_percent: float = 0.85,
) -> _F64: ...
def spectral_contrast(
    *,
    y: Optional[_Signal] = None,
    sr: float = 22050,
    S: Optional[npt.ArrayLike] = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: Optional[int] = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    fmin: float = 200.0,
    n_bands: int = 6,
    quantile: float = 0.02,
    linear: bool = False,
) -> _F64: ...
def zero_crossing_rate(
    y: _Signal,
    *,
    frame_length: int = 2048,
    hop_length: int = 512,
    center: bool = True,
) -> _F64: ...
def onset_strength(
    *,
    y: Optional[_Signal] = None,
    sr: float = 22050,
    S: Optional[npt.ArrayLike] = None,
    lag: int = 1,
    max_size: int = 1,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
) -> _F32: ...
def tempo(
    *,
    y: Optional[_Signal] = None,
    sr: float = 22050,
    onset_envelope: Optional[_Signal] = None,
    hop_length: int = 512,
    start_bpm: float = 120.0,
    std_bpm: float = 1.0,
    ac_size: float = 8.0,
    max_tempo: Optional[float] = 320.0,
) -> _F64: ...
def study_features(
    y: _Signal,
    sr: int = 22050,
    *,
    rich: bool = False,
    extractor: str = "librosa",
    mapping: str = "study",
) -> dict[str, float]: ...

def features_table(
    data_or_paths: Union[_Path, Sequence[_Path], None],
    out: _Path,
    *,
    rich: bool = False,
    extractor: str = "librosa",
    mapping: str = "study",
    classes: str = "five",
    jobs: Optional[int] = None,
    progress: Optional[Callable[[int, int], Any]] = None,
    cache: Optional[_Path] = None,
) -> dict[str, Any]: ...
def baseline(
    features: _Path,
    *,
    classes: str = "five",
    models: str = "all",
    protocol: str = "group",
    seeds: Sequence[int] = (42, 43, 44, 45, 46),
    tune: int = 0,
    split: Optional[_Path] = None,
    vote: Optional[str] = None,
    progress: Optional[Callable[[dict[str, Any]], Any]] = None,
) -> dict[str, Any]: ...
_List = Union[str, int, Sequence[Union[str, int]]]
_Progress = Optional[Callable[[dict[str, Any]], Any]]

def grid(
    kind: str,
    data: Optional[_Path],
    *,
    out: _Path,
    arch: _List,
    variant: _List,
    size: _List,
    seeds: Sequence[int],
    route: str,
    images: Optional[_Path],
    split: Optional[_Path],
    patience: int,
    epochs: int,
    lr: float,
    batch_size: int,
    augment: str,
    channels: int,
    final_fit: bool,
    classes: str,
    jobs: Optional[int],
    cache: Optional[_Path],
    progress: _Progress,
) -> dict[str, Any]: ...
def evaluate(
    models: Union[_Path, Sequence[_Path]],
    data: Optional[_Path] = None,
    *,
    seed: Optional[int] = None,
    split: Optional[_Path] = None,
    all: bool = False,
    images: Optional[_Path] = None,
    out: Optional[_Path] = None,
    neighbours: Optional[int] = None,
    jobs: Optional[int] = None,
    cache: Optional[_Path] = None,
    progress: _Progress = None,
) -> dict[str, Any]: ...
def transfer(
    base: _Path,
    *,
    out: _Path,
    images: Optional[_Path] = None,
    audio: Optional[_Path] = None,
    seeds: Sequence[int] = (42, 43, 44, 45, 46),
    freeze: int = 0,
    scratch: bool = False,
    split_seed: int = 42,
    vary_split: bool = False,
    resize: str = "linear",
    batch_size: int = 32,
    epochs: int = 50,
    patience: int = 10,
    lr: float = 1e-3,
    jobs: Optional[int] = None,
    progress: _Progress = None,
) -> dict[str, Any]: ...
def reproduce(
    data: Optional[_Path] = None,
    *,
    out: _Path,
    grid: str = "quick",
    seeds: Sequence[int] = (42, 43, 44, 45, 46),
    epochs: int = 50,
    gtzan: Optional[_Path] = None,
    classes: str = "five",
    jobs: Optional[int] = None,
    cache: Optional[_Path] = None,
    progress: _Progress = None,
) -> dict[str, Any]: ...
def audio_files(paths: Union[_Path, Sequence[_Path]]) -> list[str]: ...
def musicnn(
    y: _Signal,
    sr: int = 22050,
    *,
    model: str = "MSD_musicnn",
) -> tuple[_F32, list[str], dict[str, _F32]]: ...
def dataset_stats(
    data: Optional[_Path] = None,
    *,
    classes: str = "five",
    cache: Optional[_Path] = None,
) -> dict[str, Any]: ...
def split(
    data: Optional[_Path] = None,
    seed: int = 42,
    *,
    classes: str = "five",
    cache: Optional[_Path] = None,
) -> dict[str, Any]: ...
def cut_clips(
    tracks: _Path,
    *,
    out: _Path,
    labels: Optional[_Path] = None,
    data: Optional[_Path] = None,
    duration: float = 8.0,
    sr: str = "native",
    format: str = "wav",
    classes: str = "five",
    jobs: Optional[int] = None,
    cache: Optional[_Path] = None,
) -> dict[str, Any]: ...

class Predictor:
    def __init__(self, models: Optional[Sequence[_Path]] = None, jobs: Optional[int] = None) -> None: ...
    @property
    def classes(self) -> list[str]: ...
    @property
    def members(self) -> list[str]: ...
    def embed(
        self,
        path: _Path,
        *,
        model: str = "MSD_musicnn",
        layer: str = "max_pool",
    ) -> dict[str, Any]: ...
    def predict_file(
        self,
        path: _Path,
        *,
        hop: float = 4.0,
        tempo: bool = True,
        min_confidence: Optional[float] = None,
    ) -> dict[str, Any]: ...
    def predict_bytes(
        self,
        data: bytes,
        name: str = "<bytes>",
        *,
        hop: float = 4.0,
        tempo: bool = True,
        min_confidence: Optional[float] = None,
    ) -> dict[str, Any]: ...
    def predict(
        self,
        y: _Signal,
        sr: int = 22050,
        *,
        hop: float = 4.0,
        tempo: bool = True,
        min_confidence: Optional[float] = None,
        name: str = "<array>",
    ) -> dict[str, Any]: ...
    def window_inputs(
        self,
        source: Union[_Path, bytes],
        *,
        hop: float = 4.0,
        name: str = "<bytes>",
    ) -> tuple[_F64, _F32]: ...
