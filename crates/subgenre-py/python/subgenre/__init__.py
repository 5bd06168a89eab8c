"""subgenre: tell hard-techno sub-genres apart from audio.

A Python API over the subgenre Rust libraries:

- ``subgenre.load`` / ``subgenre.load_many``: librosa.load's decoding (MP3, WAV, FLAC, Ogg,
  AAC), mixed to mono and resampled to 22 050 Hz by default, many files in parallel.
- ``subgenre.feature``: librosa's feature functions (``melspectrogram``, ``mfcc``,
  ``chroma_stft``, ...) with librosa's keyword names, defaults, shapes and dtypes;
  ``subgenre.power_to_db``.
- ``subgenre.study_features`` / ``subgenre.features_table``: the study's per-clip feature
  columns of one signal, or the CSV ``subgenre features`` writes for a data set or files.
- ``subgenre.dataset_stats`` / ``subgenre.split``: a data set's counts and its grouped split;
  ``subgenre.cut_clips``: the study's clips cut out of full tracks.
- ``subgenre.baseline``: the classic models (SVM, booster, soft vote) on a features table.
- ``subgenre.train`` / ``subgenre.experiment`` / ``subgenre.evaluate`` /
  ``subgenre.transfer`` / ``subgenre.reproduce``: the CNNs trained on a data set (one model,
  or the study's grid), saved models scored, fine-tuning on other class folders, and the
  whole study with its HTML report; each returns the ``report.json`` the command line writes
  and takes an optional ``progress`` callable (one dict per event).
- ``subgenre.Predictor``: whole-track sub-genre prediction with the shipped CNN ensemble.

Every call that does work releases the GIL. Errors: ``subgenre.Error`` is the base class,
``subgenre.AudioError`` (with ``.path`` and ``.reason``) a file that cannot be read,
``subgenre.ModelError`` a model that cannot be used; a bad argument raises ``ValueError``.

Example::

    import subgenre
    y, sr = subgenre.load("track.mp3")
    S_db = subgenre.power_to_db(subgenre.feature.melspectrogram(y=y, sr=sr), ref=np.max)
    print(subgenre.Predictor().predict_file("track.mp3")["label"])
"""

from ._native import (
    AudioError,
    Error,
    ModelError,
    Predictor,
    __version__,
    audio_files,
    baseline,
    cut_clips,
    dataset_stats,
    evaluate,
    features_table,
    load,
    load_many,
    musicnn,
    power_to_db,
    reproduce,
    split,
    study_features,
    transfer,
)
from . import feature
from .training import experiment, train

__all__ = [
    "AudioError",
    "Error",
    "ModelError",
    "Predictor",
    "__version__",
    "audio_files",
    "baseline",
    "cut_clips",
    "dataset_stats",
    "evaluate",
    "experiment",
    "features_table",
    "feature",
    "load",
    "load_many",
    "musicnn",
    "power_to_db",
    "reproduce",
    "split",
    "study_features",
    "train",
    "transfer",
]
