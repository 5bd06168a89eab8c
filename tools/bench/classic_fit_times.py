#!/usr/bin/env python3
"""Fit times (and test scores) of the study's classic models in Python, to set
beside `subgenre baseline`'s fit_seconds on the same features and machine.

    python tools/bench/classic_fit_times.py FEATURES.csv [--split SPLIT.json] [--seeds 42,43] [--threads N]

FEATURES.csv is what `subgenre features` writes (sample_id, spot_id, feature
columns..., label). Five classes (bouncy, tekno, warzone, industrial,
non-techno-drop). Per seed: the training part of the group split (the file
from `subgenre dataset split --seed S --json` when --split is given, which
makes the parts identical to subgenre's; else scikit-learn's
StratifiedGroupKFold with the study's protocol, same algorithm, different
RNG), StandardScaler fitted on it, then:

  svm       SVC(kernel="rbf", class_weight="balanced")            (the study's SVC, single-label)
  xgboost   xgb.train(multi:softprob, max_depth 6, eta 0.1, subsample 0.9,
            colsample_bytree 0.9, 600 rounds, early stopping 30 on validation mlogloss)
  lightgbm  lgb.train(multiclass, learning_rate 0.05, num_leaves 31,
            feature_fraction 0.9, bagging_fraction 0.9, bagging_freq 5,
            2000 rounds, early stopping 100 on validation multi_logloss)

Prints one line per model and seed (fit seconds, test weighted F1) and the means.
Needs numpy, scikit-learn, xgboost (or xgboost-cpu) and lightgbm, e.g. in a
venv outside the repository.
"""
import argparse
import csv
import json
import time

import numpy as np

CLASSES = ["bouncy", "tekno", "warzone", "industrial", "non-techno-drop"]


def read_features(path):
    ids, groups, rows, labels = [], [], [], []
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = [h.strip() for h in next(r)]
        i_id, i_g, i_l = header.index("sample_id"), header.index("spot_id"), header.index("label")
        feat = [i for i in range(len(header)) if i not in (i_id, i_g, i_l)]
        for row in r:
            lab = row[i_l].strip()
            if lab not in CLASSES:
                continue
            ids.append(row[i_id].strip())
            groups.append(row[i_g].strip())
            rows.append([float(row[i]) for i in feat])
            labels.append(CLASSES.index(lab))
    return np.array(ids), np.array(groups), np.array(rows, dtype=np.float64), np.array(labels)


def parts(ids, groups, y, seed, split_file):
    if split_file:
        with open(split_file) as f:
            s = json.load(f)
        pos = {sid: i for i, sid in enumerate(ids)}
        return tuple(np.array([pos[sid] for sid in s[p] if sid in pos]) for p in ("train", "val", "test"))
    from sklearn.model_selection import StratifiedGroupKFold

    order = np.lexsort((y, groups, ids))  # the sorted set, as subgenre's split
    ids, groups, y = ids[order], groups[order], y[order]
    sg = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=seed)
    train, temp = next(sg.split(np.zeros(len(y)), y, groups))
    sg2 = StratifiedGroupKFold(n_splits=2, shuffle=True, random_state=seed)
    val, test = next(sg2.split(np.zeros(len(temp)), y[temp], groups[temp]))
    return order[train], order[temp][val], order[temp][test]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("features")
    ap.add_argument("--split", help="split JSON from `subgenre dataset split --json` (used for every seed)")
    ap.add_argument("--seeds", default="42,43,44,45,46")
    ap.add_argument("--threads", type=int, default=0, help="threads for XGBoost/LightGBM (0: all)")
    a = ap.parse_args()

    import lightgbm as lgb
    import xgboost as xgb
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    ids, groups, X, y = read_features(a.features)
    k = len(CLASSES)
    results = {}
    for seed in [int(s) for s in a.seeds.split(",")]:
        tr, va, te = parts(ids, groups, y, seed, a.split)
        sc = StandardScaler().fit(X[tr])
        Xtr, Xva, Xte = sc.transform(X[tr]), sc.transform(X[va]), sc.transform(X[te])

        t = time.perf_counter()
        svm = SVC(kernel="rbf", class_weight="balanced").fit(Xtr, y[tr])
        secs = time.perf_counter() - t
        results.setdefault("svm", []).append((secs, f1_score(y[te], svm.predict(Xte), average="weighted")))

        dtr, dva = xgb.DMatrix(Xtr, label=y[tr]), xgb.DMatrix(Xva, label=y[va])
        params = dict(objective="multi:softprob", num_class=k, eval_metric="mlogloss", max_depth=6, eta=0.1,
                      subsample=0.9, colsample_bytree=0.9, seed=seed, nthread=a.threads)
        t = time.perf_counter()
        bst = xgb.train(params, dtr, num_boost_round=600, evals=[(dva, "val")], early_stopping_rounds=30,
                        verbose_eval=False)
        secs = time.perf_counter() - t
        pred = bst.predict(xgb.DMatrix(Xte), iteration_range=(0, bst.best_iteration + 1)).argmax(axis=1)
        results.setdefault("xgboost", []).append((secs, f1_score(y[te], pred, average="weighted")))

        ltr = lgb.Dataset(Xtr, label=y[tr])
        lva = lgb.Dataset(Xva, label=y[va], reference=ltr)
        lp = dict(objective="multiclass", num_class=k, metric="multi_logloss", learning_rate=0.05, num_leaves=31,
                  feature_fraction=0.9, bagging_fraction=0.9, bagging_freq=5, seed=seed, verbosity=-1,
                  num_threads=a.threads)
        t = time.perf_counter()
        m = lgb.train(lp, ltr, num_boost_round=2000, valid_sets=[lva],
                      callbacks=[lgb.early_stopping(100, verbose=False)])
        secs = time.perf_counter() - t
        pred = m.predict(Xte, num_iteration=m.best_iteration).argmax(axis=1)
        results.setdefault("lightgbm", []).append((secs, f1_score(y[te], pred, average="weighted")))
        print(f"seed {seed}: train {len(tr)} val {len(va)} test {len(te)}  " + "  ".join(
            f"{name} {r[-1][0]:.3f}s F1 {r[-1][1]:.3f}" for name, r in results.items()))
    print(f"{'model':<9} {'fit s (mean)':>12} {'weighted F1':>16}")
    for name, r in results.items():
        s = np.array([v[0] for v in r])
        f = np.array([v[1] for v in r])
        print(f"{name:<9} {s.mean():>12.3f} {f.mean():>8.4f} ± {f.std():.4f}")


if __name__ == "__main__":
    main()
