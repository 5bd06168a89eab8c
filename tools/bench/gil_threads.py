#!/usr/bin/env python3
"""Does subgenre release the GIL? The same work in one thread, then split over two threads.

    python tools/bench/gil_threads.py DIR

Work: `subgenre.load_many(files, jobs=1)` on every .mp3 under DIR, then
`subgenre.feature.melspectrogram` on each signal. With one thread it runs once over all the
files; with two Python threads each takes half. If the GIL were held during the Rust work, two
threads would take as long as one; released, they take about half as long on two idle cores.
"""
import sys
import threading

from _common import header, mp3_files, now

import subgenre  # noqa: E402


def work(files):
    arrays, errors = subgenre.load_many(files, jobs=1)
    assert not errors, errors
    for y in arrays.values():
        subgenre.feature.melspectrogram(y=y, sr=22_050, n_fft=1024, fmin=20, fmax=11_000)


def timed(parts):
    threads = [threading.Thread(target=work, args=(p,)) for p in parts]
    t = now()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return now() - t


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    files = mp3_files(sys.argv[1:])
    header("gil_threads")
    work(files[:2])  # warm-up
    one = timed([files])
    two = timed([files[0::2], files[1::2]])
    print(f"clips: {len(files)}; one thread {one:.3f} s; two threads {two:.3f} s; "
          f"speed-up {one / two:.2f}x")


if __name__ == "__main__":
    main()
