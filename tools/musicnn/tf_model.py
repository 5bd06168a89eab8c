"""musicnn 0.1.0's own TensorFlow graph, restored strictly, run one patch at a time.

The graph is built by the wheel's `musicnn.models.define_model` exactly as its extractor builds
it, but the checkpoint is restored without extractor.py's bare `except:` (a failed restore there
leaves random weights), from the prefix directly (the `checkpoint` files point to the author's
home), and each patch gets its own outputs (extractor.py's loop repeats the first patch's
penultimate and cnn1-cnn3 for every later patch).
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

tf.compat.v1.disable_eager_execution()

from musicnn import configuration as config  # noqa: E402
from musicnn import models  # noqa: E402

PATCH_FRAMES = 187
LAYERS = ("timbral", "temporal", "cnn1", "cnn2", "cnn3", "mean_pool", "max_pool", "penultimate", "logits", "taggram")


class MusicnnTF:
    def __init__(self, model, threads=None):
        if model not in ("MSD_musicnn", "MTT_musicnn"):
            raise ValueError(f"unsupported model {model}")
        self.model = model
        self.tags = config.MSD_LABELS if model.startswith("MSD") else config.MTT_LABELS
        self.graph = tf.Graph()
        with self.graph.as_default():
            with tf.name_scope("model"):
                self.x = tf.compat.v1.placeholder(tf.float32, [None, PATCH_FRAMES, config.N_MELS])
                self.is_training = tf.compat.v1.placeholder(tf.bool)
                y, timbral, temporal, cnn1, cnn2, cnn3, mean_pool, max_pool, penultimate = models.define_model(
                    self.x, self.is_training, model, len(self.tags))
                taggram = tf.nn.sigmoid(y)
            self.fetch = dict(zip(LAYERS, (timbral, temporal, cnn1, cnn2, cnn3, mean_pool, max_pool, penultimate, y, taggram)))
            session_config = None
            if threads:
                session_config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads,
                                                          inter_op_parallelism_threads=threads)
            self.sess = tf.compat.v1.Session(graph=self.graph, config=session_config)
            variables = tf.compat.v1.global_variables()
            prefix = os.path.join(os.path.dirname(models.__file__), model) + "/"
            reader = tf.compat.v1.train.NewCheckpointReader(prefix)
            in_ckpt = reader.get_variable_to_shape_map()
            missing = [v.op.name for v in variables if v.op.name not in in_ckpt]
            if missing:
                raise RuntimeError(f"{model}: graph variables missing from the checkpoint: {missing}")
            tf.compat.v1.train.Saver(var_list=variables).restore(self.sess, prefix)  # raises on failure
            for v in variables:  # prove the restore: every variable equals the checkpoint's tensor
                if not np.array_equal(self.sess.run(v), reader.get_tensor(v.op.name)):
                    raise RuntimeError(f"{model}: {v.op.name} was not restored")

    def run_patch(self, patch, layers=LAYERS):
        """One patch [187, 96] -> {layer: array without the batch axis}."""
        fetch = {k: self.fetch[k] for k in layers}
        out = self.sess.run(fetch, feed_dict={self.x: patch[None].astype(np.float32), self.is_training: False})
        # cnn1-cnn3 come as [1, 187, 64, 1]: drop the batch and the trailing channel axis
        return {k: np.asarray(v[0, ..., 0] if v.ndim == 4 else v[0], dtype=np.float32) for k, v in out.items()}

    def close(self):
        self.sess.close()
