"""Human labels for the credit data, French first and English too: raw fields, derived
features and category values, read from the one table in :mod:`ml.credit.label_table`.

The web pages (identity card, filters, forms, reasons, charts, admin views) and the model's
own labels (``CreditModel.labels``) all go through these functions. A name the table does not
know falls back to Home Credit's own description of the column
(``HomeCredit_columns_description.csv``, English, cp1252) or to the raw name's words.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from .label_table import CATEGORIES, FEATURES, FIELDS, MISSING

__all__ = ["CATEGORIES", "FEATURES", "FIELDS", "MISSING", "FeatureLabels", "category_label",
           "choices", "field_label", "kind", "label", "read_kaggle_descriptions"]

#: Units shown after a value, by kind.
UNITS = {"money": "€", "years": "ans", "percent": "%", "ratio": "×", "hour": "h"}


def _pick(labels: tuple[str, ...], lang: str) -> str:
    return labels[1] if lang == "en" else labels[0]


def label(name: str, lang: str = "fr") -> str:
    """The label of a raw field or a derived feature; the raw name's words when unknown."""
    entry = FIELDS.get(name) or FEATURES.get(name)
    if entry is None:
        return name.replace("_", " ").capitalize()
    return _pick(entry, lang)


#: A raw field's label (the same table: one definition per name).
field_label = label


def kind(name: str) -> str:
    """How values of ``name`` are written: money, years, ratio, percent, count, score, ..."""
    entry = FIELDS.get(name) or FEATURES.get(name)
    if entry is not None:
        return entry[2]
    if name.startswith(("FLAG_", "REG_", "LIVE_")):
        return "flag"
    return "number"


def category_label(field: str, value: str | None, lang: str = "fr") -> str:
    """A category value as an advisor says it (``non renseigné`` when missing); a value the
    table does not know is shown as it is."""
    if value is None or value == "":
        return MISSING["en" if lang == "en" else "fr"]
    labels = CATEGORIES.get(field, {}).get(value)
    return value if labels is None else _pick(labels, lang)


def choices(field: str, lang: str = "fr") -> list[tuple[str, str]]:
    """``(value, label)`` pairs of a categorical field, for select inputs ("not available"
    values left out: nobody chooses them)."""
    return [(value, _pick(labels, lang)) for value, labels in CATEGORIES.get(field, {}).items()
            if value != "XNA"]


def read_kaggle_descriptions(path: Path) -> dict[str, str]:
    """Column -> description for the application table, from Home Credit's file (cp1252)."""
    descriptions: dict[str, str] = {}
    with open(path, encoding="cp1252", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("Table", "").startswith("application") and row.get("Row"):
                descriptions[row["Row"]] = (row.get("Description") or "").strip()
    return descriptions


class FeatureLabels:
    """Labels, kinds, units and descriptions of a model's features (the table above, plus
    the Kaggle descriptions saved with the model)."""

    def __init__(self, descriptions: Mapping[str, str] | None = None):
        self.descriptions = dict(descriptions or {})

    def label(self, feature: str, lang: str = "fr") -> str:
        """A short human label."""
        return label(feature, lang)

    def kind(self, feature: str) -> str:
        """How the value is formatted."""
        return kind(feature)

    def unit(self, feature: str) -> str | None:
        """The unit shown after a value, if any."""
        return UNITS.get(kind(feature))

    def description(self, feature: str) -> str:
        """Home Credit's description for raw columns, the French label otherwise."""
        return self.descriptions.get(feature) or label(feature, "fr")

    def category_value(self, field: str, value: str | None, lang: str = "fr") -> str:
        """A category value of ``field`` as an advisor would say it."""
        return category_label(field, value, lang)
