#!/bin/bash
# One call on a lent GPU machine (the `device` tool; no Rust toolchain, no network there):
# the `vulkan` build's subgenre-cnn tests, seconds per epoch and memory for compact and
# cnn_drop_first (burn through Vulkan beside PyTorch on CUDA, same networks and synthetic data),
# then a 5-seed `subgenre train` of compact on the real clips' 128x128 inputs.
#
# Prepared on the build machine (x86-64), in folders .git/info/exclude ignores (a call carries
# at most 64 MiB with the repo, so what it needs travels xz-compressed, some in a second call):
#   .gl/   the Vulkan loader packages (apt-get download libvulkan1 ...; see the device README)
#   .gpu/  cnn_tests-*.xz (cargo test --release --no-run -p subgenre-cnn -p subgenre-cli
#          --features subgenre-cli/vulkan), bench_epoch.xz and subgenre.xz (same build,
#          stripped); for the training run data/ (labels_final.csv and empty clips/<name>
#          placeholders) and raw128.u8.xz + raw128.names (`subgenre melgrams --route array
#          --size 128`, the canonical input in 8 bits, as one array of 128x128 bytes per clip)
# Results go to $OUT (what the device tool brings back: at most 8 files): marks.txt,
# gpu_samples.csv, tests.log, epochs.log, train.log, report.json.
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
import glob, lzma, os, shutil, struct, zlib
for packed in glob.glob(".gpu/*.xz"):
    with lzma.open(packed) as src, open(packed[:-3], "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.chmod(packed[:-3], 0o755)
if os.path.exists(".gpu/raw128.u8"):  # back to one grey PNG per clip, for `train --images`
    os.makedirs(".gpu/png128", exist_ok=True)
    raw = open(".gpu/raw128.u8", "rb").read()
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    for i, name in enumerate(open(".gpu/raw128.names").read().split()):
        pixels = raw[i * 16384:(i + 1) * 16384]
        rows = b"".join(b"\0" + pixels[r * 128:(r + 1) * 128] for r in range(128))
        png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 128, 128, 8, 0, 0, 0, 0))
        open(f".gpu/png128/{name}", "wb").write(png + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
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
[ -x $G/subgenre ] || { mark end; kill $sampler; exit 0; }
mark train
timeout "${TRAIN_SECONDS:-240}" $G/subgenre train --data $G/data --images $G/png128 --jobs 16 \
  --out /tmp/train-compact > "$OUT/train.log" 2>&1
cp /tmp/train-compact/report.json "$OUT/" 2>/dev/null
mark end
kill $sampler
