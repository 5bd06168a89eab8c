#!/bin/bash
# Idle-machine seconds per epoch and peak RSS, one core and two: burn's bench_epoch with this
# crate's CPU convolution and pooling (subgenre_cnn::train_ops), the same binary with burn's own
# (--burn-ops), an earlier build of bench_epoch (BASELINE, for before/after pairs), and Keras
# (keras_cnn.py), paired on the same synthetic data shape.
#
#   tools/bench/epoch_timing.sh [OUT_DIR] [ARCH...]      (default: compact cnn_drop_first)
#   env: BENCH_EPOCH (the bench_epoch binary, default target/release/examples/bench_epoch),
#        BASELINE (another bench_epoch binary to pair with, logged as baseline_*; unset: none),
#        RUNS ("ours burn-ops keras" by default; any of ours, baseline, burn-ops, keras),
#        PYTHON (one with tensorflow-cpu), EPOCHS (3), TRAIN (900), VAL (200)
cd "$(dirname "$0")/../.."
B=${BENCH_EPOCH:-target/release/examples/bench_epoch}
P=${PYTHON:-python3}
O=${1:-results/cnn/epoch-timing}
shift || true
ARCHS=${*:-compact cnn_drop_first}
RUNS=${RUNS:-ours burn-ops keras}
E=${EPOCHS:-3}
DATA="--train ${TRAIN:-900} --val ${VAL:-200} --epochs $E"
ONE_THREAD="OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1"
mkdir -p "$O"

# One run of RUN on ARCH with THREADS (1: pinned to core 0), logged under OUT_DIR.
one() {
  local run=$1 arch=$2 threads=$3 pin=() log
  [ "$threads" = 1 ] && pin=(taskset -c 0)
  case $run in
    ours) log=burn; cmd=($B --arch $arch $DATA --threads $threads) ;;
    burn-ops) log=burn-ops; cmd=($B --arch $arch $DATA --threads $threads --burn-ops) ;;
    baseline) log=baseline; cmd=(${BASELINE:?BASELINE names the binary to pair with} --arch $arch $DATA --threads $threads) ;;
    keras)
      log=keras
      if [ "$threads" = 1 ]; then
        cmd=(env $ONE_THREAD $P tools/bench/keras_cnn.py --arch $arch $DATA --threads 1)
      else
        cmd=($P tools/bench/keras_cnn.py --arch $arch $DATA)
      fi ;;
    *) echo "unknown run $run" >&2; return 1 ;;
  esac
  /usr/bin/time -v "${pin[@]}" "${cmd[@]}" > "$O/${log}_${arch}_${threads}.log" 2>&1
}

for arch in $ARCHS; do
  for threads in 1 2; do
    for run in $RUNS; do
      one $run $arch $threads
    done
  done
done
