"""The credit model as the web process and the command line use it.

Loads a model folder once (booster, schema, threshold, reference data) and scores and
explains applicants. One applicant goes through numpy only (no DataFrame): a dict of raw
Kaggle fields → the same feature code as training → one XGBoost call that returns the exact
SHAP contributions, from which the margin and the probability follow.

The protected attributes of the model (``CreditModel.protected``, ``CODE_GENDER`` by default)
are dropped from every input before the features are computed: the model cannot see them,
so no probability, contribution, neighbour or out-of-distribution warning depends on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from ml.credit import artifacts
from ml.credit.explain import contributions as native_contributions
from ml.credit.explain import sigmoid
from ml.credit.features import (
    FeatureSchema,
    frame_to_columns,
    record_to_columns,
    records_to_columns,
)
from ml.credit.labels import FeatureLabels
from ml.credit.reference import neighbour_space
from ml.credit.schema import normalise_record


@dataclass(frozen=True)
class Explanation:
    """One applicant's score and its reasons."""

    probability: float
    threshold: float
    decision: str  # "accepted" | "refused"
    base_value: float  # log-odds
    margin: float  # log-odds = base_value + sum(contributions)
    contributions: dict[str, float]  # feature -> log-odds contribution
    features: dict[str, float]  # feature -> value the model saw (NaN = missing)

    def top_contributions(self, n: int = 10) -> list[tuple[str, float]]:
        """The ``n`` largest contributions by absolute value."""
        return sorted(self.contributions.items(), key=lambda kv: -abs(kv[1]))[:n]


class ReferenceData:
    """Clients with a known outcome, for "compared with all / with similar clients"."""

    def __init__(self, arrays: Mapping[str, np.ndarray], info: Mapping[str, Any]):
        self.ids = arrays["ids"]
        self.target = arrays["target"]
        self._population = arrays["population"]
        self._space = arrays["neighbour_space"]
        self._centre = arrays["neighbour_centre"]
        self._scale = arrays["neighbour_scale"]
        self._weights = arrays["neighbour_weights"]
        self.info = dict(info)
        self.population_features: list[str] = list(info["population_features"])
        self.neighbour_features: list[str] = list(info["neighbour_features"])
        self.default_rate: float = float(info["default_rate"])
        self._column = {name: j for j, name in enumerate(self.population_features)}

    def histogram(self, feature: str) -> dict[str, list]:
        """Counts by outcome: ``edges`` for numbers, ``categories`` for text fields."""
        return self.info["histograms"][feature]

    def outcome_counts(self, feature: str, rows: np.ndarray | None = None) -> dict[str, list]:
        """The histogram of ``feature`` over every reference client, or over ``rows`` only
        (re-binned on the same edges or categories): ``{"edges" | "categories", "repaid",
        "defaulted"}``."""
        histogram = self.histogram(feature)
        if rows is None:
            return histogram
        values = self._population[rows, self._column[feature]]
        target = self.target[rows]
        if "categories" in histogram:
            codes = values
            size = len(histogram["categories"])
            repaid = [int(np.sum((codes == i) & (target == 0))) for i in range(size)]
            defaulted = [int(np.sum((codes == i) & (target == 1))) for i in range(size)]
            return {"categories": histogram["categories"], "repaid": repaid,
                    "defaulted": defaulted}
        edges = histogram["edges"]
        column = values.astype("float64")
        finite = np.isfinite(column)
        which = np.clip(np.searchsorted(edges, column[finite], side="right") - 1, 0,
                        len(edges) - 2)
        outcome = target[finite]
        return {"edges": edges,
                "repaid": np.bincount(which[outcome == 0], minlength=len(edges) - 1).tolist(),
                "defaulted": np.bincount(which[outcome == 1],
                                         minlength=len(edges) - 1).tolist()}

    def population(self, features: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Values of ``features`` for every reference client, with outcomes and IDs."""
        unknown = [f for f in features if f not in self._column]
        if unknown:
            raise KeyError(f"not in the reference population: {', '.join(unknown)}")
        return self._population[:, [self._column[f] for f in features]], self.target, self.ids

    def neighbours(self, features: Mapping[str, float], k: int | None = None):
        """The ``k`` nearest reference clients: (ids, target, distances, row indices)."""
        k = min(k or int(self.info["neighbours_k"]), len(self.ids))
        point = self._point(features)
        distances = np.sqrt(((self._space - point) ** 2).sum(axis=1))
        nearest = np.argpartition(distances, k - 1)[:k]
        nearest = nearest[np.argsort(distances[nearest], kind="stable")]
        return self.ids[nearest], self.target[nearest], distances[nearest], nearest

    def _point(self, features: Mapping[str, float]) -> np.ndarray:
        block = np.array([[features.get(f, np.nan) for f in self.neighbour_features]], dtype=float)
        return neighbour_space(block, self._centre, self._scale, self._weights)[0]

    def out_of_distribution(self, features: Mapping[str, float]) -> list[str]:
        """Features outside what training saw (beyond the 0.1–99.9 % range), and
        ``"__neighbours__"`` when the applicant is far from every group of clients."""
        unusual = []
        for name, (low, high) in self.info["ranges"].items():
            value = features.get(name)
            if value is not None and np.isfinite(value) and not low <= value <= high:
                unusual.append(name)
        _, _, distances, _ = self.neighbours(features)
        if distances[-1] > self.info["usual_neighbour_distance"]:
            unusual.append("__neighbours__")
        return unusual


class CreditModel:
    """A loaded credit model folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.card: dict[str, Any] = artifacts.read_card(folder)
        self.version: str = self.card["version"]
        self.booster = xgb.Booster()
        self.booster.load_model(folder / "model.ubj")
        self.booster.set_param({"nthread": 1})  # one request, one core: workers scale out
        self.schema = FeatureSchema.from_json(artifacts.read_json(folder, "feature_schema.json"))
        #: Raw fields the model never reads; kept with an application only to measure fairness.
        self.protected: tuple[str, ...] = tuple(self.card["protected_attributes"])
        decision = artifacts.read_json(folder, "decision.json")
        self.threshold: float = float(decision["threshold"])
        self.cost_ratio: float = float(decision["cost_ratio"])
        self.metrics: dict[str, Any] = artifacts.read_json(folder, "metrics.json")
        self.importance: list[tuple[str, float]] = [
            (name, float(value)) for name, value in artifacts.read_json(folder, "importance.json")]
        with np.load(folder / "reference.npz", allow_pickle=False) as arrays:
            self.reference = ReferenceData(dict(arrays), artifacts.read_json(folder,
                                                                             "reference.json"))
        descriptions_path = folder / "labels.json"
        self.labels = FeatureLabels(artifacts.read_json(folder, "labels.json")
                                    if descriptions_path.is_file() else {})

    @property
    def feature_names(self) -> list[str]:
        """The model's inputs, in order."""
        return self.schema.feature_names

    @cached_property
    def fairness(self) -> dict[str, Any]:
        """``fairness.json``: the fairness report on the out-of-fold predictions, each group's
        rates at a grid of thresholds, and the report of the model given the protected fields
        (see ``ml.credit.fairness_data``)."""
        return artifacts.read_json(self.folder, "fairness.json")

    def decide(self, probability: float) -> str:
        """"refused" at or above the threshold, "accepted" below."""
        return "refused" if probability >= self.threshold else "accepted"

    def features_of(self, record: Mapping[str, Any]) -> np.ndarray:
        """The model's input row (1 × features) for one raw applicant record."""
        clean = normalise_record(record)
        for name in self.protected:
            clean.pop(name, None)
        for name in self.schema.auxiliary:
            value = record.get(name)
            clean[name] = float(value) if isinstance(value, int | float) else np.nan
        return self.schema.transform(record_to_columns(clean))

    def explain(self, record: Mapping[str, Any]) -> Explanation:
        """Score and explain one applicant given as raw Kaggle fields.

        Raises ``RecordError`` (with ``.fields``) when a field has the wrong type.
        """
        row = self.features_of(record)
        contribs, base = native_contributions(self.booster, row, self.feature_names)
        margin = float(base[0] + contribs[0].sum(dtype="float64"))
        probability = float(sigmoid(margin))
        return Explanation(
            probability=probability, threshold=self.threshold,
            decision=self.decide(probability), base_value=float(base[0]), margin=margin,
            contributions=dict(zip(self.feature_names, contribs[0].tolist(), strict=True)),
            features=dict(zip(self.feature_names, row[0].astype(float).tolist(), strict=True)),
        )

    def feature_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Model inputs for a validated application frame."""
        return self.schema.transform(frame_to_columns(frame, exclude=self.protected))

    def score_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Default probabilities for every row of a validated application frame."""
        matrix = xgb.DMatrix(self.feature_matrix(frame), feature_names=self.feature_names,
                             missing=np.nan)
        return self.booster.predict(matrix, iteration_range=artifacts.iteration_range(self.booster))

    def score_records(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Default probabilities of many stored records (raw Kaggle fields, missing ones
        absent), in one model call: what :meth:`explain` gives each one, batched."""
        columns = records_to_columns(records, exclude=self.protected,
                                     auxiliary=self.schema.auxiliary)
        matrix = xgb.DMatrix(self.schema.transform(columns), feature_names=self.feature_names,
                             missing=np.nan)
        return self.booster.predict(matrix, iteration_range=artifacts.iteration_range(self.booster))

    def explain_frame(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Contributions (rows × features) and base values for a frame."""
        return native_contributions(self.booster, self.feature_matrix(frame), self.feature_names)


def load_credit_model(path: Path | None = None) -> CreditModel:
    """Load the current model under a credit artifacts root, or a given model folder."""
    return CreditModel(artifacts.resolve(path))
