#!/usr/bin/env python3
"""Convert musicnn 0.1.0's TF1 checkpoints (shipped inside the wheel) to safetensors.

    python tools/musicnn/convert.py [--models MSD_musicnn,MTT_musicnn] [--out models/musicnn]

One file per model, `<out>/<MODEL>.safetensors`, float32, tensors in TensorFlow's own layouts
(conv kernels [kh, kw, in, out], dense kernels [in, out]) under names that say the layer (the
table in tools/musicnn/README.md maps them to the checkpoint's names). The header's metadata holds
the model name, its 50 tags, the source (wheel version, checkpoint sha256s) and the name map.

Checkpoint notes: each model folder's `checkpoint` file points to its author's home directory,
so the prefix is read directly (the folder plus "/": files `.index`, `.data-00000-of-00001`).
Every expected tensor must be present with its expected shape and every non-optimiser tensor of
the checkpoint must be used; anything else stops the conversion (musicnn's own extractor hides a
failed restore behind a bare `except:` and then runs on random weights). Adam's slot variables
and beta powers are skipped. The output is byte-for-byte deterministic: the file is written here
(the safetensors format: u64 header length, JSON header with sorted keys, raw data).
"""
import argparse
import hashlib
import json
import os
import struct
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MUSICNN_MODELS = ("MSD_musicnn", "MTT_musicnn")
VGG_MODELS = ("MSD_vgg", "MTT_vgg")
BN_PARTS = ("gamma", "beta", "moving_mean", "moving_variance")
BN_EPSILON = 1e-3  # tf.compat.v1.layers.batch_normalization's default, used by every BN here


def _bn(ours, tf_name, n):
    return [(f"{ours}.{p}", f"{tf_name}/{p}", (n,)) for p in BN_PARTS]


def _conv(ours, tf_name, shape):
    return [(f"{ours}.kernel", f"{tf_name}/kernel", shape), (f"{ours}.bias", f"{tf_name}/bias", (shape[-1],))]


def musicnn_layout():
    """(our name, checkpoint name, shape) in forward order. TF1 numbered the layers in the order
    models.build_musicnn created them; the shapes pin the mapping down."""
    t = []
    t += _bn("input_bn", "batch_normalization", 1)
    t += _conv("timbral_f74.conv", "conv2d", (7, 38, 1, 204))
    t += _bn("timbral_f74.bn", "batch_normalization_1", 204)
    t += _conv("timbral_f77.conv", "conv2d_1", (7, 67, 1, 204))
    t += _bn("timbral_f77.bn", "batch_normalization_2", 204)
    t += _conv("temporal_s1.conv", "conv2d_2", (128, 1, 1, 51))
    t += _bn("temporal_s1.bn", "batch_normalization_3", 51)
    t += _conv("temporal_s2.conv", "conv2d_3", (64, 1, 1, 51))
    t += _bn("temporal_s2.bn", "batch_normalization_4", 51)
    t += _conv("temporal_s3.conv", "conv2d_4", (32, 1, 1, 51))
    t += _bn("temporal_s3.bn", "batch_normalization_5", 51)
    t += _conv("midend_conv1.conv", "conv2d_5", (7, 561, 1, 64))
    t += _bn("midend_conv1.bn", "batch_normalization_6", 64)
    t += _conv("midend_conv2.conv", "conv2d_6", (7, 64, 1, 64))
    t += _bn("midend_conv2.bn", "batch_normalization_7", 64)
    t += _conv("midend_conv3.conv", "conv2d_7", (7, 64, 1, 64))
    t += _bn("midend_conv3.bn", "batch_normalization_8", 64)
    t += _bn("backend_pool_bn", "batch_normalization_9", 1506)
    t += _conv("backend_dense", "dense", (1506, 200))
    t += _bn("backend_dense_bn", "batch_normalization_10", 200)
    t += _conv("backend_logits", "dense_1", (200, 50))
    return t


def vgg_layout():
    t = []
    t += _bn("input_bn", "batch_normalization", 1)
    for i in range(1, 6):
        t += _conv(f"vgg_conv{i}.conv", f"{i}CNN", (3, 3, 1 if i == 1 else 128, 128))
        t += _bn(f"vgg_conv{i}.bn", f"batch_normalization_{i}", 128)
    t += _conv("logits", "dense", (256, 50))
    return t


def is_optimizer_state(name):
    return "/Adam" in name or name in ("beta1_power", "beta2_power")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_checkpoint(prefix):
    """All tensors of a TF1 checkpoint prefix as {name: np.ndarray}; raises if unreadable."""
    import tensorflow as tf

    for suffix in (".index", ".data-00000-of-00001"):
        if not os.path.isfile(prefix + suffix):
            raise FileNotFoundError(f"checkpoint file missing: {prefix + suffix}")
    reader = tf.compat.v1.train.NewCheckpointReader(prefix)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def convert(model, package_dir):
    prefix = os.path.join(package_dir, model) + "/"
    ckpt = read_checkpoint(prefix)
    layout = musicnn_layout() if model.endswith("_musicnn") else vgg_layout()
    tensors, name_map = {}, {}
    for ours, tf_name, shape in layout:
        if tf_name not in ckpt:
            raise KeyError(f"{model}: checkpoint has no tensor {tf_name!r} (for {ours})")
        value = ckpt[tf_name]
        if value.dtype != np.float32 or tuple(value.shape) != shape:
            raise ValueError(f"{model}: {tf_name} is {value.dtype}{list(value.shape)}, expected float32{list(shape)}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{model}: {tf_name} holds non-finite values")
        tensors[ours] = np.ascontiguousarray(value)
        name_map[ours] = tf_name
    used = set(name_map.values())
    unused = sorted(n for n in ckpt if n not in used and not is_optimizer_state(n))
    if unused:
        raise ValueError(f"{model}: checkpoint tensors not mapped: {unused}")
    for ours in tensors:
        if ours.endswith("moving_variance") and np.any(tensors[ours] < 0):
            raise ValueError(f"{model}: negative moving variance in {ours}")

    from musicnn import configuration as config  # the wheel's tag lists

    tags = config.MSD_LABELS if model.startswith("MSD") else config.MTT_LABELS
    with open(os.path.join(package_dir, model, "config.json")) as f:
        train_config = json.load(f)
    steps = "unknown"
    if "beta2_power" in ckpt:  # Adam's beta2**t (0.999**t) gives t, the training steps taken
        b2 = float(ckpt["beta2_power"])  # (beta1**t = 0.9**t underflowed to 0 in float32)
        steps = str(int(round(np.log(b2) / np.log(0.999)))) if b2 > 0 else "over 100000 (beta2 power underflowed)"
    metadata = {
        "model": model,
        "architecture": "musicnn" if model.endswith("_musicnn") else "vgg",
        "tags": json.dumps(tags),
        "source": "musicnn 0.1.0 wheel (PyPI), https://github.com/jordipons/musicnn, ISC licence, "
        "(c) Music Technology Group, Universitat Pompeu Fabra 2019, code by Jordi Pons",
        "source_checkpoint": json.dumps(
            {s: sha256_file(prefix + s) for s in (".index", ".data-00000-of-00001")}, sort_keys=True
        ),
        "tf_names": json.dumps(name_map, sort_keys=True),
        "batch_norm_epsilon": repr(BN_EPSILON),
        "input": "log-mel patch [187 frames, 96 mels]: librosa mel power (16 kHz, n_fft 512, hop 256) "
        "cast to float16, then log10(10000 x + 1) in float32",
        "train_pad_short": train_config.get("pad_short", ""),
        "adam_steps": steps,
        "converted_by": "tools/musicnn/convert.py",
    }
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Deterministic safetensors writer: tensors in name order, header keys sorted."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        data = tensors[name].astype("<f4", copy=False).tobytes(order="C")
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format allows space padding; keeps data 8-aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=",".join(MUSICNN_MODELS),
                    help="comma-separated; any of " + ", ".join(MUSICNN_MODELS + VGG_MODELS))
    ap.add_argument("--out", default="models/musicnn")
    args = ap.parse_args()
    import musicnn

    package_dir = os.path.dirname(musicnn.__file__)
    os.makedirs(args.out, exist_ok=True)
    for model in args.models.split(","):
        if model not in MUSICNN_MODELS + VGG_MODELS:
            ap.error(f"unknown model {model!r}")
        tensors, metadata = convert(model, package_dir)
        path = os.path.join(args.out, f"{model}.safetensors")
        write_safetensors(path, tensors, metadata)
        # Read back with the reference library: the file must be valid and round-trip exactly.
        from safetensors.numpy import load_file

        back = load_file(path)
        assert sorted(back) == sorted(tensors) and all(np.array_equal(back[k], tensors[k]) for k in tensors)
        n_params = sum(v.size for v in tensors.values())
        print(f"{path}: {len(tensors)} tensors, {n_params} parameters, {os.path.getsize(path)} bytes, "
              f"Adam steps {metadata['adam_steps']}, sha256 {sha256_file(path)[:16]}")


if __name__ == "__main__":
    main()
