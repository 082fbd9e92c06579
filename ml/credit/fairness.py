"""Fairness of the credit decisions across groups of applicants: pure functions of (target,
probability, threshold, group labels), shared by training (``fairness.json``), the command
``python -m ml.credit fairness`` and the model page.

An application is refused when its probability is at or above the threshold (as in
``metrics``). For each group of an attribute:

- ``n``: applications; ``default_rate``: defaults over ``n``;
- ``refusal_rate``: refused over ``n``;
- ``false_refusal_rate``: good payers refused, over good payers (what equal opportunity
  compares);
- ``missed_default_rate``: defaults accepted, over defaults;
- ``approval_ratio``: the group's approval rate over the reference group's, the reference
  being the best-approved group (the four-fifths rule flags a ratio under 0.8);
- ``mean_probability``: the mean predicted probability of default.

Each attribute also carries ``min_approval_ratio`` (its lowest ``approval_ratio``) and
``equal_opportunity_gap`` (the largest difference between two groups' false refusal rates).

Decisions, and why:

- Groups are the raw values as they come, ``XNA`` included (it is *not* merged with missing
  values here, unlike the model's loading); a missing value forms the group ``"missing"``.
- A rate whose denominator is 0 is ``None`` (``null`` in JSON), never 0: a group without
  defaults has no missed-default rate.
- ``AGE_BAND`` comes from ``DAYS_BIRTH`` in completed years, in the six bands of
  :data:`AGE_BANDS`, always all listed (an empty band has ``n`` 0 and null rates), plus
  ``"missing"`` when some ages are unknown.
- Groups smaller than ``min_group_size`` (default 30) are reported with their own figures
  but are neither the reference group nor counted in ``min_approval_ratio`` and
  ``equal_opportunity_gap``: one applicant with ``CODE_GENDER = XNA`` (there is one in the
  training sample) would otherwise set the reference at 100 % approval or the minimum at 0.
  When no group reaches the size, every non-empty group counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

MISSING_GROUP = "missing"
DAYS_PER_YEAR = 365.25
AGE_BANDS: tuple[str, ...] = ("<25", "25-34", "35-44", "45-54", "55-64", "65+")
#: Lower bound (completed years) of each band but the first.
_AGE_BAND_STARTS = np.array([25, 35, 45, 55, 65])
#: The attributes of every report, in order: age is reported by band, the others by value.
REPORTED_ATTRIBUTES: tuple[str, ...] = ("CODE_GENDER", "AGE_BAND", "NAME_FAMILY_STATUS")
#: Raw field each reported attribute comes from.
ATTRIBUTE_SOURCES: dict[str, str] = {"CODE_GENDER": "CODE_GENDER", "AGE_BAND": "DAYS_BIRTH",
                                     "NAME_FAMILY_STATUS": "NAME_FAMILY_STATUS"}
MIN_GROUP_SIZE = 30
FOUR_FIFTHS = 0.8
#: Thresholds at which the page shows each group's refusal and false refusal rates.
THRESHOLD_GRID: tuple[float, ...] = tuple(round(0.02 + 0.01 * i, 2) for i in range(29))


def age_band(days_birth: np.ndarray) -> np.ndarray:
    """The age band of each ``DAYS_BIRTH`` (days before the application, negative)."""
    days = np.asarray(days_birth, dtype="float64")
    known = np.isfinite(days)
    years = np.floor(-days[known] / DAYS_PER_YEAR)
    bands = np.full(len(days), MISSING_GROUP, dtype=object)
    bands[known] = np.asarray(AGE_BANDS, dtype=object)[
        np.searchsorted(_AGE_BAND_STARTS, years, side="right")]
    return bands


def group_labels(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Raw text values as group labels: the value itself, ``"missing"`` when absent."""
    labels = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        absent = value is None or (isinstance(value, float) and np.isnan(value)) or \
            (isinstance(value, str) and not value.strip())
        labels[i] = MISSING_GROUP if absent else str(value).strip()
    return labels


def attribute_groups(raw: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Group labels of each reported attribute from raw columns (field -> values).

    ``DAYS_BIRTH`` becomes ``AGE_BAND``; every other field given (``CODE_GENDER``,
    ``NAME_FAMILY_STATUS``, and other protected text fields) is grouped by its raw values.
    """
    groups: dict[str, np.ndarray] = {}
    for attribute in REPORTED_ATTRIBUTES:
        source = ATTRIBUTE_SOURCES[attribute]
        if source in raw:
            groups[attribute] = (age_band(raw[source]) if attribute == "AGE_BAND"
                                 else group_labels(raw[source]))
    for field, values in raw.items():
        if field not in ATTRIBUTE_SOURCES.values():
            groups[field] = group_labels(values)
    return groups


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def group_metrics(target: np.ndarray, probability: np.ndarray,
                  threshold: float) -> dict[str, Any]:
    """One group's figures (all but ``approval_ratio``, which needs the other groups)."""
    defaulted = np.asarray(target).astype(bool)
    refused = np.asarray(probability, dtype="float64") >= threshold
    n, defaults = len(defaulted), int(defaulted.sum())
    good = n - defaults
    return {
        "n": n,
        "default_rate": _rate(defaults, n),
        "refusal_rate": _rate(int(refused.sum()), n),
        "false_refusal_rate": _rate(int((refused & ~defaulted).sum()), good),
        "missed_default_rate": _rate(int((~refused & defaulted).sum()), defaults),
        "approval_ratio": None,
        "mean_probability": round(float(np.mean(probability)), 6) if n else None,
    }


def compared_groups(groups: Mapping[str, Mapping[str, Any]],
                    min_group_size: int = MIN_GROUP_SIZE) -> list[str]:
    """The groups an attribute's comparisons use: those of at least ``min_group_size``
    applications, or every non-empty group when none is that large."""
    large = [name for name, g in groups.items() if g["n"] >= max(min_group_size, 1)]
    return large or [name for name, g in groups.items() if g["n"]]


def _ordered_groups(labels: np.ndarray, attribute: str) -> list[str]:
    present = {str(v) for v in labels}
    if attribute == "AGE_BAND":
        return list(AGE_BANDS) + ([MISSING_GROUP] if MISSING_GROUP in present else [])
    values = sorted(present - {MISSING_GROUP})
    return values + ([MISSING_GROUP] if MISSING_GROUP in present else [])


def attribute_report(target: np.ndarray, probability: np.ndarray, threshold: float,
                     labels: np.ndarray, attribute: str = "",
                     min_group_size: int = MIN_GROUP_SIZE) -> dict[str, Any]:
    """The figures of every group of one attribute, its lowest approval ratio and its
    equal-opportunity gap (see the module's docstring for the rules)."""
    target = np.asarray(target)
    probability = np.asarray(probability, dtype="float64")
    labels = np.asarray(labels, dtype=object)
    groups = {name: group_metrics(target[labels == name], probability[labels == name],
                                  threshold) for name in _ordered_groups(labels, attribute)}
    approval = {name: float(np.mean(probability[labels == name] < threshold))
                for name, g in groups.items() if g["n"]}
    best = max((approval[name] for name in compared_groups(groups, min_group_size)),
               default=0.0)
    if best > 0:
        for name, rate in approval.items():
            groups[name]["approval_ratio"] = round(rate / best, 6)
    compared = [groups[name] for name in compared_groups(groups, min_group_size)]
    ratios = [g["approval_ratio"] for g in compared if g["approval_ratio"] is not None]
    false_refusals = [g["false_refusal_rate"] for g in compared
                      if g["false_refusal_rate"] is not None]
    return {
        "groups": groups,
        "min_approval_ratio": min(ratios) if ratios else None,
        "equal_opportunity_gap": round(max(false_refusals) - min(false_refusals), 6)
        if false_refusals else None,
    }


def fairness_report(target: np.ndarray, probability: np.ndarray, threshold: float,
                    attributes: Mapping[str, np.ndarray],
                    min_group_size: int = MIN_GROUP_SIZE) -> dict[str, Any]:
    """The report ``python -m ml.credit fairness`` prints: threshold, rows, and each
    attribute's groups (``attributes``: attribute -> group label of each row)."""
    return {
        "threshold": float(threshold),
        "n_rows": int(len(target)),
        "attributes": {name: attribute_report(target, probability, threshold, labels, name,
                                              min_group_size)
                       for name, labels in attributes.items()},
    }


def threshold_effects(target: np.ndarray, probability: np.ndarray,
                      attributes: Mapping[str, np.ndarray],
                      thresholds: Sequence[float] = THRESHOLD_GRID,
                      min_group_size: int = MIN_GROUP_SIZE) -> dict[str, Any]:
    """Each group's refusal rate, false refusal rate and approval ratio at each threshold,
    for the page's "effect of the threshold" chart."""
    effects: dict[str, dict[str, dict[str, list]]] = {}
    for name, labels in attributes.items():
        reports = [attribute_report(target, probability, t, labels, name, min_group_size)
                   for t in thresholds]
        effects[name] = {
            group: {key: [r["groups"][group][key] for r in reports]
                    for key in ("refusal_rate", "false_refusal_rate", "approval_ratio")}
            for group in reports[0]["groups"]
        }
    return {"thresholds": list(thresholds), "attributes": effects}


def flagged_groups(report: Mapping[str, Any],
                   min_group_size: int = MIN_GROUP_SIZE) -> dict[str, list[str]]:
    """Per attribute, the compared groups (see :func:`compared_groups`) approved at under
    four fifths of the best-approved group's rate."""
    flagged: dict[str, list[str]] = {}
    for name, attribute in report["attributes"].items():
        groups = attribute["groups"]
        flagged[name] = [group for group in compared_groups(groups, min_group_size)
                         if groups[group]["approval_ratio"] is not None
                         and groups[group]["approval_ratio"] < FOUR_FIFTHS]
    return flagged
