"""Reference data built at training time for the "compared with whom" views.

- distributions of every numeric feature over all clients with a known outcome, split by
  outcome (repaid / defaulted), and category counts for the text fields;
- a population matrix of the most important features (scatter plots, similar clients);
- what a nearest-neighbour search needs: the features it compares, their centre and scale,
  importance weights, and the usual neighbour distance (for out-of-distribution warnings);
- per-feature training ranges (for out-of-distribution warnings).

Everything here is built from the model's feature matrix only, never from raw fields: a
protected attribute (see ``features``), which is not a feature, thus has no histogram, no
population column, no neighbour coordinate and no range.
"""

from __future__ import annotations

from typing import Any

import numpy as np

HISTOGRAM_BINS = 30
POPULATION_FEATURES = 40
NEIGHBOUR_FEATURES = 12
NEIGHBOURS_K = 50


def _edges(values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.array([0.0, 1.0])
    lo, hi = np.quantile(finite, [0.005, 0.995])
    if hi <= lo:
        return np.array([lo - 0.5, hi + 0.5])
    uniques = np.unique(finite)
    if uniques.size <= HISTOGRAM_BINS:  # counts and flags: one bin per value
        mids = (uniques[1:] + uniques[:-1]) / 2
        return np.concatenate([[uniques[0] - 0.5], mids, [uniques[-1] + 0.5]])
    return np.linspace(lo, hi, HISTOGRAM_BINS + 1)


def histogram(values: np.ndarray, target: np.ndarray, edges: np.ndarray) -> tuple[list, list]:
    """Counts per bin (values outside the edges fall into the end bins) by outcome."""
    finite = np.isfinite(values)
    which = np.clip(np.searchsorted(edges, values[finite], side="right") - 1, 0, len(edges) - 2)
    y = target[finite].astype(bool)
    repaid = np.bincount(which[~y], minlength=len(edges) - 1)
    defaulted = np.bincount(which[y], minlength=len(edges) - 1)
    return repaid.tolist(), defaulted.tolist()


def build_reference(features: np.ndarray, target: np.ndarray, ids: np.ndarray,
                    feature_names: list[str], categorical: dict[str, dict[str, float]],
                    importance: list[tuple[str, float]]) -> dict[str, Any]:
    """Everything the portal compares an applicant with, as arrays and JSON-able dicts."""
    index = {name: j for j, name in enumerate(feature_names)}
    histograms: dict[str, dict[str, list]] = {}
    ranges: dict[str, list[float]] = {}
    for name, j in index.items():
        column = features[:, j].astype("float64")
        finite = column[np.isfinite(column)]
        if name in categorical:
            names = sorted(categorical[name], key=categorical[name].get)
            counts_r, counts_d = [], []
            for code, _ in enumerate(names):
                mask = column == code
                counts_r.append(int(np.sum(mask & (target == 0))))
                counts_d.append(int(np.sum(mask & (target == 1))))
            histograms[name] = {"categories": names, "repaid": counts_r, "defaulted": counts_d}
            continue
        edges = _edges(column)
        repaid, defaulted = histogram(column, target, edges)
        histograms[name] = {"edges": np.round(edges, 6).tolist(), "repaid": repaid,
                            "defaulted": defaulted}
        if finite.size:
            ranges[name] = [float(np.quantile(finite, 0.001)), float(np.quantile(finite, 0.999))]

    ranked = [name for name, _ in importance if name in index]
    population = ranked[:POPULATION_FEATURES]
    numeric_ranked = [name for name in ranked if name not in categorical]
    neighbour_features = numeric_ranked[:NEIGHBOUR_FEATURES]
    for name in neighbour_features:
        if name not in population:
            population.append(name)
    cols = [index[name] for name in neighbour_features]
    block = features[:, cols].astype("float64")
    centre = np.nanmedian(block, axis=0)
    q1, q3 = np.nanquantile(block, [0.25, 0.75], axis=0)
    scale = np.where(q3 - q1 > 0, q3 - q1, np.nanstd(block, axis=0))
    scale = np.where(scale > 0, scale, 1.0)
    weight_of = dict(importance)
    weights = np.sqrt(np.array([weight_of[name] for name in neighbour_features]))
    weights = weights / weights.sum()
    scaled = neighbour_space(block, centre, scale, weights)
    usual = _usual_neighbour_distance(scaled)
    return {
        "arrays": {
            "ids": ids.astype("int64"), "target": target.astype("int8"),
            "population": features[:, [index[n] for n in population]].astype("float32"),
            "neighbour_space": scaled.astype("float32"),
            "neighbour_centre": centre, "neighbour_scale": scale, "neighbour_weights": weights,
        },
        "json": {
            "histograms": histograms, "ranges": ranges, "population_features": population,
            "neighbour_features": neighbour_features, "neighbours_k": NEIGHBOURS_K,
            "usual_neighbour_distance": usual,
            "default_rate": float(np.mean(target)), "n_clients": int(len(target)),
        },
    }


def neighbour_space(block: np.ndarray, centre: np.ndarray, scale: np.ndarray,
                    weights: np.ndarray) -> np.ndarray:
    """Robust-scaled, importance-weighted coordinates; a missing value sits at the median."""
    scaled = (block - centre) / scale
    scaled = np.clip(np.nan_to_num(scaled, nan=0.0), -10, 10)
    return scaled * weights


def _usual_neighbour_distance(scaled: np.ndarray, sample: int = 1000, seed: int = 0) -> float:
    """99th percentile, over clients, of the distance to their k-th nearest other client."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(scaled), size=min(sample, len(scaled)), replace=False)
    k = min(NEIGHBOURS_K, len(scaled) - 1)
    distances = []
    for i in picks:
        d = np.sqrt(((scaled - scaled[i]) ** 2).sum(axis=1))
        distances.append(np.partition(d, k)[k])  # index 0 is the client itself
    return float(np.quantile(distances, 0.99))
