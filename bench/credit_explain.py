"""Benchmark: score and explain one applicant, and 1,000, with the current credit model.

Prints milliseconds per applicant for the single-applicant path (dict → features → native
TreeSHAP), for a batch of 1,000, and, in the same run, for ``shap.TreeExplainer`` on the
same rows, with the ratio between the two. Also times the DataFrame path that the
single-applicant code avoids.

Run: ``.venv/bin/python bench/credit_explain.py [--model DIR] [--repeat N]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
import shap
import xgboost as xgb

from ml.credit.data import find_application_file
from ml.credit.schema import load_applications
from ml.serving.credit import load_credit_model


def _timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def _summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"median {statistics.median(times):7.3f} ms   p95 {p95:7.3f} ms"


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="model folder or artifacts/credit root")
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()

    model = load_credit_model(args.model)
    frame = load_applications(find_application_file("test")).iloc[:1000].reset_index(drop=True)
    records = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
               for r in frame.to_dict(orient="records")]
    print(f"model {model.version}: {model.card['n_trees']} trees, {len(model.feature_names)} "
          f"features, xgboost {xgb.__version__}, shap {shap.__version__}")

    one = records[0]
    model.explain(one)  # warm-up
    single = _timed(lambda: model.explain(one), args.repeat)
    print(f"one applicant, score + explain (dict path):  {_summary(single)}")

    row_frame = frame.iloc[[0]]
    frame_path = _timed(lambda: model.explain_frame(row_frame), args.repeat)
    print(f"one applicant through a DataFrame:           {_summary(frame_path)}")

    start = time.perf_counter()
    for record in records:
        model.explain(record)
    loop_ms = (time.perf_counter() - start) * 1e3
    print(f"1,000 applicants one by one:                 {loop_ms:8.1f} ms total "
          f"({loop_ms / len(records):.3f} ms each)")

    x = model.feature_matrix(frame)
    model.booster.set_param({"nthread": 0})
    native = _timed(lambda: model.explain_frame(frame), 5)
    explainer = shap.TreeExplainer(model.booster)
    explainer.model.model_type = "internal"  # SHAP's own TreeSHAP, not XGBoost's
    shap_times = _timed(lambda: explainer.shap_values(x.astype(np.float64)), 3)
    print(f"1,000 applicants in one batch, native:       {statistics.median(native):8.1f} ms")
    print(f"1,000 applicants, shap.TreeExplainer:        {statistics.median(shap_times):8.1f} ms")
    print(f"ratio native / shap.TreeExplainer:           "
          f"{statistics.median(native) / statistics.median(shap_times):8.3f}")
    target_ok = statistics.median(single) <= 5.0
    print(f"target (one applicant ≤ 5 ms): {'met' if target_ok else 'NOT met'}")
    pd.set_option("display.width", 120)


if __name__ == "__main__":
    main()
