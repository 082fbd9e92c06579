"""SHAP contributions in the applicant's terms: percentage points of default probability.

TreeSHAP gives each feature's contribution φᵢ in log-odds: the margin ``m = b + Σφᵢ`` starts
from the average client's log-odds ``b``. People read probabilities, so the client page shows
the same contributions in percentage points, by one rule:

    every φᵢ is scaled by the same factor  k = (p − p₀) / (m − b),
    where p₀ = σ(b) is the average client's probability and p = σ(m) this applicant's;

the bars then sum exactly to p − p₀, keep their signs and their order, and a feature weighs in
points what it weighs in log-odds relative to the others. When m = b (nothing moves), k is the
slope of the sigmoid there, σ′(b) = p₀(1 − p₀).

Shown numbers are rounded once: the start and the end to the decision card's precision (0.1 %),
then the bars to 0.1 point so that they add up exactly to the rounded end minus the rounded
start (the largest rounding remainders absorb the difference). The JSON API keeps the log-odds
(``base_value``, ``contributions``) and adds these points unrounded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Shown precision: tenths of a percentage point.
TENTHS = 1000


def sigmoid(value: float) -> float:
    """Log-odds to probability."""
    return 1.0 / (1.0 + math.exp(-value))


def scale_factor(base_value: float, margin: float) -> float:
    """k = (σ(m) − σ(b)) / (m − b), or σ′(b) when m = b (probability per unit of log-odds)."""
    start, end = sigmoid(base_value), sigmoid(margin)
    if abs(margin - base_value) < 1e-12:
        return start * (1.0 - start)
    return (end - start) / (margin - base_value)


def probability_points(base_value: float, margin: float,
                       contributions: Mapping[str, float]) -> dict[str, float]:
    """Each contribution as a change of probability (a share: 0.012 is 1.2 points); they sum
    to σ(margin) − σ(base_value)."""
    factor = scale_factor(base_value, margin)
    return {name: float(value) * factor for name, value in contributions.items()}


@dataclass(frozen=True)
class PointsWaterfall:
    """The waterfall as shown: start and end probabilities in percent (rounded to 0.1), and
    the steps in points (rounded to 0.1) that lead exactly from one to the other."""

    start: float  # the average client's probability, % (one decimal)
    end: float  # this applicant's probability, % (one decimal, as the decision card shows)
    steps: list[tuple[str, float]]  # (name, points), in the order given


def _round_to_sum(values: Sequence[float], total: int) -> list[int]:
    """Integers near ``values`` (already in tenths) that add up to ``total`` exactly: round
    each, then move the ones whose rounding lost or gained the most by one tenth."""
    rounded = [round(v) for v in values]
    gap = total - sum(rounded)
    if gap and values:
        step = 1 if gap > 0 else -1
        # Who is furthest below (gap > 0) or above (gap < 0) its exact value goes first.
        order = sorted(range(len(values)), key=lambda i: (rounded[i] - values[i]) * step)
        for index in range(abs(gap)):
            rounded[order[index % len(order)]] += step
    return rounded


def points_waterfall(base_value: float, margin: float,
                     steps: Sequence[tuple[str, float]]) -> PointsWaterfall:
    """The shown waterfall of log-odds ``steps`` (every contribution, some of them folded into
    one step by the caller: they must add up to ``margin - base_value``)."""
    factor = scale_factor(base_value, margin)
    start = round(sigmoid(base_value) * TENTHS)
    end = round(sigmoid(margin) * TENTHS)
    exact = [value * factor * TENTHS for _name, value in steps]
    shown = _round_to_sum(exact, end - start)
    return PointsWaterfall(start / 10, end / 10,
                           [(name, tenths / 10) for (name, _v), tenths in
                            zip(steps, shown, strict=True)])
