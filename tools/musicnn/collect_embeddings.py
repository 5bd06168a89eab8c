#!/usr/bin/env python3
"""Gather `subgenre embed --npy` outputs into the embeddings file tools/musicnn/probe.py reads.

    subgenre embed ../shared/data/hardtechno/clips --model MSD_musicnn --layer max_pool --npy MSD
    subgenre embed ../shared/data/hardtechno/clips --model MTT_musicnn --layer max_pool --npy MTT
    python tools/musicnn/collect_embeddings.py OUT.npz MSD MTT

Per clip (file stem = sample id) the `NAME.mean.npy` of each folder, concatenated in the order
given (MSD then MTT: the issue's 1 506 values, the mean over the clip's patches of `max_pool`).
Only clips present in every folder are kept. Writes `sample_id` [n] and `embedding` [n, d].
"""
import sys
from pathlib import Path

import numpy as np


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, folders = Path(sys.argv[1]), [Path(d) for d in sys.argv[2:]]
    stems = [{p.name[: -len(".mean.npy")] for p in d.glob("*.mean.npy")} for d in folders]
    ids = sorted(set.intersection(*stems))
    if not ids:
        sys.exit("no clip has a .mean.npy in every folder")
    rows = [np.concatenate([np.load(d / f"{i}.mean.npy").ravel() for d in folders]) for i in ids]
    np.savez(out, sample_id=np.array(ids), embedding=np.stack(rows).astype(np.float32))
    print(f"{out}: {len(ids)} clips x {len(rows[0])} values")


if __name__ == "__main__":
    main()
