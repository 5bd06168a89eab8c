#!/usr/bin/env python3
"""A quick pre-screen of `compact` training recipes in PyTorch on a GPU: which changes might
raise the 5-seed weighted F1 or shrink its spread, before spending CPU hours confirming one in
subgenre itself (burn). Not a subgenre result: a different framework, initialisation and
random streams, on the same inputs and splits.

    python3 tools/bench/torch_sweep.py --inputs DIR [--configs base,noaug,...] [--seeds 42,...]

DIR holds raw128.u8 (one 128x128 byte array per clip), raw128.names (their file names,
<sample_id>.png), labels_final.csv and split<seed>.json (`subgenre dataset split --seed S
--json`). The arrays are the canonical model inputs in 8 bits, as `subgenre melgrams --route
array --size 128 --out png128` writes them, stacked:

    python3 -c "import os, numpy as np; from PIL import Image; n = sorted(os.listdir('png128'));
    np.stack([np.asarray(Image.open('png128/' + f)) for f in n]).tofile('raw128.u8');
    open('raw128.names', 'w').write('\\n'.join(n))"

On the GPU machine (2026-11-26) DIR was .gpu, carried with raw128.u8 xz-compressed (16 MB).

The recipe mirrors `subgenre train --arch compact`: Adam (eps 1e-7), cross entropy weighted by balanced class weights (mean over
the batch), batch 64, at most 50 epochs, early stopping on the validation loss with patience 10
and the best epoch's weights restored, SpecAugment-style masks (2 time and 2 frequency bands of
up to 10 %) unless a config says otherwise. Prints one line per run and a summary per config.
"""
import argparse
import csv
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from torch_cnn import build

CLASSES = ["bouncy", "tekno", "warzone", "industrial", "non-techno-drop"]

# name -> overrides of the base recipe
CONFIGS = {
    "base": {},
    "noaug": {"spec": False},
    "lr3e-4": {"lr": 3e-4},
    "mixup": {"mixup": 0.2},
    "bn-momentum-0.01": {"bn_momentum": 0.01},
    "ema-0.99": {"ema": 0.99},
    "wd-1e-3": {"weight_decay": 1e-3},
    "smooth-0.1": {"smoothing": 0.1},
    "channels-32": {"channels": 32},
    "cosine": {"cosine": True},
    "ema-0.99-lr3e-4": {"ema": 0.99, "lr": 3e-4},
    "channels-32-init2": {"channels": 32, "init_offset": 1000},
    "channels-32-noaug": {"channels": 32, "spec": False},
    "channels-32-mixup": {"channels": 32, "mixup": 0.2},
    "channels-32-smooth-0.1": {"channels": 32, "smoothing": 0.1},
    "channels-32-lr3e-4": {"channels": 32, "lr": 3e-4},
    "channels-48": {"channels": 48},
    "base-init2": {"init_offset": 1000},
    # n models per split, each from other initial weights, their test probabilities averaged
    "ensemble-3": {"ensemble": 3},
    "ensemble-3-noaug": {"ensemble": 3, "spec": False},
    "channels-32-noaug-ensemble-3": {"channels": 32, "spec": False, "ensemble": 3},
}
BASE = dict(spec=True, lr=1e-3, mixup=0.0, bn_momentum=0.1, ema=0.0, weight_decay=0.0,
            smoothing=0.0, channels=16, cosine=False, patience=10, epochs=50, batch=64, init_offset=0,
            ensemble=1)


def spec_augment(x, gen):
    b, _, h, w = x.shape
    x = x.clone()
    for _ in range(2):
        for axis, size in ((3, w), (2, h)):
            width = torch.randint(0, int(0.1 * size) + 1, (b,), generator=gen)
            start = (torch.rand(b, generator=gen) * (size - width + 1).float()).long()
            idx = torch.arange(size)
            mask = (idx[None] >= start[:, None]) & (idx[None] < (start + width)[:, None])  # [b, size]
            mask = mask.to(x.device)
            if axis == 3:
                x = x.masked_fill(mask[:, None, None, :], 0.0)
            else:
                x = x.masked_fill(mask[:, None, :, None], 0.0)
    return x


def weighted_f1(y_true, y_pred, k):
    f1s, support = [], []
    for c in range(k):
        tp = np.sum((y_pred == c) & (y_true == c))
        fp = np.sum((y_pred == c) & (y_true != c))
        fn = np.sum((y_pred != c) & (y_true == c))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
        support.append(np.sum(y_true == c))
    return float(np.average(f1s, weights=support))


def run(cfg, seed, data, device):
    # init_offset: the same split with other initial weights, batch orders and masks.
    torch.manual_seed(seed + cfg["init_offset"])
    gen = torch.Generator().manual_seed(seed + cfg["init_offset"])
    (xt, yt), (xv, yv), (xs, ys) = [(torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))
                                    for x, y in data]
    k = len(CLASSES)
    counts = torch.bincount(yt, minlength=k).float()
    class_w = len(yt) / (k * counts)
    model = build("compact", 128, k, cfg["channels"], cfg["bn_momentum"]).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], eps=1e-7, weight_decay=cfg["weight_decay"]) \
        if cfg["weight_decay"] else torch.optim.Adam(model.parameters(), lr=cfg["lr"], eps=1e-7)
    steps_per_epoch = math.ceil(len(yt) / cfg["batch"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg["epochs"] * steps_per_epoch) if cfg["cosine"] else None
    ema = torch.optim.swa_utils.AveragedModel(
        model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(cfg["ema"]), use_buffers=True) \
        if cfg["ema"] else None
    best, best_state, best_epoch, waited = float("inf"), None, 0, 0
    for epoch in range(1, cfg["epochs"] + 1):
        model.train()
        order = torch.randperm(len(yt), generator=gen).to(device)
        for i in range(0, len(yt), cfg["batch"]):
            idx = order[i:i + cfg["batch"]]
            x, y = xt[idx], yt[idx]
            if cfg["spec"]:
                x = spec_augment(x, gen)
            target = F.one_hot(y, k).float()
            w = class_w.to(device)[y]
            if cfg["mixup"]:
                lam = float(np.random.default_rng(seed * 1000 + epoch * 100 + i).beta(cfg["mixup"], cfg["mixup"]))
                lam = max(lam, 1 - lam)
                perm = torch.randperm(len(idx), generator=gen).to(device)
                x = lam * x + (1 - lam) * x[perm]
                target = lam * target + (1 - lam) * target[perm]
                w = lam * w + (1 - lam) * w[perm]
            if cfg["smoothing"]:
                target = target * (1 - cfg["smoothing"]) + cfg["smoothing"] / k
            loss = (-(F.log_softmax(model(x), 1) * target).sum(1) * w).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched:
                sched.step()
            if ema:
                ema.update_parameters(model)
        judge = ema.module if ema else model
        judge.eval()
        with torch.no_grad():
            val = F.cross_entropy(judge(xv), yv).item()
        if val < best:
            best, best_epoch, waited = val, epoch, 0
            best_state = {n: t.detach().clone() for n, t in judge.state_dict().items()}
        else:
            waited += 1
            if waited >= cfg["patience"]:
                break
    judge = ema.module if ema else model
    judge.load_state_dict(best_state)
    judge.eval()
    with torch.no_grad():
        probs = F.softmax(judge(xs), 1).cpu().numpy()
    return probs, best_epoch, epoch


def load(inputs, seed):
    names = (inputs / "raw128.names").read_text().split()
    raw = np.fromfile(inputs / "raw128.u8", dtype=np.uint8).reshape(len(names), 1, 128, 128)
    index = {n[:-4]: i for i, n in enumerate(names)}
    labels = {}
    with (inputs / "labels_final.csv").open() as f:
        for row in csv.DictReader(f):
            hot = [c for c in CLASSES if row.get(c) == "1"]
            if hot:
                labels[row["sample_id"]] = CLASSES.index(hot[0])
    split = json.loads((inputs / f"split{seed}.json").read_text())
    out = []
    for part in ("train", "val", "test"):
        ids = split[part]
        out.append((raw[[index[i] for i in ids]].astype(np.float32) / 255.0,
                    np.array([labels[i] for i in ids], dtype=np.int64)))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--inputs", required=True, type=Path)
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--seeds", default="42,43,44,45,46")
    p.add_argument("--epochs", type=int, default=50, help="the most epochs per run")
    a = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True
    seeds = [int(s) for s in a.seeds.split(",")]
    data = {s: load(a.inputs, s) for s in seeds}
    for name in a.configs.split(","):
        cfg = dict(BASE, **CONFIGS[name], epochs=a.epochs)
        f1s = []
        for s in seeds:
            t = time.perf_counter()
            members = [run(dict(cfg, init_offset=cfg["init_offset"] + 1000 * m), s, data[s], device)
                       for m in range(cfg["ensemble"])]
            probs = np.mean([probs for probs, _, _ in members], axis=0)
            f1 = weighted_f1(data[s][2][1], probs.argmax(1), len(CLASSES))
            f1s.append(f1)
            epochs = ", ".join(f"best epoch {b} of {e}" for _, b, e in members)
            print(f"{name} seed {s}: weighted F1 {f1:.4f} ({epochs}, {time.perf_counter() - t:.1f} s)",
                  flush=True)
        print(f"=== {name}: {' / '.join(f'{f:.3f}' for f in f1s)} = {np.mean(f1s):.3f} ± {np.std(f1s):.3f}",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
