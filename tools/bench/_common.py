"""Shared helpers for the librosa timing scripts (not used by any test).

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


def header(name):
    env = " ".join(f"{v}={os.environ[v]}" for v in THREAD_VARS if v in os.environ) or "(no thread vars set)"
    aff = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"{name}: {env}; cpus in affinity mask: {aff}", flush=True)


now = time.perf_counter
