#!/usr/bin/env python3
"""Mel-spectrogram + dB of signals already in memory (numpy arrays), subgenre or librosa.

    python tools/bench/mel_array.py subgenre|librosa DIR [REPEAT]

Loads every .mp3 under DIR first (not timed; with the library being timed, at 22 050 Hz), then
times REPEAT (default 3) passes of the study's normal-variant mel over all of them:
`melspectrogram(y=y, sr=22050, n_fft=1024, hop_length=512, n_mels=128, fmin=20, fmax=11000)`
then `power_to_db(S, ref=np.max)`. Prints the seconds and ms per clip; the first pass (warm-up:
librosa's lazy imports, FFT plans) is reported apart.
"""
import sys

from _common import header, mp3_files, now

import numpy as np  # noqa: E402


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in ("subgenre", "librosa"):
        sys.exit(__doc__)
    lib = sys.argv[1]
    repeat = int(sys.argv[3]) if len(sys.argv) == 4 else 3
    if lib == "subgenre":
        import subgenre as m

        melspectrogram, power_to_db = m.feature.melspectrogram, m.power_to_db
    else:
        import librosa as m

        melspectrogram, power_to_db = m.feature.melspectrogram, m.power_to_db
    files = mp3_files(sys.argv[2:])
    header(f"mel_array {lib}")
    signals = [m.load(p, sr=22_050)[0] for p in files]
    passes = []
    checksum = 0.0
    for _ in range(repeat + 1):
        t = now()
        for y in signals:
            S = melspectrogram(y=y, sr=22_050, n_fft=1024, hop_length=512, n_mels=128, fmin=20,
                               fmax=11_000)
            checksum += float(power_to_db(S, ref=np.max)[0, 0])
        passes.append(now() - t)
    n = len(signals)
    rest = passes[1:]
    print(f"{lib} {m.__version__}; clips: {n}; passes: {repeat} (+1 warm-up {passes[0]:.3f} s); "
          f"checksum {checksum:.6g}")
    print(f"mel+dB seconds per pass: {sum(rest) / len(rest):.3f} "
          f"({sum(rest) / len(rest) / n * 1000:.3f} ms/clip)")


if __name__ == "__main__":
    main()
