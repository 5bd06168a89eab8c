#!/usr/bin/env python3
"""Pick the bundled demo set: 6 clips per five-class label, 30 distinct tracks.

Deterministic: tracks are taken in sorted order at an even stride so the demo spans the
data set rather than its first tracks. Run from the repo root:
    python3 tools/pick_demo.py ../shared/data/hardtechno data/demo
"""
import csv
import os
import shutil
import sys

FIVE = ["bouncy", "tekno", "warzone", "industrial", "non-techno-drop"]
PER_CLASS = 6


def main(src, dst):
    with open(os.path.join(src, "labels_final.csv"), newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames
        rows = list(reader)
    have = {n[:-4] for n in os.listdir(os.path.join(src, "clips")) if n.endswith(".mp3")}
    used_tracks, chosen = set(), []
    for label in FIVE:
        by_track = {}
        for r in rows:
            if r[label] == "1" and r["sample_id"] in have:
                by_track.setdefault(r["spot_id"], []).append(r)
        tracks = sorted(t for t in by_track if t not in used_tracks)
        stride = len(tracks) / PER_CLASS
        for i in range(PER_CLASS):
            t = tracks[int(i * stride)]
            clips = sorted(by_track[t], key=lambda r: r["sample_id"])
            chosen.append(clips[len(clips) // 2])
            used_tracks.add(t)
    os.makedirs(os.path.join(dst, "clips"), exist_ok=True)
    with open(os.path.join(dst, "labels_final.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for r in sorted(chosen, key=lambda r: r["sample_id"]):
            w.writerow(r)
    for r in chosen:
        name = r["sample_id"] + ".mp3"
        shutil.copyfile(os.path.join(src, "clips", name), os.path.join(dst, "clips", name))
    print(f"{len(chosen)} clips from {len(used_tracks)} tracks")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
