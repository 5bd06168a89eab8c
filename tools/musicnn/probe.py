#!/usr/bin/env python3
"""Issue 33's linear probe on musicnn embeddings, over the project's own split files.

    python tools/musicnn/probe.py --embeddings /work/musicnn-cache/tf_embeddings.npz \
        --labels ../shared/data/hardtechno/labels_final.csv --splits split42.json split43.json ...

Per split file (`subgenre dataset split --seed S --json`: {"seed", "train", "val", "test"}, sample
ids): StandardScaler fitted on the train part; scikit-learn LogisticRegression (lbfgs,
max_iter 5000) fitted on the train part for each C in {0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100};
the first C with the best validation weighted F1 is kept and scored once on the test part
(weighted F1). Prints per seed, then the mean and the sample standard deviation. The embeddings
file needs `sample_id` [n] and `embedding` [n, d] (embed_tf.py writes it; so may a Rust run).
"""
import argparse
import csv
import json

import numpy as np

C_GRID = (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100)
CLASS_COLUMNS = ("psytech", "oldschool-hardstyle", "bouncy", "tekno", "warzone", "industrial", "non-techno-drop")


def read_labels(path):
    labels = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            hot = [c for c in CLASS_COLUMNS if row[c].strip() == "1"]
            if len(hot) != 1:
                raise ValueError(f"{row['sample_id']}: {len(hot)} label columns set")
            labels[row["sample_id"]] = hot[0]
    return labels


def probe(x, labels, index, split):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import StandardScaler

    def part(name):
        missing = [s for s in split[name] if s not in index]
        if missing:
            raise KeyError(f"{len(missing)} {name} clips have no embedding, e.g. {missing[0]}")
        return x[[index[s] for s in split[name]]], np.array([labels[s] for s in split[name]])

    (xtr, ytr), (xva, yva), (xte, yte) = part("train"), part("val"), part("test")
    scaler = StandardScaler().fit(xtr)
    xtr, xva, xte = scaler.transform(xtr), scaler.transform(xva), scaler.transform(xte)
    best = None
    val_f1 = {}
    for c in C_GRID:
        clf = LogisticRegression(C=c, solver="lbfgs", max_iter=5000).fit(xtr, ytr)
        f1 = f1_score(yva, clf.predict(xva), average="weighted")
        val_f1[c] = f1
        if best is None or f1 > best[1]:  # strict: the first best C wins ties
            best = (c, f1, clf)
    c, f1_val, clf = best
    pred = clf.predict(xte)
    classes = sorted(set(yte))
    per_class = dict(zip(classes, f1_score(yte, pred, average=None, labels=classes)))
    return {"C": c, "val_f1": f1_val, "test_f1": f1_score(yte, pred, average="weighted"),
            "per_class_test_f1": per_class, "val_f1_by_C": val_f1,
            "n": [len(ytr), len(yva), len(yte)]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--embeddings", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--splits", nargs="+", required=True)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    data = np.load(args.embeddings)
    x = data["embedding"].astype(np.float64)
    index = {s: i for i, s in enumerate(data["sample_id"].tolist())}
    labels = read_labels(args.labels)
    results = []
    for path in args.splits:
        with open(path) as f:
            split = json.load(f)
        r = probe(x, labels, index, split)
        r["seed"] = split.get("seed")
        results.append(r)
        print(f"seed {r['seed']}: C {r['C']}, validation F1 {r['val_f1']:.3f}, test weighted F1 {r['test_f1']:.3f} "
              f"(train/val/test {r['n']}); per class " + ", ".join(f"{k} {v:.3f}" for k, v in r["per_class_test_f1"].items()))
    f1 = np.array([r["test_f1"] for r in results])
    print(f"test weighted F1: " + " / ".join(f"{v:.3f}" for v in f1) +
          f"; mean {f1.mean():.3f} ± {f1.std(ddof=1) if len(f1) > 1 else 0:.3f} (sample std)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "mean": f1.mean(), "sample_std": f1.std(ddof=1) if len(f1) > 1 else 0.0},
                      f, indent=1, default=float)


if __name__ == "__main__":
    main()
