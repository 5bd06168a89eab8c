#!/usr/bin/env python3
"""Embed every clip of a folder with musicnn in TensorFlow, one core, and time it.

    nice -n 15 python tools/musicnn/embed_tf.py --clips ../shared/data/hardtechno/clips \
        --out /work/musicnn-cache/tf_embeddings.npz

Per clip: librosa.load(sr=16000), extractor.py's log-mel, its non-overlapping 187-frame patches
(an 8 s clip gives two), each patch through MSD_musicnn and MTT_musicnn (TF 2.15, musicnn 0.1.0's
graph, one patch per run, intra- and inter-op threads 1). `embedding` [n_clips, 1506] is
mean-over-patches `max_pool` of MSD_musicnn then of MTT_musicnn. Also stored: per patch
`<MODEL>.max_pool`, `.mean_pool`, `.penultimate`, `.taggram` ([n_patches_total, ...], rows in clip
order, `patch_clip` gives each row's clip index), `sample_id`, and the timings (seconds per clip:
`time_frontend` = decode + resample + log-mel, `time_<MODEL>` = network only; `cpu_*` the same
as process CPU time, which a busy shared machine inflates less than wall time).
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

MODELS = ("MSD_musicnn", "MTT_musicnn")
KEEP = ("max_pool", "mean_pool", "penultimate", "taggram")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, help="only the first N clips (a smoke test)")
    args = ap.parse_args()

    import librosa
    from tf_model import MusicnnTF

    ids = sorted(f[:-4] for f in os.listdir(args.clips) if f.endswith(".mp3"))[: args.limit]
    nets = {m: MusicnnTF(m, threads=1) for m in MODELS}
    for net in nets.values():  # warm up (graph optimisation on the first run)
        net.run_patch(np.zeros((reference.PATCH_FRAMES, reference.N_MELS), np.float32), KEEP)
    per_patch = {f"{m}.{k}": [] for m in MODELS for k in KEEP}
    patch_clip, embedding = [], []
    times = {"frontend": [], **{m: [] for m in MODELS}}
    cpu = {k: [] for k in times}
    t_all = time.perf_counter()
    for i, sample_id in enumerate(ids):
        t0, c0 = time.perf_counter(), time.process_time()
        y, _ = librosa.load(os.path.join(args.clips, sample_id + ".mp3"), sr=reference.SR)
        pats = reference.patches(reference.logmel(y))
        times["frontend"].append(time.perf_counter() - t0)
        cpu["frontend"].append(time.process_time() - c0)
        row = []
        for model, net in nets.items():
            t0, c0 = time.perf_counter(), time.process_time()
            outs = [net.run_patch(p, KEEP) for p in pats]
            times[model].append(time.perf_counter() - t0)
            cpu[model].append(time.process_time() - c0)
            for k in KEEP:
                per_patch[f"{model}.{k}"].extend(o[k] for o in outs)
            row.append(np.mean([o["max_pool"] for o in outs], axis=0))
        embedding.append(np.concatenate(row))
        patch_clip.extend([i] * len(pats))
        if (i + 1) % 100 == 0 or i + 1 == len(ids):
            print(f"{i + 1}/{len(ids)} clips, {time.perf_counter() - t_all:.0f} s; per clip: front end "
                  f"{np.mean(times['frontend']):.3f} s, " + ", ".join(f"{m} {np.mean(times[m]):.3f} s" for m in MODELS),
                  flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez(args.out, sample_id=np.array(ids), embedding=np.array(embedding, np.float32),
             patch_clip=np.array(patch_clip, np.int32),
             **{k: np.array(v, np.float32) for k, v in per_patch.items()},
             **{f"time_{k}": np.array(v) for k, v in times.items()},
             **{f"cpu_{k}": np.array(v) for k, v in cpu.items()})
    for k, v in times.items():
        print(f"{k}: wall mean {np.mean(v):.4f} s, median {np.median(v):.4f} s per clip, total {np.sum(v):.1f} s; "
              f"CPU median {np.median(cpu[k]):.4f} s")


if __name__ == "__main__":
    main()
