"""Business cost, decision threshold and evaluation metrics.

A missed default (false negative: a defaulter accepted) costs ``cost_ratio`` times a good
client wrongly refused (false positive). An application is refused when its default
probability is at or above the threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve


def confusion(y_true: np.ndarray, probability: np.ndarray, threshold: float) -> dict[str, int]:
    """Counts at the threshold; "positive" means defaulted (TARGET = 1) / refused."""
    y_true = np.asarray(y_true).astype(bool)
    refused = np.asarray(probability) >= threshold
    return {
        "tn": int(np.sum(~y_true & ~refused)), "fp": int(np.sum(~y_true & refused)),
        "fn": int(np.sum(y_true & ~refused)), "tp": int(np.sum(y_true & refused)),
    }


def business_cost(y_true: np.ndarray, probability: np.ndarray, threshold: float,
                  cost_ratio: float) -> float:
    """``cost_ratio · FN + FP`` at the threshold."""
    counts = confusion(y_true, probability, threshold)
    return cost_ratio * counts["fn"] + counts["fp"]


def best_threshold(y_true: np.ndarray, probability: np.ndarray, cost_ratio: float) -> float:
    """The threshold minimising ``cost_ratio · FN + FP`` exactly on these predictions.

    Every distinct probability is a candidate cut. The threshold returned lies halfway between
    the cut and the next lower probability, so that it has the same cost on this data and
    does not sit on a training point.
    """
    y_true = np.asarray(y_true).astype(bool)
    probability = np.asarray(probability, dtype="float64")
    cuts = np.unique(probability)  # ascending
    # For a cut c, refused = probability >= c. Count positives and negatives below each cut.
    order = np.searchsorted(cuts, probability)  # index of each prediction's cut
    pos_at = np.bincount(order[y_true], minlength=len(cuts))
    neg_at = np.bincount(order[~y_true], minlength=len(cuts))
    fn = np.concatenate([[0], np.cumsum(pos_at)])[:-1]  # positives strictly below the cut
    fp = neg_at.sum() - np.concatenate([[0], np.cumsum(neg_at)])[:-1]
    cost = cost_ratio * fn + fp
    accept_all_cost = cost_ratio * pos_at.sum()
    i = int(np.argmin(cost))
    if accept_all_cost < cost[i]:
        return float(np.nextafter(cuts[-1], np.inf))
    lower = cuts[i - 1] if i > 0 else 0.0
    return float((lower + cuts[i]) / 2)


def cost_curve(y_true: np.ndarray, probability: np.ndarray, cost_ratio: float,
               points: int = 201) -> dict[str, list[float]]:
    """Business cost per application on a grid of thresholds, for the model page."""
    grid = np.linspace(0.0, 1.0, points)
    n = len(y_true)
    costs = [business_cost(y_true, probability, t, cost_ratio) / n for t in grid]
    return {"threshold": grid.round(4).tolist(), "cost": np.round(costs, 5).tolist()}


def calibration(y_true: np.ndarray, probability: np.ndarray, bins: int = 10) -> dict[str, list]:
    """Reliability curve on quantile bins: mean predicted vs observed default rate."""
    edges = np.unique(np.quantile(probability, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, probability, side="right") - 1, 0, len(edges) - 2)
    predicted, observed, count = [], [], []
    for b in range(len(edges) - 1):
        mask = which == b
        if mask.any():
            predicted.append(round(float(probability[mask].mean()), 5))
            observed.append(round(float(np.mean(y_true[mask])), 5))
            count.append(int(mask.sum()))
    return {"predicted": predicted, "observed": observed, "count": count}


def roc_points(y_true: np.ndarray, probability: np.ndarray, max_points: int = 200) -> dict:
    """ROC curve, thinned to at most ``max_points`` points."""
    fpr, tpr, _ = roc_curve(y_true, probability)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(max_points, len(fpr))).astype(int))
    return {"fpr": fpr[keep].round(5).tolist(), "tpr": tpr[keep].round(5).tolist()}


def evaluate_predictions(y_true: np.ndarray, probability: np.ndarray, threshold: float,
                         cost_ratio: float) -> dict[str, Any]:
    """Every headline metric at the threshold.

    ``normalized_cost`` puts the model between the two trivial policies: 0 is a perfect
    model, 1 is the better of "accept everyone" and "refuse everyone"; above 1 the model is
    worse than doing without it.
    """
    y_true = np.asarray(y_true).astype(int)
    probability = np.asarray(probability, dtype="float64")
    n = len(y_true)
    positives = int(y_true.sum())
    cost = business_cost(y_true, probability, threshold, cost_ratio)
    accept_all = cost_ratio * positives
    refuse_all = float(n - positives)
    both_classes = 0 < positives < n
    return {
        "n_rows": n,
        "default_rate": round(positives / n, 5) if n else None,
        "roc_auc": float(roc_auc_score(y_true, probability)) if both_classes else None,
        "pr_auc": float(average_precision_score(y_true, probability)) if both_classes else None,
        "brier": float(brier_score_loss(y_true, probability)),
        "threshold": threshold,
        "cost_ratio": cost_ratio,
        "business_cost": float(cost),
        "cost_per_application": float(cost / n) if n else None,
        "accept_all_cost": float(accept_all),
        "refuse_all_cost": refuse_all,
        "normalized_cost": float(cost / min(accept_all, refuse_all)) if min(accept_all, refuse_all)
        else None,
        "confusion": confusion(y_true, probability, threshold),
    }


#: The seed's rule before any model threshold was tuned: refuse at a probability of 0.20.
FIXED_RULE_THRESHOLD = 0.20


def cost_summary(y_true: np.ndarray, probability: np.ndarray, threshold: float,
                 cost_ratio: float) -> dict[str, float | None]:
    """ROC-AUC and business cost at ``threshold``, with the cost of the fixed 0.20 rule on the
    same rows (what the model card's comparisons record)."""
    full = evaluate_predictions(y_true, probability, threshold, cost_ratio)
    return {
        "roc_auc": round(full["roc_auc"], 5) if full["roc_auc"] is not None else None,
        "business_cost": full["business_cost"],
        "normalized_cost": round(full["normalized_cost"], 5)
        if full["normalized_cost"] is not None else None,
        "cost_per_application": round(full["cost_per_application"], 5),
        "fixed_rule_cost": business_cost(y_true, probability, FIXED_RULE_THRESHOLD, cost_ratio),
    }
