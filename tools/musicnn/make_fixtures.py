#!/usr/bin/env python3
"""Write musicnn parity fixtures: TensorFlow's outputs for a few clips, patch by patch.

    python tools/musicnn/make_fixtures.py [--demo data/demo] [--out fixtures/musicnn]

For the first three demo clips (sorted by sample_id) and one synthetic 2.5 s signal, one
`<name>.safetensors` each (all float32 but `layer_frames`):

  signal                 [n_samples]        librosa.load(mp3, sr=16000) (synthetic: generated at 16 kHz)
  logmel_patches         [P, 187, 96]       extractor.py's log-mel, non-overlapping 187-frame patches
                                            (repeat-padded to 187 frames when shorter)
  layer_frames           [F] int64          the patch frames the per-frame layers are kept at
  <MODEL>.timbral        [P, F, 408]        per-frame layers at layer_frames only (size), for
  <MODEL>.temporal       [P, F, 153]          every patch; the first and last 4 frames (where the
  <MODEL>.cnn1|2|3       [P, F, 64]           zero / 'same' padding acts) and every 16th between
  <MODEL>.mean_pool      [P, 753]
  <MODEL>.max_pool       [P, 753]
  <MODEL>.penultimate    [P, 200]
  <MODEL>.logits         [P, 50]            pre-sigmoid
  <MODEL>.taggram        [P, 50]

MODEL is MSD_musicnn and MTT_musicnn; every patch's own values (not extractor.py's repeats of the
first patch). Metadata: clip, source, n_samples, n_logmel_frames, padding, versions.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

MODELS = ("MSD_musicnn", "MTT_musicnn")
PER_FRAME = ("timbral", "temporal", "cnn1", "cnn2", "cnn3")
PER_PATCH = ("mean_pool", "max_pool", "penultimate", "logits", "taggram")
LAYER_FRAMES = np.array([0, 1, 2, 3] + list(range(8, 183, 16)) + [183, 184, 185, 186], dtype=np.int64)
SYNTH_SECONDS = 2.5


def synthetic_signal():
    """2.5 s at 16 kHz: a 150 BPM decaying kick, a 60-4000 Hz chirp and seeded noise."""
    sr = reference.SR
    t = np.arange(int(SYNTH_SECONDS * sr)) / sr
    beat = t % 0.4
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-beat * 30)) * beat) * np.exp(-beat * 8)
    chirp = 0.2 * np.sin(2 * np.pi * (60 * t + (4000 - 60) / (2 * SYNTH_SECONDS) * t ** 2))
    noise = 0.05 * np.random.default_rng(0).standard_normal(t.size)
    return (0.6 * kick + chirp + noise).astype(np.float32)


def write(path, tensors, metadata):
    """safetensors with one int64 tensor (layer_frames): extends convert.write_safetensors."""
    import struct

    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        arr = tensors[name]
        dtype, data = ("I64", arr.astype("<i8").tobytes()) if arr.dtype.kind == "i" else ("F32", arr.astype("<f4").tobytes())
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demo", default="data/demo")
    ap.add_argument("--out", default="fixtures/musicnn")
    args = ap.parse_args()

    import librosa
    import tensorflow as tf
    from musicnn.extractor import batch_data
    from tf_model import MusicnnTF

    ids = sorted(f[:-4] for f in os.listdir(os.path.join(args.demo, "clips")) if f.endswith(".mp3"))[:3]
    clips = []
    for sample_id in ids:
        mp3 = os.path.join(args.demo, "clips", sample_id + ".mp3")
        y, _ = librosa.load(mp3, sr=reference.SR)
        with open(mp3, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        # the wheel's own front end must give exactly our patches
        stock_patches, _ = batch_data(mp3, reference.PATCH_FRAMES, reference.PATCH_FRAMES)
        if not np.array_equal(stock_patches, reference.patches(reference.logmel(y))):
            raise RuntimeError(f"{sample_id}: reference.logmel/patches differ from musicnn's batch_data")
        clips.append((sample_id, y.astype(np.float32), f"data/demo/clips/{sample_id}.mp3 (sha256 {sha}), librosa.load(sr=16000)"))
    clips.append(("synthetic_2500ms", synthetic_signal(), "tools/musicnn/make_fixtures.py synthetic_signal()"))

    nets = {m: MusicnnTF(m, threads=1) for m in MODELS}
    os.makedirs(args.out, exist_ok=True)
    versions = f"tensorflow {tf.__version__}, librosa {librosa.__version__}, numpy {np.__version__}, musicnn 0.1.0"
    index = []
    for name, y, source in clips:
        rep = reference.logmel(y)
        pats = reference.patches(rep)
        tensors = {"signal": y, "logmel_patches": pats, "layer_frames": LAYER_FRAMES}
        for model, net in nets.items():
            outs = [net.run_patch(p) for p in pats]
            for layer in PER_FRAME:
                tensors[f"{model}.{layer}"] = np.stack([o[layer][LAYER_FRAMES] for o in outs])
            for layer in PER_PATCH:
                tensors[f"{model}.{layer}"] = np.stack([o[layer] for o in outs])
        padding = "none" if rep.shape[0] >= reference.PATCH_FRAMES else f"repeat-pad {rep.shape[0]} -> 187 frames"
        metadata = {"clip": name, "source": source, "n_samples": str(y.size), "n_logmel_frames": str(rep.shape[0]),
                    "padding": padding, "versions": versions, "made_by": "tools/musicnn/make_fixtures.py"}
        path = os.path.join(args.out, name + ".safetensors")
        write(path, tensors, metadata)
        index.append({"file": name + ".safetensors", "clip": name, "n_samples": int(y.size),
                      "n_logmel_frames": int(rep.shape[0]), "n_patches": int(pats.shape[0]), "padding": padding})
        print(f"{path}: {pats.shape[0]} patches, {os.path.getsize(path)} bytes")
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump({"versions": versions, "layer_frames": LAYER_FRAMES.tolist(), "clips": index}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
