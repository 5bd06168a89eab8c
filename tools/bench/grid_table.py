#!/usr/bin/env python3
"""The study's CNN grid as a Markdown table: each cell's weighted F1, mean +- population std (as
numpy.std and this project's reports) and the seeds counted, from the runs' result.json files,
beside the study's published value.

    python3 tools/bench/grid_table.py [results/cnn/study-grid]

Reads DIR/*/runs/<arch>_<variant><size>_seed<seed>/result.json (tools/bench/study_grid.sh's
layout). A cell with fewer than five seeds says how many; a cell not run yet shows a dash.
"""
import json
import re
import statistics
import sys
from pathlib import Path

# The study's table (issue 6): weighted F1 mean +- std over its 5 runs.
STUDY = {
    ("cnn_main", "normal", 128): "0.7692 ± 0.0311", ("cnn_main", "normal", 256): "0.7632 ± 0.0507",
    ("cnn_main", "low", 128): "0.7556 ± 0.0244", ("cnn_main", "low", 256): "0.7506 ± 0.0424",
    ("cnn_drop_first", "normal", 128): "0.7768 ± 0.0311",
    ("cnn_drop_first", "normal", 256): "0.7434 ± 0.0924",
    ("cnn_drop_first", "low", 128): "0.7123 ± 0.0400", ("cnn_drop_first", "low", 256): "0.7202 ± 0.0464",
    ("cnn_1_2", "normal", 128): "0.7584 ± 0.0652", ("cnn_1_2", "normal", 256): "0.7349 ± 0.0717",
    ("cnn_1_2", "low", 128): "0.7664 ± 0.0245", ("cnn_1_2", "low", 256): "0.7312 ± 0.0354",
    ("cnn_2_1", "normal", 128): "0.6825 ± 0.0270",
}
CELLS = [(a, v, s) for a in ("cnn_main", "cnn_drop_first", "cnn_1_2") for s in (128, 256)
         for v in ("normal", "low")] + [("cnn_2_1", "normal", 128), ("cnn_pool_1x2", "normal", 128),
                                         ("cnn_pool_2x1", "normal", 128)]
NAME = re.compile(r"(?P<arch>.+)_(?P<variant>normal|low)(?P<size>\d+)_seed(?P<seed>\d+)$")


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "results/cnn/study-grid")
    scores = {}
    for result in sorted(root.glob("*/runs/*/result.json")):
        m = NAME.match(result.parent.name)
        if not m:
            continue
        key = (m["arch"], m["variant"], int(m["size"]))
        run = json.loads(result.read_text())
        scores.setdefault(key, {})[int(m["seed"])] = run["weighted_f1"]
    print("| network | variant | size | weighted F1 per seed | mean ± std | seeds | study |")
    print("|---|---|---|---|---|---|---|")
    for key in CELLS:
        runs = scores.get(key, {})
        per_seed = " / ".join(f"{runs[s]:.3f} ({s})" for s in sorted(runs)) or "-"
        values = list(runs.values())
        if len(values) > 1:
            mean = f"{statistics.mean(values):.3f} ± {statistics.pstdev(values):.3f}"
        elif values:
            mean = f"{values[0]:.3f}"
        else:
            mean = "-"
        print(f"| {key[0]} | {key[1]} | {key[2]} | {per_seed} | {mean} | {len(values)} of 5 "
              f"| {STUDY.get(key, 'not run')} |")


if __name__ == "__main__":
    main()
