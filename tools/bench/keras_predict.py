#!/usr/bin/env python3
"""What `subgenre predict` does, the librosa + Keras way (the study's pipeline), to time it.

    taskset -c 1 env OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \
        python tools/bench/keras_predict.py TRACK.mp3 [MORE.mp3 ...] [--warm 3]
    /usr/bin/time -v python tools/bench/keras_predict.py TRACK.mp3      # peak resident memory

beside

    taskset -c 1 subgenre predict --jobs 1 TRACK.mp3

Per track: librosa.load(sr=22050, mono=True); 8 s windows every 4 s while a whole window fits
(a single zero-padded window if the track is shorter); per window the study's melspectrogram
(n_fft 1024, hop 512, 128 mels, 20-11000 Hz), power_to_db(ref=np.max), min-max scaled to [0, 1],
resized to 128x128 (PIL bilinear); one batch [n, 128, 128, 1] through the study's
`cnn_drop_first` network with RANDOM weights (this is a timing, the labels mean nothing). Prints
each track's label (argmax of the mean probability) and window count, then `cold total`: seconds
from the top of this script (before any import) to the end of the first prediction.
`--warm N` repeats the whole prediction N more times in the same process, printing each one's
seconds. Thread counts come from the caller's environment (TF_NUM_INTRAOP_THREADS,
TF_NUM_INTEROP_THREADS, OMP_NUM_THREADS); `--threads N` also sets TensorFlow's pools.
"""
import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import sys  # noqa: E402

from _common import header  # noqa: E402
from keras_cnn import build  # noqa: E402  (the study's networks, one definition)

SR, WIN, HOP, SIZE = 22050, 8 * 22050, 4 * 22050, 128
CLASSES = ["bouncy", "tekno", "warzone", "industrial", "non-techno-drop"]


def image(w):
    import librosa
    import numpy as np
    from PIL import Image

    s = librosa.feature.melspectrogram(y=w, sr=SR, n_fft=1024, hop_length=512, n_mels=128,
                                       fmin=20, fmax=11000)
    db = librosa.power_to_db(s, ref=np.max)
    span = db.max() - db.min()
    x = (db - db.min()) / span if span > 0 else np.zeros_like(db)
    img = Image.fromarray(x.astype(np.float32)).resize((SIZE, SIZE), Image.BILINEAR)
    return np.asarray(img, dtype=np.float32)


def predict(model, path):
    import librosa
    import numpy as np

    y, _ = librosa.load(path, sr=SR, mono=True)
    starts = range(0, len(y) - WIN + 1, HOP) if len(y) >= WIN else [0]
    wins = [np.pad(y[s:s + WIN], (0, max(0, s + WIN - len(y)))) for s in starts]
    batch = np.stack([image(w) for w in wins])[..., None]
    probs = model.predict(batch, batch_size=len(batch), verbose=0)
    return CLASSES[int(probs.mean(axis=0).argmax())], len(batch)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tracks", nargs="+")
    p.add_argument("--warm", type=int, default=0, help="extra in-process repeats, each timed")
    p.add_argument("--threads", type=int, default=0, help="TensorFlow intra/inter-op threads (0: env)")
    a = p.parse_args()

    import librosa
    import tensorflow as tf

    if a.threads:
        tf.config.threading.set_intra_op_parallelism_threads(a.threads)
        tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    header(f"keras_predict tf {tf.__version__} librosa {librosa.__version__}")
    model = build("cnn_drop_first", SIZE, len(CLASSES))
    for run in range(1 + a.warm):
        t = time.perf_counter()
        for path in a.tracks:
            label, n = predict(model, path)
            if run == 0:
                print(f"{path}: {label} ({n} windows)", flush=True)
        if run == 0:
            print(f"cold total {time.perf_counter() - T0:.3f} s (from script start)", flush=True)
        else:
            print(f"warm {run}: {time.perf_counter() - t:.3f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
