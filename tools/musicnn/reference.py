#!/usr/bin/env python3
"""Pure-numpy reference of musicnn (MSD_musicnn / MTT_musicnn), from the converted safetensors alone.

Written to be ported line by line: every step below is one step of the Rust network, in order,
with TensorFlow's conventions spelled out (see the architecture table in tools/musicnn/README.md).

    python tools/musicnn/reference.py --check fixtures/musicnn [--weights models/musicnn]

checks the forward pass against the TensorFlow outputs stored in the fixtures and prints the
largest absolute and relative differences per layer. `logmel()` and `patches()` reproduce
musicnn's extractor.py front end (they need librosa; the network needs numpy only).
"""
import argparse
import glob
import json
import os

import numpy as np

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187  # librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1
BN_EPSILON = 1e-3
MODELS = ("MSD_musicnn", "MTT_musicnn")
LAYERS = ("timbral", "temporal", "cnn1", "cnn2", "cnn3", "mean_pool", "max_pool", "penultimate", "logits", "taggram")


# ---------------------------------------------------------------- front end (extractor.py)

def logmel(y):
    """[n_frames, 96] float32, exactly as musicnn 0.1.0's batch_data(): librosa mel power
    (centred STFT, reflect padding, Hann window, Slaney mel filters: librosa 0.11.0 defaults),
    cast to float16, then log10(10000 x + 1) - which numpy < 2 computes in float32 (float16 times
    the int 10000 promotes to float32 under numpy 1.x's value-based casting)."""
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=SR, hop_length=HOP, n_fft=N_FFT, n_mels=N_MELS).T
    mel16 = mel.astype(np.float16)
    return np.log10(np.float32(10000) * mel16.astype(np.float32) + np.float32(1)).astype(np.float32)


def patches(rep):
    """Non-overlapping 187-frame patches [n_patches, 187, 96]; a remainder shorter than a patch is
    dropped (as extractor.py does). A spectrogram shorter than one patch is repeat-padded: its
    frames tiled from the start and cut at 187 (musicnn's training code, pad_short 'repeat-pad');
    frame i of the patch is frame i % n of the spectrogram."""
    n = rep.shape[0]
    if n == 0:
        raise ValueError("empty spectrogram")
    if n < PATCH_FRAMES:
        return rep[np.arange(PATCH_FRAMES) % n][None]
    starts = range(0, n - PATCH_FRAMES + 1, PATCH_FRAMES)
    return np.stack([rep[s:s + PATCH_FRAMES] for s in starts])


# ---------------------------------------------------------------- network

def load_weights(path):
    from safetensors.numpy import load_file

    return load_file(path)


def batch_norm(x, w, name):
    """Inference-mode batch norm over the last axis, TF's formula:
    (x - moving_mean) / sqrt(moving_variance + 1e-3) * gamma + beta."""
    inv = w[f"{name}.gamma"] / np.sqrt(w[f"{name}.moving_variance"] + np.float32(BN_EPSILON))
    return (x - w[f"{name}.moving_mean"]) * inv + w[f"{name}.beta"]


def relu(x):
    return np.maximum(x, np.float32(0))


def conv_valid(x, kernel, bias):
    """TF conv2d, one input channel, padding 'valid', stride 1 (a cross-correlation):
    x [T, F], kernel [kh, kw, 1, C] -> [T - kh + 1, F - kw + 1, C];
    out[t, f, c] = bias[c] + sum_{i<kh, j<kw} x[t + i, f + j] * kernel[i, j, 0, c]."""
    kh, kw, _, c = kernel.shape
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw))  # [T', F', kh, kw]
    t, f = win.shape[:2]
    out = win.reshape(t * f, kh * kw) @ kernel.reshape(kh * kw, c)
    return out.reshape(t, f, c) + bias


def pad_time(x, before, after):
    return np.pad(x, [(before, after)] + [(0, 0)] * (x.ndim - 1))


def same_pad(k):
    """TF 'same' padding for stride 1: total k - 1, the smaller half before."""
    return (k - 1) // 2, k - 1 - (k - 1) // 2


def forward(w, patch):
    """One log-mel patch [187, 96] -> dict of every layer musicnn's extractor exposes, for this
    patch: timbral [187, 408], temporal [187, 153], cnn1-cnn3 [187, 64], mean_pool/max_pool [753],
    penultimate [200], logits [50], taggram [50] (sigmoid of logits)."""
    x = np.asarray(patch, dtype=np.float32)
    assert x.shape == (PATCH_FRAMES, N_MELS), x.shape
    # 1. input batch norm: one channel, so four scalars for the whole patch
    x = batch_norm(x[..., None], w, "input_bn")[..., 0]  # [187, 96]

    # 2. timbral branch: zero-pad time by 3 each side, 'valid' convs spanning 38 and 67 mel bands,
    #    ReLU, then BN, then max over the remaining frequency positions
    xp = pad_time(x, 3, 3)  # [193, 96]
    timbral = []
    for name in ("timbral_f74", "timbral_f77"):
        y = relu(conv_valid(xp, w[f"{name}.conv.kernel"], w[f"{name}.conv.bias"]))  # [187, 59|30, 204]
        y = batch_norm(y, w, f"{name}.bn")
        timbral.append(y.max(axis=1))  # [187, 204]

    # 3. temporal branch: 'same' convs along time only (kernels 128, 64, 32 frames x 1 band),
    #    ReLU, BN, max over all 96 bands
    temporal = []
    for name in ("temporal_s1", "temporal_s2", "temporal_s3"):
        k = w[f"{name}.conv.kernel"].shape[0]
        y = relu(conv_valid(pad_time(x, *same_pad(k)), w[f"{name}.conv.kernel"], w[f"{name}.conv.bias"]))
        y = batch_norm(y, w, f"{name}.bn")  # [187, 96, 51]
        temporal.append(y.max(axis=1))  # [187, 51]

    front = np.concatenate(timbral + temporal, axis=1)  # [187, 561]: f74, f77, s1, s2, s3

    # 4. mid-end: three 7-frame convs over all features (time zero-padded by 3 each side),
    #    each ReLU then BN; the 2nd and 3rd add their input (residual, after the BN)
    def midend_conv(inp, name):
        y = relu(conv_valid(pad_time(inp, 3, 3), w[f"{name}.conv.kernel"], w[f"{name}.conv.bias"]))
        return batch_norm(y[:, 0, :], w, f"{name}.bn")  # [187, 64]

    cnn1 = midend_conv(front, "midend_conv1")
    cnn2 = midend_conv(cnn1, "midend_conv2") + cnn1
    cnn3 = midend_conv(cnn2, "midend_conv3") + cnn2
    mid = np.concatenate([front, cnn1, cnn2, cnn3], axis=1)  # [187, 753]

    # 5. back-end: max and mean over time, interleaved feature by feature as TF's flatten of
    #    [753, 2] leaves them (max_0, mean_0, max_1, mean_1, ...), BN, dense 200 + ReLU, BN
    #    (= penultimate), dense 50 (= logits), sigmoid (= taggram). Dropout is off at inference.
    max_pool = mid.max(axis=0)
    mean_pool = mid.mean(axis=0, dtype=np.float32)
    flat = np.stack([max_pool, mean_pool], axis=1).reshape(-1)  # [1506]
    flat = batch_norm(flat, w, "backend_pool_bn")
    dense = relu(flat @ w["backend_dense.kernel"] + w["backend_dense.bias"])
    penultimate = batch_norm(dense, w, "backend_dense_bn")
    logits = penultimate @ w["backend_logits.kernel"] + w["backend_logits.bias"]
    taggram = 1 / (1 + np.exp(-logits))
    return {
        "timbral": np.concatenate(timbral, axis=1), "temporal": np.concatenate(temporal, axis=1),
        "cnn1": cnn1, "cnn2": cnn2, "cnn3": cnn3, "mean_pool": mean_pool, "max_pool": max_pool,
        "penultimate": penultimate, "logits": logits, "taggram": taggram,
    }


# ---------------------------------------------------------------- parity check

def check(fixture_dir, weight_dir):
    from safetensors import safe_open
    from safetensors.numpy import load_file

    worst = {}
    for model in MODELS:
        w = load_weights(os.path.join(weight_dir, f"{model}.safetensors"))
        for path in sorted(glob.glob(os.path.join(fixture_dir, "*.safetensors"))):
            fx = load_file(path)
            frames = fx["layer_frames"]
            for p, patch in enumerate(fx["logmel_patches"]):
                out = forward(w, patch)
                for layer in LAYERS:
                    ref = fx[f"{model}.{layer}"][p]
                    ours = out[layer][frames] if ref.ndim == 2 else out[layer]
                    diff = np.abs(ours.astype(np.float64) - ref)
                    rel = diff / np.maximum(np.abs(ref), 1.0)
                    a, r, s = worst.get((model, layer), (0.0, 0.0, 0.0))
                    worst[(model, layer)] = (max(a, diff.max()), max(r, rel.max()), max(s, diff.max() / np.abs(ref).max()))
            with safe_open(path, "np") as f:
                meta = f.metadata()
            print(f"{model} {meta['clip']}: {fx['logmel_patches'].shape[0]} patches checked")
    print(f"{'model':12} {'layer':12} {'max |d|':>10} {'|d|/max(|tf|,1)':>16} {'|d|/max|tf| of layer':>21}")
    for (model, layer), (a, r, s) in worst.items():
        print(f"{model:12} {layer:12} {a:10.2e} {r:16.2e} {s:21.2e}")
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", default="fixtures/musicnn", help="fixture folder")
    ap.add_argument("--weights", default="models/musicnn")
    ap.add_argument("--json", help="also write the worst differences here")
    args = ap.parse_args()
    worst = check(args.check, args.weights)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{m}.{l}": {"max_abs": a, "max_rel_floor1": r, "max_rel_to_layer_max": s}
                       for (m, l), (a, r, s) in worst.items()}, f, indent=1)


if __name__ == "__main__":
    main()
