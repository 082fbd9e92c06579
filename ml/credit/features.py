"""Features: one code path for training, batch scoring and a single applicant.

Raw values travel as *columns*: a mapping from raw field name to a 1-D numpy array. A
DataFrame becomes columns with :func:`frame_to_columns`; one applicant given as a dict becomes
columns of length one with :func:`record_to_columns`, without building a DataFrame (a one-row
DataFrame costs ~5 ms in XGBoost, a numpy row ~0.3 ms). :meth:`FeatureSchema.transform` then
computes the same feature matrix from either.

Categorical fields are encoded as ordinal codes, most frequent category first (ties by name),
learned from the training rows. Every feature thus stays numeric, so that SHAP's own TreeSHAP
can check XGBoost's contributions: it cannot read XGBoost's native categorical splits (measured:
errors up to 8 log-odds). Ordering by frequency rather than by default rate keeps the target
out of the encoding; measured on 5-fold CV it scored as well (0.7543 against 0.7541 AUC).

The building statistics come in three near-identical copies (``_AVG``, ``_MODE``, ``_MEDI``)
and most ``FLAG_DOCUMENT_*`` flags are almost always 0: only the ``_AVG`` copies,
``FLAG_DOCUMENT_3`` and a count of documents are kept (fewer, clearer reasons; CV unchanged).

Protected attributes (``CODE_GENDER`` by default: a French lender may not decide or justify a
credit by sex) are raw fields the model never reads: :func:`fit_feature_schema` leaves out the
field itself, its category codes, and every engineered feature computed from it. Which raw
fields an engineered feature reads is not declared by hand but traced from its code
(:data:`ENGINEERED_INPUTS`), so a new feature cannot forget to say it reads ``DAYS_BIRTH``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .schema import (
    APPLICATION_COLUMNS,
    CATEGORICAL_COLUMNS,
    DAYS_EMPLOYED_ANOMALY,
    ID_COLUMN,
    MISSING_CATEGORIES,
    NUMERIC_COLUMNS,
    TARGET_COLUMN,
    SchemaError,
)

Columns = Mapping[str, np.ndarray]

DAYS_PER_YEAR = 365.25

#: Raw DAYS_* fields, replaced by positive durations in years (easier to explain; trees are
#: invariant to such monotone changes).
DAYS_TO_YEARS = {
    "DAYS_BIRTH": "AGE_YEARS",
    "DAYS_EMPLOYED": "EMPLOYMENT_YEARS",
    "DAYS_REGISTRATION": "YEARS_SINCE_REGISTRATION",
    "DAYS_ID_PUBLISH": "YEARS_SINCE_ID_PUBLISH",
    "DAYS_LAST_PHONE_CHANGE": "YEARS_SINCE_PHONE_CHANGE",
}
DOCUMENT_FLAGS = tuple(c for c in NUMERIC_COLUMNS if c.startswith("FLAG_DOCUMENT_"))
BUREAU_ENQUIRIES = tuple(c for c in NUMERIC_COLUMNS if c.startswith("AMT_REQ_CREDIT_BUREAU_"))
EXT_SOURCES = ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[~np.isfinite(out)] = np.nan
    return out


def _days_employed(c: Columns) -> np.ndarray:
    days = c["DAYS_EMPLOYED"].astype("float64")
    return np.where(days == DAYS_EMPLOYED_ANOMALY, np.nan, days)


def _ext_stack(c: Columns) -> np.ndarray:
    return np.vstack([c[name].astype("float64") for name in EXT_SOURCES])


def _nan_reduce(fn: Callable, stack: np.ndarray) -> np.ndarray:
    out = np.full(stack.shape[1], np.nan)
    present = ~np.isnan(stack).all(axis=0)
    if present.any():
        out[present] = fn(stack[:, present], axis=0)
    return out


def _ext_weighted(c: Columns) -> np.ndarray:
    # Weights of a well-known Home Credit kernel (EXT_SOURCE_3 carries the most signal).
    weights = np.array([[2.0], [1.0], [3.0]])
    stack = _ext_stack(c)
    present = ~np.isnan(stack)
    total = np.where(present, stack * weights, 0.0).sum(axis=0)
    return _ratio(total, (present * weights).sum(axis=0))


#: Engineered features, in order: name -> function of the raw columns. Credit analysts'
#: ratios: affordability, leverage, down payment, stability, external scores.
ENGINEERED: dict[str, Callable[[Columns], np.ndarray]] = {
    "AGE_YEARS": lambda c: -c["DAYS_BIRTH"] / DAYS_PER_YEAR,
    "EMPLOYMENT_YEARS": lambda c: -_days_employed(c) / DAYS_PER_YEAR,
    "EMPLOYMENT_UNKNOWN": lambda c: (c["DAYS_EMPLOYED"] == DAYS_EMPLOYED_ANOMALY).astype("float64"),
    "YEARS_SINCE_REGISTRATION": lambda c: -c["DAYS_REGISTRATION"] / DAYS_PER_YEAR,
    "YEARS_SINCE_ID_PUBLISH": lambda c: -c["DAYS_ID_PUBLISH"] / DAYS_PER_YEAR,
    "YEARS_SINCE_PHONE_CHANGE": lambda c: -c["DAYS_LAST_PHONE_CHANGE"] / DAYS_PER_YEAR,
    "EMPLOYED_TO_AGE": lambda c: _ratio(_days_employed(c), c["DAYS_BIRTH"]),
    "CREDIT_TO_INCOME": lambda c: _ratio(c["AMT_CREDIT"], c["AMT_INCOME_TOTAL"]),
    "ANNUITY_TO_INCOME": lambda c: _ratio(c["AMT_ANNUITY"], c["AMT_INCOME_TOTAL"]),
    "PAYMENT_RATE": lambda c: _ratio(c["AMT_ANNUITY"], c["AMT_CREDIT"]),
    "CREDIT_TERM": lambda c: _ratio(c["AMT_CREDIT"], c["AMT_ANNUITY"]),
    "GOODS_TO_CREDIT": lambda c: _ratio(c["AMT_GOODS_PRICE"], c["AMT_CREDIT"]),
    "CREDIT_MINUS_GOODS": lambda c: c["AMT_CREDIT"] - c["AMT_GOODS_PRICE"],
    "INCOME_PER_PERSON": lambda c: _ratio(c["AMT_INCOME_TOTAL"], c["CNT_FAM_MEMBERS"]),
    "CHILDREN_RATIO": lambda c: _ratio(c["CNT_CHILDREN"], c["CNT_FAM_MEMBERS"]),
    "CAR_AGE_TO_AGE": lambda c: _ratio(c["OWN_CAR_AGE"], -c["DAYS_BIRTH"] / DAYS_PER_YEAR),
    "PHONE_CHANGE_TO_AGE": lambda c: _ratio(c["DAYS_LAST_PHONE_CHANGE"], c["DAYS_BIRTH"]),
    "REGISTRATION_TO_AGE": lambda c: _ratio(c["DAYS_REGISTRATION"], c["DAYS_BIRTH"]),
    "EXT_SOURCES_MEAN": lambda c: _nan_reduce(np.nanmean, _ext_stack(c)),
    "EXT_SOURCES_MIN": lambda c: _nan_reduce(np.nanmin, _ext_stack(c)),
    "EXT_SOURCES_MAX": lambda c: _nan_reduce(np.nanmax, _ext_stack(c)),
    "EXT_SOURCES_STD": lambda c: _nan_reduce(np.nanstd, _ext_stack(c)),
    "EXT_SOURCES_PROD": lambda c: np.prod(_ext_stack(c), axis=0),
    "EXT_SOURCES_WEIGHTED": _ext_weighted,
    "EXT_SOURCES_MISSING": lambda c: np.isnan(_ext_stack(c)).sum(axis=0).astype("float64"),
    "DOCUMENT_COUNT": lambda c: np.nansum(np.vstack([c[d] for d in DOCUMENT_FLAGS]), axis=0),
    "BUREAU_ENQUIRIES_TOTAL": lambda c: _nan_reduce(
        np.nansum, np.vstack([c[d].astype("float64") for d in BUREAU_ENQUIRIES])),
    "SOCIAL_DEFAULT_RATIO_30": lambda c: _ratio(
        c["DEF_30_CNT_SOCIAL_CIRCLE"], c["OBS_30_CNT_SOCIAL_CIRCLE"]),
    "CONTACT_FLAGS": lambda c: np.nansum(np.vstack([
        c[f] for f in ("FLAG_MOBIL", "FLAG_EMP_PHONE", "FLAG_WORK_PHONE", "FLAG_CONT_MOBILE",
                       "FLAG_PHONE", "FLAG_EMAIL")]), axis=0),
    "ADDRESS_MISMATCHES": lambda c: np.nansum(np.vstack([
        c[f] for f in ("REG_REGION_NOT_LIVE_REGION", "REG_REGION_NOT_WORK_REGION",
                       "LIVE_REGION_NOT_WORK_REGION", "REG_CITY_NOT_LIVE_CITY",
                       "REG_CITY_NOT_WORK_CITY", "LIVE_CITY_NOT_WORK_CITY")]), axis=0),
}



class _ReadRecorder(Mapping):
    """Stands in for raw columns and remembers which ones a feature function reads."""

    def __init__(self) -> None:
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> np.ndarray:
        self.read.add(name)
        return np.ones(1)

    def __iter__(self) -> Iterator[str]:
        return iter(APPLICATION_COLUMNS)

    def __len__(self) -> int:
        return len(APPLICATION_COLUMNS)


def _inputs_of(function: Callable[[Columns], np.ndarray]) -> frozenset[str]:
    recorder = _ReadRecorder()
    function(recorder)
    return frozenset(recorder.read)


#: Engineered feature -> the raw fields its function reads (traced once, at import).
ENGINEERED_INPUTS: dict[str, frozenset[str]] = {
    name: _inputs_of(function) for name, function in ENGINEERED.items()}

#: Protected attributes by default: the applicant's sex (Directive 2004/113/EC; Code pénal
#: art. 225-1 and 225-2).
DEFAULT_PROTECTED: tuple[str, ...] = ("CODE_GENDER",)

#: Near-duplicate or almost-constant raw fields the model does not read (see above).
DROPPED: frozenset[str] = frozenset(
    [c for c in NUMERIC_COLUMNS if c.endswith(("_MODE", "_MEDI")) and c != "TOTALAREA_MODE"]
    + [c for c in DOCUMENT_FLAGS if c != "FLAG_DOCUMENT_3"]
)
#: Raw numeric fields the model reads as they are (the DAYS_* ones become years above).
PASSTHROUGH_NUMERIC: tuple[str, ...] = tuple(
    c for c in NUMERIC_COLUMNS if c not in DAYS_TO_YEARS and c not in DROPPED)


def protected_fields(names: Iterable[str]) -> tuple[str, ...]:
    """Validated protected attributes: raw application fields, in the order given, once each.

    Raises ``SchemaError`` naming an unknown field (with the closest known names), since a
    misspelt protected field would silently protect nothing.
    """
    known = [c for c in APPLICATION_COLUMNS if c != ID_COLUMN]
    fields: list[str] = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        if name not in known:
            close = difflib.get_close_matches(name.upper(), known, n=3)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            raise SchemaError(f"protected field {name!r} is not a field of the Kaggle "
                              f"application schema{hint}")
        if name not in fields:
            fields.append(name)
    return tuple(fields)


def features_using(fields: Iterable[str]) -> list[str]:
    """Engineered features computed from any of ``fields``."""
    fields = set(fields)
    return [name for name, inputs in ENGINEERED_INPUTS.items() if inputs & fields]


def frame_to_columns(frame: pd.DataFrame,
                     exclude: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """A validated application frame as raw columns (numeric as float64, text as object).

    Fields in ``exclude`` (the protected attributes) are left out, so that nothing downstream
    can read them.
    """
    excluded = set(exclude)
    columns: dict[str, np.ndarray] = {}
    for name in frame.columns:
        if name in excluded:
            continue
        if name in CATEGORICAL_COLUMNS:
            columns[name] = frame[name].to_numpy(dtype=object)
        elif name in (ID_COLUMN, TARGET_COLUMN):
            continue
        else:
            columns[name] = frame[name].to_numpy(dtype="float64", na_value=np.nan)
    return columns


def record_to_columns(record: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """One normalised applicant record (see ``schema.normalise_record``) as length-1 columns."""
    columns: dict[str, np.ndarray] = {}
    for name, value in record.items():
        if name in CATEGORICAL_COLUMNS:
            columns[name] = np.array([value], dtype=object)
        else:
            columns[name] = np.array([np.nan if value is None else value], dtype="float64")
    return columns


def records_to_columns(records: Sequence[Mapping[str, Any]], exclude: Iterable[str] = (),
                       auxiliary: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """Many stored applicant records (raw fields, missing ones absent) as columns.

    The batch twin of ``schema.normalise_record`` + :func:`record_to_columns`, for re-scoring
    a stored portfolio without one model call per applicant: numbers as float64 (absent =
    NaN), text stripped with ``XNA`` and blanks missing. Where the single-record path refuses
    a value of the wrong type, this one reads it as missing (stored records were validated
    when they were written). Fields in ``exclude`` (the protected attributes) are left out.
    """
    excluded = set(exclude)
    names = [c for c in (*NUMERIC_COLUMNS, *CATEGORICAL_COLUMNS, *auxiliary) if c not in excluded]
    frame = pd.DataFrame.from_records(list(records), columns=names)
    columns: dict[str, np.ndarray] = {}
    for name in names:
        values = frame[name]
        if name in CATEGORICAL_COLUMNS:
            text = values.astype(object).str.strip()  # what is not text becomes NaN
            text = text.where(text.notna() & ~text.isin(MISSING_CATEGORIES), None)
            columns[name] = text.to_numpy(dtype=object)
        else:
            columns[name] = pd.to_numeric(values, errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan)
    return columns


@dataclass
class FeatureSchema:
    """What the model reads: feature names in order, and the category codes learned in training.

    ``auxiliary`` lists per-client aggregates of the auxiliary tables that were available in
    training (empty when the model uses the application table alone); they are read as
    numeric raw fields, missing when absent. ``protected`` lists the raw fields the features
    were built without.
    """

    feature_names: list[str]
    category_codes: dict[str, dict[str, float]]
    auxiliary: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)

    @property
    def n_features(self) -> int:
        """Number of model inputs."""
        return len(self.feature_names)

    def transform(self, columns: Columns) -> np.ndarray:
        """Feature matrix (float32, rows × ``feature_names``) from raw columns."""
        n = len(next(iter(columns.values())))
        out = np.empty((n, self.n_features), dtype=np.float32)
        missing = np.full(n, np.nan)
        for j, name in enumerate(self.feature_names):
            if name in ENGINEERED:
                values = ENGINEERED[name](columns)
            elif name in self.category_codes:
                codes = self.category_codes[name]
                raw = columns.get(name)
                values = missing if raw is None else np.fromiter(
                    (codes.get(v, np.nan) if v is not None else np.nan for v in raw),
                    dtype="float64", count=n)
            else:
                values = columns.get(name, missing)
            out[:, j] = values
        return out

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable form, saved with the model."""
        return {"feature_names": self.feature_names, "category_codes": self.category_codes,
                "auxiliary": self.auxiliary, "protected": self.protected}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSchema:
        """The inverse of :meth:`to_json`."""
        codes = {name: dict(values) for name, values in data["category_codes"].items()}
        return cls(list(data["feature_names"]), codes, list(data.get("auxiliary", [])),
                   list(data.get("protected", [])))


def fit_feature_schema(frame: pd.DataFrame, auxiliary: list[str] | None = None,
                       protected: Iterable[str] = DEFAULT_PROTECTED) -> FeatureSchema:
    """Learn the feature list and the category codes from training rows only.

    No feature reads a ``protected`` field, directly or through an engineered feature.
    """
    protected = list(protected_fields(protected))
    excluded = set(protected)
    category_codes: dict[str, dict[str, float]] = {}
    for column in CATEGORICAL_COLUMNS:
        if column in excluded:
            continue
        counts = pd.Series(frame[column].to_numpy(dtype=object)).dropna().value_counts()
        ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
        category_codes[column] = {str(name): float(i) for i, (name, _) in enumerate(ordered)}
    auxiliary = list(auxiliary or [])
    derived = set(features_using(excluded))
    names = ([c for c in PASSTHROUGH_NUMERIC if c not in excluded]
             + [c for c in CATEGORICAL_COLUMNS if c not in excluded]
             + [c for c in ENGINEERED if c not in derived] + auxiliary)
    return FeatureSchema(names, category_codes, auxiliary, protected)
