#!/usr/bin/env python3
"""Time librosa.load(path, sr=22050) on every .mp3 given (files or folders, searched recursively).

    python tools/bench/librosa_load.py ../shared/data/hardtechno/clips

Prints the clip count and seconds (total, first clip, mean of the rest). Thread counts come from
the caller's environment (OMP_NUM_THREADS, NUMBA_NUM_THREADS, ...); nothing is set here.
"""
import sys

from _common import header, mp3_files, now

t_import = now()
import librosa  # noqa: E402

t_import = now() - t_import


def main():
    files = mp3_files(sys.argv[1:])
    header("librosa_load")
    times, samples = [], 0
    for p in files:
        t = now()
        y, _ = librosa.load(p, sr=22050)
        times.append(now() - t)
        samples += len(y)
    rest = times[1:] or times
    print(f"librosa {librosa.__version__}; import {t_import:.3f} s")
    print(f"clips: {len(files)}  samples out: {samples}")
    print(f"load seconds: total {sum(times):.3f}  first {times[0]:.3f}  "
          f"mean of rest {sum(rest) / len(rest) * 1000:.2f} ms/clip")


if __name__ == "__main__":
    main()
