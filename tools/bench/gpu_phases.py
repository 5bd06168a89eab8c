#!/usr/bin/env python3
"""Peak GPU memory and utilisation per phase of a tools/bench/gpu_run.sh call.

    python3 tools/bench/gpu_phases.py results/cnn/epoch-timing/gpu-h200

Reads marks.txt (a UTC time and a phase name per line) and gpu_samples.csv (nvidia-smi every
250 ms: time, memory.used, utilization.gpu) and prints, per phase, the largest memory in use on
the GPU and the mean and largest utilisation while it ran.
"""
import csv
import sys
from pathlib import Path


def seconds(clock):
    h, m, s = clock.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def main():
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    marks = [line.split(" ", 1) for line in (folder / "marks.txt").read_text().splitlines()
             if line[:2].isdigit()]
    marks = [(seconds(t), name.strip()) for t, name in marks]
    samples = [(seconds(row[0].split()[1]), int(row[1].split()[0]), int(row[2].split()[0]))
               for row in csv.reader((folder / "gpu_samples.csv").open()) if len(row) > 2]
    for (start, name), (end, _) in zip(marks, marks[1:]):
        inside = [s for s in samples if start <= s[0] < end]
        if inside:
            print(f"{name:28s} {end - start:6.1f} s  peak memory {max(s[1] for s in inside):5d} MiB  "
                  f"utilisation mean {sum(s[2] for s in inside) / len(inside):3.0f} %, "
                  f"max {max(s[2] for s in inside):3d} %")


if __name__ == "__main__":
    sys.exit(main())
