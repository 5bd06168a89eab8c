#!/bin/bash
# Prepares LibTorch for the `tch` feature from the package registry's PyTorch 2.9.0 wheel (the
# version tch 0.22 expects), without importing torch and without its NVIDIA packages: the wheel
# holds libtorch's headers and libraries; the CUDA runtime libraries come from the NVIDIA driver
# and PyTorch's nvidia-* packages where the program runs.
#
#   eval "$(tools/bench/tch_env.sh [DIR])"     # then: cargo build --features subgenre-cli/tch
#
# Prints the `export` lines for LIBTORCH (DIR/libtorch, unpacked once) and LIBTORCH_CXX11_ABI.
set -euo pipefail
dir=${1:-${TMPDIR:-/tmp}/subgenre-libtorch}
pip=${PIP:-pip3}
mkdir -p "$dir"
if [ ! -f "$dir/libtorch/include/torch/torch.h" ] && [ ! -d "$dir/libtorch/include/torch" ]; then
  wheel=$(ls "$dir"/torch-2.9.0-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$wheel" ]; then
    "$pip" download -q --no-deps --only-binary=:all: -d "$dir" torch==2.9.0 >&2
    wheel=$(ls "$dir"/torch-2.9.0-*.whl | head -1)
  fi
  python3 - "$wheel" "$dir" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(("torch/include/", "torch/lib/"))]
    z.extractall(out, names)
PY
  rm -rf "$dir/libtorch"
  mv "$dir/torch" "$dir/libtorch"
fi
echo "export LIBTORCH='$dir/libtorch'"
echo "export LIBTORCH_CXX11_ABI=1"
