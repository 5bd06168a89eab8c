#!/bin/bash
# The study's CNN grid on the full set (issue 19), trained in the background, cell by cell,
# resumable across sessions whose machines do not keep files:
#
#   tools/bench/study_grid.sh restore RUNS   # results/cnn/study-grid/ -> RUNS (finished runs)
#   tools/bench/study_grid.sh run RUNS       # train what is missing (niced; seed 42 first)
#   tools/bench/study_grid.sh collect RUNS   # RUNS -> results/cnn/study-grid/ (no models)
#
# RUNS takes `subgenre reproduce --grid study`'s layout (RUNS/cnn/study-grid for cnn_main,
# cnn_drop_first and cnn_1_2 on normal/low x 128/256, RUNS/cnn/cnn_2_1-normal128), plus
# RUNS/cnn/study-pools-normal128 for the pools the study meant. Settings: `experiment`'s
# defaults, the study's (50 epochs, patience 5, batch 64, Adam 1e-3, grouped splits). A finished
# run is its result.json: `collect` keeps that and the figures, not the 34-126 MB models, and a
# rerun reuses such a run. A run stopped part-way restarts from its first epoch in a new
# session (its checkpoints stay on the machine that made them).
#
# env: SUBGENRE (the binary, default target/release/subgenre), DATA (../shared/data/hardtechno),
#      JOBS (2), SEEDS_FIRST (42), SEEDS_LATER (43,44,45,46)
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:?restore, run or collect}
runs=${2:?the runs folder}
kept=results/cnn/study-grid
bin=${SUBGENRE:-target/release/subgenre}
data=${DATA:-../shared/data/hardtechno}
jobs=${JOBS:-2}
folders="study-grid cnn_2_1-normal128 study-pools-normal128"

copy_runs() { # FROM TO: each finished run's result.json and figures, and the logs
  local from=$1 to=$2 f run
  for f in $folders; do
    [ -d "$from/$f/runs" ] || continue
    for run in "$from/$f"/runs/*/; do
      [ -f "$run/result.json" ] || continue
      mkdir -p "$to/$f/runs/$(basename "$run")"
      cp "$run"/result.json "$run"/*.png "$to/$f/runs/$(basename "$run")/" 2>/dev/null || true
    done
    cp "$from/$f"/*.log "$to/$f/" 2>/dev/null || true
  done
}

cell() { # OUT LOG ARGS...: one `experiment` over a part of the grid
  local out=$1 log=$2
  shift 2
  mkdir -p "$out"
  nice -n 19 "$bin" experiment --data "$data" --jobs "$jobs" --out "$out" "$@" >> "$out/$log" 2>&1
}

case $what in
restore) copy_runs "$kept" "$runs/cnn" ;;
collect) copy_runs "$runs/cnn" "$kept" ;;
run)
  # `nice` ranks processes only within their autogroup (one per session, and `setsid` makes a
  # new one): without this a niced chain started by `setsid` still takes half the machine from
  # a build or CI run in another session. Linux only; elsewhere `nice` alone.
  echo 19 > /proc/self/autogroup 2>/dev/null || true
  for seeds in "${SEEDS_FIRST:-42}" "${SEEDS_LATER:-43,44,45,46}"; do
    cell "$runs/cnn/study-grid" train.log --arch cnn_main,cnn_drop_first,cnn_1_2 \
      --variant normal,low --size 128 --seeds "$seeds"
    cell "$runs/cnn/cnn_2_1-normal128" train.log --arch cnn_2_1 --size 128 --seeds "$seeds"
    cell "$runs/cnn/study-pools-normal128" train.log --arch cnn_pool_1x2,cnn_pool_2x1 \
      --size 128 --seeds "$seeds"
    cell "$runs/cnn/study-grid" train.log --arch cnn_main,cnn_drop_first,cnn_1_2 \
      --variant normal,low --size 256 --seeds "$seeds"
  done
  ;;
*) echo "unknown step $what: restore, run or collect" >&2; exit 2 ;;
esac
