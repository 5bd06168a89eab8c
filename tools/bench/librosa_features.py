#!/usr/bin/env python3
"""Time the study's 13 librosa features on every .mp3 under DIR (searched recursively).

    python tools/bench/librosa_features.py ../shared/data/hardtechno/clips

The feature code is the study notebook's extract_features() (project.ipynb in
apo-veryk/Hard-Techno-Subgenre-Classification-Using-CNNs-ML-Methods), split so that the load and
the features are timed separately. The first clip's features include librosa's lazy imports and
numba's compilation (or loading of its on-disk cache), so it is also reported on its own. Thread
counts come from the caller's environment.
"""
import sys

from _common import header, mp3_files, now

import librosa  # noqa: E402
import numpy as np  # noqa: E402


def extract_features(y, sr):
    # feature list (verbatim from the study, after its `y, sr = librosa.load(audio_file)`)
    chroma_stft = librosa.feature.chroma_stft(y=y, sr=sr)
    rmse = librosa.feature.rms(y=y)
    spec_cent = librosa.feature.spectral_centroid(y=y, sr=sr)
    spec_bw = librosa.feature.spectral_bandwidth(y=y, sr=sr)
    rolloff = librosa.feature.spectral_rolloff(y=y, sr=sr)
    zcr = librosa.feature.zero_crossing_rate(y=y)
    mfcc = librosa.feature.mfcc(y=y, sr=sr)

    # getting means
    return [
        np.mean(chroma_stft),
        np.mean(rmse),
        np.mean(spec_cent),
        np.mean(spec_bw),
        np.mean(rolloff),
        np.mean(zcr),
        np.mean(mfcc[0]),
        np.mean(mfcc[1]),
        np.mean(mfcc[2]),
        np.mean(mfcc[3]),
        np.mean(mfcc[4]),
        np.mean(mfcc[5]),
        np.mean(mfcc[6]),
    ]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    files = mp3_files(sys.argv[1:])
    header("librosa_features")
    t_load, t_feat = [], []
    checksum = 0.0
    for p in files:
        t = now()
        y, sr = librosa.load(p)  # the study's call: default sr=22050
        t_load.append(now() - t)
        t = now()
        feats = extract_features(y, sr)
        t_feat.append(now() - t)
        checksum += float(sum(feats))
    n = len(files)
    print(f"librosa {librosa.__version__}; clips: {n}; checksum {checksum:.6g}")
    print(f"load seconds: {sum(t_load):.3f}")
    print(f"features seconds: {sum(t_feat):.3f} (first clip {t_feat[0]:.3f}, incl. warm-up; "
          f"rest {sum(t_feat[1:]):.3f} = {sum(t_feat[1:]) / max(n - 1, 1) * 1000:.2f} ms/clip)")


if __name__ == "__main__":
    main()
