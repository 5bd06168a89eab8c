"""Compare two `subgenre predict --json` outputs of the same files (say, before and after a
change to the pipeline): how many track labels changed, how far probabilities and tempos moved.

    python tools/bench/compare_predictions.py before.json after.json

Windows are matched by index (a change may move them a little in time). Prints one table
row in Markdown. Only the standard library.
"""
import json
import statistics
import sys


def load(path):
    with open(path) as f:
        doc = json.load(f)
    return {t["path"]: t for t in doc["tracks"]}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    before, after = load(sys.argv[1]), load(sys.argv[2])
    common = sorted(set(before) & set(after))
    if not common:
        sys.exit("no file is in both")
    same_label = 0
    worst_window = worst_mean = 0.0
    bpm_moves = []
    octave = 0
    for path in common:
        a, b = before[path], after[path]
        same_label += a["label"] == b["label"]
        for c, p in a["mean_probs"].items():
            worst_mean = max(worst_mean, abs(p - b["mean_probs"][c]))
        for wa, wb in zip(a["windows"], b["windows"]):
            for c, p in wa["probs"].items():
                worst_window = max(worst_window, abs(p - wb["probs"][c]))
        if a.get("tempo_bpm") and b.get("tempo_bpm"):
            move = abs(a["tempo_bpm"] - b["tempo_bpm"])
            ratio = max(a["tempo_bpm"], b["tempo_bpm"]) / min(a["tempo_bpm"], b["tempo_bpm"])
            octave += abs(ratio - 2.0) < 0.1 or abs(ratio - 1.5) < 0.08
            bpm_moves.append(move)
    n = len(common)
    print("| files | same label | largest window probability change | largest mean probability "
          "change | BPM moved: median / max | within 1 BPM | octave (x2, x1.5) changes |")
    print("|---|---|---|---|---|---|---|")
    within = sum(m <= 1.0 for m in bpm_moves)
    print(f"| {n} | {same_label} ({100 * same_label / n:.2f} %) | {worst_window:.3f} | "
          f"{worst_mean:.3f} | {statistics.median(bpm_moves) if bpm_moves else float('nan'):.2f} / "
          f"{max(bpm_moves, default=float('nan')):.2f} | "
          f"{within} ({100 * within / max(1, len(bpm_moves)):.1f} %) | {octave} |")


if __name__ == "__main__":
    main()
