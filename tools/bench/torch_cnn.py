#!/usr/bin/env python3
"""Seconds per epoch of the same CNNs in PyTorch on a CUDA GPU: the GPU baseline beside
`subgenre-cnn`'s bench_epoch example built with `--features vulkan` (TensorFlow is not on the
GPU machines this project is lent, PyTorch is; tools/bench/gpu_run.sh runs both).

    python3 tools/bench/torch_cnn.py --arch compact --size 128 --train 900 --val 200 --epochs 3

Same networks as keras_cnn.py (and crates/subgenre-cnn/src/model.rs), same synthetic data shape
(uniform noise in [0, 1), 5 classes round-robin), Adam 1e-3, cross entropy weighted by balanced
class weights, batch 64, shuffled. An epoch is the training pass and the validation pass; the
first one includes cuDNN's algorithm search, the later ones are the steady state to compare.
Prints the peak GPU memory PyTorch allocated and the process's peak resident memory.
"""
import resource
import sys
import time

import torch
from torch import nn

from _common import cnn_bench_args


def build(arch, size, classes, channels=16, bn_momentum=0.1):
    if arch == "compact":
        layers, cin = [], 1
        for c in (channels, 2 * channels, 4 * channels, 8 * channels):
            layers += [nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c, momentum=bn_momentum),
                       nn.ReLU(), nn.MaxPool2d(2)]
            cin = c
        side = size // 16

        class MeanTime(nn.Module):
            def forward(self, x):  # [B, C, mel, time]: the mean over time, then flatten
                return x.mean(dim=3).flatten(1)

        head = [MeanTime(), nn.Dropout(0.5), nn.Linear(8 * channels * side, 8 * channels), nn.ReLU(),
                nn.Linear(8 * channels, classes)]
        return nn.Sequential(*layers, *head)
    first_pool = {"cnn_main": nn.MaxPool2d(2), "cnn_drop_first": nn.MaxPool2d(2)}[arch]
    body = [nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), first_pool,
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    flat = 128 * (size // 8) ** 2
    if arch == "cnn_main":
        head = [nn.Flatten(), nn.Linear(flat, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, classes)]
    else:
        head = [nn.Dropout(0.5), nn.Flatten(), nn.Linear(flat, 256), nn.ReLU(), nn.Linear(256, classes)]
    return nn.Sequential(*body, *head)


def main():
    a = cnn_bench_args(__doc__, epochs=3).parse_args()

    device = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    g = torch.Generator().manual_seed(1)
    classes = 5
    xt = torch.rand(a.train, 1, a.size, a.size, generator=g)
    yt = torch.arange(a.train) % classes
    xv = torch.rand(a.val, 1, a.size, a.size, generator=g)
    yv = torch.arange(a.val) % classes
    counts = torch.bincount(yt, minlength=classes).float()
    weights = (len(yt) / (classes * counts)).to(device)  # sklearn's "balanced"
    model = build(a.arch, a.size, classes).to(device)
    params = sum(t.numel() for t in model.parameters())
    print(f"torch {torch.__version__} {torch.cuda.get_device_name()} {a.arch} {a.size}x{a.size}: "
          f"{params} trainable parameters, {a.train} train / {a.val} val clips, batch {a.batch}", flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    for epoch in range(1, a.epochs + 1):
        torch.cuda.synchronize()
        t = time.perf_counter()
        model.train()
        order = torch.randperm(a.train, generator=g)
        total = 0.0
        for i in range(0, a.train, a.batch):
            idx = order[i:i + a.batch]
            x, y = xt[idx].to(device, non_blocking=True), yt[idx].to(device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        model.eval()
        val = 0.0
        with torch.no_grad():
            for i in range(0, a.val, a.batch):
                x, y = xv[i:i + a.batch].to(device), yv[i:i + a.batch].to(device)
                val += loss_fn(model(x), y).item() * len(x)
        torch.cuda.synchronize()
        print(f"epoch {epoch}: {time.perf_counter() - t:.2f} s  (loss {total / a.train:.4f}, "
              f"val loss {val / a.val:.4f})", flush=True)
    print(f"peak GPU memory allocated {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB", flush=True)


if __name__ == "__main__":
    sys.exit(main())
