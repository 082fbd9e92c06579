"""The model page's fairness part: what leaving the protected fields out costs, and how the
decisions fall across groups of applicants (sex, age band, family status).

Read from what training saved (``CreditModel.fairness``: the report on out-of-fold
predictions and each group's rates across thresholds; ``card["price_of_fairness"]``), so the
page computes nothing heavy. Each attribute gets a sentence, a table and two charts (approval
ratio against the four-fifths line; refusal rate across thresholds, the model's threshold
marked), every chart with its text and its data as a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from ml.credit.fairness import FOUR_FIFTHS, MISSING_GROUP, flagged_groups
from ml.credit.labels import category_label, field_label
from ml.serving.credit import CreditModel

from ..i18n import current_language
from ..ui import charts
from ..ui import formatting as fmt


@dataclass(frozen=True)
class PriceRow:
    """One measure, with and without the protected fields."""

    label: str
    without: str
    with_protected: str


@dataclass(frozen=True)
class GroupRow:
    """One group's figures as shown."""

    name: str
    n: str
    default_rate: str
    refusal_rate: str
    false_refusal_rate: str
    missed_default_rate: str
    approval_ratio: str
    flagged: bool
    compared: bool


@dataclass(frozen=True)
class AttributeView:
    """One attribute of the report."""

    key: str
    title: str
    sentence: str
    rows: list[GroupRow]
    ratio_chart: charts.Chart
    threshold_chart: charts.Chart | None


@dataclass
class FairnessView:
    """Everything the fairness part of the model page shows."""

    protected: list[str]
    source: str
    n_rows: int
    threshold: float
    min_group_size: int
    price: list[PriceRow] = field(default_factory=list)
    attributes: list[AttributeView] = field(default_factory=list)


def _attribute_title(key: str) -> str:
    if key == "AGE_BAND":
        return _("Âge (par tranche)")
    return field_label(key, current_language())


def group_name(attribute: str, group: str) -> str:
    """A group as a person reads it."""
    if group == MISSING_GROUP:
        return fmt.missing()
    if attribute == "AGE_BAND":
        if group.startswith("<"):
            return _("moins de %(n)s ans", n=group[1:])
        if group.endswith("+"):
            return _("%(n)s ans et plus", n=group[:-1])
        low, high = group.split("-")
        return _("%(low)s à %(high)s ans", low=low, high=high)
    return category_label(attribute, group, current_language())


def _rate(value: float | None) -> str:
    return "—" if value is None else fmt.percent(value)


def _price(card: Mapping[str, Any]) -> list[PriceRow]:
    price = card.get("price_of_fairness")
    if not price:
        return []
    without, with_ = price["without_protected"], price["with_protected"]
    rows = [PriceRow(_("Variables du modèle"), fmt.number(without["n_features"]),
                     fmt.number(with_["n_features"])),
            PriceRow(_("Seuil de refus"), fmt.percent(without["threshold"]),
                     fmt.percent(with_["threshold"]))]
    for split, name in (("oof", _("validation croisée")), ("test", _("jeu de test"))):
        rows.append(PriceRow(_("AUC (%(split)s)", split=name),
                             fmt.fixed(without[split]["roc_auc"], None, 3),
                             fmt.fixed(with_[split]["roc_auc"], None, 3)))
        rows.append(PriceRow(_("Coût métier (%(split)s)", split=name),
                             fmt.number(without[split]["business_cost"]),
                             fmt.number(with_[split]["business_cost"])))
        rows.append(PriceRow(_("Coût de la règle fixe « refus dès 20 %% » (%(split)s)",
                               split=name),
                             fmt.number(without[split]["fixed_rule_cost"]),
                             fmt.number(with_[split]["fixed_rule_cost"])))
    return rows


def _sentence(title: str, attribute: Mapping[str, Any], names: Mapping[str, str],
              flagged: list[str]) -> str:
    ratio = attribute.get("min_approval_ratio")
    gap = attribute.get("equal_opportunity_gap")
    if ratio is None:
        return _("%(attribute)s : pas assez de dossiers par groupe pour comparer.",
                 attribute=title)
    if flagged:
        verdict = _("Sous la règle des quatre cinquièmes : %(groups)s.",
                    groups=", ".join(names[g] for g in flagged))
    else:
        verdict = _("Aucun groupe sous la règle des quatre cinquièmes.")
    return _("%(attribute)s : le groupe le moins accordé l'est %(ratio)s fois autant que le "
             "mieux accordé ; l'écart de bons payeurs refusés entre groupes atteint %(gap)s "
             "points. %(verdict)s", attribute=title, ratio=fmt.fixed(ratio, None, 2),
             gap=fmt.number(100 * (gap or 0.0), None, 1), verdict=verdict)


def _ratio_chart(key: str, title: str, rows: list[GroupRow], groups: Mapping[str, Any],
                 order: list[str]) -> charts.Chart:
    """The compared groups only: a group of a handful of applications says nothing."""
    shown = [g for g in order if groups[g]["approval_ratio"] is not None]
    names = [group_name(key, g) for g in shown]
    values = [round(float(groups[g]["approval_ratio"]), 3) for g in shown]
    figure = charts.ratio_bars(names, values, FOUR_FIFTHS, _("Rapport d'accord au meilleur "
                                                             "groupe"),
                               _("Seuil des quatre cinquièmes"))
    return charts.Chart(
        id=f"fairness-{key.lower()}-ratio",
        title=_("%(attribute)s : rapport d'accord de chaque groupe", attribute=title),
        summary=_("Part des dossiers accordés dans chaque groupe, rapportée à celle du groupe "
                  "le mieux accordé ; sous 0,8 (trait), un groupe est signalé."),
        figure=figure, columns=[_("Groupe"), _("Rapport d'accord"), _("Signalé")],
        rows=[[r.name, r.approval_ratio, _("oui") if r.flagged else _("non")] for r in rows])


def _threshold_chart(key: str, title: str, curves: Mapping[str, Any], thresholds: list[float],
                     threshold: float, order: list[str]) -> charts.Chart | None:
    by_group = curves.get(key)
    if not by_group:
        return None
    shown = [g for g in order if g in by_group]
    series = [{"x": [100 * t for t in thresholds],
               "y": [None if v is None else 100 * v for v in by_group[g]["refusal_rate"]],
               "name": group_name(key, g)} for g in shown]
    figure = charts.lines(series, _("Seuil de refus (%)"), _("Dossiers refusés (%)"),
                          vline=100 * threshold)
    step = max(1, len(thresholds) // 10)
    return charts.Chart(
        id=f"fairness-{key.lower()}-threshold",
        title=_("%(attribute)s : l'effet du seuil sur chaque groupe", attribute=title),
        summary=_("Part des dossiers refusés dans chaque groupe selon le seuil ; le trait "
                  "vertical marque le seuil du modèle (%(t)s).", t=fmt.percent(threshold)),
        figure=figure, columns=[_("Seuil")] + [group_name(key, g) for g in shown],
        rows=[[fmt.percent(t)] + [_rate(by_group[g]["refusal_rate"][i]) for g in shown]
              for i, t in list(enumerate(thresholds))[::step]])


def fairness_view(model: CreditModel) -> FairnessView | None:
    """The fairness part of the model page (``None`` for a model saved without it)."""
    saved = getattr(model, "fairness", None) or {}
    report = saved.get("report")
    if not report:
        return None
    view = FairnessView(protected=[field_label(f, current_language())
                                   for f in saved.get("protected_attributes", [])],
                        source=saved.get("source", ""), n_rows=int(report["n_rows"]),
                        threshold=float(report["threshold"]),
                        min_group_size=int(saved.get("min_group_size", 0)),
                        price=_price(model.card))
    flagged = flagged_groups(report)
    curves = saved.get("curves") or {}
    for key, attribute in report["attributes"].items():
        groups = attribute["groups"]
        order = [g for g in groups if groups[g]["n"]]
        names = {g: group_name(key, g) for g in order}
        title = _attribute_title(key)
        small = view.min_group_size
        rows = [GroupRow(names[g], fmt.number(groups[g]["n"]), _rate(groups[g]["default_rate"]),
                         _rate(groups[g]["refusal_rate"]),
                         _rate(groups[g]["false_refusal_rate"]),
                         _rate(groups[g]["missed_default_rate"]),
                         "—" if groups[g]["approval_ratio"] is None
                         else fmt.fixed(groups[g]["approval_ratio"], None, 2),
                         g in flagged.get(key, []), groups[g]["n"] >= small)
                for g in order]
        compared = [g for g in order if groups[g]["n"] >= small] or order
        view.attributes.append(AttributeView(
            key, title, _sentence(title, attribute, names, flagged.get(key, [])), rows,
            _ratio_chart(key, title, [r for r, g in zip(rows, order, strict=True)
                                      if g in compared], groups, compared),
            _threshold_chart(key, title, curves.get("attributes", {}),
                             list(curves.get("thresholds", [])), view.threshold, compared)))
    return view
