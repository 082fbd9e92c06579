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

from ml.credit.schema import APPLICATION_COLUMNS, ID_COLUMN, normalise_record

from . import formatting as fmt
from .explanations import explain, reasons

#: field -> (French label, English label, lowest, highest) — the what-if form's bounds.
CHANGEABLE: dict[str, tuple[str, str, float, float]] = {
    "AMT_CREDIT": ("Montant du crédit (€)", "Credit amount (€)", 1_000, 10_000_000),
    "AMT_ANNUITY": ("Montant de l'échéance (€)", "Instalment (€)", 100, 1_000_000),
    "TERM": ("Durée (nombre d'échéances)", "Term (number of instalments)", 1, 600),
    "AMT_GOODS_PRICE": ("Prix du bien financé (€)", "Price of the goods (€)", 0, 10_000_000),
    "AMT_INCOME_TOTAL": ("Revenu annuel déclaré (€)", "Declared annual income (€)",
                         1_000, 100_000_000),
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

    original: Any
    changed: Any
    changes: list[FieldChange]
    against: list
    in_favour: list
    moved: list[tuple[str, float]]  # (label, change of contribution), largest first
    record: dict[str, Any]

    @property
    def delta_points(self) -> float:
        """Change of probability, in percentage points."""
        return (self.changed.probability - self.original.probability) * 100

    @property
    def decision_changed(self) -> bool:
        """Whether the verdict flips."""
        return self.changed.decision != self.original.decision


def what_if(model: Any, record: Mapping[str, Any], changes: Mapping[str, float],
            term_driven: bool = False, lang: str = "fr") -> WhatIfResult:
    """Score the changed record against the original (nothing stored)."""
    original = explain(model, record)
    new_record = apply_changes(record, changes, term_driven)
    changed = explain(model, new_record)
    shown: list[FieldChange] = []
    fields = ["AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE", "AMT_INCOME_TOTAL"]
    for field in fields:
        before, after = record.get(field), new_record.get(field)
        if before is None or after is None or float(before) != float(after):
            shown.append(FieldChange(field, _label(field, lang), fmt.money(before, lang),
                                     fmt.money(after, lang)))
    term_before, term_after = term_of(record), term_of(new_record)
    if term_before and term_after and round(term_before, 1) != round(term_after, 1):
        shown.append(FieldChange("TERM", _label("TERM", lang), fmt.number(term_before, lang, 1),
                                 fmt.number(term_after, lang, 1)))
    against, in_favour = reasons(model, changed, new_record, lang)
    deltas = {f: changed.contributions[f] - original.contributions.get(f, 0.0)
              for f in changed.contributions}
    moved = [(model.labels.label(f, lang), d) for f, d in
             sorted(deltas.items(), key=lambda kv: -abs(kv[1]))[:5] if abs(d) > 1e-6]
    return WhatIfResult(original, changed, shown, against, in_favour, moved, new_record)


def _label(field: str, lang: str) -> str:
    fr, en, _, _ = CHANGEABLE[field]
    return (fr if lang == "fr" else en).replace(" (€)", "")


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


def find_recourse(model: Any, record: Mapping[str, Any], lang: str = "fr") -> Recourse | None:
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
    for index, (c, t, _) in enumerate(grid):
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
                                               term * t, float(probabilities[index]), lang))
    return None


def _recourse_sentence(credit: float, annuity: float, term: float, new_credit: float,
                       new_annuity: float, new_term: float, probability: float,
                       lang: str) -> str:
    p = fmt.percent(probability, lang)
    parts_fr, parts_en = [], []
    if round(new_credit) != round(credit):
        parts_fr.append(f"un crédit de {fmt.money(new_credit, lang)} au lieu de "
                        f"{fmt.money(credit, lang)}")
        parts_en.append(f"a loan of {fmt.money(new_credit, lang)} instead of "
                        f"{fmt.money(credit, lang)}")
    if round(new_term, 1) != round(term, 1):
        parts_fr.append(f"remboursé en {fmt.number(new_term, lang)} échéances au lieu de "
                        f"{fmt.number(term, lang)}")
        parts_en.append(f"repaid over {fmt.number(new_term, lang)} instalments instead of "
                        f"{fmt.number(term, lang)}")
    if lang == "fr":
        return (f"Avec {', '.join(parts_fr)} (échéance de {fmt.money(new_annuity, lang)} au "
                f"lieu de {fmt.money(annuity, lang)}), la demande serait accordée "
                f"(probabilité de défaut estimée : {p}).")
    return (f"With {', '.join(parts_en)} (instalment {fmt.money(new_annuity, lang)} instead of "
            f"{fmt.money(annuity, lang)}), the application would be accepted "
            f"(estimated probability of default: {p}).")
