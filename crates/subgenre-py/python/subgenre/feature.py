"""librosa's feature functions, computed by subgenre's Rust DSP.

Keyword names, defaults, output shapes and dtypes follow librosa 0.11 (``librosa.feature``,
and ``librosa.onset.onset_strength`` as ``onset_strength``). Parameters that librosa has but
subgenre implements only at librosa's default value (``window="hann"``,
``pad_mode="constant"``, ``dct_type=2``, ``lifter=0``, ...) raise ``ValueError`` at any other
value. Input signals are converted to float32 (no copy when they already are).
"""

from ._native import (
    chroma_stft,
    melspectrogram,
    mfcc,
    onset_strength,
    rms,
    spectral_bandwidth,
    spectral_centroid,
    spectral_contrast,
    spectral_rolloff,
    tempo,
    zero_crossing_rate,
)

__all__ = [
    "chroma_stft",
    "melspectrogram",
    "mfcc",
    "onset_strength",
    "rms",
    "spectral_bandwidth",
    "spectral_centroid",
    "spectral_contrast",
    "spectral_rolloff",
    "tempo",
    "zero_crossing_rate",
]
