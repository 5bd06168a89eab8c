#!/usr/bin/env python3
"""The librosa timing scripts' work, done through the subgenre Python package.

    python tools/bench/subgenre_python.py load DIR      # as librosa_load.py
    python tools/bench/subgenre_python.py mel DIR       # as librosa_mel.py
    python tools/bench/subgenre_python.py features DIR  # as librosa_features.py

Same files (every .mp3 under DIR), same calls with subgenre's names (`subgenre.load`,
`subgenre.feature.melspectrogram` + `subgenre.power_to_db(ref=np.max)`, the 13 study means
through `subgenre.study_features`), the same printed lines, so a pair of runs compares the two
libraries call for call. One file at a time in one thread, as the librosa scripts do.
"""
import sys

from _common import header, mp3_files, now

t_import = now()
import numpy as np  # noqa: E402

import subgenre  # noqa: E402

t_import = now() - t_import


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("load", "mel", "features"):
        sys.exit(__doc__)
    mode = sys.argv[1]
    files = mp3_files(sys.argv[2:])
    header(f"subgenre_python {mode}")
    t_load, t_work = [], []
    checksum = 0.0
    for p in files:
        t = now()
        y, sr = subgenre.load(p, sr=22_050)
        t_load.append(now() - t)
        t = now()
        if mode == "mel":
            S = subgenre.feature.melspectrogram(y=y, sr=sr, n_fft=1024, hop_length=512,
                                                n_mels=128, fmin=20, fmax=11_000)
            checksum += float(subgenre.power_to_db(S, ref=np.max).mean())
        elif mode == "features":
            checksum += float(sum(subgenre.study_features(y, sr).values()))
        else:
            checksum += len(y)
        t_work.append(now() - t)
    n = len(files)
    print(f"subgenre {subgenre.__version__}; import {t_import:.3f} s; clips: {n}; checksum {checksum:.6g}")
    print(f"load seconds: {sum(t_load):.3f}")
    if mode != "load":
        print(f"{mode} seconds: {sum(t_work):.3f} (first clip {t_work[0]:.3f}; "
              f"rest {sum(t_work[1:]) / max(n - 1, 1) * 1000:.2f} ms/clip)")


if __name__ == "__main__":
    main()
