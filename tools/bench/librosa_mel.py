#!/usr/bin/env python3
"""Time the study's normal-variant mel spectrogram on every .mp3 under DIR (searched recursively).

    python tools/bench/librosa_mel.py ../shared/data/hardtechno/clips

Per clip: librosa.load(sr=22050), then melspectrogram(n_fft=1024, hop_length=512, n_mels=128,
fmin=20, fmax=11000) + power_to_db(ref=np.max), as in the study notebook; the load and the mel
part are timed separately (the PNG drawing is not included). Thread counts come from the caller.
"""
import sys

from _common import header, mp3_files, now

import librosa  # noqa: E402
import numpy as np  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    files = mp3_files(sys.argv[1:])
    header("librosa_mel")
    t_load, t_mel = [], []
    checksum = 0.0
    for p in files:
        t = now()
        y, sr = librosa.load(p, sr=22_050)
        t_load.append(now() - t)
        t = now()
        S = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=1024, hop_length=512, n_mels=128,
                                           fmin=20, fmax=11_000)
        S_db = librosa.power_to_db(S, ref=np.max)
        t_mel.append(now() - t)
        checksum += float(S_db.mean())
    n = len(files)
    print(f"librosa {librosa.__version__}; clips: {n}; checksum {checksum:.6g}")
    print(f"load seconds: {sum(t_load):.3f}")
    print(f"mel seconds: {sum(t_mel):.3f} (first clip {t_mel[0]:.3f}; "
          f"rest {sum(t_mel[1:]) / max(n - 1, 1) * 1000:.2f} ms/clip)")


if __name__ == "__main__":
    main()
