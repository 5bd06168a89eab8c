#!/bin/bash
# Idle-machine seconds per epoch and peak RSS, one core and two: burn's bench_epoch with this
# crate's CPU convolution and pooling (subgenre_cnn::train_ops), the same binary with burn's own
# (--burn-ops), and Keras (keras_cnn.py), paired on the same synthetic data shape.
#
#   tools/bench/epoch_timing.sh [OUT_DIR] [ARCH...]      (default: compact cnn_drop_first)
#   env: BENCH_EPOCH (the bench_epoch binary, default target/release/examples/bench_epoch),
#        PYTHON (one with tensorflow-cpu), EPOCHS (3), TRAIN (900), VAL (200)
cd "$(dirname "$0")/../.."
B=${BENCH_EPOCH:-target/release/examples/bench_epoch}
P=${PYTHON:-python3}
O=${1:-results/cnn/epoch-timing}
shift || true
ARCHS=${*:-compact cnn_drop_first}
E=${EPOCHS:-3}
DATA="--train ${TRAIN:-900} --val ${VAL:-200} --epochs $E"
ONE_THREAD="OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1"
mkdir -p "$O"
for arch in $ARCHS; do
  /usr/bin/time -v taskset -c 0 $B --arch $arch $DATA --threads 1 > $O/burn_${arch}_1.log 2>&1
  /usr/bin/time -v taskset -c 0 $B --arch $arch $DATA --threads 1 --burn-ops > $O/burn-ops_${arch}_1.log 2>&1
  /usr/bin/time -v taskset -c 0 env $ONE_THREAD $P tools/bench/keras_cnn.py --arch $arch $DATA --threads 1 > $O/keras_${arch}_1.log 2>&1
  /usr/bin/time -v $B --arch $arch $DATA --threads 2 > $O/burn_${arch}_2.log 2>&1
  /usr/bin/time -v $B --arch $arch $DATA --threads 2 --burn-ops > $O/burn-ops_${arch}_2.log 2>&1
  /usr/bin/time -v $P tools/bench/keras_cnn.py --arch $arch $DATA > $O/keras_${arch}_2.log 2>&1
done
