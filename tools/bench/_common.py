"""Shared helpers for the timing scripts (not used by any test).

Thread counts are whatever the caller set (OMP_NUM_THREADS, MKL_NUM_THREADS,
OPENBLAS_NUM_THREADS, NUMBA_NUM_THREADS, ...); these scripts never set them.
"""
import os
import sys
import time

THREAD_VARS = ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"]


def mp3_files(args):
    """Every .mp3 named, or found (recursively) under a named folder, sorted."""
    out = []
    for a in args:
        if os.path.isdir(a):
            for root, _, files in os.walk(a):
                out += [os.path.join(root, n) for n in files if n.lower().endswith(".mp3")]
        elif a.lower().endswith(".mp3"):
            out.append(a)
    out = sorted(set(out))
    if not out:
        sys.exit("no .mp3 files found in: " + " ".join(args))
    return out


def cnn_bench_args(doc, epochs):
    """The arguments keras_cnn.py and torch_cnn.py share (same names as bench_epoch's)."""
    import argparse

    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default="cnn_drop_first")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--train", type=int, default=900)
    p.add_argument("--val", type=int, default=200)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch", type=int, default=64)
    return p


def header(name):
    env = " ".join(f"{v}={os.environ[v]}" for v in THREAD_VARS if v in os.environ) or "(no thread vars set)"
    aff = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"{name}: {env}; cpus in affinity mask: {aff}", flush=True)


now = time.perf_counter
