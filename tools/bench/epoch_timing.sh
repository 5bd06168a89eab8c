#!/bin/bash
# Idle-machine seconds per epoch + peak RSS: burn (bench_epoch) vs Keras (keras_cnn.py), 1 core and 2 cores.
cd "$(dirname "$0")/../.."
B=target/release/examples/bench_epoch
P=${PYTHON:-python3}
O=${1:-results/cnn/epoch-timing}
mkdir -p $O
for arch in compact cnn_drop_first; do
  E=3
  /usr/bin/time -v taskset -c 0 $B --arch $arch --epochs $E --threads 1 > $O/burn_${arch}_1.log 2>&1
  /usr/bin/time -v $B --arch $arch --epochs $E --threads 2 > $O/burn_${arch}_2.log 2>&1
  /usr/bin/time -v taskset -c 0 env OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 $P tools/bench/keras_cnn.py --arch $arch --epochs $E --threads 1 > $O/keras_${arch}_1.log 2>&1
  /usr/bin/time -v $P tools/bench/keras_cnn.py --arch $arch --epochs $E > $O/keras_${arch}_2.log 2>&1
done
