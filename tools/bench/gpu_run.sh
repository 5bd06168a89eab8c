#!/bin/bash
# One call on a lent GPU machine (the `device` tool; no Rust toolchain, no network there):
# the `vulkan` build's subgenre-cnn training tests, then seconds per epoch and memory for compact
# and cnn_drop_first: burn through Vulkan beside PyTorch on CUDA (tools/bench/torch_cnn.py), same
# networks and synthetic data. Run as `TEST_SECONDS=100 bash tools/bench/gpu_run.sh`, carrying
# .gl and .gpu (2026-11-26: 106 s on an H200).
#
# Prepared on the build machine (x86-64), in folders .git/info/exclude ignores (a call carries
# at most 64 MiB with the repo, so the binaries travel stripped and xz-compressed):
#   .gl/   the Vulkan loader packages (apt-get download libvulkan1 ...; see the device README)
#   .gpu/  bench_epoch.xz and cnn_tests-train.xz: the example and tests/train.rs of
#          `cargo test --release --no-run -p subgenre-cnn -p subgenre-cli
#          --features subgenre-cli/vulkan` (target/release/examples/bench_epoch and
#          target/release/deps/train-*), each `strip`ped and `xz -9e`d (~11 MB each)
# Results go to $OUT (what the device tool brings back: at most 8 files): marks.txt (phases
# and their start times), gpu_samples.csv (nvidia-smi every 250 ms), tests.log, epochs.log.
# tools/bench/gpu_phases.py turns the first two into peak GPU memory per phase.
set -u
G=.gpu
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/marks.txt"
nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv,noheader -lms 250 > "$OUT/gpu_samples.csv" &
sampler=$!
mark() { echo "$(date -u +%H:%M:%S.%N) $*" | tee -a "$OUT/marks.txt"; }
# measured SECONDS CMD...: run CMD for at most SECONDS, then print its peak resident memory.
measured() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys
try:
    code = subprocess.run(sys.argv[2:], timeout=float(sys.argv[1])).returncode
except subprocess.TimeoutExpired:
    code = "timeout"
print(f"peak RSS {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB, exit {code}", flush=True)
PY
}

python3 - <<'PY'
import glob, lzma, os, shutil
for packed in glob.glob(".gpu/*.xz"):
    with lzma.open(packed) as src, open(packed[:-3], "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.chmod(packed[:-3], 0o755)
PY
mark tests
for t in $G/cnn_tests-*; do [[ $t == *.xz ]] && continue; timeout "${TEST_SECONDS:-60}" "$t" --test-threads 1 2>&1; done > "$OUT/tests.log"
tail -n 3 "$OUT/tests.log"
[ -x $G/bench_epoch ] && for arch in compact cnn_drop_first; do
  mark "burn-vulkan $arch" | tee -a "$OUT/epochs.log"
  measured "${BENCH_SECONDS:-60}" $G/bench_epoch --arch $arch --epochs 4 --threads 16 2>&1 | tee -a "$OUT/epochs.log" | tail -n 3
  mark "torch-cuda $arch" | tee -a "$OUT/epochs.log"
  measured "${BENCH_SECONDS:-60}" python3 tools/bench/torch_cnn.py --arch $arch --epochs 4 2>&1 | tee -a "$OUT/epochs.log" | tail -n 3
done
mark end
kill $sampler
