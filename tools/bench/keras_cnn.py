#!/usr/bin/env python3
"""Seconds per epoch of the study's Keras CNNs, beside `subgenre-cnn`'s bench_epoch example.

    taskset -c 0 env OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \
        python tools/bench/keras_cnn.py --arch cnn_drop_first --size 128 --train 900 --val 200 --epochs 2
    /usr/bin/time -v python tools/bench/keras_cnn.py ...      # peak resident memory

    cargo run --release -p subgenre-cnn --example bench_epoch -- \
        --arch cnn_drop_first --size 128 --train 900 --val 200 --epochs 2 --threads 1

Same networks (docs/study-notes.md section 6: Sequential, Conv2D 3x3 'same' ReLU, MaxPooling2D
'valid', Adam 1e-3, sparse categorical cross entropy, balanced class weights, batch 64), same
synthetic data shape (uniform noise in [0, 1), 5 classes round-robin). `--images DIR` trains on a
folder of class folders of PNGs instead (read as grayscale, resized to --size, scaled to [0, 1]).
The first epoch includes graph tracing; the later ones are the steady state to compare.
Thread counts: `--threads N` sets TensorFlow's intra/inter-op pools (0: TensorFlow's default).
"""
import os
import sys
import time

from _common import cnn_bench_args, header


def build_compact(size, classes, channels=16):
    """`compact` (crates/subgenre-cnn/src/model.rs): four blocks of 3x3 conv, batch norm, ReLU and
    2x2 max pool (c, 2c, 4c, 8c channels), the mean over time, dropout, Dense(8c), Dense."""
    from tensorflow import keras
    from tensorflow.keras import layers

    body = [keras.Input((size, size, 1))]
    for c in (channels, 2 * channels, 4 * channels, 8 * channels):
        body += [layers.Conv2D(c, (3, 3), padding="same"), layers.BatchNormalization(),
                 layers.ReLU(), layers.MaxPooling2D((2, 2))]
    # Input rows are mel bands, columns time frames: axis 2 is time.
    head = [layers.Lambda(lambda x: keras.ops.mean(x, axis=2)), layers.Flatten(),
            layers.Dropout(0.5), layers.Dense(8 * channels, activation="relu")]
    return keras.Sequential(body + head + [layers.Dense(classes, activation="softmax")])


def build(arch, size, classes):
    from tensorflow import keras
    from tensorflow.keras import layers

    if arch == "compact":
        model = build_compact(size, classes)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model
    first_pool = {
        "cnn_main": layers.MaxPooling2D((2, 2)),
        "cnn_drop_first": layers.MaxPooling2D((2, 2)),
        "cnn_1_2": layers.MaxPooling2D(1, 2),   # pool 1x1, stride 2 (the study's code)
        "cnn_2_1": layers.MaxPooling2D(2, 1),   # pool 2x2, stride 1 (the study's code)
        "cnn_pool_1x2": layers.MaxPooling2D((1, 2)),
        "cnn_pool_2x1": layers.MaxPooling2D((2, 1)),
    }[arch]
    body = [
        keras.Input((size, size, 1)),
        layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
        first_pool,
        layers.Conv2D(64, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(128, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)),
    ]
    if arch == "cnn_main":
        head = [layers.Flatten(), layers.Dense(256, activation="relu"), layers.Dropout(0.5)]
    else:
        head = [layers.Dropout(0.5), layers.Flatten(), layers.Dense(256, activation="relu")]
    model = keras.Sequential(body + head + [layers.Dense(classes, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def synthetic(n, size, classes, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.random((n, size, size, 1), dtype=np.float32)
    y = np.arange(n) % classes
    return x, y


def images(folder, size):
    import numpy as np
    from PIL import Image

    names = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
    xs, ys = [], []
    for label, name in enumerate(names):
        for f in sorted(os.listdir(os.path.join(folder, name))):
            if f.lower().endswith(".png"):
                img = Image.open(os.path.join(folder, name, f)).convert("L").resize((size, size))
                xs.append(np.asarray(img, dtype=np.float32)[..., None] / 255.0)
                ys.append(label)
    return np.stack(xs), np.array(ys), len(names)


def main():
    p = cnn_bench_args(__doc__, epochs=2)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--images", help="folder of class folders of PNGs instead of synthetic data")
    a = p.parse_args()

    import numpy as np
    import tensorflow as tf
    from sklearn.utils.class_weight import compute_class_weight

    if a.threads:
        tf.config.threading.set_intra_op_parallelism_threads(a.threads)
        tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    header(f"keras_cnn {a.arch} {a.size}x{a.size} tf {tf.__version__}")

    if a.images:
        x, y, classes = images(a.images, a.size)
        order = np.random.default_rng(42).permutation(len(y))
        x, y = x[order], y[order]
        cut = int(0.8 * len(y))
        (xt, yt), (xv, yv) = (x[:cut], y[:cut]), (x[cut:], y[cut:])
    else:
        classes = 5
        xt, yt = synthetic(a.train, a.size, classes, 1)
        xv, yv = synthetic(a.val, a.size, classes, 2)
    weights = compute_class_weight("balanced", classes=np.unique(yt), y=yt)
    model = build(a.arch, a.size, classes)
    print(f"{model.count_params()} parameters, {len(yt)} train / {len(yv)} val clips", flush=True)

    class Timer(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            print(f"epoch {epoch + 1}: {time.perf_counter() - self.t:.1f} s  "
                  f"(loss {logs['loss']:.4f}, val loss {logs['val_loss']:.4f})", flush=True)

    model.fit(xt, yt, validation_data=(xv, yv), epochs=a.epochs, batch_size=a.batch, shuffle=True,
              class_weight=dict(enumerate(weights)), verbose=0, callbacks=[Timer()])


if __name__ == "__main__":
    sys.exit(main())
