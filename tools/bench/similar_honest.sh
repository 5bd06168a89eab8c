#!/bin/bash
# Similarity search scored without leaks (issue 18): one compact network trained on each grouped
# split's train part (seeds 42-46; the recipe of the shipped member 2: no augmentation,
# patience 10), its embedding scored on that split's test part with `evaluate --neighbours 10`
# (neighbours from the test part, never from the query's own track). Needs ../shared; about
# 40 minutes on the 2-vCPU VM. A rerun skips finished training runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${SUBGENRE:-target/debug/subgenre}
DATA=${DATA:-../shared/data/hardtechno}
RUNS=${RUNS:-runs/similar-honest}
OUT=${1:-results/library/similar-honest}
mkdir -p "$OUT"
"$B" train --data "$DATA" --jobs 2 --out "$RUNS" | tee "$OUT/train.log"
for s in 42 43 44 45 46; do
  echo "## seed $s"
  "$B" evaluate --data "$DATA" --jobs 2 --neighbours 10 --out "$OUT/seed$s" \
    --model "$RUNS/runs/compact_normal128_seed$s/model.sgcnn"
done | tee "$OUT/evaluate.log"
