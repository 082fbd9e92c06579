"""Benchmark: the price of leaving the protected attributes out of the credit model.

Trains the default model (``prepare`` and ``train`` use the same settings) with its
protected attributes left out, and, in the same run, the baseline the project had before:
the same settings with nothing protected (gender a feature, no comparison run). Prints for
each: training time; out-of-fold and test ROC-AUC, business cost ``10·FN + FP`` at its own
threshold, normalised cost, and the cost of the fixed 0.20 rule on the same rows (from the
model card's ``price_of_fairness``); the fairness report's headline on the out-of-fold
predictions (approval ratios, equal-opportunity gaps), with and without gender; and how well
the remaining features still predict gender (a proxy check: ROC-AUC of a small 3-fold XGBoost
predicting ``CODE_GENDER`` from the fair model's features).

Run: ``nice .venv/bin/python bench/credit_fairness.py [--max-rows N] [--trials N]
[--protected FIELD,...] [--no-baseline] [--threads N]`` (two full trainings: nice it on a
shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import xgboost as xgb
from sklearn.model_selection import StratifiedKFold

from ml.credit.data import find_application_file
from ml.credit.fairness import flagged_groups
from ml.credit.schema import load_applications
from ml.credit.train import TrainConfig, train
from ml.serving.credit import load_credit_model


def _timed_train(out: Path, config: TrainConfig) -> tuple[object, tuple[float, float]]:
    """The trained model, with wall-clock and CPU seconds (all threads: less sensitive than
    wall-clock time to the other jobs of a shared machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    folder = train(None, out, config, progress=False)
    return load_credit_model(folder), (time.perf_counter() - started,
                                       time.process_time() - cpu)


def _figures(label: str, side: dict) -> None:
    for split in ("oof", "test"):
        f = side[split]
        print(f"  {label:<18} {split:<4}  ROC-AUC {f['roc_auc']:.4f}   "
              f"cost {f['business_cost']:>7.0f}   normalised {f['normalized_cost']:.3f}   "
              f"fixed 0.20 rule {f['fixed_rule_cost']:>7.0f}   "
              f"(threshold {side['threshold']:.4f}, {side['n_features']} features)")


def _headline(label: str, report: dict) -> None:
    flagged = flagged_groups(report)
    print(f"  {label} (threshold {report['threshold']:.4f}, {report['n_rows']} rows)")
    for name, attribute in report["attributes"].items():
        ratios = ", ".join(f"{group} {g['approval_ratio']:.3f}" for group, g in
                           attribute["groups"].items() if g["approval_ratio"] is not None)
        print(f"    {name:<19} min approval ratio {attribute['min_approval_ratio']:.3f}   "
              f"equal-opportunity gap {attribute['equal_opportunity_gap']:.3f}   "
              f"under 4/5: {', '.join(flagged[name]) or 'none'}")
        print(f"      approval ratios: {ratios}")


def _gender_proxy_auc(model) -> float:
    """ROC-AUC of predicting gender (M against F) from the model's own features."""
    from sklearn.metrics import roc_auc_score

    frame = load_applications(find_application_file("train"), require_target=True)
    frame = frame[frame["CODE_GENDER"].isin(["F", "M"])]
    x = model.feature_matrix(frame)
    y = (frame["CODE_GENDER"] == "M").to_numpy(dtype=int)
    scores = np.zeros(len(y))
    for fit, valid in StratifiedKFold(3, shuffle=True, random_state=0).split(x, y):
        booster = xgb.train({"objective": "binary:logistic", "max_depth": 4, "eta": 0.1,
                             "nthread": os.cpu_count() or 1},
                            xgb.DMatrix(x[fit], label=y[fit], feature_names=model.feature_names),
                            200)
        scores[valid] = booster.predict(xgb.DMatrix(x[valid], feature_names=model.feature_names))
    return float(roc_auc_score(y, scores))


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-rows", type=int)
    parser.add_argument("--trials", type=int)
    parser.add_argument("--protected", default="CODE_GENDER")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--threads", type=int,
                        help="XGBoost threads (1 gives CPU seconds that the other jobs of a "
                             "shared machine do not inflate)")
    args = parser.parse_args()
    settings: dict = {"max_rows": args.max_rows}
    if args.trials:
        settings["search_trials"] = args.trials
    if args.threads:
        settings["n_jobs"] = args.threads
    protected = tuple(args.protected.split(","))
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores at the start")

    with tempfile.TemporaryDirectory() as tmp:
        fair, fair_seconds = _timed_train(Path(tmp) / "fair",
                                          TrainConfig(protected=protected, **settings))
        baseline = baseline_seconds = None
        if not args.no_baseline:
            baseline, baseline_seconds = _timed_train(Path(tmp) / "baseline",
                                                      TrainConfig(protected=(), **settings))

        price = fair.card["price_of_fairness"]
        print(f"\nprotected: {', '.join(protected)}; {fair.card['split']['n_train']} training "
              f"rows, {fair.card['split']['n_test']} test rows")
        print(f"training time with the comparison: {fair_seconds[0]:.1f} s "
              f"({fair_seconds[1]:.1f} CPU s)")
        if baseline is not None:
            wall, cpu = (f / b for f, b in zip(fair_seconds, baseline_seconds, strict=True))
            print(f"baseline (nothing protected, no comparison): {baseline_seconds[0]:.1f} s "
                  f"({baseline_seconds[1]:.1f} CPU s); ratio x{wall:.2f} wall-clock, "
                  f"x{cpu:.2f} CPU")
        print(f"load average {os.getloadavg()[0]:.2f} at the end of training")
        print("\nsame folds and hyperparameters (model card, price_of_fairness):")
        _figures("without protected", price["without_protected"])
        _figures("with protected", price["with_protected"])
        if baseline is not None:
            print("baseline (its own search, gender a feature):")
            _figures("baseline", _summaries(baseline, TrainConfig(protected=(), **settings)))

        print("\nfairness on the out-of-fold predictions:")
        _headline("without protected fields", fair.fairness["report"])
        _headline("with protected fields (comparison model)", fair.fairness["with_protected"])
        print(f"\ngender proxy check: the fair model's {fair.schema.n_features} features "
              f"predict CODE_GENDER with ROC-AUC {_gender_proxy_auc(fair):.3f}")
        print("\nmodel card excerpt:")
        print(json.dumps(price, indent=1))


def _summaries(model, config: TrainConfig) -> dict:
    """The baseline's figures as the card records them for the comparison: out-of-fold (saved
    with the model) and on the same held-out rows (the split is rebuilt from the seed)."""
    from sklearn.model_selection import train_test_split

    from ml.credit.metrics import cost_summary
    from ml.credit.train import load_training_frame

    with np.load(model.folder / "fairness.npz") as arrays:
        oof = cost_summary(arrays["target"], arrays["probability"], model.threshold,
                           model.cost_ratio)
    frame, _ = load_training_frame(None, config, log=lambda _: None)
    y = frame["TARGET"].to_numpy(dtype="int64")
    _, test_idx = train_test_split(np.arange(len(frame)), test_size=config.test_size,
                                   stratify=y, random_state=config.seed)
    test_frame = frame.iloc[test_idx]
    test = cost_summary(y[test_idx], model.score_frame(test_frame), model.threshold,
                        model.cost_ratio)
    return {"threshold": model.threshold, "n_features": model.schema.n_features,
            "oof": oof, "test": test}


if __name__ == "__main__":
    main()
