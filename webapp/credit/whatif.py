"""What-if and recourse: change what an applicant can really change, see what follows.

The changeable fields are the loan's terms (amount, instalment, the term they imply, the price
of the goods) and the declared income. Nothing is ever saved: a what-if is the stored record
with a few values replaced, scored live.

Recourse searches, among plausible changes of the loan's terms only (a smaller loan for a
cheaper good, a longer term, or both; never "declare a higher income"), the smallest one that
turns a refusal into an acceptance, and says it in one sentence. All candidates are scored in
one batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from flask_babel import gettext as _

from ml.credit.labels import field_label, kind
from ml.credit.schema import APPLICATION_COLUMNS, ID_COLUMN, normalise_record
from ml.serving.credit import CreditModel, Explanation

from ..i18n import current_language
from ..ui import formatting as fmt
from .explanations import Reason, explain, feature_label, format_kind, reasons
from .points import probability_points

#: The changeable fields and the what-if form's bounds: field -> (lowest, highest). ``TERM``
#: is the number of instalments that amount / instalment implies.
BOUNDS: dict[str, tuple[float, float]] = {
    "AMT_CREDIT": (1_000, 10_000_000),
    "AMT_ANNUITY": (100, 1_000_000),
    "TERM": (1, 600),
    "AMT_GOODS_PRICE": (0, 10_000_000),
    "AMT_INCOME_TOTAL": (1_000, 100_000_000),
}
#: Recourse never goes beyond these (relative to the applicant's own terms).
MIN_CREDIT_FACTOR = 0.3
MAX_TERM_FACTOR = 2.0
MAX_TERM = 360


def term_of(record: Mapping[str, Any]) -> float | None:
    """Instalments implied by amount / instalment (before interest)."""
    credit, annuity = record.get("AMT_CREDIT"), record.get("AMT_ANNUITY")
    try:
        credit, annuity = float(credit), float(annuity)
    except (TypeError, ValueError):
        return None
    if not credit or not annuity or np.isnan(credit) or np.isnan(annuity):
        return None
    return credit / annuity


def apply_changes(record: Mapping[str, Any], changes: Mapping[str, float],
                  term_driven: bool = False) -> dict[str, Any]:
    """The record with the changes applied; with ``term_driven`` the instalment follows the
    term (instalment = amount / term), otherwise the term follows the instalment."""
    changed = dict(record)
    for field, value in changes.items():
        if field != "TERM":
            changed[field] = float(value)
    if term_driven and changes.get("TERM"):
        changed["AMT_ANNUITY"] = float(changed["AMT_CREDIT"]) / float(changes["TERM"])
    return changed


@dataclass(frozen=True)
class FieldChange:
    """One field, before and after."""

    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class WhatIfResult:
    """The new score against the original, and the reasons of the new one."""

    original: Explanation
    changed: Explanation
    changes: list[FieldChange]
    against: list[Reason]
    in_favour: list[Reason]
    moved: list[tuple[str, float]]  # (label, change of its effect in points), largest first
    record: dict[str, Any]

    @property
    def delta_points(self) -> float:
        """Change of probability, in percentage points."""
        return (self.changed.probability - self.original.probability) * 100

    @property
    def decision_changed(self) -> bool:
        """Whether the verdict flips."""
        return self.changed.decision != self.original.decision


def what_if(model: CreditModel, record: Mapping[str, Any], changes: Mapping[str, float],
            term_driven: bool = False) -> WhatIfResult:
    """Score the changed record against the original (nothing stored)."""
    original = explain(model, record)
    new_record = apply_changes(record, changes, term_driven)
    changed = explain(model, new_record)
    shown: list[FieldChange] = []
    for field in (name for name in BOUNDS if name != "TERM"):
        before, after = record.get(field), new_record.get(field)
        if before is None or after is None or float(before) != float(after):
            shown.append(FieldChange(field, _label(field), _value(field, before),
                                     _value(field, after)))
    term_before, term_after = term_of(record), term_of(new_record)
    if term_before and term_after and round(term_before, 1) != round(term_after, 1):
        shown.append(FieldChange("TERM", _label("TERM"), fmt.number(term_before, None, 1),
                                 fmt.number(term_after, None, 1)))
    against, in_favour = reasons(model, changed, new_record)
    # In percentage points of probability, as the waterfalls show them (webapp.credit.points).
    before = probability_points(original.base_value, original.margin, original.contributions)
    after = probability_points(changed.base_value, changed.margin, changed.contributions)
    deltas = {f: 100 * (after[f] - before.get(f, 0.0)) for f in after}
    moved = [(feature_label(model, f), d) for f, d in
             sorted(deltas.items(), key=lambda kv: -abs(kv[1]))[:5] if abs(d) >= 0.05]
    return WhatIfResult(original, changed, shown, against, in_favour, moved, new_record)


def _value(field: str, value: Any) -> str:
    if fmt.is_missing(value):
        return fmt.missing()
    return format_kind(kind(field), float(value))


def _label(field: str) -> str:
    if field == "TERM":
        return _("Durée (nombre d'échéances)")
    return field_label(field, current_language())


# --- recourse ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recourse:
    """The smallest plausible change that turns a refusal into an acceptance."""

    credit: float
    annuity: float
    goods_price: float | None
    term: float
    probability: float
    cost: float
    sentence: str


def _candidates(record: Mapping[str, Any]) -> list[tuple[float, float, float]]:
    """(credit factor, term factor, cost) for a grid of plausible changes, cheapest first."""
    term = term_of(record) or 1.0
    credit_factors = np.round(np.arange(1.0, MIN_CREDIT_FACTOR - 1e-9, -0.05), 2)
    term_factors = [f for f in np.round(np.arange(1.0, MAX_TERM_FACTOR + 1e-9, 0.1), 2)
                    if term * f <= MAX_TERM or f == 1.0]
    grid = []
    for c in credit_factors:
        for t in term_factors:
            if c == 1.0 and t == 1.0:
                continue
            # borrowing 10 % less weighs like a 20 % longer term
            cost = (1 - c) + 0.5 * (t - 1)
            grid.append((float(c), float(t), cost))
    grid.sort(key=lambda g: g[2])
    return grid


def find_recourse(model: CreditModel, record: Mapping[str, Any]) -> Recourse | None:
    """The cheapest accepted change of the loan's terms, or ``None`` (already accepted, no
    terms to change, or nothing plausible is enough)."""
    original = explain(model, record)
    if original.decision == "accepted":
        return None
    credit, annuity = record.get("AMT_CREDIT"), record.get("AMT_ANNUITY")
    term = term_of(record)
    if term is None:
        return None
    credit, annuity = float(credit), float(annuity)
    goods = record.get("AMT_GOODS_PRICE")
    goods = float(goods) if goods is not None and not np.isnan(float(goods)) else None
    grid = _candidates(record)
    clean = normalise_record(record)
    rows = {column: [clean.get(column)] * len(grid) for column in APPLICATION_COLUMNS
            if column != ID_COLUMN}
    rows[ID_COLUMN] = list(range(1, len(grid) + 1))
    for index, (c, t, _cost) in enumerate(grid):
        new_credit = credit * c
        rows["AMT_CREDIT"][index] = new_credit
        rows["AMT_ANNUITY"][index] = new_credit / (term * t)
        if goods is not None:
            rows["AMT_GOODS_PRICE"][index] = goods * c
    frame = pd.DataFrame(rows)
    probabilities = np.asarray(model.score_frame(frame), dtype="float64")
    for index, (c, t, cost) in enumerate(grid):
        if probabilities[index] < model.threshold:
            new_credit = credit * c
            new_annuity = new_credit / (term * t)
            return Recourse(new_credit, new_annuity, goods * c if goods is not None else None,
                            term * t, float(probabilities[index]), cost,
                            _recourse_sentence(credit, annuity, term, new_credit, new_annuity,
                                               term * t, float(probabilities[index])))
    return None


def _recourse_sentence(credit: float, annuity: float, term: float, new_credit: float,
                       new_annuity: float, new_term: float, probability: float) -> str:
    parts = []
    if round(new_credit) != round(credit):
        parts.append(_("un crédit de %(new)s au lieu de %(old)s", new=fmt.money(new_credit),
                       old=fmt.money(credit)))
    if round(new_term) != round(term):
        parts.append(_("un remboursement en %(new)s échéances au lieu de %(old)s",
                       new=fmt.number(new_term), old=fmt.number(term)))
    changes = _("%(first)s et %(second)s", first=parts[0], second=parts[1]) \
        if len(parts) == 2 else "".join(parts)
    return _("Avec %(changes)s (échéance de %(new)s au lieu de %(old)s), la demande serait "
             "accordée (probabilité de défaut estimée : %(p)s).", changes=changes,
             new=fmt.money(new_annuity), old=fmt.money(annuity), p=fmt.percent(probability))
